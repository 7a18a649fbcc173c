/* Running pith's container side from a sealed memfd copy of its own binary. */
#ifndef PITH_SEALED_EXE_H
#define PITH_SEALED_EXE_H

#include "../error.h"

/* Returns 0 when /proc/self/exe already is a sealed memfd; otherwise copies
 * the binary into one, seals it and execs it with the same argv and
 * environment (returns only on failure). */
int sealed_exe_ensure(char **argv, struct pith_error *err);

#endif

/* Signal names and numbers as `pith kill` and the shim take them, and the
 * reset of every disposition before a container's process starts. */
#ifndef PITH_SIGNALS_H
#define PITH_SIGNALS_H

#include "../error.h"

/* Parse a signal given on the command line: a name with or without the SIG
 * prefix in any case ("KILL", "SIGKILL", "sigterm", like runc, which
 * upper-cases before looking up), a number 1..SIGRTMAX, or a real-time signal
 * as "RTMIN", "RTMIN+N", "RTMAX-N" (also with SIG). On failure err says
 * `unknown signal "FOO"` and *sig is untouched. */
int signal_parse(const char *s, int *sig, struct pith_error *err);

/* "SIGKILL", "SIGRTMIN+3", ...; NULL for a number no name stands for. The
 * string is static. */
const char *signal_name(int sig);

/* Every signal back to SIG_DFL and unblocked: what the caller ignored or
 * blocked must not reach the container (a .NET app would never stop). */
void signal_reset_all(void);

#endif

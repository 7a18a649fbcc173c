/* pith run with process.terminal and no --console-socket: pith holds the
 * pty master and joins it to its own stdin/stdout, like runc does. */
#ifndef PITH_RUN_TTY_H
#define PITH_RUN_TTY_H

#include <sys/types.h>

/* Copy stdin -> master and master -> stdout (stdin in raw mode when it is a
 * terminal, window size kept in step) until pid exits; forward signals to
 * it. Returns its exit code (128+N for a signal). */
int run_tty_proxy(pid_t pid, int master);

#endif

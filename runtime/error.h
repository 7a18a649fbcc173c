/* One error object carried up every call chain; only main() prints it. */
#ifndef PITH_ERROR_H
#define PITH_ERROR_H

#include <stdarg.h>

struct pith_error {
	int errnum;          /* errno that caused the failure, 0 when none applies */
	int exit_code;       /* what main() should exit with; 0 means "use 1" */
	char msg[1024];      /* full context, e.g. "config.json: process.args: must not be empty" */
};

/* What pith_fail returns when errnum is 0: negative, and outside the errno
 * range, so a caller testing r == -EPERM (-1) never mistakes it for one. */
#define PITH_ERR_NO_ERRNO (-4096)

/* Fill err and return a negative value (-errnum, or PITH_ERR_NO_ERRNO when
 * errnum is 0). errnum is appended by the printer as ": strerror(errnum)". */
int pith_fail(struct pith_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pith_vfail(struct pith_error *err, int errnum, const char *fmt, va_list ap);

/* Prepend context to an existing error: "ctx: old message". Returns the same
 * negative value pith_fail would. */
int pith_wrap(struct pith_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A usage error (runtime/usage.c): exit code 1, runc's code for bad usage,
 * and a pointer to `pith CMD --help`. */
int pith_usage_error(struct pith_error *err, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "msg: strerror" into buf. */
const char *pith_error_text(const struct pith_error *err, char *buf, unsigned long len);

#endif

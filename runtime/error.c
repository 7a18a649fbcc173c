/* The error object: filling, wrapping and printing it (error.h). */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pith_vfail(struct pith_error *err, int errnum, const char *fmt, va_list ap)
{
	if (err) {
		err->errnum = errnum;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return errnum > 0 ? -errnum : PITH_ERR_NO_ERRNO;
}

int pith_fail(struct pith_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = pith_vfail(err, errnum, fmt, ap);
	va_end(ap);
	return r;
}

int pith_wrap(struct pith_error *err, const char *fmt, ...)
{
	if (!err)
		return PITH_ERR_NO_ERRNO;
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	size_t used = n < 0 ? 0 : (size_t)n;
	if (used + 2 < sizeof(err->msg)) {
		err->msg[used++] = ':';
		err->msg[used++] = ' ';
		size_t room = sizeof(err->msg) - used - 1;
		size_t len = strnlen(old, room);
		memcpy(err->msg + used, old, len);
		err->msg[used + len] = '\0';
	}
	return err->errnum > 0 ? -err->errnum : PITH_ERR_NO_ERRNO;
}

const char *pith_error_text(const struct pith_error *err, char *buf, unsigned long len)
{
	if (err->errnum > 0)
		snprintf(buf, len, "%s: %s", err->msg, strerror(err->errnum));
	else
		snprintf(buf, len, "%s", err->msg);
	return buf;
}

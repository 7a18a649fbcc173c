/* The one shape of a command-line mistake: exit 1 and a pointer to --help. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

int pith_usage_error(struct pith_error *err, const char *cmd, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int r = pith_fail(err, 0, "%s%s%s (see 'pith%s%s --help')", cmd ? cmd : "", cmd ? ": " : "",
			  what, cmd ? " " : "", cmd ? cmd : "");
	err->exit_code = 1;
	return r;
}

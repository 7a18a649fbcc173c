/* Just enough JSON to read and splice config.json without a library: the
 * shim links nothing but libc. Values are located as byte spans of the
 * original text, so everything the shim does not touch is copied verbatim. */
#ifndef PITH_SHIM_JSCAN_H
#define PITH_SHIM_JSCAN_H

#include <stddef.h>

struct jspan {
	size_t a, b; /* [a, b) */
};

/* The value starting at pos (after whitespace). 0, or -1 when malformed. */
int jscan_value(const char *s, size_t len, size_t pos, struct jspan *v);
/* Member `key` of the object obj. 1 found, 0 absent, -1 malformed. */
int jscan_member(const char *s, size_t len, struct jspan obj, const char *key, struct jspan *val);
/* Iterates the array arr: *pos starts at 0. 1 element, 0 end, -1 malformed. */
int jscan_next(const char *s, size_t len, struct jspan arr, size_t *pos, struct jspan *elem);
/* Decodes the string value v into out (NUL-terminated). -1 when v is not a
 * string or does not fit. */
int jscan_string(const char *s, struct jspan v, char *out, size_t cap);

#endif

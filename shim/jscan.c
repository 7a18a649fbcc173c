/* A span-based JSON reader (see jscan.h). It validates structure only as far
 * as it needs to find things; the runtime validates the config for real. */
#include "jscan.h"

#include <stdbool.h>
#include <string.h>

#define MAX_DEPTH 512

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the string starting at s[i] == '"', or 0. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

static size_t container_end(const char *s, size_t len, size_t i)
{
	int depth = 0;
	for (; i < len; i++) {
		char c = s[i];
		if (c == '"') {
			size_t e = string_end(s, len, i);
			if (!e)
				return 0;
			i = e - 1;
		} else if (c == '{' || c == '[') {
			if (++depth > MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

int jscan_value(const char *s, size_t len, size_t pos, struct jspan *v)
{
	size_t i = skip_ws(s, len, pos), e;
	if (i >= len)
		return -1;
	if (s[i] == '"')
		e = string_end(s, len, i);
	else if (s[i] == '{' || s[i] == '[')
		e = container_end(s, len, i);
	else {
		e = i;
		while (e < len && !strchr(",]} \t\r\n", s[e]))
			e++;
		if (e == i)
			e = 0;
	}
	if (!e)
		return -1;
	v->a = i, v->b = e;
	return 0;
}

/* Keys compare decoded, as jansson compares them ("ro\u006ft" is "root"). */
static bool key_is(const char *s, struct jspan k, const char *key)
{
	char name[256];
	return jscan_string(s, k, name, sizeof(name)) == 0 && strcmp(name, key) == 0;
}

/* The whole object is read: a key given twice is malformed, as the runtime's
 * parser (jansson with JSON_REJECT_DUPLICATES) has it, so the shim never acts
 * on a value the runtime would not read. */
int jscan_member(const char *s, size_t len, struct jspan obj, const char *key, struct jspan *val)
{
	if (obj.b > len || obj.a >= obj.b || s[obj.a] != '{')
		return -1;
	size_t i = skip_ws(s, len, obj.a + 1);
	if (i < obj.b && s[i] == '}')
		return 0;
	int found = 0;
	while (i < obj.b) {
		struct jspan k, v;
		if (s[i] != '"' || jscan_value(s, len, i, &k) < 0)
			return -1;
		i = skip_ws(s, len, k.b);
		if (i >= obj.b || s[i] != ':' || jscan_value(s, len, i + 1, &v) < 0)
			return -1;
		if (key_is(s, k, key)) {
			if (found)
				return -1;
			*val = v;
			found = 1;
		}
		i = skip_ws(s, len, v.b);
		if (i < obj.b && s[i] == '}')
			return found;
		if (i >= obj.b || s[i] != ',')
			return -1;
		i = skip_ws(s, len, i + 1);
	}
	return -1;
}

int jscan_next(const char *s, size_t len, struct jspan arr, size_t *pos, struct jspan *elem)
{
	if (arr.b > len || arr.a >= arr.b || s[arr.a] != '[')
		return -1;
	size_t i = skip_ws(s, len, *pos ? *pos : arr.a + 1);
	if (i >= arr.b)
		return -1;
	if (s[i] == ']')
		return 0;
	if (*pos) {
		if (s[i] != ',')
			return -1;
		i++;
	}
	if (jscan_value(s, len, i, elem) < 0 || elem->b > arr.b)
		return -1;
	*pos = elem->b;
	return 1;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape at s[i] == '\\'; returns the input consumed, 0 when bad. */
static size_t unescape(const char *s, size_t i, size_t end, char *o, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	if (i + 1 >= end)
		return 0;
	const char *m = strchr(from, s[i + 1]);
	if (m && s[i + 1]) {
		o[0] = to[m - from];
		*olen = 1;
		return 2;
	}
	unsigned cp, lo;
	if (s[i + 1] != 'u' || i + 6 > end || hex4(s + i + 2, &cp) < 0)
		return 0;
	size_t used = 6;
	if (cp >= 0xd800 && cp < 0xdc00 && i + 12 <= end && s[i + 6] == '\\' && s[i + 7] == 'u' &&
	    hex4(s + i + 8, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		used = 12;
	}
	*olen = put_utf8(o, cp);
	return used;
}

int jscan_string(const char *s, struct jspan v, char *out, size_t cap)
{
	if (v.b - v.a < 2 || s[v.a] != '"')
		return -1;
	size_t o = 0, end = v.b - 1;
	for (size_t i = v.a + 1; i < end;) {
		char tmp[4];
		size_t n = 1, used = 1;
		if (s[i] == '\\') {
			used = unescape(s, i, end, tmp, &n);
			if (!used)
				return -1;
		} else {
			tmp[0] = s[i];
		}
		if (o + n >= cap)
			return -1;
		memcpy(out + o, tmp, n);
		o += n, i += used;
	}
	out[o] = '\0';
	return 0;
}

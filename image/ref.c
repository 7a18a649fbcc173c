/* Image references as Docker reads them (the distribution/reference grammar and its
 * normalisation): [domain/]path[:tag][@digest]. The first component is a domain only when
 * it has a '.' or ':', is "localhost", or has capitals; otherwise the image is on docker.io,
 * and a one-component path there lives under library/. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pull.h"

#define DOCKER_DOMAIN "docker.io"
#define NAME_TOTAL_MAX 255

static bool alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (!alnum_lower(s[i]))
			return false;
		while (i < n && alnum_lower(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.' || s[i] == '_') {
			i++;
			if (s[sep] == '_' && i < n && s[i] == '_')
				i++;
		} else {
			while (i < n && s[i] == '-')
				i++;
		}
		if (i == sep || i == n)
			return false;
	}
	return n > 0;
}

static bool path_valid(const char *path)
{
	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!path_component_valid(p, n))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* domain-component := [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?, dot-separated, then :port;
 * or an IPv6 address in brackets, then :port */
static bool domain_valid(const char *d)
{
	const char *port = NULL;
	if (d[0] == '[') {
		const char *close = strchr(d, ']');
		if (!close || close == d + 1)
			return false;
		for (const char *p = d + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return false;
		if (close[1] && close[1] != ':')
			return false;
		port = close[1] ? close + 1 : NULL;
	} else {
		const char *p = d;
		for (;;) {
			const char *start = p;
			while (isalnum((unsigned char)*p) || *p == '-')
				p++;
			if (p == start || start[0] == '-' || p[-1] == '-')
				return false;
			if (*p != '.')
				break;
			p++;
		}
		if (*p && *p != ':')
			return false;
		port = *p ? p : NULL;
	}
	if (!port)
		return true;
	if (!port[1])
		return false;
	for (const char *p = port + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool tag_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static int parse_digest(const char *text, const char *d, struct image_ref *ref, struct pith_error *err)
{
	if (strncmp(d, "sha256:", 7) != 0)
		return pith_fail(err, EINVAL, "%s: unsupported digest algorithm (only sha256)", text);
	if (strlen(d) != 71 || strspn(d + 7, "0123456789abcdef") != 64)
		return pith_fail(err, EINVAL, "%s: the digest must be sha256: and 64 lowercase hex digits", text);
	snprintf(ref->digest, sizeof(ref->digest), "%s", d);
	return 0;
}

/* name -> domain and path (Docker's splitDockerDomain) */
static int split_domain(const char *text, const char *name, struct image_ref *ref, struct pith_error *err)
{
	const char *slash = strchr(name, '/');
	size_t first = slash ? (size_t)(slash - name) : 0;
	bool has_domain = false;
	if (slash) {
		bool capitals = false;
		for (size_t i = 0; i < first; i++)
			capitals |= isupper((unsigned char)name[i]) != 0;
		has_domain = memchr(name, '.', first) || memchr(name, ':', first) ||
			     (first == 9 && strncmp(name, "localhost", 9) == 0) || capitals;
	}
	const char *rest = has_domain ? slash + 1 : name;
	if (has_domain && first >= sizeof(ref->domain))
		return pith_fail(err, EINVAL, "%s: the domain is too long", text);
	snprintf(ref->domain, sizeof(ref->domain), "%.*s", has_domain ? (int)first : 9,
		 has_domain ? name : DOCKER_DOMAIN);
	if (strcmp(ref->domain, "index.docker.io") == 0)
		snprintf(ref->domain, sizeof(ref->domain), DOCKER_DOMAIN);
	bool library = strcmp(ref->domain, DOCKER_DOMAIN) == 0 && !strchr(rest, '/');
	if (snprintf(ref->path, sizeof(ref->path), "%s%s", library ? "library/" : "", rest) >= (int)sizeof(ref->path))
		return pith_fail(err, EINVAL, "%s: the name is too long", text);
	for (const char *p = ref->path; *p; p++)
		if (isupper((unsigned char)*p))
			return pith_fail(err, EINVAL, "%s: repository name must be lowercase", text);
	if (!domain_valid(ref->domain))
		return pith_fail(err, EINVAL, "%s: \"%s\" is not a valid registry host", text, ref->domain);
	if (!path_valid(ref->path))
		return pith_fail(err, EINVAL, "%s: \"%s\" is not a valid repository name "
				 "(lowercase letters, digits, and . _ __ - between them)", text, rest);
	if (strlen(ref->domain) + 1 + strlen(ref->path) > NAME_TOTAL_MAX)
		return pith_fail(err, EINVAL, "%s: the name is longer than %d characters", text, NAME_TOTAL_MAX);
	return 0;
}

int ref_parse(const char *text, struct image_ref *ref, struct pith_error *err)
{
	memset(ref, 0, sizeof(*ref));
	char buf[REF_DOMAIN_MAX + REF_PATH_MAX + REF_TAG_MAX + DIGEST_LEN];
	if (!text || !*text)
		return pith_fail(err, EINVAL, "an image reference must not be empty");
	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return pith_fail(err, EINVAL, "%.64s...: the reference is too long", text);
	/* a bare 64-hex string is an image ID to Docker, never a name */
	if (strlen(buf) == 64 && strspn(buf, "0123456789abcdef") == 64)
		return pith_fail(err, EINVAL, "%s: a 64-hex string is an image ID, not a name; use name@sha256:...", text);
	char *at = strchr(buf, '@');
	if (at) {
		*at = 0;
		int r = parse_digest(text, at + 1, ref, err);
		if (r < 0)
			return r;
	}
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(slash ? slash : buf, ':');
	if (colon) {
		*colon = 0;
		if (!tag_valid(colon + 1))
			return pith_fail(err, EINVAL, "%s: \"%s\" is not a valid tag ([A-Za-z0-9_.-], at most 128, "
					 "not starting with . or -)", text, colon + 1);
		snprintf(ref->tag, sizeof(ref->tag), "%s", colon + 1);
	} else if (!at) {
		snprintf(ref->tag, sizeof(ref->tag), "latest");
	}
	if (!*buf)
		return pith_fail(err, EINVAL, "%s: no repository name", text);
	return split_domain(text, buf, ref, err);
}

void ref_store_name(const struct image_ref *ref, char *out, size_t len)
{
	if (*ref->digest)
		snprintf(out, len, "%s/%s@%s", ref->domain, ref->path, ref->digest);
	else
		snprintf(out, len, "%s/%s:%s", ref->domain, ref->path, ref->tag);
}

const char *ref_manifest_key(const struct image_ref *ref)
{
	return *ref->digest ? ref->digest : ref->tag;
}

const char *ref_api_host(const struct image_ref *ref)
{
	return strcmp(ref->domain, DOCKER_DOMAIN) == 0 ? "registry-1.docker.io" : ref->domain;
}

bool ref_is_loopback(const char *domain)
{
	static const char *const hosts[] = { "localhost", "127.0.0.1", "[::1]" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i]);
		if (strncmp(domain, hosts[i], n) == 0 && (domain[n] == 0 || domain[n] == ':'))
			return true;
	}
	return false;
}

/* config.json -> struct spec: loading, the JSON-path error helpers, typed
 * field readers, the top level (ociVersion, root, hooks, annotations...) and
 * the table of fields this runtime knows but refuses. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/cleanup.h"
#include "parse_internal.h"

/* ---------- fields known but not implemented ----------
 * One table, so supporting a field later is one line removed here. A field
 * listed is refused when present and not null (or an empty string). */
static const struct {
	enum refused_section section;
	const char *key;
} refused_fields[] = {
	{ REFUSE_TOP, "windows" },
	{ REFUSE_TOP, "solaris" },
	{ REFUSE_TOP, "vm" },
	{ REFUSE_TOP, "zos" },
	{ REFUSE_TOP, "freebsd" },
	{ REFUSE_PROCESS, "commandLine" },
	{ REFUSE_USER, "username" },
	{ REFUSE_LINUX, "intelRdt" },
	{ REFUSE_LINUX, "memoryPolicy" },
};

int refuse_unsupported(const struct pctx *c, json_t *obj, const struct jpath *at,
		       enum refused_section section)
{
	for (size_t i = 0; i < sizeof(refused_fields) / sizeof(refused_fields[0]); i++) {
		if (refused_fields[i].section != section)
			continue;
		json_t *v = json_object_get(obj, refused_fields[i].key);
		if (j_absent(v) || (json_is_string(v) && json_string_length(v) == 0))
			continue;
		return perr(c, JP_KEY(at, refused_fields[i].key), "not supported by pith");
	}
	return 0;
}

/* ---------- errors ---------- */

static size_t render(const struct jpath *p, char *buf, size_t len)
{
	if (!p)
		return 0;
	size_t n = render(p->up, buf, len);
	size_t room = n < len ? len - n : 0;
	int w;
	if (p->map)
		w = snprintf(buf + n, room, "[\"%s\"]", p->key);
	else if (p->key)
		w = snprintf(buf + n, room, "%s%s", p->up ? "." : "", p->key);
	else
		w = snprintf(buf + n, room, "[%zu]", p->index);
	return w > 0 ? n + (size_t)w : n;
}

const char *jpath_render(const struct jpath *at, char *buf, size_t len)
{
	buf[0] = '\0';
	render(at, buf, len);
	return buf;
}

int perr(const struct pctx *c, const struct jpath *at, const char *fmt, ...)
{
	char path[512];
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at)
		return pith_fail(c->err, 0, "%s: %s: %s", c->name, jpath_render(at, path, sizeof(path)),
				 msg);
	return pith_fail(c->err, 0, "%s: %s", c->name, msg);
}

int perr_oom(const struct pctx *c)
{
	return pith_fail(c->err, ENOMEM, "%s: out of memory", c->name);
}

void *p_calloc(const struct pctx *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		perr_oom(c);
	return p;
}

/* ---------- typed readers ---------- */

/* In big-integer mode an integer literal outside int64 arrives as a string
 * "\0<literal>" (see rewrite_big_ints). */
static const char *big_literal(const struct pctx *c, json_t *v)
{
	if (!c->big_ints || !json_is_string(v) || json_string_length(v) < 2)
		return NULL;
	const char *s = json_string_value(v);
	return s[0] == '\0' ? s + 1 : NULL;
}

int rd_str(const struct pctx *c, json_t *v, const struct jpath *at, const char **out)
{
	if (!json_is_string(v))
		return perr(c, at, "must be a string");
	const char *s = json_string_value(v);
	if (c->big_ints && strlen(s) != json_string_length(v))
		return perr(c, at, big_literal(c, v) ? "must be a string" : "must not contain NUL bytes");
	*out = s;
	return 0;
}

int rd_uint(const struct pctx *c, json_t *v, const struct jpath *at, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return perr(c, at, "must not be negative (got %lld)", (long long)i);
		if ((uint64_t)i > max)
			return perr(c, at, "%lld is out of range (maximum %" PRIu64 ")", (long long)i, max);
		*out = (uint64_t)i;
		return 0;
	}
	const char *lit = big_literal(c, v);
	if (!lit)
		return perr(c, at, "must be an integer");
	if (lit[0] == '-')
		return perr(c, at, "must not be negative (got %s)", lit);
	errno = 0;
	unsigned long long u = strtoull(lit, NULL, 10);
	if (errno == ERANGE || u > max)
		return perr(c, at, "%s is out of range (maximum %" PRIu64 ")", lit, max);
	*out = u;
	return 0;
}

int rd_int(const struct pctx *c, json_t *v, const struct jpath *at, int64_t min, int64_t max,
	   int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < min || i > max)
			return perr(c, at, "%lld is out of range (%" PRId64 " to %" PRId64 ")",
				    (long long)i, min, max);
		*out = i;
		return 0;
	}
	const char *lit = big_literal(c, v);
	if (lit)
		return perr(c, at, "%s is out of range (%" PRId64 " to %" PRId64 ")", lit, min, max);
	return perr(c, at, "must be an integer");
}

int rd_object(const struct pctx *c, json_t *v, const struct jpath *at)
{
	return json_is_object(v) ? 0 : perr(c, at, "must be an object");
}

int rd_array(const struct pctx *c, json_t *v, const struct jpath *at)
{
	return json_is_array(v) ? 0 : perr(c, at, "must be an array");
}

int rd_strv(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_strv *out)
{
	if (!json_is_array(v))
		return perr(c, at, "must be an array of strings");
	size_t n = json_array_size(v);
	const char **a = p_calloc(c, n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int r = rd_str(c, json_array_get(v, i), JP_IDX(at, i), &a[i]);
		if (r < 0) {
			free(a);
			return r;
		}
	}
	free(out->v);
	out->v = a;
	out->n = n;
	return 0;
}

int rd_kvv(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_kvv *out)
{
	TRY(rd_object(c, v, at));
	size_t n = json_object_size(v);
	struct spec_kv *a = p_calloc(c, n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	size_t i = 0;
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val) {
		int r = key[0] ? rd_str(c, val, JP_MAP(at, key), &a[i].value)
			       : perr(c, at, "keys must not be empty");
		if (r < 0) {
			free(a);
			return r;
		}
		a[i++].key = key;
	}
	free(out->v);
	out->v = a;
	out->n = i;
	return 0;
}

/* ---------- field getters ---------- */

#define FIELD(obj, at, key, req, v) do { \
	v = json_object_get(obj, key); \
	if (j_absent(v)) \
		return (req) ? perr(c, JP_KEY(at, key), "required") : 0; \
} while (0)

int f_str(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	  const char **out)
{
	json_t *v;
	FIELD(obj, at, key, req, v);
	return rd_str(c, v, JP_KEY(at, key), out);
}

int f_abs_path(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	       const char **out)
{
	const char *s = NULL;
	TRY(f_str(c, obj, at, key, req, &s));
	if (!s)
		return 0;
	if (s[0] != '/')
		return perr(c, JP_KEY(at, key), "must be an absolute path, got \"%s\"", s);
	*out = s;
	return 0;
}

int f_bool(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool *out,
	   bool *set)
{
	json_t *v;
	FIELD(obj, at, key, false, v);
	if (!json_is_boolean(v))
		return perr(c, JP_KEY(at, key), "must be a boolean");
	*out = json_is_true(v);
	if (set)
		*set = true;
	return 0;
}

int f_uint(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	   uint64_t max, uint64_t *out, bool *set)
{
	json_t *v;
	FIELD(obj, at, key, req, v);
	TRY(rd_uint(c, v, JP_KEY(at, key), max, out));
	if (set)
		*set = true;
	return 0;
}

int f_int(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	  int64_t min, int64_t max, int64_t *out, bool *set)
{
	json_t *v;
	FIELD(obj, at, key, req, v);
	TRY(rd_int(c, v, JP_KEY(at, key), min, max, out));
	if (set)
		*set = true;
	return 0;
}

int f_strv(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key,
	   struct spec_strv *out)
{
	json_t *v;
	FIELD(obj, at, key, false, v);
	return rd_strv(c, v, JP_KEY(at, key), out);
}

int f_kvv(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key,
	  struct spec_kvv *out)
{
	json_t *v;
	FIELD(obj, at, key, false, v);
	return rd_kvv(c, v, JP_KEY(at, key), out);
}

int f_object(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, json_t **out)
{
	json_t *v;
	*out = NULL;
	FIELD(obj, at, key, false, v);
	TRY(rd_object(c, v, JP_KEY(at, key)));
	*out = v;
	return 0;
}

int f_array(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, json_t **out)
{
	json_t *v;
	*out = NULL;
	FIELD(obj, at, key, false, v);
	TRY(rd_array(c, v, JP_KEY(at, key)));
	*out = v;
	return 0;
}

/* ---------- top level ---------- */

static int parse_version(const struct pctx *c, json_t *root, struct spec *s)
{
	const struct jpath *at = JP_KEY(NULL, "ociVersion");
	TRY(f_str(c, root, NULL, "ociVersion", true, &s->oci_version));
	/* Any 1.x: the spec keeps compatibility within a major version. */
	const char *v = s->oci_version;
	if (v[0] != '1' || (v[1] != '.' && v[1] != '\0'))
		return perr(c, at, "unsupported version \"%s\" (pith supports 1.x)", v);
	return 0;
}

static int parse_root(const struct pctx *c, json_t *root, struct spec *s)
{
	json_t *r;
	/* config.md: root is REQUIRED on every platform but Windows Hyper-V. */
	json_t *v = json_object_get(root, "root");
	if (j_absent(v))
		return perr(c, JP_KEY(NULL, "root"), "required");
	TRY(f_object(c, root, NULL, "root", &r));
	const struct jpath *at = JP_KEY(NULL, "root");
	TRY(f_str(c, r, at, "path", true, &s->root.path));
	if (!s->root.path[0])
		return perr(c, JP_KEY(at, "path"), "must not be empty");
	return f_bool(c, r, at, "readonly", &s->root.readonly, NULL);
}

static int parse_hook_list(const struct pctx *c, json_t *arr, const struct jpath *at,
			   struct spec_hooks *out)
{
	size_t n = json_array_size(arr);
	out->v = p_calloc(c, n, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct jpath *hp = JP_IDX(at, i);
		json_t *h = json_array_get(arr, i);
		struct spec_hook *hook = &out->v[i];
		TRY(rd_object(c, h, hp));
		TRY(f_abs_path(c, h, hp, "path", true, &hook->path));
		TRY(f_strv(c, h, hp, "args", &hook->args));
		TRY(f_strv(c, h, hp, "env", &hook->env));
		TRY(f_i64(c, h, hp, "timeout", INT64_MIN, INT64_MAX, &hook->timeout));
		if (hook->timeout.set && hook->timeout.v <= 0)
			return perr(c, JP_KEY(hp, "timeout"), "must be greater than zero (got %" PRId64 ")",
				    hook->timeout.v);
	}
	return 0;
}

static int parse_hooks(const struct pctx *c, json_t *root, struct spec *s)
{
	json_t *hooks;
	TRY(f_object(c, root, NULL, "hooks", &hooks));
	if (!hooks)
		return 0;
	const struct jpath *at = JP_KEY(NULL, "hooks");
	for (int k = 0; k < SPEC_HOOK__COUNT; k++) {
		json_t *arr;
		TRY(f_array(c, hooks, at, spec_hook_names[k], &arr));
		if (arr)
			TRY(parse_hook_list(c, arr, JP_KEY(at, spec_hook_names[k]), &s->hooks[k]));
	}
	return 0;
}

static bool has_namespace(const struct spec *s, int flag)
{
	return ((s->linux_.new_namespaces | s->linux_.join_namespaces) & flag) != 0;
}

static int parse_spec(const struct pctx *c, json_t *root, struct spec *s)
{
	json_t *v;
	TRY(parse_version(c, root, s));
	TRY(refuse_unsupported(c, root, NULL, REFUSE_TOP));
	TRY(parse_root(c, root, s));
	v = json_object_get(root, "mounts");
	if (!j_absent(v))
		TRY(parse_mounts(c, v, JP_KEY(NULL, "mounts"), s));
	v = json_object_get(root, "process");
	if (!j_absent(v)) {
		TRY(parse_process(c, v, JP_KEY(NULL, "process"), &s->process));
		s->has_process = true;
	}
	TRY(f_str(c, root, NULL, "hostname", false, &s->hostname));
	TRY(f_str(c, root, NULL, "domainname", false, &s->domainname));
	TRY(parse_hooks(c, root, s));
	TRY(f_kvv(c, root, NULL, "annotations", &s->annotations));
	v = json_object_get(root, "linux");
	if (!j_absent(v)) {
		TRY(parse_linux(c, v, JP_KEY(NULL, "linux"), &s->linux_));
		s->has_linux = true;
	}
	/* sethostname() outside a UTS namespace would rename the host. */
	if (s->hostname && s->hostname[0] && !has_namespace(s, CLONE_NEWUTS))
		return perr(c, JP_KEY(NULL, "hostname"), "needs a uts namespace in linux.namespaces");
	if (s->domainname && s->domainname[0] && !has_namespace(s, CLONE_NEWUTS))
		return perr(c, JP_KEY(NULL, "domainname"), "needs a uts namespace in linux.namespaces");
	return 0;
}

/* ---------- loading ---------- */

/* jansson's hash seed is otherwise read from /dev/urandom (three syscalls
 * on every start); the kernel already hands each process 16 random bytes. */
void spec_seed_json_hash(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	const void *at_random = (const void *)getauxval(AT_RANDOM);
	if (!at_random)
		return;
	uint64_t r[2];
	memcpy(r, at_random, sizeof(r)); /* not aligned: a plain load traps on some ARM cores */
	uint64_t x = r[0] ^ (r[1] * 0x9e3779b97f4a7c15ULL); /* don't expose the stack guard bytes */
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	uint32_t seed = (uint32_t)(x ^ (x >> 32));
	json_object_seed(seed ? seed : 1);
}

/* jansson cannot hold integers above INT64_MAX, yet uint64 fields carry
 * them (RLIM_INFINITY as 18446744073709551615). When the first parse fails
 * on one, every integer literal outside int64 is turned into the string
 * "\u0000<literal>", which the typed readers decode; the text is otherwise
 * unchanged so line numbers stay right. */
static char *rewrite_big_ints(const char *in, size_t len, size_t *out_len)
{
	size_t cap = len + 64;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char ch = in[i];
		size_t tok = 1;
		if (ch == '"') {
			while (i + tok < len && in[i + tok] != '"')
				tok += in[i + tok] == '\\' ? 2 : 1;
			tok = i + tok < len ? tok + 1 : len - i;
		} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
			size_t sign = ch == '-' ? 1 : 0;
			while (i + tok < len && ((in[i + tok] >= '0' && in[i + tok] <= '9') ||
						 (in[i + tok] && strchr(".eE+-", in[i + tok]))))
				tok++;
			bool integer = memchr(in + i, '.', tok) == NULL && memchr(in + i, 'e', tok) == NULL &&
				       memchr(in + i, 'E', tok) == NULL;
			char lit[64];
			if (integer && tok < sizeof(lit) && tok > sign) {
				memcpy(lit, in + i, tok);
				lit[tok] = '\0';
				errno = 0;
				(void)strtoll(lit, NULL, 10);
				if (errno == ERANGE) {
					if (o + tok + 10 > cap) {
						char *n = realloc(out, cap = cap * 2 + tok + 10);
						if (!n) {
							free(out);
							return NULL;
						}
						out = n;
					}
					o += (size_t)sprintf(out + o, "\"\\u0000%s\"", lit);
					i += tok;
					continue;
				}
			}
		}
		if (o + tok > cap) {
			char *n = realloc(out, cap = cap * 2 + tok);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + o, in + i, tok);
		o += tok;
		i += tok;
	}
	*out_len = o;
	return out;
}

static int from_json(json_t *root, const char *name, bool big_ints, struct spec **out,
		     struct pith_error *err)
{
	struct pctx c = { .name = name, .err = err, .big_ints = big_ints };
	if (!json_is_object(root)) {
		json_decref(root);
		return perr(&c, NULL, "must be a JSON object");
	}
	struct spec *s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(root);
		return perr_oom(&c);
	}
	s->json = root;
	int r = parse_spec(&c, root, s);
	if (r < 0) {
		spec_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int load_buffer(const char *buf, size_t len, const char *name, struct spec **out,
		       struct pith_error *err)
{
	json_error_t je;
	spec_seed_json_hash();
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	bool big = false;
	if (!root && json_error_code(&je) == json_error_numeric_overflow) {
		size_t n = 0;
		auto_free char *re = rewrite_big_ints(buf, len, &n);
		if (!re)
			return pith_fail(err, ENOMEM, "%s: out of memory", name);
		root = json_loadb(re, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
		big = true;
	}
	if (!root)
		return pith_fail(err, 0, "%s:%d:%d: %s", name, je.line, je.column, je.text);
	return from_json(root, name, big, out, err);
}

int spec_load_string(const char *text, const char *name, struct spec **out, struct pith_error *err)
{
	return load_buffer(text, strlen(text), name, out, err);
}

int spec_load_file(const char *path, const char *name, struct spec **out, struct pith_error *err)
{
	auto_fd fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "%s: cannot open", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pith_fail(err, errno, "%s: cannot stat", path);
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	auto_free char *buf = malloc(cap);
	if (!buf)
		return pith_fail(err, ENOMEM, "%s: out of memory", path);
	size_t len = 0;
	for (;;) {
		if (len == cap) {
			char *n = realloc(buf, cap *= 2);
			if (!n)
				return pith_fail(err, ENOMEM, "%s: out of memory", path);
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pith_fail(err, errno, "%s: cannot read", path);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (load_buffer(buf, len, name, out, err) < 0)
		return -1;
	/* kept: the runtime stores this exact text beside the state */
	(*out)->text = pith_steal_ptr(&buf);
	(*out)->text_len = len;
	return 0;
}

int spec_from_json(json_t *root, const char *name, struct spec **out, struct pith_error *err)
{
	return from_json(root, name, false, out, err);
}

int spec_parse_process(json_t *p_json, const char *name, struct spec_process *p,
		       struct pith_error *err)
{
	struct pctx c = { .name = name, .err = err };
	memset(p, 0, sizeof(*p));
	int r = parse_process(&c, p_json, NULL, p);
	if (r < 0) {
		process_release(p);
		memset(p, 0, sizeof(*p));
	}
	return r;
}

void spec_process_release(struct spec_process *p)
{
	process_release(p);
}

int spec_parse_resources(json_t *r_json, const char *name, struct spec_resources *r,
			 struct pith_error *err)
{
	struct pctx c = { .name = name, .err = err };
	memset(r, 0, sizeof(*r));
	int ret = parse_resources(&c, r_json, NULL, r);
	if (ret < 0) {
		resources_release(r);
		memset(r, 0, sizeof(*r));
	}
	return ret;
}

void spec_resources_release(struct spec_resources *r)
{
	resources_release(r);
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->text);
	mounts_release(s);
	process_release(&s->process);
	for (int k = 0; k < SPEC_HOOK__COUNT; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++) {
			free(s->hooks[k].v[i].args.v);
			free(s->hooks[k].v[i].env.v);
		}
		free(s->hooks[k].v);
	}
	free(s->annotations.v);
	linux_release(&s->linux_);
	json_decref(s->json);
	free(s);
}

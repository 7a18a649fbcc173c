/* Private helpers shared by the config parser's files.
 *
 * Paths for error messages are built lazily: each level keeps a small
 * struct jpath on the stack that points to its parent, and only an error
 * renders the chain ("process.rlimits[1].type"). The success path formats
 * nothing. */
#ifndef PITH_PARSE_INTERNAL_H
#define PITH_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "spec.h"

struct jpath {
	const struct jpath *up;
	const char *key;          /* NULL: an array index */
	size_t index;
	bool map;                 /* key of a free-form map: rendered ["key"] */
};

#define JP_KEY(parent, k) (&(const struct jpath){ .up = (parent), .key = (k) })
#define JP_IDX(parent, i) (&(const struct jpath){ .up = (parent), .index = (i) })
#define JP_MAP(parent, k) (&(const struct jpath){ .up = (parent), .key = (k), .map = true })

struct pctx {
	const char *name;         /* "config.json": the prefix of every message */
	struct pith_error *err;
	/* The text held integers beyond int64 and was re-read with those
	 * literals turned into marked strings (see parse.c); strings may then
	 * carry NUL bytes and must be checked. */
	bool big_ints;
};

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

/* "name: path: message". Returns a negative value. */
int perr(const struct pctx *c, const struct jpath *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int perr_oom(const struct pctx *c);
/* Render a path into buf (for messages built by callers). */
const char *jpath_render(const struct jpath *at, char *buf, size_t len);

static inline bool j_absent(const json_t *v)
{
	return v == NULL || json_is_null(v);
}

/* Readers of a value already fetched (v not absent). */
int rd_str(const struct pctx *c, json_t *v, const struct jpath *at, const char **out);
int rd_uint(const struct pctx *c, json_t *v, const struct jpath *at, uint64_t max, uint64_t *out);
int rd_int(const struct pctx *c, json_t *v, const struct jpath *at, int64_t min, int64_t max, int64_t *out);
int rd_strv(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_strv *out);
int rd_kvv(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_kvv *out);
int rd_object(const struct pctx *c, json_t *v, const struct jpath *at);
int rd_array(const struct pctx *c, json_t *v, const struct jpath *at);

/* Field getters: `at` is the object's path, `key` the field. An absent (or
 * null) optional field leaves *out untouched and returns 0; an absent
 * required one is the error "required". `set` may be NULL. */
int f_str(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	  const char **out);
int f_abs_path(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	       const char **out);
int f_bool(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool *out,
	   bool *set);
int f_uint(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	   uint64_t max, uint64_t *out, bool *set);
int f_int(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, bool req,
	  int64_t min, int64_t max, int64_t *out, bool *set);
int f_strv(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key,
	   struct spec_strv *out);
int f_kvv(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key,
	  struct spec_kvv *out);
/* Fetch an optional object/array field: *out NULL when absent. */
int f_object(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, json_t **out);
int f_array(const struct pctx *c, json_t *obj, const struct jpath *at, const char *key, json_t **out);

static inline int f_u64(const struct pctx *c, json_t *o, const struct jpath *at, const char *k,
			uint64_t max, spec_u64 *out)
{
	return f_uint(c, o, at, k, false, max, &out->v, &out->set);
}
static inline int f_i64(const struct pctx *c, json_t *o, const struct jpath *at, const char *k,
			int64_t min, int64_t max, spec_i64 *out)
{
	return f_int(c, o, at, k, false, min, max, &out->v, &out->set);
}
static inline int f_u32(const struct pctx *c, json_t *o, const struct jpath *at, const char *k,
			bool req, uint32_t *out)
{
	uint64_t v = 0;
	bool set = false;
	TRY(f_uint(c, o, at, k, req, UINT32_MAX, &v, &set));
	if (set)
		*out = (uint32_t)v;
	return 0;
}

/* calloc that reports "out of memory" through the context. */
void *p_calloc(const struct pctx *c, size_t n, size_t size);

/* Fields this runtime knows but does not implement (table in parse.c). */
enum refused_section {
	REFUSE_TOP,
	REFUSE_PROCESS,
	REFUSE_USER,
	REFUSE_LINUX,
};
int refuse_unsupported(const struct pctx *c, json_t *obj, const struct jpath *at,
		       enum refused_section section);

/* Sections (each in its own file). `at` is the section's own path. */
int parse_process(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_process *p);
void process_release(struct spec_process *p);
int parse_mounts(const struct pctx *c, json_t *v, const struct jpath *at, struct spec *s);
void mounts_release(struct spec *s);
int parse_linux(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_linux *l);
void linux_release(struct spec_linux *l);
int parse_resources(const struct pctx *c, json_t *v, const struct jpath *at, struct spec_resources *r);
void resources_release(struct spec_resources *r);
int parse_id_mappings(const struct pctx *c, json_t *v, const struct jpath *at,
		      struct spec_id_mappings *out);

/* ---- tables.c ---- */
enum mount_opt_kind {
	MOPT_NOP,                 /* accepted, no effect ("defaults") */
	MOPT_SET,                 /* flags |= v, clear_flags &= ~v */
	MOPT_CLEAR,               /* clear_flags |= v, flags &= ~v */
	MOPT_PROPAGATION,         /* propagation = v */
	MOPT_ATTR_SET,            /* attr_set |= v (recursive) */
	MOPT_ATTR_CLR,            /* attr_clr |= v (recursive) */
	MOPT_ATTR_ATIME,          /* recursive atime mode v (enum in MOUNT_ATTR__ATIME) */
	MOPT_BIND,
	MOPT_RBIND,
	MOPT_IDMAP,
	MOPT_RIDMAP,
	MOPT_TMPCOPYUP,
};

struct mount_opt {
	const char *name;
	enum mount_opt_kind kind;
	unsigned long value;
};

const struct mount_opt *mount_option_lookup(const char *name);
size_t mount_option_count(void);
const struct mount_opt *mount_option_at(size_t i);

int seccomp_action_from_name(const char *name);  /* enum spec_seccomp_action, -1 */
int seccomp_op_from_name(const char *name);      /* enum spec_seccomp_op, -1 */
int seccomp_flag_from_name(const char *name);    /* enum spec_seccomp_flag bit, 0 */
int sched_policy_from_name(const char *name);    /* SCHED_*, -1 */
int sched_flag_from_name(const char *name);      /* SCHED_FLAG_* bit, 0 */
int ioprio_class_from_name(const char *name);    /* IOPRIO_CLASS_*, -1 */
unsigned long propagation_from_name(const char *name); /* MS_* (| MS_REC for r*), 0 */

#endif

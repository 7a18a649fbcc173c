/* linux.seccomp -> classic BPF, in the parent, with libseccomp.
 *
 * Semantics follow runc where the spec is silent: ERRNO and TRACE without
 * errnoRet mean EPERM; names libseccomp does not know are skipped; a rule
 * whose action equals the default is redundant and skipped (libseccomp
 * refuses it); several conditions on one argument index mean "any of them"
 * (one rule per condition), else all conditions of an entry must hold; and
 * when the default action blocks with anything but ENOSYS, a stub in front
 * answers ENOSYS for syscalls newer than every one the profile names
 * (seccomp_enosys.c). */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "seccomp.h"
#include "seccomp_cache.h"
#include "seccomp_enosys.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The kernel clamps larger values to MAX_ERRNO; refusing them is clearer. */
#define ERRNO_MAX 4095

static void ctx_release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define auto_ctx __attribute__((cleanup(ctx_release))) scmp_filter_ctx

static void free_string(char **s)
{
	free(*s);
}

const char *seccomp_flag_name(unsigned kernel_flag)
{
	switch (kernel_flag) {
	case SECCOMP_FILTER_FLAG_TSYNC: return "SECCOMP_FILTER_FLAG_TSYNC";
	case SECCOMP_FILTER_FLAG_LOG: return "SECCOMP_FILTER_FLAG_LOG";
	case SECCOMP_FILTER_FLAG_SPEC_ALLOW: return "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
	case SECCOMP_FILTER_FLAG_NEW_LISTENER: return "SECCOMP_FILTER_FLAG_NEW_LISTENER";
	case SECCOMP_FILTER_FLAG_TSYNC_ESRCH: return "SECCOMP_FILTER_FLAG_TSYNC_ESRCH";
	case SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: return "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
	default: return "unknown seccomp flag";
	}
}

/* ---------- actions ---------- */

static int errno_value(spec_u64 e, const char *field, uint32_t *out, struct pith_error *err)
{
	if (!e.set) {
		*out = EPERM;
		return 0;
	}
	if (e.v > ERRNO_MAX)
		return pith_fail(err, 0, "%s: errnoRet %llu is out of range (0..%d)", field,
				 (unsigned long long)e.v, ERRNO_MAX);
	*out = (uint32_t)e.v;
	return 0;
}

static int to_action(enum spec_seccomp_action a, spec_u64 errno_ret, const char *field,
		     uint32_t *out, struct pith_error *err)
{
	uint32_t e;
	if (errno_ret.set && a != SPEC_SCMP_ACT_ERRNO && a != SPEC_SCMP_ACT_TRACE)
		return pith_fail(err, 0, "%s: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
				 field);
	switch (a) {
	case SPEC_SCMP_ACT_KILL: *out = SCMP_ACT_KILL; return 0;
	case SPEC_SCMP_ACT_KILL_PROCESS: *out = SCMP_ACT_KILL_PROCESS; return 0;
	case SPEC_SCMP_ACT_KILL_THREAD: *out = SCMP_ACT_KILL_THREAD; return 0;
	case SPEC_SCMP_ACT_TRAP: *out = SCMP_ACT_TRAP; return 0;
	case SPEC_SCMP_ACT_ALLOW: *out = SCMP_ACT_ALLOW; return 0;
	case SPEC_SCMP_ACT_LOG: *out = SCMP_ACT_LOG; return 0;
	case SPEC_SCMP_ACT_NOTIFY: *out = SCMP_ACT_NOTIFY; return 0;
	case SPEC_SCMP_ACT_ERRNO:
		if (errno_value(errno_ret, field, &e, err) < 0)
			return -1;
		*out = SCMP_ACT_ERRNO(e);
		return 0;
	case SPEC_SCMP_ACT_TRACE:
		if (errno_value(errno_ret, field, &e, err) < 0)
			return -1;
		*out = SCMP_ACT_TRACE(e);
		return 0;
	default:
		return pith_fail(err, 0, "%s: unknown action %d", field, (int)a);
	}
}

/* ---------- architectures ---------- */

/* "SCMP_ARCH_X86_64" -> libseccomp token; 0 when unknown. */
static uint32_t arch_token(const char *name)
{
	static const char prefix[] = "SCMP_ARCH_";
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	const char *rest = name + sizeof(prefix) - 1;
	if (strcmp(rest, "NATIVE") == 0)
		return seccomp_arch_native();
	char lower[32];
	size_t i;
	for (i = 0; rest[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(rest[i] >= 'A' && rest[i] <= 'Z' ? rest[i] - 'A' + 'a' : rest[i]);
	if (rest[i])
		return 0;
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

/* Whether a process on this host's kernel can ever make a syscall with this
 * arch's audit token. Filters for the others are dead code that costs build
 * time and instructions; dropping them changes nothing the kernel can see.
 * Unknown host families keep everything. */
static bool arch_possible_here(uint32_t arch)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return arch == SCMP_ARCH_X86_64 || arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_X32;
	case SCMP_ARCH_X32:
		return arch == SCMP_ARCH_X86_64 || arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_X32;
	case SCMP_ARCH_X86:
		return arch == SCMP_ARCH_X86;
	case SCMP_ARCH_AARCH64:
		return arch == SCMP_ARCH_AARCH64 || arch == SCMP_ARCH_ARM;
	case SCMP_ARCH_ARM:
		return arch == SCMP_ARCH_ARM;
	default:
		return true;
	}
}

static int add_arches(scmp_filter_ctx ctx, const struct spec_strv *arches, struct pith_error *err)
{
	for (size_t i = 0; i < arches->n; i++) {
		uint32_t tok = arch_token(arches->v[i]);
		if (!tok)
			return pith_fail(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
					 i, arches->v[i]);
		if (!arch_possible_here(tok))
			continue;
		int r = seccomp_arch_add(ctx, tok);
		if (r == -EEXIST)
			continue;
		if (r == -EDOM)
			return pith_fail(err, 0, "linux.seccomp.architectures[%zu]: %s cannot be combined "
					 "with this host's architecture (different byte order)", i, arches->v[i]);
		if (r < 0)
			return pith_fail(err, -r, "linux.seccomp.architectures[%zu]: adding %s", i, arches->v[i]);
	}
	return 0;
}

/* ---------- rules ---------- */

static const enum scmp_compare op_map[SPEC_SCMP_CMP__COUNT] = {
	[SPEC_SCMP_CMP_NE] = SCMP_CMP_NE,
	[SPEC_SCMP_CMP_LT] = SCMP_CMP_LT,
	[SPEC_SCMP_CMP_LE] = SCMP_CMP_LE,
	[SPEC_SCMP_CMP_EQ] = SCMP_CMP_EQ,
	[SPEC_SCMP_CMP_GE] = SCMP_CMP_GE,
	[SPEC_SCMP_CMP_GT] = SCMP_CMP_GT,
	[SPEC_SCMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

/* Conditions of one entry; *any is set when two of them test the same
 * argument, which runc reads as alternatives. */
static int build_conditions(const struct spec_seccomp_syscall *sc, const char *field,
			    struct scmp_arg_cmp *conds, bool *any, struct pith_error *err)
{
	unsigned seen = 0;
	*any = false;
	for (size_t j = 0; j < sc->n_args; j++) {
		const struct spec_seccomp_arg *a = &sc->args[j];
		if (a->index > 5)
			return pith_fail(err, 0, "%s.args[%zu].index: %u is out of range (0..5)", field, j,
					 a->index);
		if ((unsigned)a->op >= SPEC_SCMP_CMP__COUNT)
			return pith_fail(err, 0, "%s.args[%zu].op: unknown operator", field, j);
		if (seen & (1u << a->index))
			*any = true;
		seen |= 1u << a->index;
		/* For MASKED_EQ the spec's value is the mask and valueTwo the result. */
		conds[j] = (struct scmp_arg_cmp){ .arg = a->index, .op = op_map[a->op],
						  .datum_a = a->value, .datum_b = a->value_two };
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const struct scmp_arg_cmp *conds,
		    size_t n, bool any)
{
	if (!any || n <= 1)
		return seccomp_rule_add_array(ctx, act, nr, (unsigned)n, conds);
	for (size_t j = 0; j < n; j++) {
		int r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The init writes to the parent between installing the filter and execve;
 * a notification there would wait for a listener nobody holds yet. */
static bool notify_forbidden(const char *name)
{
	return strcmp(name, "write") == 0;
}

static int add_syscall(scmp_filter_ctx ctx, const struct spec_seccomp_syscall *sc, size_t i,
		       uint32_t default_act, struct pith_error *err)
{
	char field[64];
	snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", i);
	uint32_t act;
	if (to_action(sc->action, sc->errno_ret, field, &act, err) < 0)
		return -1;
	if (act == default_act)
		return 0;
	auto_free struct scmp_arg_cmp *conds = calloc(sc->n_args ? sc->n_args : 1, sizeof(*conds));
	if (!conds)
		return pith_fail(err, ENOMEM, "%s", field);
	bool any;
	if (build_conditions(sc, field, conds, &any, err) < 0)
		return -1;
	for (size_t k = 0; k < sc->names.n; k++) {
		const char *name = sc->names.v[k];
		if (act == SCMP_ACT_NOTIFY && notify_forbidden(name))
			return pith_fail(err, 0, "%s: SCMP_ACT_NOTIFY cannot be used for \"%s\"", field, name);
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue;   /* newer than libseccomp: skipped, as runc does */
		int r = add_rule(ctx, act, nr, conds, sc->n_args, any);
		if (r < 0)
			return pith_fail(err, -r, "%s: adding the rule for \"%s\"", field, name);
	}
	return 0;
}

/* ---------- export ---------- */

static int export_bpf(scmp_filter_ctx ctx, struct seccomp_program *out, struct pith_error *err)
{
	auto_fd fd = memfd_create("pith-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "seccomp: memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return pith_fail(err, -r, "seccomp: exporting the BPF program");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return pith_fail(err, errno, "seccomp: fstat of the exported program");
	size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
	if (st.st_size <= 0 || (size_t)st.st_size % sizeof(struct sock_filter))
		return pith_fail(err, 0, "seccomp: libseccomp exported %lld bytes, not whole instructions",
				 (long long)st.st_size);
	if (n > BPF_MAXINSNS)
		return pith_fail(err, 0, "linux.seccomp: the compiled filter has %zu instructions, "
				 "more than the kernel's limit of %d", n, BPF_MAXINSNS);
	auto_free struct sock_filter *f = malloc((size_t)st.st_size);
	if (!f)
		return pith_fail(err, ENOMEM, "seccomp: program buffer");
	if (pread(fd, f, (size_t)st.st_size, 0) != st.st_size)
		return pith_fail(err, errno ? errno : EIO, "seccomp: reading the exported program");
	out->filter = pith_steal_ptr(&f);
	out->len = (unsigned short)n;
	return 0;
}

/* The arches the filter ended up with: native first, then the listed ones. */
static size_t filter_arches(scmp_filter_ctx ctx, const struct spec_strv *listed, uint32_t *out,
			    size_t max)
{
	size_t n = 0;
	out[n++] = seccomp_arch_native();
	for (size_t i = 0; i < listed->n && n < max; i++) {
		uint32_t tok = arch_token(listed->v[i]);
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= out[k] == tok;
		if (tok && !dup && seccomp_arch_exist(ctx, tok) == 0)
			out[n++] = tok;
	}
	return n;
}

static int compile(const struct spec_seccomp *s, struct seccomp_program *out, struct pith_error *err)
{
	uint32_t def;
	if (to_action(s->default_action, s->default_errno_ret, "linux.seccomp.defaultAction", &def, err) < 0)
		return -1;
	auto_ctx ctx = seccomp_init(def);
	if (!ctx)
		return pith_fail(err, 0, "linux.seccomp.defaultAction: libseccomp refused it");
	/* Level 2 sorts syscalls into a binary tree: fewer instructions run per
	 * syscall, which matters on small ARM boards. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (add_arches(ctx, &s->architectures, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_syscalls; i++)
		if (add_syscall(ctx, &s->syscalls[i], i, def, err) < 0)
			return -1;
	if (export_bpf(ctx, out, err) < 0)
		return -1;
	if (!seccomp_enosys_wanted(def))
		return 0;
	uint32_t arches[16];
	size_t n = filter_arches(ctx, &s->architectures, arches, 16);
	if (seccomp_enosys_prepend(s, arches, n, out, err) < 0) {
		seccomp_program_release(out);
		return -1;
	}
	return 0;
}

/* ---------- flags ---------- */

static unsigned kernel_flags(unsigned spec_flags, bool notify)
{
	unsigned f = 0;
	if (spec_flags & SPEC_SCMP_FLAG_TSYNC)
		f |= SECCOMP_FILTER_FLAG_TSYNC;
	if (spec_flags & SPEC_SCMP_FLAG_LOG)
		f |= SECCOMP_FILTER_FLAG_LOG;
	if (spec_flags & SPEC_SCMP_FLAG_SPEC_ALLOW)
		f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	if (notify) {
		f |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* Meaningless without a listener, and the kernel refuses it alone. */
		if (spec_flags & SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV)
			f |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		/* TSYNC and a listener only combine with ESRCH reporting. */
		if (f & SECCOMP_FILTER_FLAG_TSYNC)
			f |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	}
	return f;
}

/* seccomp(2) checks the flags before it reads the program: with a NULL
 * program, EFAULT means "flags fine". Lets the parent fail with a name
 * instead of the init failing with EINVAL. */
static bool kernel_accepts(unsigned flags)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

static int check_kernel_flags(unsigned flags, struct pith_error *err)
{
	if (kernel_accepts(flags))
		return 0;
	if (!kernel_accepts(0))
		return pith_fail(err, errno, "linux.seccomp: this kernel has no seccomp filter support");
	for (unsigned bit = 1; bit && bit <= flags; bit <<= 1)
		if ((flags & bit) && !kernel_accepts(bit))
			return pith_fail(err, 0, "linux.seccomp.flags: %s is not supported by this kernel",
					 seccomp_flag_name(bit));
	return pith_fail(err, 0, "linux.seccomp.flags: this kernel refuses the combination %#x", flags);
}

/* ---------- entry points ---------- */

/* Notify is known from the spec alone (cache hits must know it too). */
static bool spec_uses_notify(const struct spec_seccomp *s)
{
	for (size_t i = 0; i < s->n_syscalls; i++)
		if (s->syscalls[i].action == SPEC_SCMP_ACT_NOTIFY)
			for (size_t k = 0; k < s->syscalls[i].names.n; k++)
				if (seccomp_syscall_resolve_name(s->syscalls[i].names.v[k]) != __NR_SCMP_ERROR)
					return true;
	return false;
}

static int check_spec(const struct spec_seccomp *s, struct pith_error *err)
{
	if (s->default_action == SPEC_SCMP_ACT_NOTIFY)
		return pith_fail(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	bool notify = spec_uses_notify(s);
	if (notify && !s->listener_path)
		return pith_fail(err, 0, "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
	return 0;
}

int seccomp_program_prepare(const struct spec_seccomp *s, const char *state_root,
			    struct seccomp_program *out, struct pith_error *err)
{
	memset(out, 0, sizeof(*out));
	if (check_spec(s, err) < 0)
		return -1;
	bool notify = spec_uses_notify(s);
	unsigned flags = kernel_flags(s->flags, notify);
	int r = check_kernel_flags(flags, err);
	if (r < 0)
		return r;

	__attribute__((cleanup(free_string))) char *canon = NULL;
	__attribute__((cleanup(seccomp_cache_key_release))) struct seccomp_cache_key key = { 0 };
	if (state_root && s->json) {
		canon = json_dumps(s->json, JSON_SORT_KEYS | JSON_COMPACT);
		if (canon && seccomp_cache_key(canon, &key) < 0)
			key.material = NULL;
	}
	if (key.material && seccomp_cache_load(state_root, &key, &out->filter, &out->len)) {
		out->cached = true;
	} else {
		if (compile(s, out, err) < 0)
			return -1;
		if (key.material)
			seccomp_cache_store(state_root, &key, out->filter, out->len);
	}
	out->flags = flags;
	out->notify = notify;
	return 0;
}

void seccomp_program_release(struct seccomp_program *p)
{
	free(p->filter);
	p->filter = NULL;
	p->len = 0;
}

/* seccomp: the compiler (checked by running its BPF in a small interpreter),
 * the cache (hit, miss, corruption), and the default profile's behaviour in a
 * forked child with the real kernel filter. No root needed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../config/spec.h"
#include "../../runtime/seccomp/seccomp.h"
#include "../../runtime/seccomp/seccomp_cache.h"
#include "../../runtime/seccomp/sha256.h"

/* ---------- a classic-BPF interpreter for seccomp programs ---------- */

struct call {
	int nr;
	uint32_t arch;
	uint64_t args[6];
};

static uint32_t load_word(const struct call *c, uint32_t off)
{
	struct seccomp_data d = { .nr = c->nr, .arch = c->arch };
	memcpy(d.args, c->args, sizeof(d.args));
	uint32_t w;
	cr_assert(off + 4 <= sizeof(d), "load beyond seccomp_data at %u", off);
	memcpy(&w, (char *)&d + off, 4);
	return w;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t v)
{
	switch (BPF_OP(op)) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_AND: return a & v;
	case BPF_OR: return a | v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return a << v;
	case BPF_RSH: return a >> v;
	default: cr_assert_fail("unexpected ALU op %#x", op); return 0;
	}
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v)
{
	switch (BPF_OP(op)) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	case BPF_JSET: return (a & v) != 0;
	default: cr_assert_fail("unexpected JMP op %#x", op); return false;
	}
}

static uint32_t run_bpf(const struct seccomp_program *p, const struct call *c)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS) a = load_word(c, f->k);
			else if (BPF_MODE(f->code) == BPF_IMM) a = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM) a = mem[f->k];
			else cr_assert_fail("unexpected LD mode %#x", f->code);
			break;
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_IMM) x = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM) x = mem[f->k];
			else cr_assert_fail("unexpected LDX mode %#x", f->code);
			break;
		case BPF_ST: mem[f->k] = a; break;
		case BPF_STX: mem[f->k] = x; break;
		case BPF_ALU: a = alu(f->code, a, src); break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) pc += f->k;
			else pc += jump_taken(f->code, a, src) ? f->jt : f->jf;
			break;
		case BPF_RET: return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX) x = a; else a = x;
			break;
		}
	}
	cr_assert_fail("program fell off its end");
	return 0;
}

static uint32_t native_audit_arch(void)
{
#if defined(__x86_64__)
	return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	return AUDIT_ARCH_AARCH64;
#elif defined(__arm__)
	return AUDIT_ARCH_ARM;
#elif defined(__i386__)
	return AUDIT_ARCH_I386;
#else
	return 0;
#endif
}

static uint32_t eval(const struct seccomp_program *p, int nr, uint64_t a0, uint64_t a1)
{
	struct call c = { .nr = nr, .arch = native_audit_arch(), .args = { a0, a1 } };
	return run_bpf(p, &c);
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))

/* ---------- building profiles by hand ---------- */

struct one_rule {
	const char *names[4];
	struct spec_seccomp_arg args[4];
	struct spec_seccomp_syscall sc;
	struct spec_seccomp s;
};

static void one_rule_init(struct one_rule *r, enum spec_seccomp_action def, const char *name,
			  enum spec_seccomp_action act, size_t n_args)
{
	memset(r, 0, sizeof(*r));
	r->names[0] = name;
	r->sc.names.v = r->names;
	r->sc.names.n = 1;
	r->sc.action = act;
	r->sc.args = r->args;
	r->sc.n_args = n_args;
	r->s.default_action = def;
	r->s.syscalls = &r->sc;
	r->s.n_syscalls = 1;
}

/* qemu-user answers seccomp() with ENOSYS, and prepare checks the kernel
 * first: skip there (the emulated boards run these on real ARM kernels). */
static void skip_without_seccomp(void)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 && errno == ENOSYS)
		cr_skip_test("seccomp() is ENOSYS here (qemu-user): no filter to check");
}

static void prepare_ok(const struct spec_seccomp *s, const char *root, struct seccomp_program *p)
{
	struct pith_error err = { 0 };
	skip_without_seccomp();
	int r = seccomp_program_prepare(s, root, p, &err);
	cr_assert_eq(r, 0, "prepare failed: %s", err.msg);
	cr_assert(p->len > 0 && p->filter);
}

static void prepare_fails(const struct spec_seccomp *s, const char *expect)
{
	struct pith_error err = { 0 };
	struct seccomp_program p;
	skip_without_seccomp();
	cr_assert_lt(seccomp_program_prepare(s, NULL, &p, &err), 0);
	cr_assert_str_eq(err.msg, expect);
}

/* ---------- the default profile, through the real parser ---------- */

static struct spec *default_spec(void)
{
	struct spec *sp = NULL;
	struct pith_error err = { 0 };
	json_t *cfg = spec_default_config(false);
	cr_assert(cfg);
	cr_assert_eq(spec_from_json(cfg, "config.json", &sp, &err), 0, "%s", err.msg);
	cr_assert(sp->linux_.has_seccomp);
	return sp;
}

/* ---------- tests ---------- */

Test(seccomp_hash, sha256_published_vectors)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char d[SHA256_LEN];
	struct iovec probe = { .iov_base = (void *)"", .iov_len = 0 };
	if (sha256_iov(&probe, 1, d) < 0)
		cr_skip_test("SKIP: no AF_ALG hash in this kernel: the cache names entries with FNV-1a");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* split in two pieces: the concatenation is what is hashed */
		size_t n = strlen(v[i].in), half = n / 2;
		struct iovec iov[2] = { { (void *)v[i].in, half }, { (void *)(v[i].in + half), n - half } };
		cr_assert_eq(sha256_iov(iov, 2, d), 0);
		char hex[65];
		for (int k = 0; k < SHA256_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		cr_expect_str_eq(hex, v[i].hex, "sha256(\"%s\")", v[i].in);
	}
}

Test(seccomp_hash, fnv1a_128_known_vector)
{
	struct hash128 h;
	char hex[33];
	hash128_init(&h);
	hash128_update(&h, "a", 1);
	hash128_hex(&h, hex);
	cr_assert_str_eq(hex, "d228cb696f1a8caf78912b704e4a8964");  /* published FNV-1a 128 vector */
	hash128_init(&h);
	hash128_update(&h, "pith", 4);
	hash128_hex(&h, hex);
	cr_assert_str_eq(hex, "69ef1d58f3757277b806e99da085fa7e");
}

Test(seccomp_operators, each_operator_matches_exactly_its_values)
{
	static const struct {
		enum spec_seccomp_op op;
		uint64_t value, value_two;
		uint64_t match[3], miss[3];
	} cases[] = {
		{ SPEC_SCMP_CMP_EQ, 7, 0, { 7, 7, 7 }, { 6, 8, 0x100000007ULL } },
		{ SPEC_SCMP_CMP_NE, 7, 0, { 6, 8, 0x100000007ULL }, { 7, 7, 7 } },
		{ SPEC_SCMP_CMP_LT, 7, 0, { 0, 6, 6 }, { 7, 8, 0x100000000ULL } },
		{ SPEC_SCMP_CMP_LE, 7, 0, { 0, 6, 7 }, { 8, 9, 0x100000000ULL } },
		{ SPEC_SCMP_CMP_GT, 7, 0, { 8, 0x100000000ULL, 9 }, { 0, 6, 7 } },
		{ SPEC_SCMP_CMP_GE, 7, 0, { 7, 8, 0x100000000ULL }, { 0, 5, 6 } },
		{ SPEC_SCMP_CMP_MASKED_EQ, 0xf0, 0x30, { 0x30, 0x3f, 0x1234530 }, { 0x20, 0xf0, 0x0 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct one_rule r;
		struct seccomp_program p;
		one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "getpriority", SPEC_SCMP_ACT_ERRNO, 1);
		r.sc.errno_ret = (spec_u64){ true, 42 };
		r.args[0] = (struct spec_seccomp_arg){ .index = 1, .value = cases[i].value,
						       .value_two = cases[i].value_two, .op = cases[i].op };
		prepare_ok(&r.s, NULL, &p);
		for (int k = 0; k < 3; k++) {
			cr_assert_eq(eval(&p, SYS_getpriority, 0, cases[i].match[k]), RET_ERRNO(42),
				     "op %s value %#llx should match %#llx", spec_seccomp_op_names[cases[i].op],
				     (unsigned long long)cases[i].value, (unsigned long long)cases[i].match[k]);
			cr_assert_eq(eval(&p, SYS_getpriority, 0, cases[i].miss[k]), SECCOMP_RET_ALLOW,
				     "op %s value %#llx should not match %#llx", spec_seccomp_op_names[cases[i].op],
				     (unsigned long long)cases[i].value, (unsigned long long)cases[i].miss[k]);
		}
		cr_assert_eq(eval(&p, SYS_getpid, 0, cases[i].match[0]), SECCOMP_RET_ALLOW);
		seccomp_program_release(&p);
	}
}

Test(seccomp_operators, same_index_is_or_different_indexes_are_and)
{
	struct one_rule r;
	struct seccomp_program p;
	one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "getpriority", SPEC_SCMP_ACT_ERRNO, 2);
	r.args[0] = (struct spec_seccomp_arg){ .index = 0, .value = 1, .op = SPEC_SCMP_CMP_EQ };
	r.args[1] = (struct spec_seccomp_arg){ .index = 0, .value = 2, .op = SPEC_SCMP_CMP_EQ };
	prepare_ok(&r.s, NULL, &p);
	cr_assert_eq(eval(&p, SYS_getpriority, 1, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_getpriority, 2, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_getpriority, 3, 0), SECCOMP_RET_ALLOW);
	seccomp_program_release(&p);

	r.args[1] = (struct spec_seccomp_arg){ .index = 1, .value = 2, .op = SPEC_SCMP_CMP_EQ };
	prepare_ok(&r.s, NULL, &p);
	cr_assert_eq(eval(&p, SYS_getpriority, 1, 2), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_getpriority, 1, 3), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_getpriority, 2, 2), SECCOMP_RET_ALLOW);
	seccomp_program_release(&p);
}

Test(seccomp_actions, each_action_reaches_the_program)
{
	static const struct {
		enum spec_seccomp_action act;
		uint32_t ret;
	} cases[] = {
		{ SPEC_SCMP_ACT_KILL, SECCOMP_RET_KILL_THREAD },
		{ SPEC_SCMP_ACT_KILL_THREAD, SECCOMP_RET_KILL_THREAD },
		{ SPEC_SCMP_ACT_KILL_PROCESS, SECCOMP_RET_KILL_PROCESS },
		{ SPEC_SCMP_ACT_TRAP, SECCOMP_RET_TRAP },
		{ SPEC_SCMP_ACT_ERRNO, SECCOMP_RET_ERRNO | EPERM },
		{ SPEC_SCMP_ACT_TRACE, SECCOMP_RET_TRACE | EPERM },
		{ SPEC_SCMP_ACT_LOG, SECCOMP_RET_LOG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct one_rule r;
		struct seccomp_program p;
		one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "getppid", cases[i].act, 0);
		prepare_ok(&r.s, NULL, &p);
		cr_assert_eq(eval(&p, SYS_getppid, 0, 0), cases[i].ret, "action %s",
			     spec_seccomp_action_names[cases[i].act]);
		cr_assert_eq(eval(&p, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
		cr_assert_not(p.notify);
		seccomp_program_release(&p);
	}
}

Test(seccomp_actions, default_errno_ret_and_errno_ret)
{
	struct one_rule r;
	struct seccomp_program p;
	one_rule_init(&r, SPEC_SCMP_ACT_ERRNO, "getpid", SPEC_SCMP_ACT_ALLOW, 0);
	r.s.default_errno_ret = (spec_u64){ true, ENOSYS };
	prepare_ok(&r.s, NULL, &p);
	cr_assert_eq(eval(&p, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_getppid, 0, 0), RET_ERRNO(ENOSYS));
	cr_assert_eq(eval(&p, 1500, 0, 0), RET_ERRNO(ENOSYS));
	seccomp_program_release(&p);

	r.s.default_errno_ret.set = false;   /* runc: ERRNO without a value is EPERM */
	prepare_ok(&r.s, NULL, &p);
	cr_assert_eq(eval(&p, 0, 0, 0), RET_ERRNO(EPERM));   /* older than getpid: the default */
	seccomp_program_release(&p);
}

Test(seccomp_rules, unknown_names_are_skipped_and_redundant_rules_too)
{
	struct one_rule a, b;
	struct seccomp_program pa, pb;
	one_rule_init(&a, SPEC_SCMP_ACT_ALLOW, "no_such_syscall_at_all", SPEC_SCMP_ACT_ERRNO, 0);
	a.names[1] = "getppid";
	a.sc.names.n = 2;
	one_rule_init(&b, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ERRNO, 0);
	prepare_ok(&a.s, NULL, &pa);
	prepare_ok(&b.s, NULL, &pb);
	cr_assert_eq(pa.len, pb.len);
	cr_assert_arr_eq(pa.filter, pb.filter, pa.len * sizeof(struct sock_filter));
	seccomp_program_release(&pa);

	/* A rule repeating the default action changes nothing (libseccomp refuses it). */
	struct one_rule c;
	one_rule_init(&c, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ALLOW, 0);
	struct spec_seccomp_syscall two[2] = { b.sc, c.sc };
	b.s.syscalls = two;
	b.s.n_syscalls = 2;
	prepare_ok(&b.s, NULL, &pa);
	cr_assert_eq(pa.len, pb.len);
	cr_assert_arr_eq(pa.filter, pb.filter, pa.len * sizeof(struct sock_filter));
	seccomp_program_release(&pa);
	seccomp_program_release(&pb);
}

Test(seccomp_arch, unknown_architecture_is_refused)
{
	struct one_rule r;
	const char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_FOO", NULL };
	one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ERRNO, 0);
	r.s.architectures = (struct spec_strv){ arches, 2 };
	prepare_fails(&r.s, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"");
	arches[1] = "x86";   /* libseccomp's own spelling is not the spec's */
	prepare_fails(&r.s, "linux.seccomp.architectures[1]: unknown architecture \"x86\"");
}

#if defined(__x86_64__)
Test(seccomp_arch, compat_arches_are_filtered_foreign_ones_dropped)
{
	struct one_rule r, plain;
	struct seccomp_program p, q;
	const char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
	one_rule_init(&r, SPEC_SCMP_ACT_ERRNO, "clock_gettime64", SPEC_SCMP_ACT_ALLOW, 0);
	r.s.default_errno_ret = (spec_u64){ true, ENOSYS };
	r.s.architectures = (struct spec_strv){ arches, 4 };
	prepare_ok(&r.s, NULL, &p);
	struct call c32 = { .nr = 403, .arch = AUDIT_ARCH_I386 };   /* i386 clock_gettime64 */
	cr_assert_eq(run_bpf(&p, &c32), SECCOMP_RET_ALLOW);
	c32.nr = 20;                                                /* i386 getpid: not listed */
	cr_assert_eq(run_bpf(&p, &c32), RET_ERRNO(ENOSYS));
	struct call arm = { .nr = 403, .arch = AUDIT_ARCH_ARM };    /* cannot happen on this kernel */
	cr_assert_eq(run_bpf(&p, &arm), SECCOMP_RET_KILL_THREAD);

	arches[2] = NULL;
	one_rule_init(&plain, SPEC_SCMP_ACT_ERRNO, "clock_gettime64", SPEC_SCMP_ACT_ALLOW, 0);
	plain.s.default_errno_ret = r.s.default_errno_ret;
	plain.s.architectures = (struct spec_strv){ arches, 2 };
	prepare_ok(&plain.s, NULL, &q);
	cr_assert_eq(p.len, q.len, "the aarch64/arm parts should not be compiled on x86_64");
	seccomp_program_release(&p);
	seccomp_program_release(&q);
}
#endif

/* ---------- the spec's names, through the parser, to the kernel's values ---------- */

/* A config with one rule, loaded by the real parser (which owns the name
 * tables) and compiled: what config-linux.md's names mean, written out here
 * from seccomp(2), so a wrong or swapped name in config/tables.c fails. */
static struct spec *one_rule_config(const char *rule, const char *extra)
{
	char text[1024];
	struct spec *sp = NULL;
	struct pith_error err = { 0 };
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":"
		 "{\"defaultAction\":\"SCMP_ACT_ALLOW\"%s,\"syscalls\":[%s]}}}", extra, rule);
	cr_assert_eq(spec_load_string(text, "config.json", &sp, &err), 0, "%s\n%s", err.msg, text);
	return sp;
}

Test(seccomp_names, each_action_name_is_the_kernels_return_value)
{
	static const struct {
		const char *name;
		uint32_t ret;
	} cases[] = {
		{ "SCMP_ACT_KILL", 0x00000000 },         { "SCMP_ACT_KILL_THREAD", 0x00000000 },
		{ "SCMP_ACT_KILL_PROCESS", 0x80000000 }, { "SCMP_ACT_TRAP", 0x00030000 },
		{ "SCMP_ACT_ERRNO", 0x00050000 | EPERM }, { "SCMP_ACT_TRACE", 0x7ff00000 | EPERM },
		{ "SCMP_ACT_LOG", 0x7ffc0000 },          { "SCMP_ACT_ALLOW", 0x7fff0000 },
		{ "SCMP_ACT_NOTIFY", 0x7fc00000 },
	};
	char rule[256];
	skip_without_seccomp();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool notify = strcmp(cases[i].name, "SCMP_ACT_NOTIFY") == 0;
		snprintf(rule, sizeof(rule), "{\"names\":[\"mkdirat\"],\"action\":\"%s\"}", cases[i].name);
		struct spec *sp = one_rule_config(rule, notify ? ",\"listenerPath\":\"/run/a.sock\"" : "");
		struct seccomp_program p;
		prepare_ok(&sp->linux_.seccomp, NULL, &p);
		cr_expect_eq(eval(&p, SYS_mkdirat, 0, 0), cases[i].ret, "%s gave %#x", cases[i].name,
			     eval(&p, SYS_mkdirat, 0, 0));
		seccomp_program_release(&p);
		spec_free(sp);
	}
}

Test(seccomp_names, each_operator_name_compares_as_its_name_says)
{
	/* Against 7 (MASKED_EQ: arg & 1 == 1, odd), for the arguments 5, 6, 7, 8:
	 * a distinct pattern per operator, so a swapped pair fails. */
	static const struct {
		const char *name, *args;
		bool match[4];
	} cases[] = {
		{ "SCMP_CMP_NE", "\"value\":7", { 1, 1, 0, 1 } },
		{ "SCMP_CMP_LT", "\"value\":7", { 1, 1, 0, 0 } },
		{ "SCMP_CMP_LE", "\"value\":7", { 1, 1, 1, 0 } },
		{ "SCMP_CMP_EQ", "\"value\":7", { 0, 0, 1, 0 } },
		{ "SCMP_CMP_GE", "\"value\":7", { 0, 0, 1, 1 } },
		{ "SCMP_CMP_GT", "\"value\":7", { 0, 0, 0, 1 } },
		{ "SCMP_CMP_MASKED_EQ", "\"value\":1,\"valueTwo\":1", { 1, 0, 1, 0 } },
	};
	char rule[256];
	skip_without_seccomp();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rule, sizeof(rule), "{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\","
			 "\"args\":[{\"index\":1,%s,\"op\":\"%s\"}]}", cases[i].args, cases[i].name);
		struct spec *sp = one_rule_config(rule, "");
		struct seccomp_program p;
		prepare_ok(&sp->linux_.seccomp, NULL, &p);
		for (int k = 0; k < 4; k++)
			cr_expect_eq(eval(&p, SYS_getpriority, 0, 5 + k),
				     cases[i].match[k] ? RET_ERRNO(EPERM) : SECCOMP_RET_ALLOW, "%s against %d",
				     cases[i].name, 5 + k);
		seccomp_program_release(&p);
		spec_free(sp);
	}
}

Test(seccomp_names, each_flag_name_is_the_kernels_bit)
{
	/* uapi/linux/seccomp.h: TSYNC 1, LOG 2, SPEC_ALLOW 4, NEW_LISTENER 8,
	 * TSYNC_ESRCH 16, WAIT_KILLABLE_RECV 32 (this last one with a listener). */
	static const struct {
		const char *name;
		unsigned bit;
	} cases[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", 1 },
		{ "SECCOMP_FILTER_FLAG_LOG", 2 },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4 },
	};
	char extra[128];
	skip_without_seccomp();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(extra, sizeof(extra), ",\"flags\":[\"%s\"]", cases[i].name);
		struct spec *sp = one_rule_config("{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}", extra);
		struct seccomp_program p;
		prepare_ok(&sp->linux_.seccomp, NULL, &p);
		cr_expect_eq(p.flags, cases[i].bit, "%s gave %#x", cases[i].name, (unsigned)p.flags);
		seccomp_program_release(&p);
		spec_free(sp);
	}
	struct spec *sp = one_rule_config("{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}",
					  ",\"listenerPath\":\"/run/a.sock\","
					  "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]");
	struct seccomp_program p;
	prepare_ok(&sp->linux_.seccomp, NULL, &p);
	cr_expect_eq(p.flags, 8u | 32u, "listener and killable wait: %#x", (unsigned)p.flags);
	seccomp_program_release(&p);
	spec_free(sp);
}

Test(seccomp_flags, spec_flags_become_kernel_flags)
{
	struct one_rule r;
	struct seccomp_program p;
	one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ERRNO, 0);
	r.s.flags = SPEC_SCMP_FLAG_TSYNC | SPEC_SCMP_FLAG_LOG | SPEC_SCMP_FLAG_SPEC_ALLOW |
		    SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV;
	prepare_ok(&r.s, NULL, &p);
	/* WAIT_KILLABLE_RECV only means something with a listener. */
	cr_assert_eq(p.flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
			      SECCOMP_FILTER_FLAG_SPEC_ALLOW);
	seccomp_program_release(&p);
}

Test(seccomp_notify, notify_sets_the_listener_flags_and_is_refused_where_it_would_hang)
{
	struct one_rule r;
	struct seccomp_program p;
	one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "mkdirat", SPEC_SCMP_ACT_NOTIFY, 0);
	r.s.listener_path = "/run/agent.sock";
	r.s.flags = SPEC_SCMP_FLAG_TSYNC | SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV;
	prepare_ok(&r.s, NULL, &p);
	cr_assert(p.notify);
	cr_assert_eq(p.flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
	cr_assert_eq(eval(&p, SYS_mkdirat, 0, 0), SECCOMP_RET_USER_NOTIF);
	seccomp_program_release(&p);

	r.names[0] = "write";
	prepare_fails(&r.s, "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for \"write\"");
	r.s.default_action = SPEC_SCMP_ACT_NOTIFY;
	prepare_fails(&r.s, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

Test(seccomp_rules, errno_ret_on_a_non_errno_action_is_refused)
{
	struct one_rule r;
	one_rule_init(&r, SPEC_SCMP_ACT_ERRNO, "getppid", SPEC_SCMP_ACT_ALLOW, 0);
	r.sc.errno_ret = (spec_u64){ true, 1 };
	prepare_fails(&r.s, "linux.seccomp.syscalls[0]: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
}

#if defined(__x86_64__)
Test(seccomp_enosys, newer_than_the_profile_is_enosys_older_gets_the_default)
{
	static const uint32_t defaults[] = { SPEC_SCMP_ACT_ERRNO, SPEC_SCMP_ACT_KILL_PROCESS };
	const char *arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
	for (size_t i = 0; i < 2; i++) {
		struct one_rule r;
		struct seccomp_program p;
		uint32_t def_ret = i == 0 ? RET_ERRNO(EPERM) : SECCOMP_RET_KILL_PROCESS;
		one_rule_init(&r, defaults[i], "getpid", SPEC_SCMP_ACT_ALLOW, 0);
		r.names[1] = "openat";
		r.sc.names.n = 2;
		r.s.architectures = (struct spec_strv){ arches, 3 };
		prepare_ok(&r.s, NULL, &p);
		/* x86_64: getpid 39, openat 257 */
		cr_assert_eq(eval(&p, 39, 0, 0), SECCOMP_RET_ALLOW);
		cr_assert_eq(eval(&p, 110, 0, 0), def_ret);          /* getppid: known, not listed */
		cr_assert_eq(eval(&p, 257, 0, 0), SECCOMP_RET_ALLOW);
		cr_assert_eq(eval(&p, 258, 0, 0), RET_ERRNO(ENOSYS));
		cr_assert_eq(eval(&p, 1000, 0, 0), RET_ERRNO(ENOSYS));
		/* x32 calls go through the x86_64 audit arch with bit 30 set. */
		struct call x32 = { .nr = 0x40000000 | 39, .arch = AUDIT_ARCH_X86_64 };
		cr_assert_eq(run_bpf(&p, &x32), SECCOMP_RET_ALLOW);
		/* i386: getpid 20, openat 295 */
		struct call c32 = { .nr = 20, .arch = AUDIT_ARCH_I386 };
		cr_assert_eq(run_bpf(&p, &c32), SECCOMP_RET_ALLOW);
		c32.nr = 64;
		cr_assert_eq(run_bpf(&p, &c32), def_ret);
		c32.nr = 296;
		cr_assert_eq(run_bpf(&p, &c32), RET_ERRNO(ENOSYS));
		seccomp_program_release(&p);
	}
}
#endif

Test(seccomp_enosys, no_stub_when_the_default_already_allows_or_says_enosys)
{
	struct one_rule a, b;
	struct seccomp_program pa, pb;
	one_rule_init(&a, SPEC_SCMP_ACT_ERRNO, "getpid", SPEC_SCMP_ACT_ALLOW, 0);
	a.s.default_errno_ret = (spec_u64){ true, ENOSYS };
	one_rule_init(&b, SPEC_SCMP_ACT_ERRNO, "getpid", SPEC_SCMP_ACT_ALLOW, 0);
	b.s.default_errno_ret = (spec_u64){ true, EPERM };
	prepare_ok(&a.s, NULL, &pa);
	prepare_ok(&b.s, NULL, &pb);
	cr_assert_gt(pb.len, pa.len, "the EPERM profile should carry the ENOSYS stub");
	cr_assert_eq(eval(&pa, 1000, 0, 0), RET_ERRNO(ENOSYS));
	cr_assert_eq(eval(&pb, 1000, 0, 0), RET_ERRNO(ENOSYS));
	seccomp_program_release(&pa);
	seccomp_program_release(&pb);
}

/* ---------- the default profile ---------- */

Test(seccomp_default, compiles_and_says_enosys_or_eperm_as_designed)
{
	struct spec *sp = default_spec();
	struct seccomp_program p;
	prepare_ok(&sp->linux_.seccomp, NULL, &p);
	cr_assert_not(p.notify);
	cr_assert_eq(p.flags, 0u);
	cr_assert_eq(eval(&p, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_keyctl, 0, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_unshare, CLONE_NEWUSER, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_clone3, 0, 0), RET_ERRNO(ENOSYS));
	cr_assert_eq(eval(&p, 1000, 0, 0), RET_ERRNO(ENOSYS));
	cr_assert_eq(eval(&p, SYS_clone, SIGCHLD, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_clone, SIGCHLD | CLONE_NEWNET, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_clone, CLONE_NEWUSER | CLONE_NEWNS, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_socket, AF_INET, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_socket, 40 /* AF_VSOCK */, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_personality, 0xffffffff, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_personality, 0x0400000 /* ADDR_NO_RANDOMIZE */, 0), RET_ERRNO(ENOSYS));
	cr_assert_eq(eval(&p, SYS_memfd_create, 0, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_membarrier, 0, 0), SECCOMP_RET_ALLOW);
	cr_assert_eq(eval(&p, SYS_mount, 0, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&p, SYS_io_uring_setup, 0, 0), RET_ERRNO(ENOSYS));
	seccomp_program_release(&p);
	spec_free(sp);
}

static char *tmp_root(void)
{
	/* every user of a temp root skips under qemu-user: skip before making it */
	skip_without_seccomp();
	char *t = strdup("/tmp/pith-seccomp-test-XXXXXX");
	cr_assert(mkdtemp(t));
	return t;
}

static void rm_tree(const char *root)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

/* The single entry under the cache dir, as a path. */
static void cache_entry(const char *root, char *path, size_t len)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/%s", root, SECCOMP_CACHE_DIR);
	DIR *d = opendir(dir);
	cr_assert(d, "no cache dir %s", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		cr_assert_eq(strlen(e->d_name), 32u, "entry %s", e->d_name);
		snprintf(path, len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	cr_assert_eq(n, 1, "expected one cache entry, found %d", n);
}

static void damage(const char *path, off_t off, bool truncate_it)
{
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	if (truncate_it) {
		struct stat st;
		fstat(fd, &st);
		cr_assert_eq(ftruncate(fd, st.st_size - 8), 0);
	} else {
		char b;
		cr_assert_eq(pread(fd, &b, 1, off), 1);
		b ^= 0x01;
		cr_assert_eq(pwrite(fd, &b, 1, off), 1);
	}
	close(fd);
}

static void expect_from_cache(const struct spec_seccomp *s, const char *root,
			      const struct seccomp_program *ref, bool cached)
{
	struct seccomp_program p;
	prepare_ok(s, root, &p);
	cr_assert_eq(p.cached, cached, "expected %s", cached ? "a cache hit" : "a rebuild");
	cr_assert_eq(p.len, ref->len);
	cr_assert_arr_eq(p.filter, ref->filter, p.len * sizeof(struct sock_filter));
	seccomp_program_release(&p);
}

Test(seccomp_cache, miss_then_hit_then_every_corruption_rebuilds)
{
	struct spec *sp = default_spec();
	const struct spec_seccomp *s = &sp->linux_.seccomp;
	char *root = tmp_root();
	struct seccomp_program ref;
	prepare_ok(s, NULL, &ref);

	expect_from_cache(s, root, &ref, false);
	char entry[512];
	cache_entry(root, entry, sizeof(entry));
	struct stat st;
	cr_assert_eq(stat(entry, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_gt((size_t)st.st_size, 40 + ref.len * sizeof(struct sock_filter) + 100,
		     "no key material stored");
	expect_from_cache(s, root, &ref, true);

	const off_t spots[] = { 0 /* magic */, 8 /* format */, 12 /* count */, 16 /* material length */,
				24 /* checksum */, 40 + 3 /* key material */, st.st_size - 1 /* last insn */ };
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		damage(entry, spots[i], false);
		expect_from_cache(s, root, &ref, false);   /* detected, rebuilt, replaced */
		expect_from_cache(s, root, &ref, true);
	}
	damage(entry, 0, true);
	expect_from_cache(s, root, &ref, false);
	expect_from_cache(s, root, &ref, true);

	/* Any mode but 0600, or another owner: not trusted, rebuilt as 0600. */
	const mode_t modes[] = { 0666, 0640, 0604, 0700 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cr_assert_eq(chmod(entry, modes[i]), 0);
		expect_from_cache(s, root, &ref, false);
		cr_assert_eq(stat(entry, &st), 0);
		cr_assert_eq(st.st_mode & 07777, 0600);
		expect_from_cache(s, root, &ref, true);
	}
	if (geteuid() == 0) {
		cr_assert_eq(chown(entry, 65534, 65534), 0);
		expect_from_cache(s, root, &ref, false);
		cr_assert_eq(stat(entry, &st), 0);
		cr_assert_eq(st.st_uid, 0);
		expect_from_cache(s, root, &ref, true);
	}
	/* A cache dir others can write to is not used at all. */
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", root, SECCOMP_CACHE_DIR);
	cr_assert_eq(chmod(dir, 0777), 0);
	expect_from_cache(s, root, &ref, false);
	cr_assert_eq(chmod(dir, 0700), 0);

	seccomp_program_release(&ref);
	spec_free(sp);
	rm_tree(root);
	free(root);
}

Test(seccomp_cache, different_profiles_do_not_share_entries)
{
	struct one_rule a, b;
	json_t *ja = json_pack("{s:s}", "k", "a"), *jb = json_pack("{s:s}", "k", "b");
	one_rule_init(&a, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ERRNO, 0);
	one_rule_init(&b, SPEC_SCMP_ACT_ALLOW, "getpid", SPEC_SCMP_ACT_ERRNO, 0);
	a.s.json = ja;
	b.s.json = jb;
	char *root = tmp_root();
	struct seccomp_program pa, pb;
	prepare_ok(&a.s, root, &pa);
	prepare_ok(&b.s, root, &pb);
	cr_assert_not(pa.cached);
	cr_assert_not(pb.cached);
	cr_assert_eq(eval(&pb, SYS_getpid, 0, 0), RET_ERRNO(EPERM));
	seccomp_program_release(&pb);
	prepare_ok(&b.s, root, &pb);
	cr_assert(pb.cached);
	cr_assert_eq(eval(&pb, SYS_getpid, 0, 0), RET_ERRNO(EPERM));
	cr_assert_eq(eval(&pb, SYS_getppid, 0, 0), SECCOMP_RET_ALLOW);
	seccomp_program_release(&pa);
	seccomp_program_release(&pb);
	json_decref(ja);
	json_decref(jb);
	rm_tree(root);
	free(root);
}

/* A name collision (chosen, under a shared --root) must not hand one
 * profile's program to another: the entry holds its key material and the
 * loader compares it. Simulated by filing profile A's entry under B's name. */
Test(seccomp_cache, an_entry_of_another_profile_under_this_name_is_a_miss)
{
	struct one_rule weak, strong;
	json_t *jw = json_pack("{s:s}", "k", "weak"), *js = json_pack("{s:s}", "k", "strong");
	one_rule_init(&weak, SPEC_SCMP_ACT_ALLOW, "getppid", SPEC_SCMP_ACT_ERRNO, 0);
	one_rule_init(&strong, SPEC_SCMP_ACT_ALLOW, "getpid", SPEC_SCMP_ACT_ERRNO, 0);
	weak.s.json = jw;
	strong.s.json = js;
	char *root = tmp_root();
	struct seccomp_program p;
	prepare_ok(&weak.s, root, &p);
	seccomp_program_release(&p);
	char weak_entry[512], strong_entry[512];
	cache_entry(root, weak_entry, sizeof(weak_entry));
	/* the name strong's key gives */
	char *canon = json_dumps(js, JSON_SORT_KEYS | JSON_COMPACT);
	struct seccomp_cache_key key;
	cr_assert_eq(seccomp_cache_key(canon, &key), 0);
	snprintf(strong_entry, sizeof(strong_entry), "%s/%s/%s", root, SECCOMP_CACHE_DIR, key.name);
	cr_assert_eq(rename(weak_entry, strong_entry), 0);
	prepare_ok(&strong.s, root, &p);
	cr_expect_not(p.cached, "a foreign entry was used");
	cr_expect_eq(eval(&p, SYS_getpid, 0, 0), RET_ERRNO(EPERM), "strong profile lost its rule");
	seccomp_program_release(&p);
	prepare_ok(&strong.s, root, &p);
	cr_expect(p.cached, "the rebuilt entry was not stored");
	seccomp_program_release(&p);
	seccomp_cache_key_release(&key);
	free(canon);
	json_decref(jw);
	json_decref(js);
	rm_tree(root);
	free(root);
}

/* ---------- the real kernel filter ---------- */

/* Each check: name, observed result, expected result, as "name=ret/errno". */
static void child_report(int fd, const char *name, long r)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "%s=%s%d\n", name, r < 0 ? "-" : "", r < 0 ? errno : 0);
	if (write(fd, buf, (size_t)n) != n)
		_exit(3);
}

Test(seccomp_kernel, default_profile_in_a_child)
{
	struct spec *sp = default_spec();
	struct seccomp_program p;
	prepare_ok(&sp->linux_.seccomp, NULL, &p);
	int pfd[2];
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err;
		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_install(&p, &err) != 0)
			_exit(2);
		child_report(pfd[1], "getpid", syscall(SYS_getpid));
		child_report(pfd[1], "keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
		child_report(pfd[1], "add_key", syscall(SYS_add_key, 0, 0, 0, 0, 0));
		child_report(pfd[1], "nr1000", syscall(1000, 0, 0, 0));
		child_report(pfd[1], "clone3", syscall(SYS_clone3, NULL, 0));
		child_report(pfd[1], "unshare", syscall(SYS_unshare, CLONE_NEWUSER));
		child_report(pfd[1], "clone_newns", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0));
		child_report(pfd[1], "vsock", syscall(SYS_socket, 40, SOCK_STREAM, 0));
		int m = (int)syscall(SYS_memfd_create, "x", MFD_CLOEXEC);
		child_report(pfd[1], "memfd_create", m < 0 ? -1 : 0);
		child_report(pfd[1], "membarrier", syscall(SYS_membarrier, 0 /* QUERY */, 0, 0) < 0 ? -1 : 0);
		pid_t k = fork();   /* glibc: clone without namespace flags */
		if (k == 0)
			_exit(0);
		child_report(pfd[1], "fork", k < 0 ? -1 : 0);
		if (k > 0)
			waitpid(k, NULL, 0);
		_exit(0);
	}
	close(pfd[1]);
	char out[1024] = { 0 };
	size_t got = 0;
	ssize_t n;
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	close(pfd[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x, output:\n%s", status, out);
	char expect[512];
	snprintf(expect, sizeof(expect),
		 "getpid=0\nkeyctl=-%d\nadd_key=-%d\nnr1000=-%d\nclone3=-%d\nunshare=-%d\n"
		 "clone_newns=-%d\nvsock=-%d\nmemfd_create=0\nmembarrier=0\nfork=0\n",
		 EPERM, EPERM, ENOSYS, ENOSYS, EPERM, EPERM, EPERM);
	cr_assert_str_eq(out, expect);
	seccomp_program_release(&p);
	spec_free(sp);
}

/* A profile with an EPERM default: the kernel accepts the ENOSYS stub, and
 * only calls newer than the profile get ENOSYS. */
Test(seccomp_kernel, eperm_default_with_the_enosys_stub)
{
	struct one_rule r;
	struct seccomp_program p;
	one_rule_init(&r, SPEC_SCMP_ACT_ERRNO, "write", SPEC_SCMP_ACT_ALLOW, 0);
	r.names[1] = "exit_group";
	r.names[2] = "exit";
	r.names[3] = "getpid";
	r.sc.names.n = 4;
	r.s.default_errno_ret = (spec_u64){ true, EPERM };
	prepare_ok(&r.s, NULL, &p);
	int pfd[2];
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err;
		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_install(&p, &err) != 0)
			_exit(2);
		child_report(pfd[1], "getpid", syscall(SYS_getpid));
		child_report(pfd[1], "nr1000", syscall(1000, 0, 0, 0));
		child_report(pfd[1], "nr0", syscall(0, -1, 0, 0));   /* x86_64 read: older, unlisted */
		syscall(SYS_exit_group, 0);
	}
	close(pfd[1]);
	char out[256] = { 0 };
	size_t got = 0;
	ssize_t n;
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	close(pfd[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x: %s", status, out);
	char expect[128];
	snprintf(expect, sizeof(expect), "getpid=0\nnr1000=-%d\nnr0=-%d\n", ENOSYS, EPERM);
	cr_assert_str_eq(out, expect);
	seccomp_program_release(&p);
}

/* SCMP_ACT_NOTIFY end to end: the child installs, sends its listener to an
 * agent socket with seccomp_send_listener, and its mkdirat is answered by
 * the agent (this test) with errno 77. */
Test(seccomp_kernel, notify_listener_reaches_the_agent)
{
	struct one_rule r;
	struct seccomp_program p;
	char *root = tmp_root();
	char sock_path[256];
	snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", root);
	one_rule_init(&r, SPEC_SCMP_ACT_ALLOW, "mkdirat", SPEC_SCMP_ACT_NOTIFY, 0);
	r.s.listener_path = sock_path;
	prepare_ok(&r.s, NULL, &p);

	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strcpy(addr.sun_path, sock_path);
	cr_assert_eq(bind(ls, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(ls, 1), 0);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(2);
		int lfd = seccomp_program_install(&p, &err);
		if (lfd <= 0)
			_exit(3);
		if (seccomp_send_listener(sock_path, lfd, "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"]}", &err) < 0)
			_exit(4);
		close(lfd);
		int rr = mkdirat(AT_FDCWD, "/nonexistent-dir/x", 0700);
		_exit(rr < 0 && errno == 77 ? 0 : 5);
	}
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(c, 0);
	char data[256] = { 0 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	cr_assert_gt(recvmsg(c, &msg, MSG_CMSG_CLOEXEC), 0);
	cr_assert_str_eq(data, "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"]}");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cr_assert(cm && cm->cmsg_type == SCM_RIGHTS);
	int nfd;
	memcpy(&nfd, CMSG_DATA(cm), sizeof(int));

	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	cr_assert_eq(ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0, "%s", strerror(errno));
	cr_assert_eq(req.pid, pid);
	cr_assert_eq(req.data.nr, SYS_mkdirat);
	struct seccomp_notif_resp resp = { .id = req.id, .error = -77 };
	cr_assert_eq(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "%s", strerror(errno));
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	close(nfd);
	close(c);
	close(ls);
	seccomp_program_release(&p);
	rm_tree(root);
	free(root);
}

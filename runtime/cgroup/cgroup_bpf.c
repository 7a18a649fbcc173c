/* Device access on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program built
 * from the OCI rules and attached to the container's leaf.
 *
 * Semantics follow the v1 list the rules were written for: the last rule
 * that matches decides, so the program tests the rules in reverse order and
 * returns at the first match. An allow rule matches when every requested
 * access is in its set; a deny rule when any is. With no match the answer
 * is "allow", as a v1 cgroup inherits allow-all (configs start with a
 * deny-all wildcard, which always matches).
 *
 * Pointers reach the kernel through ptr_u64(): bpf_attr fields are u64 on
 * every ABI, and a 32-bit pointer must be zero-extended, not cast through a
 * signed type. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cgroup.h"
#include "../cleanup.h"

static uint64_t ptr_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
	return i;
}

#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src) insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ_IMM(dst, imm, off) insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_mask(const char *a)
{
	int m = 0;
	for (; a && *a; a++)
		m |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return m ? m : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

/* One rule: its tests jump to the end of the block when they fail. */
static size_t rule_block(const struct spec_device_rule *d, struct bpf_insn *out)
{
	const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
	int acc = access_mask(d->access);
	size_t n = 0, tests = (d->type != 'a') + (acc != all ? 3 : 0) + (d->major >= 0) + (d->minor >= 0);
	size_t left = tests + 2; /* instructions after the current one, to the block's end */
	if (d->type != 'a') {
		out[n] = JNE_IMM(2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, (int16_t)(left - 1));
		n++;
	}
	if (acc != all) {
		out[n++] = MOV_REG(1, 3);
		out[n++] = AND_IMM(1, d->allow ? ~acc & all : acc);
		out[n] = d->allow ? JNE_IMM(1, 0, 0) : JEQ_IMM(1, 0, 0);
		out[n].off = (int16_t)(left - n - 1);
		n++;
	}
	if (d->major >= 0) {
		out[n] = JNE_IMM(4, (int32_t)d->major, (int16_t)(left - n - 1));
		n++;
	}
	if (d->minor >= 0) {
		out[n] = JNE_IMM(5, (int32_t)d->minor, (int16_t)(left - n - 1));
		n++;
	}
	out[n++] = MOV_IMM(0, d->allow ? 1 : 0);
	out[n++] = EXIT();
	return n;
}

int cgroup_bpf_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **insns, size_t *n_insns,
		     struct pith_error *err)
{
	/* prologue 6 + per rule at most 9 + epilogue 2 */
	struct bpf_insn *p = calloc(6 + 9 * n + 2, sizeof(*p));
	if (!p)
		return pith_fail(err, ENOMEM, "device program");
	size_t k = 0;
	p[k++] = LDX_W(2, 1, 0);  /* access_type: type | access << 16 */
	p[k++] = MOV_REG(3, 2);
	p[k++] = RSH_IMM(3, 16);  /* r3 = access */
	p[k++] = AND_IMM(2, 0xffff); /* r2 = type */
	p[k++] = LDX_W(4, 1, 4);  /* major */
	p[k++] = LDX_W(5, 1, 8);  /* minor */
	for (size_t i = n; i-- > 0;) {
		const struct spec_device_rule *d = &rules[i];
		if (d->type != 'a' && d->type != 'b' && d->type != 'c' && d->type != 'u') {
			free(p);
			return pith_fail(err, EINVAL, "linux.resources.devices[%zu]: unknown type '%c'", i, d->type);
		}
		k += rule_block(d, p + k);
		/* A rule matching everything ends the program: the verifier
		 * refuses the unreachable code that would follow. */
		if (d->type == 'a' && d->major < 0 && d->minor < 0 && access_mask(d->access) == 7) {
			*insns = p;
			*n_insns = k;
			return 0;
		}
	}
	p[k++] = MOV_IMM(0, 1);
	p[k++] = EXIT();
	*insns = p;
	*n_insns = k;
	return 0;
}

static int load(const struct bpf_insn *p, size_t n, struct pith_error *err)
{
	static char log[4096];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = ptr_u64(p);
	a.insn_cnt = (uint32_t)n;
	a.license = ptr_u64("GPL");
	a.log_buf = ptr_u64(log);
	a.log_size = sizeof(log);
	a.log_level = 0;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno != ENOSYS && errno != EPERM) {
		/* Retry with the verifier log, to say why. */
		a.log_level = 1;
		log[0] = '\0';
		int e = errno;
		fd = sys_bpf(BPF_PROG_LOAD, &a);
		if (fd < 0)
			return pith_fail(err, e, "linux.resources.devices: loading the device eBPF program: %.200s", log);
	}
	if (fd < 0)
		return pith_fail(err, errno, "linux.resources.devices: loading the device eBPF program (cgroup v2 "
				 "device control needs CONFIG_BPF_SYSCALL and CONFIG_CGROUP_BPF)");
	return fd;
}

/* Programs attached to the leaf now, to detach after the new one is in. */
static int attached(int leaf, uint32_t *ids, uint32_t *cnt)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)leaf;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = ptr_u64(ids);
	a.query.prog_cnt = *cnt;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -errno;
	*cnt = a.query.prog_cnt;
	return 0;
}

static void detach(int leaf, uint32_t id)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	auto_fd fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)leaf;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	sys_bpf(BPF_PROG_DETACH, &a);
}

int cgroup_bpf_apply(int leaf, const struct spec_device_rule *rules, size_t n, bool replace, struct pith_error *err)
{
	auto_free struct bpf_insn *p = NULL;
	size_t np;
	if (cgroup_bpf_build(rules, n, &p, &np, err) < 0)
		return -1;
	uint32_t old[64], n_old = 64;
	if (!replace || attached(leaf, old, &n_old) < 0)
		n_old = 0;
	auto_fd prog = load(p, np, err);
	if (prog < 0)
		return -1;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)leaf;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return pith_fail(err, errno, "linux.resources.devices: attaching the device eBPF program to the cgroup");
	for (uint32_t i = 0; i < n_old && i < 64; i++)
		detach(leaf, old[i]);
	return 0;
}

/* ---------- the rule list ---------- */

static const struct spec_device_rule default_rules[] = {
	{ true, 'c', -1, -1, "m" },   /* mknod of any node; opening still needs a rule */
	{ true, 'b', -1, -1, "m" },
	{ true, 'c', 1, 3, "rwm" },   /* null */
	{ true, 'c', 1, 5, "rwm" },   /* zero */
	{ true, 'c', 1, 7, "rwm" },   /* full */
	{ true, 'c', 1, 8, "rwm" },   /* random */
	{ true, 'c', 1, 9, "rwm" },   /* urandom */
	{ true, 'c', 5, 0, "rwm" },   /* tty */
	{ true, 'c', 5, 1, "rwm" },   /* console */
	{ true, 'c', 5, 2, "rwm" },   /* ptmx */
	{ true, 'c', 136, -1, "rwm" },/* pts */
};

int cgroup_device_rules(const struct spec *spec, struct spec_device_rule **out, size_t *n, struct pith_error *err)
{
	const struct spec_resources *r = &spec->linux_.resources;
	size_t nd = sizeof(default_rules) / sizeof(default_rules[0]);
	size_t total = r->n_devices + nd + spec->linux_.n_devices;
	struct spec_device_rule *v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return pith_fail(err, ENOMEM, "device rules");
	size_t k = 0;
	for (size_t i = 0; i < r->n_devices; i++) {
		v[k] = r->devices[i];
		if (v[k].type == 'u')
			v[k].type = 'c';
		k++;
	}
	/* After the config's rules, so the devices every container gets and
	 * the nodes it asked for in linux.devices stay usable. */
	for (size_t i = 0; i < nd; i++)
		v[k++] = default_rules[i];
	for (size_t i = 0; i < spec->linux_.n_devices; i++) {
		const struct spec_device *d = &spec->linux_.devices[i];
		if (d->type == 'p')
			continue;
		v[k++] = (struct spec_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm" };
	}
	*out = v;
	*n = k;
	return 0;
}

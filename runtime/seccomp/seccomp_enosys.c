/* Layout of the stub, before the libseccomp program (which reloads what it
 * needs, so the stub may leave anything in A):
 *
 *	ld  arch
 *	per arch: jeq AUDIT_ARCH, 0, <next arch>
 *	          ld  nr
 *	          (x86_64 only) jset X32_BIT, <main>, 0
 *	          jgt MAX, <enosys>, <main>
 *	ja  <main>
 *	enosys: ret ERRNO(ENOSYS)
 *	main:   ... */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_enosys.h"

#define X32_SYSCALL_BIT 0x40000000u

bool seccomp_enosys_wanted(uint32_t act)
{
	if (act == SCMP_ACT_ALLOW || act == SCMP_ACT_LOG || act == SCMP_ACT_ERRNO(ENOSYS))
		return false;
	return true;
}

/* Highest number any name of the profile has on this arch; -1 if none. */
static int max_nr(const struct spec_seccomp *s, uint32_t arch)
{
	int max = -1;
	for (size_t i = 0; i < s->n_syscalls; i++)
		for (size_t k = 0; k < s->syscalls[i].names.n; k++) {
			int nr = seccomp_syscall_resolve_name_arch(arch, s->syscalls[i].names.v[k]);
			if (nr > max)
				max = nr;
		}
	return max;
}

struct stub {
	struct sock_filter insn[64];
	unsigned n;
	unsigned to_main[32];   /* instructions whose jt/jf must reach main */
	unsigned n_to_main;
};

static void emit(struct stub *st, struct sock_filter f)
{
	st->insn[st->n++] = f;
}

static void add_arch_block(struct stub *st, uint32_t arch, int max)
{
	bool x86_64 = arch == AUDIT_ARCH_X86_64;
	unsigned len = x86_64 ? 3 : 2;   /* instructions after the jeq */
	emit(st, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, (unsigned char)len));
	emit(st, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	if (x86_64) {
		st->to_main[st->n_to_main++] = st->n;
		emit(st, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 0, 0));
	}
	st->to_main[st->n_to_main++] = st->n;
	emit(st, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max, 0, 0));
}

/* Jumps: jgt's jt goes to the ENOSYS return, its jf and jset's jt to main. */
static void link_jumps(struct stub *st, unsigned enosys, unsigned main_at)
{
	for (unsigned i = 0; i < st->n_to_main; i++) {
		struct sock_filter *f = &st->insn[st->to_main[i]];
		unsigned next = st->to_main[i] + 1;
		if (BPF_OP(f->code) == BPF_JSET)
			f->jt = (unsigned char)(main_at - next);
		else {
			f->jt = (unsigned char)(enosys - next);
			f->jf = (unsigned char)(main_at - next);
		}
	}
}

int seccomp_enosys_prepend(const struct spec_seccomp *s, const uint32_t *arches, size_t n,
			   struct seccomp_program *p, struct pith_error *err)
{
	struct stub st = { .n = 0 };
	emit(&st, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	for (size_t i = 0; i < n && i < 12; i++) {
		if (arches[i] == SCMP_ARCH_X32)
			continue;
		int max = max_nr(s, arches[i]);
		if (max >= 0)
			add_arch_block(&st, arches[i], max);
	}
	if (st.n == 1)
		return 0;               /* the profile names nothing: nothing is "newer" */
	emit(&st, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA | BPF_K, 1, 0, 0));
	unsigned enosys = st.n;
	emit(&st, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
	link_jumps(&st, enosys, st.n);

	size_t total = (size_t)st.n + p->len;
	if (total > BPF_MAXINSNS)
		return pith_fail(err, 0, "linux.seccomp: the compiled filter has %zu instructions, "
				 "more than the kernel's limit of %d", total, BPF_MAXINSNS);
	struct sock_filter *f = malloc(total * sizeof(*f));
	if (!f)
		return pith_fail(err, ENOMEM, "seccomp: program buffer");
	memcpy(f, st.insn, st.n * sizeof(*f));
	memcpy(f + st.n, p->filter, (size_t)p->len * sizeof(*f));
	free(p->filter);
	p->filter = f;
	p->len = (unsigned short)total;
	return 0;
}

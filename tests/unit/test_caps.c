/* Capabilities: the parent's availability check (no root), and the init's
 * sequence in a forked child, observed through /proc/self/status (root). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/process/caps.h"

#define BIT(c) (1ULL << (c))

Test(caps, names_come_from_libcap_in_upper_case)
{
	char buf[48];
	cr_assert_str_eq(caps_name(CAP_SYS_ADMIN, buf, sizeof(buf)), "CAP_SYS_ADMIN");
	cr_assert_str_eq(caps_name(CAP_NET_BIND_SERVICE, buf, sizeof(buf)), "CAP_NET_BIND_SERVICE");
}

Test(caps, a_cap_outside_our_bounding_set_is_named)
{
	struct spec_capabilities c = { .bounding = BIT(CAP_KILL), .permitted = BIT(CAP_KILL) };
	struct pith_error err = { 0 };
	/* Find a cap this process cannot grant (CAP_SYS_RESOURCE on this machine,
	 * but don't assume it). */
	int missing = -1;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0) {
			missing = cap;
			break;
		}
	cr_assert_eq(caps_check_available(&c, &err), 0, "%s", err.msg);
	if (missing < 0)
		cr_skip_test("every capability is in this process's bounding set");
	char name[48], expect[256];
	caps_name(missing, name, sizeof(name));
	c.ambient = BIT(missing);
	cr_assert_lt(caps_check_available(&c, &err), 0);
	snprintf(expect, sizeof(expect),
		 "process.capabilities.ambient: %s is not available: not in pith's own bounding set", name);
	cr_assert_str_eq(err.msg, expect);
	c.ambient = 0;
	c.bounding |= BIT(missing);
	cr_assert_lt(caps_check_available(&c, &err), 0);
	snprintf(expect, sizeof(expect),
		 "process.capabilities.bounding: %s is not available: not in pith's own bounding set", name);
	cr_assert_str_eq(err.msg, expect);
}

Test(caps, effective_must_be_within_permitted)
{
	struct spec_capabilities c = { .bounding = BIT(CAP_KILL) | BIT(CAP_CHOWN),
				       .effective = BIT(CAP_KILL) | BIT(CAP_CHOWN),
				       .permitted = BIT(CAP_KILL) };
	struct pith_error err = { 0 };
	cr_assert_lt(caps_check_available(&c, &err), 0);
	cr_assert_str_eq(err.msg, "process.capabilities.effective: CAP_CHOWN is not in process.capabilities.permitted");
}

Test(caps, ambient_needs_permitted_and_inheritable)
{
	struct spec_capabilities c = { .permitted = BIT(CAP_KILL) | BIT(CAP_CHOWN),
				       .inheritable = BIT(CAP_KILL),
				       .ambient = BIT(CAP_KILL) | BIT(CAP_CHOWN) | BIT(CAP_FOWNER) };
	cr_assert_eq(caps_ambient_unraisable(&c), BIT(CAP_CHOWN) | BIT(CAP_FOWNER));
}

/* /proc/self/status lines of interest, as read in the child. */
struct status_caps {
	unsigned long long inh, prm, eff, bnd, amb;
};

static int read_status(struct status_caps *s)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	char line[256];
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "CapInh: %llx", &s->inh);
		found += sscanf(line, "CapPrm: %llx", &s->prm);
		found += sscanf(line, "CapEff: %llx", &s->eff);
		found += sscanf(line, "CapBnd: %llx", &s->bnd);
		found += sscanf(line, "CapAmb: %llx", &s->amb);
	}
	fclose(f);
	return found == 5 ? 0 : -1;
}

/* The init's order, in a child; returns what /proc says afterwards. */
static struct status_caps run_child(const struct spec_capabilities *c, uid_t uid)
{
	int pfd[2];
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct pith_error err;
		struct status_caps s;
		close(pfd[0]);
		if (caps_drop_bounding(c, &err) < 0)
			_exit(2);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(3);
		if (caps_apply(c, &err) < 0)
			_exit(4);
		if (read_status(&s) < 0)
			_exit(5);
		_exit(write(pfd[1], &s, sizeof(s)) == sizeof(s) ? 0 : 6);
	}
	close(pfd[1]);
	struct status_caps s;
	memset(&s, 0xff, sizeof(s));
	ssize_t n = read(pfd[0], &s, sizeof(s));
	close(pfd[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed at step %d",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	cr_assert_eq(n, (ssize_t)sizeof(s));
	return s;
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (capset, setresuid, PR_CAPBSET_DROP)");
}

Test(caps, non_root_user_keeps_exactly_what_the_config_grants)
{
	need_root();
	const uint64_t base = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	struct spec_capabilities c = { .bounding = base, .permitted = base, .effective = base,
				       .inheritable = base, .ambient = BIT(CAP_NET_BIND_SERVICE) };
	struct status_caps s = run_child(&c, 1000);
	cr_assert_eq(s.bnd, base, "CapBnd %llx", s.bnd);
	cr_assert_eq(s.prm, base, "CapPrm %llx", s.prm);
	cr_assert_eq(s.eff, base, "CapEff %llx", s.eff);
	cr_assert_eq(s.inh, base, "CapInh %llx", s.inh);
	cr_assert_eq(s.amb, BIT(CAP_NET_BIND_SERVICE), "CapAmb %llx", s.amb);
}

Test(caps, root_with_split_sets_and_an_unraisable_ambient_cap)
{
	need_root();
	struct spec_capabilities c = {
		.bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_SETUID),
		.permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL),
		.effective = BIT(CAP_KILL),
		.inheritable = 0,
		.ambient = BIT(CAP_KILL),   /* not inheritable: skipped, like crun */
	};
	struct status_caps s = run_child(&c, 0);
	cr_assert_eq(s.bnd, c.bounding, "CapBnd %llx", s.bnd);
	cr_assert_eq(s.prm, c.permitted, "CapPrm %llx", s.prm);
	cr_assert_eq(s.eff, c.effective, "CapEff %llx", s.eff);
	cr_assert_eq(s.inh, 0ULL, "CapInh %llx", s.inh);
	cr_assert_eq(s.amb, 0ULL, "CapAmb %llx", s.amb);
}

Test(caps, nothing_at_all)
{
	need_root();
	struct spec_capabilities c = { 0 };
	struct status_caps s = run_child(&c, 0);
	cr_assert_eq(s.bnd, 0ULL, "CapBnd %llx", s.bnd);
	cr_assert_eq(s.prm, 0ULL);
	cr_assert_eq(s.eff, 0ULL);
	cr_assert_eq(s.amb, 0ULL);
}

/* runtime/net.c against real namespaces (root). Each test unshares its own
 * network namespace to play the host, so the machine's real interfaces are
 * never touched, and makes the "container" namespace in a forked child.
 * Both die with the test process: nothing is left behind, even on failure. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runtime/net.h"

static pid_t ctr = -1;   /* holds the "container" namespace */
static int ctr_ns = -1;  /* its /proc/<pid>/ns/net */
static int ctr_release = -1;

static void private_host(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare: %s", strerror(errno));
}

/* A child in a new network namespace that lives until released. */
static void make_container_ns(void)
{
	int ready[2], release[2];
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(release, O_CLOEXEC), 0);
	ctr = fork();
	cr_assert_geq(ctr, 0);
	if (ctr == 0) {
		char c;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(release[1]);
		while (read(release[0], &c, 1) > 0)
			;
		_exit(0);
	}
	char c;
	close(ready[1]);
	close(release[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "container child failed");
	close(ready[0]);
	ctr_release = release[1];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ctr);
	ctr_ns = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(ctr_ns, 0);
}

static void end_container(void)
{
	if (ctr > 0) {
		close(ctr_release);
		waitpid(ctr, NULL, 0);
		ctr = -1;
	}
}

static void setup(void)
{
	private_host();
	make_container_ns();
}

TestSuite(net, .init = setup, .fini = end_container, .timeout = 30);

static void sh(const char *cmd)
{
	int st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "failed: %s", cmd);
}

/* Output of an `ip` command run inside the container's namespace. */
static const char *in_ctr(const char *ip_args)
{
	static char out[8192];
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip %s 2>&1", (int)ctr, ip_args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	return out;
}

static ino_t netns_ino(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	return st.st_ino;
}

Test(net, loopback_up_in_the_target_only)
{
	ino_t before = netns_ino("/proc/thread-self/ns/net");
	cr_assert(strstr(in_ctr("-o link show lo"), "state DOWN"));
	struct pith_error err = { 0 };
	cr_assert_eq(net_loopback_up(ctr_ns, &err), 0, "%s: %s", err.msg, strerror(err.errnum));

	const char *lo = in_ctr("-o link show lo");
	cr_assert(strstr(lo, ",UP,") && strstr(lo, "LOWER_UP"), "lo in the container: %s", lo);
	/* the caller is back in its own namespace, whose lo was not touched */
	cr_assert_eq(netns_ino("/proc/thread-self/ns/net"), before);
	FILE *p = popen("ip -o link show lo", "r");
	char host_lo[1024] = { 0 };
	cr_assert_gt(fread(host_lo, 1, sizeof(host_lo) - 1, p), 0);
	pclose(p);
	cr_assert(strstr(host_lo, "state DOWN"), "host lo changed: %s", host_lo);
	/* and it answers: loopback works inside */
	cr_assert(strstr(in_ctr("-o addr show lo"), "inet 127.0.0.1/8"));
}

Test(net, loopback_bad_fd)
{
	struct pith_error err = { 0 };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_lt(net_loopback_up(null, &err), 0);
	cr_assert_str_eq(err.msg, "network namespace: enter");
	cr_assert_eq(err.errnum, EINVAL);
}

static void veth_with_addresses(void)
{
	sh("ip link add pt-a type veth peer name pt-b");
	sh("ip addr add 10.77.0.2/24 brd + dev pt-a");
	sh("ip addr add fd00:77::2/64 dev pt-a nodad");
	sh("ip addr add 10.88.0.9/16 dev pt-a valid_lft 300 preferred_lft 300"); /* dynamic */
	sh("ip addr add 169.254.5.5/16 scope link dev pt-a");                   /* link scope */
	sh("ip link set pt-a up");
}

Test(net, move_rename_keep_addresses_and_up)
{
	veth_with_addresses();
	struct spec_net_device d = { .host_name = "pt-a", .name = "eth7" };
	struct pith_error err = { 0 };
	cr_assert_eq(net_move_devices(&d, 1, ctr_ns, &err), 0, "%s: %s", err.msg, strerror(err.errnum));

	const char *link = in_ctr("-o link show eth7");
	cr_assert(strstr(link, "eth7@") && strstr(link, ",UP"), "eth7 in the container: %s", link);
	const char *addr = in_ctr("-o addr show dev eth7");
	cr_assert(strstr(addr, "inet 10.77.0.2/24 brd 10.77.0.255 scope global eth7"), "%s", addr);
	cr_assert(strstr(addr, "inet6 fd00:77::2/64 scope global"), "%s", addr);
	cr_assert_null(strstr(addr, "10.88.0.9"), "a dynamic address was copied: %s", addr);
	cr_assert_null(strstr(addr, "169.254.5.5"), "a link-scope address was copied: %s", addr);
	cr_assert_null(strstr(in_ctr("-o link show"), "pt-a"));
	/* gone from the host */
	cr_assert_neq(system("ip link show pt-a >/dev/null 2>&1"), 0);
}

Test(net, name_absent_keeps_the_host_name)
{
	veth_with_addresses();
	struct spec_net_device d = { .host_name = "pt-a", .name = NULL };
	struct pith_error err = { 0 };
	cr_assert_eq(net_move_devices(&d, 1, ctr_ns, &err), 0, "%s: %s", err.msg, strerror(err.errnum));
	cr_assert(strstr(in_ctr("-o addr show dev pt-a"), "inet 10.77.0.2/24"));
}

/* Both ends of a pair, each taking the other's name: the second move lands
 * on a name already used inside, which only works because the new name
 * travels with the move. */
Test(net, swapped_names)
{
	veth_with_addresses();
	sh("ip addr add 10.99.0.1/24 dev pt-b");
	struct spec_net_device d[2] = { { "pt-a", "pt-b" }, { "pt-b", "pt-a" } };
	struct pith_error err = { 0 };
	cr_assert_eq(net_move_devices(d, 2, ctr_ns, &err), 0, "%s: %s", err.msg, strerror(err.errnum));
	cr_assert(strstr(in_ctr("-o addr show dev pt-b"), "inet 10.77.0.2/24"));
	cr_assert(strstr(in_ctr("-o addr show dev pt-a"), "inet 10.99.0.1/24"));
	/* the pair still talks: each end sees the other as its peer */
	cr_assert(strstr(in_ctr("-o link show pt-a"), "pt-a@pt-b"));
}

Test(net, missing_device)
{
	struct spec_net_device d = { .host_name = "eth9", .name = "eth0" };
	struct pith_error err = { 0 };
	cr_assert_lt(net_move_devices(&d, 1, ctr_ns, &err), 0);
	cr_assert_str_eq(err.msg, "linux.netDevices: \"eth9\": no such network interface");
	cr_assert_eq(err.errnum, 0);
}

/* A name taken inside (lo): refused before anything changes, since the
 * kernel would move the device and only then fail the rename. The device
 * stays on the host, up, with its addresses. */
Test(net, target_name_taken)
{
	veth_with_addresses();
	struct spec_net_device d = { .host_name = "pt-a", .name = "lo" };
	struct pith_error err = { 0 };
	char text[1200];
	cr_assert_lt(net_move_devices(&d, 1, ctr_ns, &err), 0);
	cr_assert_str_eq(pith_error_text(&err, text, sizeof(text)),
			 "linux.netDevices: \"pt-a\": \"lo\" already exists in the container's network namespace");
	cr_assert_eq(system("ip -o addr show dev pt-a | grep -q 'inet 10.77.0.2/24'"), 0);
	cr_assert_eq(system("ip -o link show pt-a | grep -q ',UP'"), 0);
	cr_assert_null(strstr(in_ctr("-o link"), "pt-a"));
}

Test(net, empty_list_needs_no_namespace)
{
	struct pith_error err = { 0 };
	cr_assert_eq(net_move_devices(NULL, 0, -1, &err), 0);
}

/* The process environment as runc builds it: process.env merged (a NAME once,
 * its last value), HOME from the container's own /etc/passwd, exec --user
 * names, groups and ranges, exec -e overriding, exec -t adding nothing, hook env.
 * Where runc is installed (tests/deps.sh installs it) its output for the same
 * bundle is the expectation; fixed values written from runc's behaviour back it up. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"app:x:1000:1001:app user:/home/app:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\napps:x:1001:\nstaff:x:2002:app\n";

/* A bundle whose rootfs is a private copy of the fixture with our passwd/group. */
static void env_bundle(struct bundle *b, const char *name)
{
	h_bundle_init(b, name);
	char cmd[1024], path[512];
	snprintf(cmd, sizeof(cmd), "cp -a %s/fixtures/rootfs %s/rootfs", h_build_dir(), b->dir);
	cr_assert_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/rootfs/etc/passwd", b->dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(passwd, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/rootfs/etc/group", b->dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(group, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/rootfs", b->dir);
	json_object_set_new(b->config, "root", json_pack("{s:s,s:b}", "path", path, "readonly", 1));
}

static void set_user(struct bundle *b, unsigned uid, unsigned gid)
{
	json_t *proc = json_object_get(b->config, "process");
	json_object_set_new(proc, "user", json_pack("{s:i,s:i}", "uid", uid, "gid", gid));
}

static void set_env(struct bundle *b, const char *var, ...)
{
	json_t *env = json_array();
	va_list ap;
	va_start(ap, var);
	for (const char *v = var; v; v = va_arg(ap, const char *))
		json_array_append_new(env, json_string(v));
	va_end(ap);
	json_object_set_new(json_object_get(b->config, "process"), "env", env);
}

static const char *runc_path(void)
{
	return access("/usr/sbin/runc", X_OK) == 0 ? "/usr/sbin/runc"
	     : access("/usr/bin/runc", X_OK) == 0 ? "/usr/bin/runc" : NULL;
}

static bool have_runc(void)
{
	return runc_path() != NULL;
}

/* runc run of the same bundle under its own state root, in a cgroup v1 view. */
static char *runc_run(struct bundle *b)
{
	char id[160], dir[300];
	snprintf(id, sizeof(id), "%s-runc", b->id);
	snprintf(dir, sizeof(dir), "%s", b->dir);
	char *argv[] = { (char *)runc_path(), "--root", "/run/pith-test-runc", "run", "--bundle", dir, id, NULL };
	struct run_result r = h_run(argv, 30);
	cr_assert_eq(r.status, 0, "runc run: %s", r.err);
	char *out = r.out;
	r.out = NULL;
	h_result_free(&r);
	return out;
}

static char *pith_run(struct bundle *b)
{
	struct run_result r = h_pith("run", "--bundle", b->dir, b->id, NULL);
	cr_assert_eq(r.status, 0, "pith run: %s", r.err);
	char *out = r.out;
	r.out = NULL;
	h_result_free(&r);
	return out;
}

static void expect_home(unsigned uid, const char *config_home, const char *want)
{
	struct bundle b;
	char name[64];
	snprintf(name, sizeof(name), "home%u%s", uid, config_home ? "set" : "");
	env_bundle(&b, name);
	set_user(&b, uid, 0);
	if (config_home)
		set_env(&b, "PATH=/bin:/usr/bin", config_home, NULL);
	else
		set_env(&b, "PATH=/bin:/usr/bin", NULL);
	h_bundle_set_args(&b, "sh", "-c", "echo \"HOME=${HOME-unset}\"", NULL);
	h_bundle_write(&b);
	char *ours = pith_run(&b);
	cr_expect_str_eq(ours, want, "uid %u", uid);
	if (have_runc()) {
		char *theirs = runc_run(&b);
		cr_expect_str_eq(ours, theirs, "pith and runc differ for uid %u", uid);
		free(theirs);
	}
	free(ours);
	h_bundle_cleanup(&b);
}

Test(env, home_from_the_containers_passwd)
{
	expect_home(0, NULL, "HOME=/root\n");
	expect_home(1000, NULL, "HOME=/home/app\n");
}

Test(env, home_is_slash_without_a_passwd_entry)
{
	expect_home(4242, NULL, "HOME=/\n");
}

Test(env, home_from_the_config_wins)
{
	expect_home(1000, "HOME=/custom", "HOME=/custom\n");
}

/* runc 1.1 sets process.env one by one in its init: a NAME given twice is
 * there once, at its first place with its last value, and an empty HOME is
 * replaced by the user's. Pinned here, and compared with runc where it runs. */
static const char *const dup_env[] = { "A=1", "PATH=/bin", "A=2", "HOME=/x", "HOME=", NULL };

static void env_bundle_dups(struct bundle *b, const char *name)
{
	env_bundle(b, name);
	set_env(b, dup_env[0], dup_env[1], dup_env[2], dup_env[3], dup_env[4], NULL);
}

Test(env, a_name_given_twice_is_there_once_and_empty_home_is_replaced)
{
	struct bundle b;
	env_bundle_dups(&b, "envdups");
	set_user(&b, 1000, 1001);
	h_bundle_set_args(&b, "/bin/env", NULL);
	h_bundle_write(&b);
	char *ours = pith_run(&b);
	cr_expect_str_eq(ours, "A=2\nPATH=/bin\nHOME=/home/app\n");
	if (have_runc()) {
		char *theirs = runc_run(&b);
		cr_expect_str_eq(ours, theirs, "pith and runc differ");
		free(theirs);
	}
	free(ours);
	h_bundle_cleanup(&b);
}

static struct run_result exec_in(struct bundle *b, const char *a1, const char *a2, const char *script)
{
	if (a1)
		return h_pith("exec", a1, a2, b->id, "sh", "-c", script, NULL);
	return h_pith("exec", b->id, "sh", "-c", script, NULL);
}

static void start_sleeper(struct bundle *b, const char *name)
{
	env_bundle(b, name);
	set_env(b, "PATH=/bin:/usr/bin", "TERM=xterm", NULL);
	h_bundle_set_args(b, "sleep", "100", NULL);
	h_bundle_write(b);
	struct run_result r = h_pith("run", "-d", "--bundle", b->dir, b->id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
}

Test(env, exec_user_gets_home_ids_and_names)
{
	struct bundle b;
	start_sleeper(&b, "execuser");
	static const struct { const char *user, *want; } cases[] = {
		{ "1000", "/home/app 1000 0\n" },      /* runc: the config's gid stays */
		{ "1000:1001", "/home/app 1000 1001\n" },
		{ "app", "/home/app 1000 1001\n" },    /* gid from the passwd entry */
		{ "app:staff", "/home/app 1000 2002\n" },
		{ "4242:7", "/ 4242 7\n" },
		{ "0", "/root 0 0\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r = exec_in(&b, "--user", cases[i].user, "echo $HOME $(id -u) $(id -g)");
		cr_expect_eq(r.status, 0, "--user %s: %s", cases[i].user, r.err);
		cr_expect_str_eq(r.out, cases[i].want, "--user %s", cases[i].user);
		h_result_free(&r);
	}
	/* a name alone: the groups listing it too (staff lists app), as runc's user lookup */
	struct run_result r = exec_in(&b, "--user", "app", "id -G");
	cr_expect_str_eq(r.out, "1001 2002\n", "--user app: %s", r.err);
	h_result_free(&r);
	r = exec_in(&b, "--user", "app:apps", "id -G");
	cr_expect_str_eq(r.out, "1001\n", "--user app:apps: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

Test(env, exec_user_out_of_range_or_unknown_is_refused)
{
	struct bundle b;
	start_sleeper(&b, "execrange");
	static const char *const bad[] = { "4294967296", "-1", "4294967295", "0:4294967296",
					   "0:-1", "nosuchuser", "0:nosuchgroup", "", "1:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r = exec_in(&b, "--user", bad[i], "id -u");
		cr_expect_neq(r.status, 0, "--user \"%s\" ran as uid %s", bad[i], r.out);
		cr_expect(r.out && !*r.out, "--user \"%s\" printed %s", bad[i], r.out);
		cr_expect(r.err && strstr(r.err, "--user"), "--user \"%s\": error %s", bad[i], r.err);
		h_result_free(&r);
	}
	h_bundle_cleanup(&b);
}

Test(env, exec_env_overrides_and_adds)
{
	struct bundle b;
	start_sleeper(&b, "execenv");
	struct run_result r = h_pith("exec", "-e", "TERM=dumb", "-e", "NEW=1", "-e", "NEW=2", b.id,
				     "sh", "-c", "echo $TERM $NEW; env | grep -c ^TERM=", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "dumb 2\n1\n");
	h_result_free(&r);
	r = exec_in(&b, NULL, NULL, "echo $HOME");
	cr_expect_str_eq(r.out, "/root\n", "exec without --user: %s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* exec's process is the container's process with other args: the same
 * environment as run builds from the same config, -e applied last. */
Test(env, exec_gets_the_environment_run_gives)
{
	struct bundle b;
	env_bundle_dups(&b, "execsame");
	set_user(&b, 1000, 1001);
	h_bundle_set_args(&b, "/bin/env", NULL);
	h_bundle_write(&b);
	char *run_env = pith_run(&b);
	h_bundle_cleanup(&b);

	env_bundle_dups(&b, "execsame2");
	set_user(&b, 1000, 1001);
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "-d", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	r = h_pith("exec", b.id, "/bin/env", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, run_env, "exec and run differ");
	h_result_free(&r);
	/* -e HOME= empties it again: replaced from passwd; -e A=3 wins over A=2 */
	r = h_pith("exec", "-e", "HOME=", "-e", "A=3", "-e", "B=1", b.id, "/bin/env", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "A=3\nPATH=/bin\nHOME=/home/app\nB=1\n");
	h_result_free(&r);
	free(run_env);
	h_bundle_cleanup(&b);
}

/* exec --process: the file's process gets HOME from its own user's entry
 * and the same merge; runc's exec --process goes through the same init. */
Test(env, exec_process_file_gets_home_for_its_user)
{
	struct bundle b;
	start_sleeper(&b, "execprocfile");
	char path[400];
	snprintf(path, sizeof(path), "%s/process.json", b.dir);
	json_t *proc = json_pack("{s:{s:i,s:i},s:[s],s:[sss],s:s}", "user", "uid", 1000, "gid", 1001,
				 "args", "/bin/env", "env", "PATH=/bin", "HOME=", "X=1", "cwd", "/");
	cr_assert_eq(json_dump_file(proc, path, 0), 0);
	json_decref(proc);
	struct run_result r = h_pith("exec", "--process", path, b.id, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "PATH=/bin\nHOME=/home/app\nX=1\n");
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

/* runc exec in a runc-run copy of the container: the same exec, compared. */
struct runc_container {
	char id[160];
};

static bool runc_start(struct bundle *b, struct runc_container *c)
{
	if (!have_runc())
		return false;
	snprintf(c->id, sizeof(c->id), "%s-runc", b->id);
	char cmd[1024];
	/* detached with its stdio on /dev/null: the sleeper must not hold our pipes */
	snprintf(cmd, sizeof(cmd), "%s --root /run/pith-test-runc run -d --bundle %s %s </dev/null >/dev/null 2>&1",
		 runc_path(), b->dir, c->id);
	cr_assert_eq(system(cmd), 0, "runc run -d");
	return true;
}

static struct run_result runc_exec(struct runc_container *c, const char *a1, const char *a2, const char *a3,
				   const char *a4)
{
	char *argv[12] = { (char *)runc_path(), "--root", "/run/pith-test-runc", "exec" };
	size_t n = 4;
	const char *opt[] = { a1, a2, a3, a4 };
	for (size_t i = 0; i < 4 && opt[i]; i++)
		argv[n++] = (char *)opt[i];
	argv[n++] = c->id;
	argv[n++] = "/bin/env";
	return h_run(argv, 30);
}

static void runc_remove(struct runc_container *c)
{
	char *argv[] = { (char *)runc_path(), "--root", "/run/pith-test-runc", "delete", "--force", c->id, NULL };
	struct run_result r = h_run(argv, 30);
	cr_expect_eq(r.status, 0, "runc delete --force: %s", r.err);
	h_result_free(&r);
}

/* exec against runc exec of the same container: plain, numeric --user, -e. */
Test(env, exec_environment_matches_runc_exec)
{
	if (!have_runc())
		cr_skip_test("runc is not installed (tests/deps.sh installs it)");
	struct bundle b;
	env_bundle_dups(&b, "execvsrunc");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "-d", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	struct runc_container c;
	runc_start(&b, &c);
	static const char *const cases[][4] = {
		{ NULL },
		{ "--user", "1000:1001", NULL },
		{ "--user", "4242:7", NULL },
		{ "-e", "HOME=", "-e", "A=3" },
		{ "-e", "B=1", "--user", "1000:1001" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *o = cases[i];
		struct run_result ours = o[0] ? o[2] ? h_pith("exec", o[0], o[1], o[2], o[3], b.id, "/bin/env", NULL)
					       : h_pith("exec", o[0], o[1], b.id, "/bin/env", NULL)
					       : h_pith("exec", b.id, "/bin/env", NULL);
		struct run_result theirs = runc_exec(&c, o[0], o[1], o[2], o[3]);
		cr_expect_eq(ours.status, 0, "case %zu: %s", i, ours.err);
		cr_expect_eq(theirs.status, 0, "case %zu, runc: %s", i, theirs.err);
		cr_expect_str_eq(ours.out, theirs.out, "case %zu: pith and runc differ", i);
		h_result_free(&ours);
		h_result_free(&theirs);
	}
	runc_remove(&c);
	h_bundle_cleanup(&b);
}

/* A listening console socket at path; the fd. */
static int console_listen(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	cr_assert(fd >= 0 && strlen(path) < sizeof(addr.sun_path));
	strcpy(addr.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

/* Everything the pty master (received on the socket) gives until it closes. */
static char *read_console(int listen_fd)
{
	int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(conn, 0);
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	cr_assert_gt(recvmsg(conn, &msg, MSG_CMSG_CLOEXEC), 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	cr_assert(c && c->cmsg_type == SCM_RIGHTS);
	int master;
	memcpy(&master, CMSG_DATA(c), sizeof(int));
	static char out[4096];
	size_t len = 0;
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	while (len < sizeof(out) - 1 && poll(&pfd, 1, 3000) > 0) {
		ssize_t n = read(master, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(master);
	close(conn);
	return out;
}

/* runc's exec -t only sets process.terminal (exec.go getProcess): no TERM is
 * added (Docker's daemon puts TERM=xterm in the process itself). So exec -t
 * gets exactly the environment exec without -t gets. */
Test(env, exec_tty_adds_nothing_to_the_environment)
{
	struct bundle b;
	env_bundle_dups(&b, "exectty");
	h_bundle_set_args(&b, "sleep", "100", NULL);
	h_bundle_write(&b);
	struct run_result r = h_pith("run", "-d", "--bundle", b.dir, b.id, NULL);
	cr_assert_eq(r.status, 0, "run -d: %s", r.err);
	h_result_free(&r);
	char sock[300];
	snprintf(sock, sizeof(sock), "%s/console.sock", b.dir);
	int lfd = console_listen(sock);
	r = h_pith("exec", "-t", "-d", "--console-socket", sock, b.id, "/bin/env", NULL);
	cr_expect_eq(r.status, 0, "exec -t: %s", r.err);
	h_result_free(&r);
	/* the pty turns \n into \r\n */
	cr_expect_str_eq(read_console(lfd), "A=2\r\nPATH=/bin\r\nHOME=/root\r\n");
	close(lfd);
	h_bundle_cleanup(&b);
}

Test(env, exec_env_without_a_name_or_value_is_refused)
{
	struct bundle b;
	start_sleeper(&b, "execbadenv");
	static const char *const bad[] = { "FOO", "=x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r = h_pith("exec", "-e", bad[i], b.id, "echo", "ran", NULL);
		cr_expect_neq(r.status, 0, "-e \"%s\" was accepted", bad[i]);
		cr_expect(r.out && !*r.out, "-e \"%s\" ran: %s", bad[i], r.out);
		cr_expect(r.err && strstr(r.err, "--env"), "-e \"%s\": %s", bad[i], r.err);
		h_result_free(&r);
	}
	h_bundle_cleanup(&b);
}

/* A createRuntime hook writing what it sees of the environment to out. */
static void add_env_hook(struct bundle *b, const char *out, json_t *env)
{
	char script[700];
	snprintf(script, sizeof(script),
		 "echo \"${PITH_TEST_HOOK_ENV-unset} ${A-unset}\" > %s", out);
	json_t *hook = json_pack("{s:s,s:[sss]}", "path", "/bin/sh", "args", "sh", "-c", script);
	if (env)
		json_object_set_new(hook, "env", env);
	json_object_set_new(b->config, "hooks", json_pack("{s:[o]}", "createRuntime", hook));
}

static char *hook_sees(const char *name, json_t *env)
{
	struct bundle b;
	h_bundle_init(&b, name);
	char out[400];
	snprintf(out, sizeof(out), "%s/hook.out", b.dir);
	add_env_hook(&b, out, env);
	h_bundle_set_args(&b, "true", NULL);
	h_bundle_write(&b);
	setenv("PITH_TEST_HOOK_ENV", "inherited", 1);
	struct run_result r = h_pith("run", "--bundle", b.dir, b.id, NULL);
	unsetenv("PITH_TEST_HOOK_ENV");
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	h_result_free(&r);
	char *seen = h_read_file(out);
	h_bundle_cleanup(&b);
	return seen;
}

Test(env, hook_without_env_gets_the_runtimes_environment)
{
	char *seen = hook_sees("hookenv", NULL);
	cr_expect_str_eq(seen ? seen : "(no output)", "inherited unset\n");
	free(seen);
}

Test(env, hook_with_env_gets_exactly_that_list)
{
	char *seen = hook_sees("hookenvset", json_pack("[s]", "A=1"));
	cr_expect_str_eq(seen ? seen : "(no output)", "unset 1\n");
	free(seen);
}

Test(env, hook_with_an_empty_env_list_gets_an_empty_environment)
{
	char *seen = hook_sees("hookenvempty", json_array());
	cr_expect_str_eq(seen ? seen : "(no output)", "unset unset\n");
	free(seen);
}

Test(env, exec_preserve_fds_must_be_a_count)
{
	struct bundle b;
	start_sleeper(&b, "execpfds");
	static const char *const bad[] = { "-1", "-3", "abc", "3x", "99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run_result r = h_pith("exec", "--preserve-fds", bad[i], b.id, "true", NULL);
		cr_expect_neq(r.status, 0, "--preserve-fds %s was accepted", bad[i]);
		cr_expect(strstr(r.err, "--preserve-fds"), "error: %s", r.err);
		h_result_free(&r);
	}
	struct run_result r = h_pith("exec", "--preserve-fds", "0", b.id, "true", NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	h_result_free(&r);
	h_bundle_cleanup(&b);
}

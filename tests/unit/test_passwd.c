/* The passwd/group lookups, the exec --user parser and the environment merge,
 * against a root made here. Expectations are runc's (libcontainer/user's
 * GetExecUser and the init's environment handling), written out by hand. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/process/passwd.h"
#include "../../runtime/process/process.h"
#include "lib_temp_root.h"

static int root_fd = -1;

static void make_root(void)
{
	root_fd = temp_root_make();
	temp_root_put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
				    "broken line\n"
				    "bad:x:notanumber:1:bad:/bad:/bin/sh\n"
				    "app:x:1000:1001:app user:/home/app:/bin/sh\n"
				    "twin:x:1000:7:second entry of uid 1000:/twin:/bin/sh\n"
				    "nohome:x:1002:1002::\n");
	temp_root_put("etc/group", "root:x:0:\napps:x:1001:\nstaff:x:2002:app\nhuge:x:4294967296:app\n"
				   "multi:x:3003:other,app,more\nnear:x:3004:apps,application\n");
}

TestSuite(passwd, .init = make_root, .fini = temp_root_remove);

Test(passwd, ids_are_decimal_below_uint32_max)
{
	uint32_t id = 7;
	cr_expect_eq(passwd_parse_id("0", &id), 0);
	cr_expect_eq(id, 0);
	cr_expect_eq(passwd_parse_id("4294967294", &id), 0);
	cr_expect_eq(id, 4294967294u);
	/* (uid_t)-1 is "leave unchanged" to setresuid: never a user */
	cr_expect_eq(passwd_parse_id("4294967295", &id), -ERANGE);
	cr_expect_eq(passwd_parse_id("4294967296", &id), -ERANGE);
	cr_expect_eq(passwd_parse_id("99999999999999999999999", &id), -ERANGE);
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "0x10", "1a", "app" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(passwd_parse_id(bad[i], &id), -EINVAL, "\"%s\"", bad[i]);
	cr_expect_eq(id, 4294967294u, "a refused id left the output alone");
}

Test(passwd, users_by_uid_take_the_first_entry)
{
	struct pith_error err = { 0 };
	struct passwd_user pw;
	cr_assert_eq(passwd_find_user(root_fd, NULL, 1000, &pw, &err), 1);
	cr_expect_eq(pw.uid, 1000);
	cr_expect_eq(pw.gid, 1001);
	cr_expect_str_eq(pw.home, "/home/app");
	cr_assert_eq(passwd_find_user(root_fd, "twin", 0, &pw, &err), 1);
	cr_expect_str_eq(pw.home, "/twin");
	cr_assert_eq(passwd_find_user(root_fd, NULL, 1002, &pw, &err), 1);
	cr_expect_str_eq(pw.home, "");
	cr_expect_eq(passwd_find_user(root_fd, NULL, 4242, &pw, &err), 0);
	cr_expect_eq(passwd_find_user(root_fd, "bad", 0, &pw, &err), 0, "a line with a bad uid is skipped");
	cr_expect_eq(passwd_find_user(root_fd, "broken line", 0, &pw, &err), 0);
}

Test(passwd, groups_by_name)
{
	struct pith_error err = { 0 };
	uint32_t gid = 0;
	cr_expect_eq(passwd_find_group(root_fd, "staff", &gid, &err), 1);
	cr_expect_eq(gid, 2002);
	cr_expect_eq(passwd_find_group(root_fd, "nosuch", &gid, &err), 0);
	cr_expect_eq(passwd_find_group(root_fd, "huge", &gid, &err), 0, "gid out of range is no group");
}

Test(passwd, a_symlinked_passwd_stays_inside_the_root)
{
	/* an absolute link is the image's /etc/passwd.real, never the host's */
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/passwd", temp_root_path());
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(symlink("/etc/passwd.real", p), 0);
	temp_root_put("etc/passwd.real", "inside:x:0:0::/inside:/bin/sh\n");
	struct pith_error err = { 0 };
	struct passwd_user pw;
	cr_assert_eq(passwd_find_user(root_fd, NULL, 0, &pw, &err), 1);
	cr_expect_str_eq(pw.home, "/inside");
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(symlink("../../../../../../etc/nonexistent-in-root", p), 0);
	cr_expect_eq(passwd_find_user(root_fd, NULL, 0, &pw, &err), 0, "a dangling link is no file");
}

Test(passwd, a_fifo_or_directory_is_refused_not_read)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/passwd", temp_root_path());
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkfifo(p, 0644), 0);
	struct pith_error err = { 0 };
	struct passwd_user pw;
	cr_expect_lt(passwd_find_user(root_fd, NULL, 0, &pw, &err), 0, "a FIFO would block init");
	cr_expect(strstr(err.msg, "/etc/passwd"), "error names the file: %s", err.msg);
}

Test(passwd, no_passwd_file_is_no_entry)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/etc/passwd", temp_root_path());
	cr_assert_eq(unlink(p), 0);
	struct pith_error err = { 0 };
	struct passwd_user pw;
	cr_expect_eq(passwd_find_user(root_fd, NULL, 0, &pw, &err), 0);
}

struct spec_case {
	const char *spec;
	uint32_t uid, gid;
};

Test(passwd, user_specs_resolve_as_runc_does)
{
	static const struct spec_case cases[] = {
		{ "1000", 1000, 5 },      /* numeric user only: the process's gid stays */
		{ "1000:1001", 1000, 1001 },
		{ "app", 1000, 1001 },    /* a name: its entry's gid */
		{ "app:staff", 1000, 2002 },
		{ "app:9", 1000, 9 },
		{ "4242:7", 4242, 7 },    /* numeric ids need no entry */
		{ "0:apps", 0, 1001 },
		{ "4294967294:4294967294", 4294967294u, 4294967294u },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec_user u = { .uid = 3, .gid = 5 };
		struct pith_error err = { 0 };
		cr_expect_eq(passwd_resolve_user_spec_at(root_fd, cases[i].spec, &u, &err), 0, "%s: %s",
			     cases[i].spec, err.msg);
		cr_expect_eq(u.uid, cases[i].uid, "%s: uid %u", cases[i].spec, u.uid);
		cr_expect_eq(u.gid, cases[i].gid, "%s: gid %u", cases[i].spec, u.gid);
	}
}

Test(passwd, a_name_alone_adds_the_groups_that_list_it)
{
	uint32_t config_gids[] = { 77 };
	struct spec_user u = { .uid = 3, .gid = 5, .additional_gids = config_gids, .n_additional_gids = 1 };
	struct pith_error err = { 0 };
	cr_assert_eq(passwd_resolve_user_spec_at(root_fd, "app", &u, &err), 0, "%s", err.msg);
	/* the config's first, then staff and multi; huge's gid is out of range, near only looks alike */
	cr_assert_eq(u.n_additional_gids, 3);
	cr_expect_eq(u.additional_gids[0], 77);
	cr_expect_eq(u.additional_gids[1], 2002);
	cr_expect_eq(u.additional_gids[2], 3003);
	cr_expect_eq(config_gids[0], 77, "the config's array is left alone");
	free(u.additional_gids);
	/* explicit GROUP or a numeric user: runc adds nothing */
	static const char *const none[] = { "app:apps", "1000", "1000:1001" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		struct spec_user v = { .additional_gids = config_gids, .n_additional_gids = 1 };
		cr_assert_eq(passwd_resolve_user_spec_at(root_fd, none[i], &v, &err), 0, "%s", err.msg);
		cr_expect(v.n_additional_gids == 1 && v.additional_gids == config_gids, "%s", none[i]);
	}
}

Test(passwd, bad_user_specs_are_refused_and_change_nothing)
{
	static const char *const bad[] = { "4294967296", "4294967295", "-1", "0:-1", "0:4294967296",
					   "nosuchuser", "0:nosuchgroup", "", ":", "1:", ":1", "0:huge" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec_user u = { .uid = 3, .gid = 5 };
		struct pith_error err = { 0 };
		cr_expect_lt(passwd_resolve_user_spec_at(root_fd, bad[i], &u, &err), 0, "\"%s\" accepted", bad[i]);
		cr_expect(strstr(err.msg, "--user"), "\"%s\": %s", bad[i], err.msg);
		cr_expect(u.uid == 3 && u.gid == 5, "\"%s\" changed the ids to %u:%u", bad[i], u.uid, u.gid);
	}
}

static void expect_env(const struct spec_process *p, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	cr_assert_eq(p->env.n, n, "%zu variables, want %zu", p->env.n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(p->env.v[i], want[i], "variable %zu", i);
	cr_expect_null(p->env.v[n], "NULL-terminated for execve");
}

Test(passwd, env_merge_keeps_a_name_once_with_its_last_value)
{
	const char *env[] = { "A=1", "PATH=/bin", "A=2", "AB=3" };
	const char *extra[] = { "B=1", "A=4", "A" "B=5" };
	struct spec_process p = { 0 };
	p.env.v = process_env_merge(env, 4, extra, 3, &p.env.n);
	cr_assert_not_null(p.env.v);
	expect_env(&p, (const char *const[]){ "A=4", "PATH=/bin", "AB=5", "B=1", NULL });
	cr_expect_str_eq(process_env_get(&p, "A"), "4");
	cr_expect_null(process_env_get(&p, "PAT"));
	free(p.env.v);
}

static void home_for(uint32_t uid, const char **env, size_t n, const char *const *want)
{
	struct spec_process p = { 0 };
	p.user.uid = uid;
	p.env.v = env;
	p.env.n = n;
	struct pith_error err = { 0 };
	cr_assert_eq(passwd_set_home_at(root_fd, &p, &err), 0, "%s", err.msg);
	expect_env(&p, want);
	free((char *)process_env_get(&p, "HOME") - 5);
	free(p.env.v);
}

Test(passwd, home_as_runc_sets_it)
{
	const char *path[] = { "PATH=/bin" };
	home_for(0, path, 1, (const char *const[]){ "PATH=/bin", "HOME=/root", NULL });
	home_for(1000, path, 1, (const char *const[]){ "PATH=/bin", "HOME=/home/app", NULL });
	/* runc's default home when the uid has no entry */
	home_for(4242, path, 1, (const char *const[]){ "PATH=/bin", "HOME=/", NULL });
	/* an empty HOME is none: replaced where it stands */
	const char *empty[] = { "HOME=/x", "PATH=/bin", "HOME=" };
	home_for(0, empty, 3, (const char *const[]){ "HOME=/root", "PATH=/bin", NULL });
	home_for(1002, path, 1, (const char *const[]){ "PATH=/bin", "HOME=", NULL });
}

Test(passwd, home_set_in_the_config_wins)
{
	const char *env[] = { "HOME=/custom", "A=1", "A=2" };
	struct spec_process p = { 0 };
	p.env.v = env;
	p.env.n = 3;
	struct pith_error err = { 0 };
	cr_assert_eq(passwd_set_home_at(root_fd, &p, &err), 0, "%s", err.msg);
	expect_env(&p, (const char *const[]){ "HOME=/custom", "A=2", NULL });
	free(p.env.v);
}

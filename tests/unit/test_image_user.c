/* The image config's User for `pith-image bundle`, through the image's own /etc/passwd and
 * /etc/group. Expectations are Docker's (runc's GetExecUser as moby calls it: a name takes its
 * entry's gid and the groups listing it; a numeric uid takes its entry's gid when it has one,
 * else 0; an explicit group wins), written out by hand. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../image/image.h"
#include "lib_temp_root.h"

static int root_fd = -1;

static void make_root(void)
{
	root_fd = temp_root_make();
	temp_root_put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
				    "app:x:1000:1001:app:/home/app:/bin/sh\n"
				    "svc:x:2000:2000::/:/bin/false\n");
	/* the image's group file is a symlink to an absolute path: it resolves inside the image */
	temp_root_put("etc/group.real", "root:x:0:\napps:x:1001:\nstaff:x:2002:app\nmulti:x:3003:svc,app\nnear:x:3004:apps\n");
	char link[160];
	snprintf(link, sizeof(link), "%s/etc/group", temp_root_path());
	cr_assert_eq(symlink("/etc/group.real", link), 0);
}

TestSuite(image_user, .init = make_root, .fini = temp_root_remove);

static char *user_json(const char *user)
{
	json_t *j = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(image_user(root_fd, user, &j, &err), 0, "%s: %s", user, err.msg);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

static void expect_user(const char *user, const char *want)
{
	char *got = user_json(user);
	cr_expect_str_eq(got, want, "User \"%s\"", user);
	free(got);
}

Test(image_user, a_name_takes_its_entry_and_the_groups_that_list_it)
{
	expect_user("app", "{\"additionalGids\":[2002,3003],\"gid\":1001,\"uid\":1000}");
	expect_user("svc", "{\"additionalGids\":[3003],\"gid\":2000,\"uid\":2000}");
	expect_user("root", "{\"gid\":0,\"uid\":0}");
}

Test(image_user, an_explicit_group_wins_and_drops_the_supplementary_ones)
{
	expect_user("app:staff", "{\"gid\":2002,\"uid\":1000}");
	expect_user("app:77", "{\"gid\":77,\"uid\":1000}");
	expect_user("1000:staff", "{\"gid\":2002,\"uid\":1000}");
	expect_user("4242:4343", "{\"gid\":4343,\"uid\":4242}");
}

Test(image_user, a_numeric_uid_takes_its_entrys_gid_or_zero)
{
	expect_user("1000", "{\"gid\":1001,\"uid\":1000}");
	expect_user("4242", "{\"gid\":0,\"uid\":4242}");
	expect_user("0", "{\"gid\":0,\"uid\":0}");
}

Test(image_user, unknown_names_are_refused_naming_the_user)
{
	static const char *const bad[] = { "nobody", "app:nogroup", "apps", ":1000", "app:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = NULL;
		struct pith_error err = { 0 };
		cr_expect_lt(image_user(root_fd, bad[i], &j, &err), 0, "\"%s\" accepted", bad[i]);
		char want[64];
		snprintf(want, sizeof(want), "image config: User \"%s\"", bad[i]);
		cr_expect_neq(strstr(err.msg, want), NULL, "%s", err.msg);
		cr_expect_null(j);
	}
}

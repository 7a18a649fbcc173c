/* Whiteout names and path safety of pith-image's unpacker, and lookups through a layer stack
 * as overlayfs sees it. Expectations are the OCI image spec's layer rules (layer.md:
 * .wh.NAME, .wh..wh..opq) and Docker's handling of aufs metadata, written out by hand. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../image/overlay.h"

struct parsed {
	int r;
	enum whiteout_kind kind;
	char dir[PATH_MAX];
	char name[NAME_MAX + 1];
	struct pith_error err;
};

static struct parsed parse(const char *entry)
{
	struct parsed p = { 0 };
	p.r = whiteout_parse(entry, &p.kind, p.dir, sizeof(p.dir), p.name, sizeof(p.name), &p.err);
	return p;
}

static void expect_parsed(const char *entry, enum whiteout_kind kind, const char *dir, const char *name)
{
	struct parsed p = parse(entry);
	cr_assert_eq(p.r, 0, "%s: %s", entry, p.err.msg);
	cr_expect_eq(p.kind, kind, "%s: kind %d", entry, p.kind);
	if (kind == WHITEOUT_NONE)
		return;
	cr_expect_str_eq(p.dir, dir, "%s: directory", entry);
	cr_expect_str_eq(p.name, name, "%s: name", entry);
}

Test(image_whiteout, a_whiteout_names_its_directory_and_what_it_deletes)
{
	expect_parsed("usr/lib/.wh.libfoo.so", WHITEOUT_FILE, "usr/lib", "libfoo.so");
	expect_parsed(".wh.top", WHITEOUT_FILE, ".", "top");
	expect_parsed("./etc/.wh.motd", WHITEOUT_FILE, "etc", "motd"); /* a leading ./ is the same entry */
	/* names that only start with the prefix's letters are ordinary files */
	expect_parsed("etc/.whatever", WHITEOUT_NONE, NULL, NULL);
	expect_parsed("etc/x.wh.y", WHITEOUT_NONE, NULL, NULL);
	expect_parsed("etc/passwd", WHITEOUT_NONE, NULL, NULL);
}

Test(image_whiteout, the_opaque_marker_makes_its_directory_opaque)
{
	expect_parsed("var/cache/.wh..wh..opq", WHITEOUT_OPAQUE, "var/cache", "");
	expect_parsed(".wh..wh..opq", WHITEOUT_OPAQUE, ".", ""); /* the layer's root can be opaque too */
}

Test(image_whiteout, aufs_metadata_is_skipped_not_refused)
{
	cr_expect_eq(parse(".wh..wh.plnk").kind, WHITEOUT_META);
	cr_expect_eq(parse(".wh..wh.plnk/123.456").kind, WHITEOUT_META, "what aufs keeps under it too");
	cr_expect_eq(parse(".wh..wh.aufs").kind, WHITEOUT_META);
	cr_expect_eq(parse("a/.wh..wh.orph").kind, WHITEOUT_META);
	cr_expect_eq(parse("a/.wh..wh.plnk/.wh..wh..opq").kind, WHITEOUT_OPAQUE);
}

Test(image_whiteout, whiteouts_that_name_nothing_or_climb_are_refused)
{
	static const char *const bad[] = { "a/.wh.", "a/.wh..", "a/.wh...", ".wh..", "../.wh.x", "a/../../.wh.x",
					   "a/b/../../../.wh.passwd", "../.wh..wh..opq", ".." "/x/.wh.y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p = parse(bad[i]);
		cr_expect_lt(p.r, 0, "%s accepted as kind %d", bad[i], p.kind);
		cr_expect_neq(strstr(p.err.msg, bad[i]), NULL, "the error names the entry: %s", p.err.msg);
	}
	/* a dot-dot that is part of a name is no climb */
	cr_expect_eq(parse("..a/.wh.x").r, 0);
	cr_expect_eq(parse("a../b/.wh.x").r, 0);
}

Test(image_whiteout, climbing_is_a_dotdot_component_anywhere)
{
	cr_expect(path_climbs(".."));
	cr_expect(path_climbs("../x"));
	cr_expect(path_climbs("a/.."));
	cr_expect(path_climbs("a/../b"));
	cr_expect(path_climbs("a//..//b"));
	cr_expect(path_climbs("/../etc"));
	cr_expect_not(path_climbs(""));
	cr_expect_not(path_climbs("."));
	cr_expect_not(path_climbs("./a"));
	cr_expect_not(path_climbs("..a/b..c/...d"));
	cr_expect_not(path_climbs("a/.../b"));
}

/* ---- lookups through a stack: layers[0] is the one being unpacked, then lower ones, top first */

static char base[64];
static int layer[3] = { -1, -1, -1 };

static void put(int l, const char *rel, const char *kind)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%d/%s", base, l, rel);
	char dir[320];
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", p);
	cr_assert_eq(system(dir), 0);
	if (strcmp(kind, "file") == 0) {
		FILE *f = fopen(p, "w");
		cr_assert_not_null(f, "%s", p);
		fprintf(f, "layer %d\n", l);
		fclose(f);
	} else if (strcmp(kind, "dir") == 0) {
		cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
	} else if (strcmp(kind, "opaque") == 0) {
		cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
		cr_assert_eq(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0, "%s: %s", p, strerror(errno));
	} else if (strcmp(kind, "whiteout") == 0) {
		cr_assert_eq(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0, "%s: %s", p, strerror(errno));
	} else {
		cr_assert_eq(symlink(kind, p), 0, "%s", p);
	}
}

static void make_stack(void)
{
	if (geteuid() != 0)
		return; /* the tests skip: whiteouts and trusted xattrs need root */
	snprintf(base, sizeof(base), "/tmp/pith-overlay-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	for (int l = 0; l < 3; l++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%d", base, l);
		cr_assert_eq(mkdir(p, 0755), 0);
	}
	put(2, "bin/sh", "file");
	put(2, "lib/gone", "file");
	put(1, "lib/.keep", "file");
	put(1, "lib/gone", "whiteout");
	put(2, "etc/old", "file");
	put(1, "etc", "opaque");
	put(1, "etc/new", "file");
	put(0, "bin/here", "file");
	put(0, "usr", "/");
	put(2, "usr/lib", "dir");
	put(2, "usr/lib/x", "file");
	for (int l = 0; l < 3; l++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%d", base, l);
		layer[l] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(layer[l], 0);
	}
}

static void remove_stack(void)
{
	for (int l = 0; l < 3; l++)
		if (layer[l] >= 0)
			close(layer[l]);
	if (!*base)
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(image_overlay, .init = make_stack, .fini = remove_stack);

Test(image_overlay, the_topmost_layer_that_has_a_path_shows_it)
{
	if (geteuid() != 0)
		cr_skip_test("whiteout device nodes and trusted.* xattrs need root");
	cr_expect_eq(overlay_find(layer, 3, "bin/here"), 0);
	cr_expect_eq(overlay_find(layer, 3, "bin/sh"), 2, "only the bottom layer has it");
	cr_expect_eq(overlay_find(layer, 3, "./bin/sh"), 2);
	cr_expect_eq(overlay_find(layer, 3, "lib/.keep"), 1);
	cr_expect_eq(overlay_find(layer, 3, "etc/new"), 1);
	cr_expect_eq(overlay_find(layer, 3, "nothing/here"), -ENOENT);
	cr_expect_eq(overlay_find(layer, 1, "bin/sh"), -ENOENT, "no lower layers: only this one counts");
}

Test(image_overlay, whiteouts_and_opaque_directories_hide_what_is_below)
{
	if (geteuid() != 0)
		cr_skip_test("whiteout device nodes and trusted.* xattrs need root");
	cr_expect_eq(overlay_find(layer, 3, "lib/gone"), -ENOENT, "deleted by layer 1's whiteout");
	cr_expect_eq(overlay_find(layer, 3, "etc/old"), -ENOENT, "layer 1's etc is opaque");
	cr_expect_eq(overlay_find(layer + 1, 2, "etc/old"), -ENOENT);
	cr_expect_eq(overlay_find(layer + 2, 1, "etc/old"), 0, "seen from below the opaque layer, it is there");
}

Test(image_overlay, a_symlink_on_the_way_is_not_followed)
{
	if (geteuid() != 0)
		cr_skip_test("whiteout device nodes and trusted.* xattrs need root");
	/* layer 0's usr is a symlink to /: the lookup stops there instead of reaching the host */
	cr_expect_lt(overlay_find(layer, 3, "usr/lib/x"), 0);
	cr_expect_eq(overlay_find(layer + 1, 2, "usr/lib/x"), 1, "without it, the lower file shows");
}

Test(image_overlay, copy_up_keeps_content_owner_and_mode_and_makes_parents_like_the_lower)
{
	if (geteuid() != 0)
		cr_skip_test("chown needs root");
	char p[256];
	snprintf(p, sizeof(p), "%s/2/usr/lib", base);
	cr_assert_eq(chown(p, 7, 8), 0);
	cr_assert_eq(chmod(p, 0710), 0);
	snprintf(p, sizeof(p), "%s/2/usr/lib/x", base);
	cr_assert_eq(chown(p, 1000, 100), 0);
	cr_assert_eq(chmod(p, 04751), 0);
	struct pith_error err = { 0 };
	cr_assert_eq(overlay_copy_up(layer[2], layer[1], "usr/lib/x", &err), 0, "%s", err.msg);
	struct stat s;
	snprintf(p, sizeof(p), "%s/1/usr/lib/x", base);
	cr_assert_eq(lstat(p, &s), 0);
	cr_expect_eq(s.st_mode, S_IFREG | 04751, "mode %o", s.st_mode);
	cr_expect_eq(s.st_uid, 1000);
	cr_expect_eq(s.st_gid, 100);
	FILE *f = fopen(p, "r");
	char text[32] = "";
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(text, sizeof(text), f));
	fclose(f);
	cr_expect_str_eq(text, "layer 2\n");
	snprintf(p, sizeof(p), "%s/1/usr/lib", base);
	cr_assert_eq(lstat(p, &s), 0);
	cr_expect_eq(s.st_mode, S_IFDIR | 0710, "parent mode %o", s.st_mode);
	cr_expect_eq(s.st_uid, 7);
	/* a second copy-up of the same path finds it there and refuses to replace it */
	cr_expect_lt(overlay_copy_up(layer[2], layer[1], "usr/lib/x", &err), 0);
	/* only regular files are copied up: a hardlink to a directory is no hardlink */
	cr_expect_lt(overlay_copy_up(layer[2], layer[1], "usr/lib", &err), 0);
	cr_expect_neq(strstr(err.msg, "not a regular file"), NULL, "%s", err.msg);
}

Test(image_overlay, parents_of_an_upper_entry_are_made_like_the_lowers_and_never_through_a_symlink)
{
	if (geteuid() != 0)
		cr_skip_test("chown needs root");
	char p[256];
	snprintf(p, sizeof(p), "%s/1/lib", base);
	cr_assert_eq(chmod(p, 0701), 0);
	cr_assert_eq(chown(p, 3, 4), 0);
	struct pith_error err = { 0 };
	cr_assert_eq(overlay_make_parents(layer, 3, "lib/sub/new", &err), 0, "%s", err.msg);
	struct stat s;
	snprintf(p, sizeof(p), "%s/0/lib", base);
	cr_assert_eq(lstat(p, &s), 0, "lib made in the upper layer");
	cr_expect_eq(s.st_mode, S_IFDIR | 0701, "mode %o", s.st_mode);
	cr_expect_eq(s.st_uid, 3);
	cr_expect_eq(s.st_gid, 4);
	snprintf(p, sizeof(p), "%s/0/lib/sub", base);
	cr_expect_neq(lstat(p, &s), 0, "no layer has lib/sub: left to the extractor's defaults");
	/* layer 0's usr is a symlink to /: nothing is made through it */
	cr_assert_eq(overlay_make_parents(layer, 3, "usr/lib/pith-made-this/x", &err), 0, "%s", err.msg);
	cr_expect_neq(access("/usr/lib/pith-made-this", F_OK), 0);
	/* an etc in no layer above the opaque one is still shown by layer 1: made like it */
	cr_assert_eq(overlay_make_parents(layer, 3, "etc/x", &err), 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/0/etc", base);
	cr_expect_eq(lstat(p, &s), 0);
	char v[4];
	cr_expect_lt(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 0, "the lower's opaque marker is not copied");
	cr_expect_eq(overlay_find(layer, 3, "etc/new"), 1, "layer 1's etc/new still shows");
}

/* Platform names and matching for image indexes. Expectations come from the OCI image
 * index spec's platform fields (GOOS/GOARCH values, variants v6/v7/v8) and containerd's
 * normalisation (aarch64 -> arm64, arm64 -> arm64/v8, arm -> arm/v7, an arm/v7 machine also
 * runs v6 and v5 images, preferring the newest), written out by hand. */
#include <criterion/criterion.h>

#include <string.h>

#include "../../image/image.h"

static struct platform parsed(const char *text)
{
	struct platform p;
	struct pith_error err = { 0 };
	cr_assert_eq(platform_parse(text, &p, &err), 0, "%s: %s", text, err.msg);
	return p;
}

static void expect_platform(struct platform p, const char *os, const char *arch, const char *variant, const char *what)
{
	cr_expect_str_eq(p.os, os, "%s: os", what);
	cr_expect_str_eq(p.arch, arch, "%s: architecture", what);
	cr_expect_str_eq(p.variant, variant, "%s: variant", what);
}

Test(image_platform, parse_fills_the_default_variants_and_reads_aliases)
{
	static const struct { const char *text, *arch, *variant; } cases[] = {
		{ "linux/arm64", "arm64", "v8" }, { "linux/arm64/v8", "arm64", "v8" }, { "linux/arm", "arm", "v7" },
		{ "linux/arm/v6", "arm", "v6" }, { "linux/amd64", "amd64", "v1" },
		{ "linux/riscv64", "riscv64", "" }, /* no default for the others */
		/* aliases seen in the wild */
		{ "linux/aarch64", "arm64", "v8" }, { "linux/x86_64", "amd64", "v1" }, { "linux/armhf", "arm", "v7" },
		{ "linux/armel", "arm", "v6" }, { "linux/arm64/8", "arm64", "v8" }, { "linux/i386", "386", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_platform(parsed(cases[i].text), "linux", cases[i].arch, cases[i].variant, cases[i].text);
}

Test(image_platform, parse_refuses_what_is_not_os_arch_variant)
{
	static const char *const bad[] = { "", "linux", "linux/", "/amd64", "linux/arm/v7/extra" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct platform p;
		struct pith_error err = { 0 };
		cr_expect_lt(platform_parse(bad[i], &p, &err), 0, "\"%s\" accepted", bad[i]);
		cr_expect_neq(strstr(err.msg, "expected os/arch[/variant]"), NULL, "%s", err.msg);
	}
}

Test(image_platform, uname_machines_map_to_image_platforms)
{
	static const struct { const char *machine, *arch, *variant; } cases[] = {
		{ "x86_64", "amd64", "v1" }, { "aarch64", "arm64", "v8" }, { "armv7l", "arm", "v7" },
		{ "armv6l", "arm", "v6" }, { "armv5tel", "arm", "v5" },
		/* a 64-bit ARM core running a 32-bit kernel reports armv8l and runs arm/v7 code */
		{ "armv8l", "arm", "v7" }, { "i686", "386", "" }, { "riscv64", "riscv64", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct platform p;
		platform_of_uname(cases[i].machine, &p);
		expect_platform(p, "linux", cases[i].arch, cases[i].variant, cases[i].machine);
	}
}

static int rank(const char *want, const char *have)
{
	struct platform w = parsed(want), h = parsed(have);
	return platform_rank(&w, &h);
}

Test(image_platform, an_arm_v7_machine_runs_v7_first_then_older_variants)
{
	cr_expect_eq(rank("linux/arm/v7", "linux/arm/v7"), 0);
	cr_expect_eq(rank("linux/arm/v7", "linux/arm"), 0, "arm without a variant is v7");
	cr_expect_eq(rank("linux/arm/v7", "linux/arm/v6"), 1);
	cr_expect_eq(rank("linux/arm/v7", "linux/arm/v5"), 2);
	cr_expect_eq(rank("linux/arm/v6", "linux/arm/v7"), -1, "never a newer variant");
	cr_expect_eq(rank("linux/arm/v7", "linux/arm/v8"), -1);
	cr_expect_eq(rank("linux/arm/v7", "linux/arm64/v8"), -1, "arm64 is another architecture");
}

Test(image_platform, arm64_and_amd64_match_with_or_without_their_default_variant)
{
	cr_expect_eq(rank("linux/arm64/v8", "linux/arm64"), 0);
	cr_expect_eq(rank("linux/arm64", "linux/arm64/v8"), 0);
	cr_expect_eq(rank("linux/arm64", "linux/arm/v7"), -1);
	cr_expect_eq(rank("linux/amd64", "linux/amd64"), 0);
	cr_expect_eq(rank("linux/amd64", "linux/amd64/v3"), -1, "v3 needs a CPU check nobody made");
	cr_expect_eq(rank("linux/amd64", "windows/amd64"), -1);
	cr_expect_eq(rank("linux/amd64", "linux/arm64"), -1);
}

Test(image_platform, platforms_from_index_json_and_their_text)
{
	json_t *j = json_pack("{s:s, s:s}", "os", "linux", "architecture", "arm64");
	struct platform p;
	platform_from_json(j, &p);
	json_decref(j);
	expect_platform(p, "linux", "arm64", "v8", "index entry");
	char text[100];
	platform_text(&p, text, sizeof(text));
	cr_expect_str_eq(text, "linux/arm64/v8");
	platform_text(&(struct platform){ "linux", "amd64", "v1" }, text, sizeof(text));
	cr_expect_str_eq(text, "linux/amd64", "amd64's baseline is not written, as Docker prints it");
	platform_text(&(struct platform){ "linux", "riscv64", "" }, text, sizeof(text));
	cr_expect_str_eq(text, "linux/riscv64");
}

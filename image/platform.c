/* Platforms (os/architecture/variant) as image indexes name them, and which one this machine
 * runs. Names are normalised the way the OCI image spec's platform list and containerd read
 * them: aliases (x86_64, aarch64, armhf) to GOARCH names, and a missing variant to its default
 * (arm64 -> v8, arm -> v7, amd64 -> v1), so "arm64" and "arm64/v8" are one platform. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "image.h"

void platform_normalize(struct platform *p)
{
	static const struct { const char *alias, *arch, *variant; } aliases[] = {
		{ "x86_64", "amd64", "" }, { "x86-64", "amd64", "" }, { "aarch64", "arm64", "" },
		{ "armhf", "arm", "v7" }, { "armel", "arm", "v6" }, { "i386", "386", "" }, { "i686", "386", "" },
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(p->arch, aliases[i].alias) == 0) {
			snprintf(p->arch, sizeof(p->arch), "%s", aliases[i].arch);
			if (!*p->variant)
				snprintf(p->variant, sizeof(p->variant), "%s", aliases[i].variant);
		}
	/* "8" and "v8" are both seen in the wild */
	if (p->variant[0] >= '0' && p->variant[0] <= '9') {
		char v[sizeof(p->variant)];
		snprintf(v, sizeof(v), "v%.*s", (int)sizeof(v) - 2, p->variant);
		memcpy(p->variant, v, sizeof(v));
	}
	const char *def = strcmp(p->arch, "arm64") == 0 ? "v8" : strcmp(p->arch, "arm") == 0 ? "v7"
			: strcmp(p->arch, "amd64") == 0 ? "v1" : "";
	if (!*p->variant)
		snprintf(p->variant, sizeof(p->variant), "%s", def);
}

int platform_parse(const char *text, struct platform *p, struct pith_error *err)
{
	memset(p, 0, sizeof(*p));
	char extra;
	int n = sscanf(text, "%31[^/]/%31[^/]/%31[^/]%c", p->os, p->arch, p->variant, &extra);
	if (n < 2 || n > 3)
		return pith_fail(err, 0, "--platform %s: expected os/arch[/variant]", text);
	platform_normalize(p);
	return 0;
}

void platform_from_json(json_t *j, struct platform *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->os, sizeof(p->os), "%s", json_string_value(json_object_get(j, "os")) ?: "");
	snprintf(p->arch, sizeof(p->arch), "%s", json_string_value(json_object_get(j, "architecture")) ?: "");
	snprintf(p->variant, sizeof(p->variant), "%s", json_string_value(json_object_get(j, "variant")) ?: "");
	platform_normalize(p);
}

/* uname's machine -> the platform images name it by */
void platform_of_uname(const char *machine, struct platform *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->os, sizeof(p->os), "linux");
	if (strncmp(machine, "armv", 4) == 0 && machine[4] >= '5' && machine[4] <= '8') {
		/* armv8l is a 64-bit CPU running 32-bit code: it runs arm/v7 images */
		snprintf(p->arch, sizeof(p->arch), "arm");
		snprintf(p->variant, sizeof(p->variant), "v%c", machine[4] == '8' ? '7' : machine[4]);
	} else {
		snprintf(p->arch, sizeof(p->arch), "%s", machine);
	}
	platform_normalize(p);
}

void platform_of_machine(struct platform *p)
{
	struct utsname u;
	uname(&u);
	platform_of_uname(u.machine, p);
}

/* 0: want runs it as its own; k > 0: an older arm variant want also runs (v7 runs v6 at 1,
 * v5 at 2), the lower the better; -1: not this platform. */
int platform_rank(const struct platform *want, const struct platform *have)
{
	if (strcmp(want->os, have->os) != 0 || strcmp(want->arch, have->arch) != 0)
		return -1;
	if (strcmp(want->variant, have->variant) == 0)
		return 0;
	if (strcmp(want->arch, "arm") == 0 && want->variant[0] == 'v' && have->variant[0] == 'v' &&
	    !want->variant[2] && !have->variant[2] && have->variant[1] < want->variant[1] && have->variant[1] >= '5')
		return want->variant[1] - have->variant[1];
	return -1;
}

/* as Docker prints it: amd64's baseline v1 is not written */
void platform_text(const struct platform *p, char *out, size_t len)
{
	bool bare = !*p->variant || (strcmp(p->arch, "amd64") == 0 && strcmp(p->variant, "v1") == 0);
	snprintf(out, len, "%s/%s%s%s", p->os, p->arch, bare ? "" : "/", bare ? "" : p->variant);
}

/* Without a mount namespace of its own a container gets no rootfs setup:
 * rootfs_validate names the first field that would need one. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "../../runtime/mount/rootfs.h"

static const char *const NO_MOUNT_NS = "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"}]";

/* body: extra top-level members; lx: extra members of "linux" */
static void refused(const char *body, const char *lx, const char *namespaces, const char *field)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"%s},\"linux\":{%s%s%s}%s%s}",
		 strcmp(field, "root.readonly") ? "" : ",\"readonly\":true", namespaces, *lx ? "," : "", lx,
		 *body ? "," : "", body);
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_load_string(text, "config.json", &s, &err), 0, "%s: %s", text, err.msg);
	int r = rootfs_validate(s, &err);
	char want[256];
	snprintf(want, sizeof(want), "%s: needs a mount namespace of the container's own", field);
	cr_expect_eq(r, -1, "%s accepted", field);
	cr_expect(strstr(err.msg, want) != NULL, "%s: %s", field, err.msg);
	spec_free(s);
}

Test(mount_ns, rootfs_fields_need_a_mount_namespace)
{
	refused("\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}]", "", NO_MOUNT_NS,
		"mounts");
	refused("", "\"maskedPaths\":[\"/proc/kcore\"]", NO_MOUNT_NS, "linux.maskedPaths");
	refused("", "\"readonlyPaths\":[\"/proc/sys\"]", NO_MOUNT_NS, "linux.readonlyPaths");
	refused("", "", NO_MOUNT_NS, "root.readonly");
	refused("", "\"rootfsPropagation\":\"shared\"", NO_MOUNT_NS, "linux.rootfsPropagation");
	refused("", "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}]", NO_MOUNT_NS,
		"linux.devices");
	/* a joined one is not the container's own either */
	refused("", "\"maskedPaths\":[\"/proc/kcore\"]", "\"namespaces\":[{\"type\":\"mount\",\"path\":\"/proc/1/ns/mnt\"}]",
		"linux.maskedPaths");
}

Test(mount_ns, a_config_without_rootfs_fields_is_fine)
{
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	cr_assert_eq(spec_load_string("{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"rootfs\"},"
				      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}", "config.json", &s, &err), 0,
		     "%s", err.msg);
	cr_expect(!rootfs_own_mount_ns(s));
	cr_expect_eq(rootfs_validate(s, &err), 0, "%s", err.msg);
	spec_free(s);
}

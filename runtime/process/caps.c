/* Capability sets of the container process. The init side uses only prctl
 * and capset(2) so it allocates nothing and never depends on the container's
 * /proc; libcap is used in the parent for names. */
#include <errno.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

/* Far above any kernel's last capability: only guards a broken prctl. */
#define CAPS_PROBE_LIMIT 256

const char *caps_name(int cap, char *buf, unsigned long len)
{
	char *lower = cap_to_name(cap);
	if (!lower) {
		snprintf(buf, len, "capability %d", cap);
		return buf;
	}
	/* libcap says "cap_chown"; unknown numbers come back as digits. */
	if (isdigit((unsigned char)lower[0]))
		snprintf(buf, len, "capability %s", lower);
	else {
		unsigned long i;
		for (i = 0; lower[i] && i + 1 < len; i++)
			buf[i] = (char)toupper((unsigned char)lower[i]);
		buf[i] = '\0';
	}
	cap_free(lower);
	return buf;
}

static bool has_cap(uint64_t set, int cap)
{
	return cap < 64 && (set >> cap) & 1;
}

int caps_drop_bounding(const struct spec_capabilities *c, struct pith_error *err)
{
	for (int cap = 0; cap < CAPS_PROBE_LIMIT; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0)
			break;          /* EINVAL: past this kernel's last capability */
		if (in == 0 || has_cap(c->bounding, cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			char name[48];
			return pith_fail(err, errno, "dropping %s from the bounding set",
					 caps_name(cap, name, sizeof(name)));
		}
	}
	return 0;
}

/* Kernel sets: effective must be within permitted; capset says EPERM
 * without naming anything, so the parent checks it in caps_check_available. */
static int set_pei(const struct spec_capabilities *c, struct pith_error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return pith_fail(err, errno,
				 "setting capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
				 (unsigned long long)c->effective, (unsigned long long)c->permitted,
				 (unsigned long long)c->inheritable);
	return 0;
}

uint64_t caps_ambient_unraisable(const struct spec_capabilities *c)
{
	return c->ambient & ~(c->permitted & c->inheritable);
}

static int set_ambient(const struct spec_capabilities *c, struct pith_error *err)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		if (errno == EINVAL && c->ambient == 0)
			return 0;       /* kernel without ambient caps, none asked for */
		return pith_fail(err, errno, "clearing the ambient capability set");
	}
	/* Like crun, a cap the kernel cannot make ambient (not both permitted
	 * and inheritable) is skipped; the parent warns with caps_ambient_unraisable. */
	uint64_t raise = c->ambient & ~caps_ambient_unraisable(c);
	for (int cap = 0; cap < 64; cap++) {
		if (!has_cap(raise, cap))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
			char name[48];
			return pith_fail(err, errno, "raising %s in the ambient set",
					 caps_name(cap, name, sizeof(name)));
		}
	}
	return 0;
}

void caps_add_sys_admin(struct spec_capabilities *c)
{
	c->permitted |= 1ULL << CAP_SYS_ADMIN;
	c->effective |= 1ULL << CAP_SYS_ADMIN;
}

int caps_raise_sys_admin(struct pith_error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return pith_fail(err, errno, "seccomp: reading the capability sets");
	uint32_t bit = 1U << (CAP_SYS_ADMIN % 32);
	if (!(data[CAP_SYS_ADMIN / 32].permitted & bit))
		return pith_fail(err, EPERM, "seccomp: installing the filter without noNewPrivileges needs "
				 "CAP_SYS_ADMIN, which pith does not have");
	if (data[CAP_SYS_ADMIN / 32].effective & bit)
		return 0;
	data[CAP_SYS_ADMIN / 32].effective |= bit;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return pith_fail(err, errno, "seccomp: keeping CAP_SYS_ADMIN until the filter is installed");
	return 0;
}

int caps_apply(const struct spec_capabilities *c, struct pith_error *err)
{
	int r = set_pei(c, err);
	if (r < 0)
		return r;
	return set_ambient(c, err);
}

struct named_set {
	const char *field;
	uint64_t mask;
};

static int check_bounding(const struct named_set *sets, size_t n, struct pith_error *err)
{
	for (size_t i = 0; i < n; i++) {
		for (int cap = 0; cap < 64; cap++) {
			if (!has_cap(sets[i].mask, cap))
				continue;
			int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
			if (in == 1)
				continue;
			char name[48];
			return pith_fail(err, 0, "process.capabilities.%s: %s is not available: %s",
					 sets[i].field, caps_name(cap, name, sizeof(name)),
					 in == 0 ? "not in pith's own bounding set"
						 : "not supported by this kernel");
		}
	}
	return 0;
}

static int check_subset(uint64_t inner, const char *inner_name, uint64_t outer,
			const char *outer_name, struct pith_error *err)
{
	uint64_t extra = inner & ~outer;
	if (!extra)
		return 0;
	char name[48];
	return pith_fail(err, 0, "process.capabilities.%s: %s is not in process.capabilities.%s",
			 inner_name, caps_name(__builtin_ctzll(extra), name, sizeof(name)), outer_name);
}

int caps_check_available(const struct spec_capabilities *c, struct pith_error *err)
{
	const struct named_set sets[] = {
		{ "bounding", c->bounding },
		{ "effective", c->effective },
		{ "permitted", c->permitted },
		{ "inheritable", c->inheritable },
		{ "ambient", c->ambient },
	};
	int r = check_bounding(sets, sizeof(sets) / sizeof(sets[0]), err);
	if (r < 0)
		return r;
	return check_subset(c->effective, "effective", c->permitted, "permitted", err);
}

/* Cgroup layout detection, the path policy and the small file helpers every
 * other cgroup*.c file uses.
 *
 * Detection reads /proc/self/mountinfo: each "cgroup" mount is a v1
 * hierarchy (its super-options name the controllers), a "cgroup2" mount is the
 * unified hierarchy, whose root cgroup.controllers says what it owns. This
 * copes with hybrid hosts (v1 controllers + a cgroup2 owning e.g. hugetlb
 * only), which crun refuses and older Raspberry Pi OS images still use. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup.h"
#include "../cleanup.h"

#define CG_HOST_ROOT "/sys/fs/cgroup"

const char *const cgroup_ctrl_names[CG__COUNT] = {
	[CG_CPU] = "cpu", [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset", [CG_MEMORY] = "memory",
	[CG_DEVICES] = "devices", [CG_FREEZER] = "freezer", [CG_BLKIO] = "blkio", [CG_PIDS] = "pids",
	[CG_HUGETLB] = "hugetlb", [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio",
	[CG_RDMA] = "rdma", [CG_MISC] = "misc",
};

static char *test_root;
static char *test_mountinfo;

void cgroup_set_test_root(const char *fake_root, const char *fake_mountinfo)
{
	free(test_root);
	free(test_mountinfo);
	test_root = fake_root ? strdup(fake_root) : NULL;
	test_mountinfo = fake_mountinfo ? strdup(fake_mountinfo) : NULL;
}

/* ---------- small file helpers ---------- */

static int open_fail(int errnum, const char *file, const char *what, struct pith_error *err)
{
	if (errnum == ENOENT)
		return pith_fail(err, ENOENT, "%s: %s is not supported on this host (the kernel does not provide it)",
				 what, file);
	return pith_fail(err, errnum, "%s: cannot open %s", what, file);
}

int cgroup_write(int dirfd, const char *file, const char *value, const char *what, struct pith_error *err)
{
	auto_fd fd = openat(dirfd, file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return open_fail(errno, file, what, err);
	size_t len = strlen(value);
	ssize_t w = write(fd, value, len);
	if (w < 0)
		return pith_fail(err, errno, "%s: writing \"%s\" to %s", what, value, file);
	if ((size_t)w != len)
		return pith_fail(err, EIO, "%s: short write of \"%s\" to %s", what, value, file);
	return 0;
}

int cgroup_writef(int dirfd, const char *file, const char *what, struct pith_error *err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return pith_fail(err, EINVAL, "%s: value for %s too long", what, file);
	return cgroup_write(dirfd, file, buf, what, err);
}

int cgroup_write_line(int fd, const char *file, const char *value, const char *what, struct pith_error *err)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", value);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return pith_fail(err, EINVAL, "%s: value for %s too long", what, file);
	ssize_t w = write(fd, buf, (size_t)n);
	if (w < 0)
		return pith_fail(err, errno, "%s: writing \"%s\" to %s", what, value, file);
	return 0;
}

static int read_all(int fd, const char *file, char **out, struct pith_error *err)
{
	size_t cap = 4096, len = 0;
	auto_free char *buf = malloc(cap);
	if (!buf)
		return pith_fail(err, ENOMEM, "reading %s", file);
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return pith_fail(err, ENOMEM, "reading %s", file);
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pith_fail(err, errno, "reading %s", file);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = pith_steal_ptr(&buf);
	return 0;
}

int cgroup_read(int dirfd, const char *file, char **out, struct pith_error *err)
{
	auto_fd fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_fail(errno, file, "reading cgroup", err);
	return read_all(fd, file, out, err);
}

static int parse_u64(const char *s, uint64_t *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int cgroup_read_u64(int dirfd, const char *file, uint64_t *out, struct pith_error *err)
{
	auto_free char *text = NULL;
	int r = cgroup_read(dirfd, file, &text, err);
	if (r < 0)
		return r;
	if (parse_u64(text, out) < 0)
		return pith_fail(err, EINVAL, "%s: not a number: \"%.40s\"", file, text);
	return 0;
}

int cgroup_kv_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '\t'))
			return parse_u64(p + kl + 1, out);
	}
	return -1;
}

/* ---------- detection ---------- */

static int ctrl_from_name(const char *name, size_t len)
{
	for (int c = 0; c < CG__COUNT; c++)
		if (strlen(cgroup_ctrl_names[c]) == len && strncmp(cgroup_ctrl_names[c], name, len) == 0)
			return c;
	if (len == 2 && strncmp(name, "io", 2) == 0)
		return CG_BLKIO;
	return -1;
}

/* mountinfo escapes blanks as \040 etc. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static int add_hier(struct cgroup_hosts *hs, const char *mount, const char *name, unsigned ctrls, bool v2,
		    struct pith_error *err)
{
	struct cgroup_hier *nh = realloc(hs->h, (hs->n + 1) * sizeof(*nh));
	if (!nh)
		return pith_fail(err, ENOMEM, "cgroup detection");
	hs->h = nh;
	struct cgroup_hier *h = &hs->h[hs->n];
	*h = (struct cgroup_hier){ .mount = strdup(mount), .name = strdup(name), .ctrls = ctrls, .v2 = v2, .fd = -1 };
	if (!h->mount || !h->name) {
		free(h->mount);
		free(h->name);
		return pith_fail(err, ENOMEM, "cgroup detection");
	}
	hs->n++;
	return 0;
}

/* Keep the controller names (and name=X) of v1 super-options, drop rw etc. */
static unsigned v1_opts(const char *superopts, char *name, size_t cap)
{
	unsigned ctrls = 0;
	size_t nl = 0;
	name[0] = '\0';
	for (const char *p = superopts; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int c = ctrl_from_name(p, len);
		bool keep = c >= 0 || (len > 5 && strncmp(p, "name=", 5) == 0);
		if (c >= 0)
			ctrls |= CG_BIT(c);
		if (keep && nl + len + 2 < cap) {
			if (nl)
				name[nl++] = ',';
			memcpy(name + nl, p, len);
			nl += len;
			name[nl] = '\0';
		}
		p = e ? e + 1 : p + len;
	}
	return ctrls;
}

static unsigned v2_owned(const char *mount)
{
	auto_fd dfd = open(mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	struct pith_error ignored = { 0 };
	auto_free char *text = NULL;
	if (cgroup_read(dfd, "cgroup.controllers", &text, &ignored) < 0)
		return 0;
	unsigned owned = 0;
	for (char *save = NULL, *tok = strtok_r(text, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		int c = ctrl_from_name(tok, strlen(tok));
		if (c >= 0)
			owned |= CG_BIT(c);
		if (c == CG_CPU)
			owned |= CG_BIT(CG_CPUACCT); /* cpu.stat carries the accounting */
	}
	return owned;
}

static int parse_line(char *line, const char *root_rewrite, struct cgroup_hosts *hs, char **v2_mount,
		      struct pith_error *err)
{
	char *f[6], *save = NULL;
	int i = 0;
	char *sep = strstr(line, " - ");
	if (!sep)
		return 0;
	*sep = '\0';
	for (char *t = strtok_r(line, " ", &save); t && i < 6; t = strtok_r(NULL, " ", &save))
		f[i++] = t;
	if (i < 5)
		return 0;
	char *fstype = strtok_r(sep + 3, " ", &save);
	strtok_r(NULL, " ", &save); /* source */
	char *superopts = strtok_r(NULL, " \n", &save);
	if (!fstype || !superopts)
		return 0;
	char mount[4096];
	unescape(f[4]);
	if (root_rewrite && strncmp(f[4], CG_HOST_ROOT, strlen(CG_HOST_ROOT)) == 0)
		snprintf(mount, sizeof(mount), "%s%s", root_rewrite, f[4] + strlen(CG_HOST_ROOT));
	else
		snprintf(mount, sizeof(mount), "%s", f[4]);
	if (strcmp(fstype, "cgroup2") == 0) {
		if (!*v2_mount)
			*v2_mount = strdup(mount);
		return 0;
	}
	if (strcmp(fstype, "cgroup") != 0)
		return 0;
	char name[256];
	unsigned ctrls = v1_opts(superopts, name, sizeof(name));
	if (!name[0])
		return 0;
	for (size_t k = 0; k < hs->n; k++)
		if (strcmp(hs->h[k].name, name) == 0)
			return 0; /* the same hierarchy mounted twice: keep the first */
	return add_hier(hs, mount, name, ctrls, false, err);
}

int cgroup_parse_mountinfo(const char *text, const char *root_rewrite, struct cgroup_hosts *out,
			   struct pith_error *err)
{
	struct cgroup_hosts hs = { 0 };
	auto_free char *copy = strdup(text);
	auto_free char *v2_mount = NULL;
	if (!copy)
		return pith_fail(err, ENOMEM, "cgroup detection");
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (parse_line(line, root_rewrite, &hs, &v2_mount, err) < 0) {
			cgroup_hosts_release(&hs);
			return -1;
		}
	}
	unsigned v1 = 0;
	for (size_t k = 0; k < hs.n; k++)
		v1 |= hs.h[k].ctrls;
	if (v2_mount) {
		hs.have_v2 = true;
		hs.v2_owned = v2_owned(v2_mount);
		/* What the unified hierarchy serves: what it owns and no v1
		 * hierarchy has, plus the core freezer and eBPF device control. */
		unsigned serves = (hs.v2_owned | CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES)) & ~v1;
		if (add_hier(&hs, v2_mount, "", serves, true, err) < 0) {
			cgroup_hosts_release(&hs);
			return -1;
		}
	}
	if (!v2_mount && !v1) {
		cgroup_hosts_release(&hs);
		return pith_fail(err, ENOENT, "no cgroup filesystem is mounted (neither cgroup2 nor any cgroup v1 "
				 "controller in /proc/self/mountinfo): mount cgroup2 on /sys/fs/cgroup");
	}
	hs.layout = !v1 ? CGROUP_LAYOUT_V2 : v2_mount ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1;
	*out = hs;
	return 0;
}

void cgroup_hosts_release(struct cgroup_hosts *hs)
{
	for (size_t k = 0; k < hs->n; k++) {
		free(hs->h[k].mount);
		free(hs->h[k].name);
		if (hs->h[k].fd >= 0)
			close(hs->h[k].fd);
	}
	free(hs->h);
	hs->h = NULL;
	hs->n = 0;
}

/* Does this mountinfo line name a cgroup mount that its path no longer
 * reaches? mountinfo also lists mounts hidden under a later one, e.g. when a
 * private namespace put a v1-only view over /sys/fs/cgroup: the old cgroup2
 * at "unified" is still listed but cannot be used. */
static bool hidden_cgroup_mount(const char *line, size_t len)
{
	char buf[4096];
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	char *sep = strstr(buf, " - ");
	if (!sep)
		return false;
	*sep = '\0';
	char *save = NULL, *fstype = strtok_r(sep + 3, " \n", &save);
	bool v2 = fstype && strcmp(fstype, "cgroup2") == 0;
	if (!v2 && !(fstype && strcmp(fstype, "cgroup") == 0))
		return false;
	char *f = NULL;
	save = NULL;
	for (int i = 0, first = 1; i < 5; i++, first = 0)
		f = strtok_r(first ? buf : NULL, " ", &save);
	if (!f)
		return false;
	unescape(f);
	struct statfs sf;
	uint32_t want = v2 ? (uint32_t)CGROUP2_SUPER_MAGIC : (uint32_t)CGROUP_SUPER_MAGIC;
	return statfs(f, &sf) < 0 || (uint32_t)sf.f_type != want;
}

static void drop_hidden_mounts(char *text)
{
	char *w = text;
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (!hidden_cgroup_mount(line, len)) {
			memmove(w, line, len);
			w += len;
		}
		line += len;
	}
	*w = '\0';
}

int cgroup_detect(struct cgroup_hosts *out, struct pith_error *err)
{
	const char *path = test_mountinfo ? test_mountinfo : "/proc/self/mountinfo";
	auto_free char *text = NULL;
	auto_fd fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "cgroup detection: open %s", path);
	if (read_all(fd, path, &text, err) < 0)
		return -1;
	if (!test_mountinfo)
		drop_hidden_mounts(text);
	return cgroup_parse_mountinfo(text, test_root, out, err);
}

/* ---------- path policy ---------- */

static bool path_ok(const char *p)
{
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += len;
	}
	return true;
}

/* "/a//b/" -> "/a/b" */
static char *normalize(const char *p)
{
	char *out = malloc(strlen(p) + 2);
	if (!out)
		return NULL;
	size_t n = 0;
	for (const char *s = p; *s; s++) {
		if (*s == '/' && (n == 0 || out[n - 1] == '/'))
			continue;
		if (n == 0)
			out[n++] = '/';
		out[n++] = *s;
	}
	if (n > 1 && out[n - 1] == '/')
		n--;
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

/* systemd's "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice. */
static int expand_slice(const char *slice, char *buf, size_t cap, struct pith_error *err)
{
	size_t len = strlen(slice);
	buf[0] = '\0';
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	if (len < 7 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/'))
		return pith_fail(err, EINVAL, "--systemd-cgroup: \"%s\" is not a systemd slice name", slice);
	size_t base = len - 6, n = 0;
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		if (i == 0 || slice[i - 1] == '-')
			return pith_fail(err, EINVAL, "--systemd-cgroup: invalid slice name \"%s\"", slice);
		int w = snprintf(buf + n, cap - n, "/%.*s.slice", (int)i, slice);
		if (w < 0 || (size_t)w >= cap - n)
			return pith_fail(err, ENAMETOOLONG, "--systemd-cgroup: slice name too long");
		n += (size_t)w;
	}
	return 0;
}

static int systemd_path(const char *cp, const char *id, char **out, struct pith_error *err)
{
	char slice[256] = "system.slice", prefix[256] = "pith", name[512];
	snprintf(name, sizeof(name), "%s", id);
	if (cp && *cp) {
		const char *c1 = strchr(cp, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || strchr(c2 + 1, ':'))
			return pith_fail(err, EINVAL, "linux.cgroupsPath \"%s\": with --systemd-cgroup it must be "
					 "\"slice:prefix:name\"", cp);
		if (c1 != cp)
			snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - cp), cp);
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		snprintf(name, sizeof(name), "%s", c2 + 1);
	}
	char sp[1024];
	if (expand_slice(slice, sp, sizeof(sp), err) < 0)
		return -1;
	char full[2048];
	size_t nl = strlen(name);
	if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0) /* a slice as the unit: nest it */
		snprintf(full, sizeof(full), "%s/%s", sp, name);
	else if (*prefix)
		snprintf(full, sizeof(full), "%s/%s-%s.scope", sp, prefix, name);
	else
		snprintf(full, sizeof(full), "%s/%s.scope", sp, name);
	if (strchr(name, '/') || strchr(prefix, '/') || !path_ok(full))
		return pith_fail(err, EINVAL, "linux.cgroupsPath \"%s\": invalid systemd unit", cp);
	*out = normalize(full);
	return *out ? 0 : pith_fail(err, ENOMEM, "cgroup path");
}

int cgroup_path_for(const char *cp, const char *id, bool systemd, char **out, struct pith_error *err)
{
	if (systemd)
		return systemd_path(cp, id, out, err);
	char buf[4096];
	if (!cp || !*cp) {
		snprintf(buf, sizeof(buf), "/pith/%s", id);
	} else if (cp[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", cp);
	} else {
		if (strchr(cp, ':'))
			return pith_fail(err, EINVAL, "linux.cgroupsPath \"%s\" looks like a systemd unit "
					 "(slice:prefix:name): pass --systemd-cgroup, or use a path", cp);
		snprintf(buf, sizeof(buf), "/pith/%s", cp);
	}
	if (!path_ok(buf))
		return pith_fail(err, EINVAL, "linux.cgroupsPath \"%s\": \".\" and \"..\" are not allowed", cp);
	*out = normalize(buf);
	if (!*out)
		return pith_fail(err, ENOMEM, "cgroup path");
	if (strcmp(*out, "/") == 0) {
		free(*out);
		*out = NULL;
		return pith_fail(err, EINVAL, "linux.cgroupsPath \"%s\": the root cgroup cannot be a container's", cp);
	}
	return 0;
}

/* ---------- lookups ---------- */

const struct cgroup_hier *cgroup_hier_for(const struct cgroup *cg, enum cgroup_ctrl c)
{
	for (size_t k = 0; k < cg->n; k++)
		if (!cg->h[k].v2 && (cg->h[k].ctrls & CG_BIT(c)))
			return &cg->h[k];
	for (size_t k = 0; k < cg->n; k++)
		if (cg->h[k].v2 && (cg->h[k].ctrls & CG_BIT(c)))
			return &cg->h[k];
	return NULL;
}

const struct cgroup_hier *cgroup_v2_hier(const struct cgroup *cg)
{
	for (size_t k = 0; k < cg->n; k++)
		if (cg->h[k].v2)
			return &cg->h[k];
	return NULL;
}

int cgroup_open_leaf(const struct cgroup *cg, const struct cgroup_hier *h, struct pith_error *err)
{
	if (h->fd >= 0) {
		int fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return pith_fail(err, errno, "cgroup %s%s", h->mount, cg->path);
		return fd;
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s%s", h->mount, cg->path);
	/* Not O_PATH on v2: bpf attach and CLONE_INTO_CGROUP need a real open. */
	int fd = open(p, (h->v2 ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pith_fail(err, errno, "cgroup %s", p);
	return fd;
}

/* ---------- what the resources need ---------- */

static void need(unsigned *m, const char *why[CG__COUNT], enum cgroup_ctrl c, const char *field)
{
	if (!(*m & CG_BIT(c)) && why)
		why[c] = field;
	*m |= CG_BIT(c);
}

static unsigned needed_unified(const struct spec_resources *r, unsigned m, const char *why[CG__COUNT])
{
	for (size_t i = 0; i < r->unified.n; i++) {
		const char *k = r->unified.v[i].key;
		const char *dot = strchr(k, '.');
		int c = dot ? ctrl_from_name(k, (size_t)(dot - k)) : -1;
		if (c >= 0)
			need(&m, why, (enum cgroup_ctrl)c, "linux.resources.unified");
	}
	return m;
}

unsigned cgroup_needed_ctrls(const struct spec_resources *r, const char *why[CG__COUNT])
{
	unsigned m = 0;
	if (!r || !r->present)
		return 0;
	if (r->has_memory) {
		const struct spec_memory *me = &r->memory;
		if (me->limit.set || me->reservation.set || me->swap.set || me->swappiness.set ||
		    me->disable_oom_killer.set || me->use_hierarchy.set || me->kernel.set || me->kernel_tcp.set)
			need(&m, why, CG_MEMORY, me->limit.set ? "linux.resources.memory.limit" : "linux.resources.memory");
	}
	if (r->has_cpu) {
		const struct spec_cpu *c = &r->cpu;
		if (c->shares.set || c->quota.set || c->burst.set || c->period.set || c->realtime_runtime.set ||
		    c->realtime_period.set || c->idle.set)
			need(&m, why, CG_CPU, "linux.resources.cpu");
		if ((c->cpus && *c->cpus) || (c->mems && *c->mems))
			need(&m, why, CG_CPUSET, c->cpus ? "linux.resources.cpu.cpus" : "linux.resources.cpu.mems");
	}
	if (r->pids_limit.set)
		need(&m, why, CG_PIDS, "linux.resources.pids.limit");
	if (r->has_block_io) {
		const struct spec_block_io *b = &r->block_io;
		if (b->weight.set || b->leaf_weight.set || b->n_weight_device || b->throttle_read_bps.n ||
		    b->throttle_write_bps.n || b->throttle_read_iops.n || b->throttle_write_iops.n)
			need(&m, why, CG_BLKIO, "linux.resources.blockIO");
	}
	if (r->n_hugepage_limits)
		need(&m, why, CG_HUGETLB, "linux.resources.hugepageLimits");
	if (r->has_network && r->network.class_id.set)
		need(&m, why, CG_NET_CLS, "linux.resources.network.classID");
	if (r->has_network && r->network.n_priorities)
		need(&m, why, CG_NET_PRIO, "linux.resources.network.priorities");
	if (r->n_rdma)
		need(&m, why, CG_RDMA, "linux.resources.rdma");
	if (r->n_devices)
		need(&m, why, CG_DEVICES, "linux.resources.devices");
	return needed_unified(r, m, why);
}

int cgroup_missing_ctrl(enum cgroup_ctrl c, const char *what, struct pith_error *err)
{
	switch (c) {
	case CG_MEMORY:
		return pith_fail(err, 0, "%s requested, but the memory cgroup controller is disabled on this kernel: "
				 "add cgroup_enable=memory to the kernel command line (cmdline.txt on a Raspberry Pi) "
				 "and reboot", what);
	case CG_CPUSET:
	case CG_CPU:
	case CG_PIDS:
		return pith_fail(err, 0, "%s requested, but the %s cgroup controller is not available on this "
				 "kernel: enable it (CONFIG_CGROUP_%s, or cgroup_enable=%s on the kernel command line)",
				 what, cgroup_ctrl_names[c], c == CG_CPU ? "SCHED" : c == CG_CPUSET ? "CPUSETS" : "PIDS",
				 cgroup_ctrl_names[c]);
	case CG_NET_CLS:
	case CG_NET_PRIO:
		return pith_fail(err, 0, "%s requested, but the %s controller is not mounted: it exists only on "
				 "cgroup v1 (on cgroup v2 use eBPF or tc for network classes)", what, cgroup_ctrl_names[c]);
	default:
		return pith_fail(err, 0, "%s requested, but the %s cgroup controller is not available on this "
				 "host (not mounted as cgroup v1 nor listed in the cgroup2 root's cgroup.controllers)",
				 what, c == CG_BLKIO ? "blkio/io" : cgroup_ctrl_names[c]);
	}
}

/* A container's cgroup over its life: create (mkdir + limits), join, freeze,
 * kill, update, destroy, and its form in state.json.
 *
 * Which hierarchies are joined: the v2 one always (one mkdir buys a complete
 * process list, cgroup.kill and the container's own view of cgroup2), and
 * on v1 the controllers the config needs plus CG_ALWAYS: freezer (pause and
 * a race-free kill --all), pids (ps), memory (OOM reporting, .NET reads its
 * limit there), devices (device policy) and cpuacct (events --stats). cpu,
 * cpuset, blkio, hugetlb, net_* and rdma are joined only when a limit asks
 * for them (or later, by update): each v1 hierarchy costs an open, a mkdir
 * and a cgroup.procs write on the start-up path, and cpuset needs two more
 * reads and writes before a task may join. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "../cleanup.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- cpuset: a new v1 cpuset cgroup starts empty ---------- */

static int cpuset_copy(int parent, int child, const char *file, const char *where, struct pith_error *err)
{
	auto_free char *v = NULL;
	if (cgroup_read(parent, file, &v, err) < 0)
		return -1;
	v[strcspn(v, "\n")] = '\0';
	if (!*v)
		return pith_fail(err, EINVAL, "cgroup %s: the parent's %s is empty, so no task could join; set it "
				 "or use another cgroupsPath", where, file);
	return cgroup_write(child, file, v, where, err);
}

static int cpuset_init(int parent, int child, const char *where, struct pith_error *err)
{
	if (cpuset_copy(parent, child, "cpuset.cpus", where, err) < 0)
		return -1;
	return cpuset_copy(parent, child, "cpuset.mems", where, err);
}

/* ---------- making the leaf in one hierarchy ---------- */

struct made {
	bool leaf;            /* we created the leaf */
	int parents;          /* parent levels we created */
};

/* Create the missing parents of `rel` under mfd, deepest last. */
static int make_parents(int mfd, const char *rel, bool cpuset, struct made *m, struct pith_error *err)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", rel);
	char *last = strrchr(buf, '/');
	if (!last)
		return 0;
	*last = '\0';
	int levels = 1;
	for (char *s = buf; (s = strchr(s, '/')); s++)
		levels++;
	int depth = 0;
	for (char *s = buf;; s++) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		depth++;
		if (mkdirat(mfd, buf, 0755) == 0) {
			if (!m->parents)
				m->parents = levels - depth + 1;
			if (cpuset) {
				char *up = strrchr(buf, '/');
				auto_fd child = openat(mfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
				auto_fd parent = -1;
				if (up) {
					*up = '\0';
					parent = openat(mfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
					*up = '/';
				} else {
					parent = fcntl(mfd, F_DUPFD_CLOEXEC, 3);
				}
				if (child < 0 || parent < 0 || cpuset_init(parent, child, buf, err) < 0)
					return child < 0 || parent < 0 ? pith_fail(err, errno, "cgroup %s", buf) : -1;
			}
		} else if (errno != EEXIST) {
			return pith_fail(err, errno, "cannot create cgroup %s", buf);
		}
		if (!slash)
			break;
		*slash = '/';
		s = slash;
	}
	return 0;
}

static int remove_made(const struct cgroup_hier *h, const char *path, int parents, bool leaf)
{
	auto_fd mfd = open(h->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path + 1);
	if (leaf && unlinkat(mfd, buf, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	for (int i = 0; i < parents; i++) {
		char *up = strrchr(buf, '/');
		if (!up)
			break;
		*up = '\0';
		if (unlinkat(mfd, buf, AT_REMOVEDIR) < 0 && errno != ENOENT)
			break; /* another container lives there: fine */
	}
	return 0;
}

/* v2: the leaf's interface files exist only for controllers enabled in
 * every ancestor's cgroup.subtree_control. Ancestors are written only when
 * a controller is missing, top-down. */
static int v2_enable(int mfd, int leaf, const char *path, unsigned ctrls, struct pith_error *err)
{
	static const struct { enum cgroup_ctrl c; const char *name; } v2n[] = {
		{ CG_CPUSET, "cpuset" }, { CG_CPU, "cpu" }, { CG_BLKIO, "io" }, { CG_MEMORY, "memory" },
		{ CG_HUGETLB, "hugetlb" }, { CG_PIDS, "pids" }, { CG_RDMA, "rdma" }, { CG_MISC, "misc" },
	};
	if (ctrls & CG_BIT(CG_CPUACCT))
		ctrls |= CG_BIT(CG_CPU);
	auto_free char *have = NULL;
	if (cgroup_read(leaf, "cgroup.controllers", &have, err) < 0)
		return -1;
	char add[256] = "";
	for (size_t i = 0; i < sizeof(v2n) / sizeof(v2n[0]); i++) {
		if (!(ctrls & CG_BIT(v2n[i].c)))
			continue;
		bool found = false;
		size_t nl = strlen(v2n[i].name);
		for (const char *p = have; (p = strstr(p, v2n[i].name)); p += nl)
			if ((p == have || p[-1] == ' ') && (p[nl] == ' ' || p[nl] == '\n' || p[nl] == '\0'))
				found = true;
		if (!found)
			snprintf(add + strlen(add), sizeof(add) - strlen(add), "%s+%s", *add ? " " : "", v2n[i].name);
	}
	if (!*add)
		return 0;
	char buf[4096] = ".";
	const char *p = path + 1;
	for (;;) {
		const char *slash = strchr(p, '/');
		auto_fd dfd = openat(mfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || cgroup_write(dfd, "cgroup.subtree_control", add, buf, err) < 0)
			return dfd < 0 ? pith_fail(err, errno, "cgroup %s", buf)
				       : pith_wrap(err, "enabling %s for the container's cgroup", add);
		if (!slash)
			break;
		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - (path + 1)), path + 1);
		p = slash + 1;
	}
	return 0;
}

/* A cgroup that already holds processes is someone else's (cgroupsPath
 * /system.slice): joining it would let delete --force and kill --all signal
 * all of them. runc refuses it the same way. */
static int refuse_busy(const struct cgroup_hier *h, const char *path, struct pith_error *err)
{
	auto_free char *procs = NULL;
	if (cgroup_read(h->fd, "cgroup.procs", &procs, err) < 0)
		return -1;
	size_t n = 0;
	for (const char *p = procs; *p; p++)
		n += *p == '\n';
	if (n)
		return pith_fail(err, EBUSY, "cgroup %s%s is not empty: %zu process(es) in it", h->mount, path, n);
	return 0;
}

static int make_leaf(struct cgroup *cg, struct cgroup_hier *h, unsigned want, struct made *m,
		     struct pith_error *err)
{
	auto_fd mfd = open(h->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return pith_fail(err, errno, "cgroup hierarchy %s", h->mount);
	const char *rel = cg->path + 1;
	bool cpuset = !h->v2 && (h->ctrls & CG_BIT(CG_CPUSET));
	/* Usually the parent exists: one mkdirat. Retry covers a concurrent
	 * delete removing an empty parent between our two steps. */
	for (int tries = 0;; tries++) {
		if (mkdirat(mfd, rel, 0755) == 0) {
			m->leaf = true;
			break;
		}
		if (errno == EEXIST)
			break;
		if (errno != ENOENT || tries == 3)
			return pith_fail(err, errno, "cannot create cgroup %s%s", h->mount, cg->path);
		if (make_parents(mfd, rel, cpuset, m, err) < 0)
			return -1;
	}
	h->fd = openat(mfd, rel, (h->v2 ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC);
	if (h->fd < 0)
		return pith_fail(err, errno, "cgroup %s%s", h->mount, cg->path);
	if (!m->leaf && refuse_busy(h, cg->path, err) < 0)
		return -1;
	if (cpuset && m->leaf) {
		const char *slash = strrchr(rel, '/');
		char pbuf[4096];
		snprintf(pbuf, sizeof(pbuf), "%.*s", slash ? (int)(slash - rel) : 1, slash ? rel : ".");
		auto_fd parent = openat(mfd, pbuf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return pith_fail(err, errno, "cgroup %s/%s", h->mount, pbuf);
		if (cpuset_init(parent, h->fd, cg->path, err) < 0)
			return -1;
	}
	if (h->v2 && (want & h->ctrls & ~(CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES))))
		return v2_enable(mfd, h->fd, cg->path, want & h->ctrls, err);
	return 0;
}

/* ---------- applying resources ---------- */

static int check_common(const struct cgroup *cg, const struct spec_resources *r, const char *why[CG__COUNT],
			unsigned needed, struct pith_error *err)
{
	if (r->has_memory && r->memory.kernel.set)
		return pith_fail(err, 0, "linux.resources.memory.kernel is deprecated and not supported: kernel "
				 "memory is charged to memory.limit");
	if (r->has_memory && r->memory.kernel_tcp.set)
		return pith_fail(err, 0, "linux.resources.memory.kernelTCP is deprecated and not supported");
	for (int c = 0; c < CG__COUNT; c++)
		if ((needed & CG_BIT(c)) && !cgroup_hier_for(cg, (enum cgroup_ctrl)c))
			return cgroup_missing_ctrl((enum cgroup_ctrl)c, why[c] ? why[c] : "a limit", err);
	if (r->unified.n && !cgroup_v2_hier(cg))
		return pith_fail(err, 0, "linux.resources.unified needs cgroup v2, but this host mounts only "
				 "cgroup v1");
	for (size_t i = 0; i < r->unified.n; i++) {
		const char *k = r->unified.v[i].key;
		if (strchr(k, '/') || !strchr(k, '.') || k[0] == '.')
			return pith_fail(err, EINVAL, "linux.resources.unified: invalid key \"%s\"", k);
		for (int c = 0; c < CG__COUNT; c++) {
			size_t nl = strlen(cgroup_ctrl_names[c]);
			bool match = strncmp(k, cgroup_ctrl_names[c], nl) == 0 && k[nl] == '.';
			if (c == CG_BLKIO)
				match = strncmp(k, "io.", 3) == 0;
			const struct cgroup_hier *h = match ? cgroup_hier_for(cg, (enum cgroup_ctrl)c) : NULL;
			if (h && !h->v2)
				return pith_fail(err, 0, "linux.resources.unified: \"%s\": the %s controller is on "
						 "cgroup v1 on this host (hybrid layout)", k, cgroup_ctrl_names[c]);
		}
	}
	return 0;
}

static int apply(const struct cgroup *cg, const int fds[], const struct spec_resources *r,
		 const struct spec_device_rule *rules, size_t n_rules, bool update, struct pith_error *err)
{
	int dirs[CG__COUNT];
	const struct cgroup_hier *v2 = NULL;
	int v2fd = -1;
	for (int c = 0; c < CG__COUNT; c++) {
		const struct cgroup_hier *h = cgroup_hier_for(cg, (enum cgroup_ctrl)c);
		dirs[c] = h && !h->v2 ? fds[h - cg->h] : -1;
	}
	for (size_t k = 0; k < cg->n; k++)
		if (cg->h[k].v2) {
			v2 = &cg->h[k];
			v2fd = fds[k];
		}
	if (cgroup_v1_apply(dirs, r, update, err) < 0)
		return -1;
	if (v2 && v2fd >= 0 && cgroup_v2_apply(v2fd, v2->ctrls, r, update, err) < 0)
		return -1;
	if (!n_rules)
		return 0;
	const struct cgroup_hier *dh = cgroup_hier_for(cg, CG_DEVICES);
	int dfd = dh ? fds[dh - cg->h] : -1;
	if (dfd < 0)
		return cgroup_missing_ctrl(CG_DEVICES, "linux.resources.devices", err);
	if (!dh->v2)
		return cgroup_v1_devices(dfd, rules, n_rules, err);
	return cgroup_bpf_apply(dfd, rules, n_rules, update, err);
}

/* ---------- create ---------- */

static struct cgroup *from_hosts(struct cgroup_hosts *hs)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return NULL;
	cg->layout = hs->layout;
	cg->h = hs->h;
	cg->n = hs->n;
	hs->h = NULL;
	hs->n = 0;
	return cg;
}

static void undo_create(struct cgroup *cg, const struct made *made)
{
	for (size_t k = 0; k < cg->n; k++) {
		if (cg->h[k].fd >= 0) {
			close(cg->h[k].fd);
			cg->h[k].fd = -1;
		}
		if (made[k].leaf || made[k].parents)
			remove_made(&cg->h[k], cg->path, made[k].parents, made[k].leaf);
	}
}

/* The host's layout and the container's path in it; nothing created yet. */
static int cgroup_for_path(const char *cgroups_path, const char *id, bool systemd, struct cgroup **out,
			   struct pith_error *err)
{
	struct cgroup_hosts hs = { 0 };
	if (cgroup_detect(&hs, err) < 0)
		return -1;
	struct cgroup *cg = from_hosts(&hs);
	if (!cg) {
		cgroup_hosts_release(&hs);
		return pith_fail(err, ENOMEM, "cgroup");
	}
	if (cgroup_path_for(cgroups_path, id, systemd, &cg->path, err) < 0) {
		cgroup_free(cg);
		return -1;
	}
	*out = cg;
	return 0;
}

int cgroup_create(const struct spec *spec, const char *id, bool systemd, struct cgroup **out,
		  struct pith_error *err)
{
	struct cgroup *cg;
	if (cgroup_for_path(spec->linux_.cgroups_path, id, systemd, &cg, err) < 0)
		return -1;
	const struct spec_resources *r = &spec->linux_.resources;
	const char *why[CG__COUNT] = { 0 };
	unsigned needed = cgroup_needed_ctrls(r, why);
	if (check_common(cg, r, why, needed, err) < 0) {
		cgroup_free(cg);
		return -1;
	}
	struct spec_device_rule *rules = NULL;
	size_t n_rules = 0;
	if (r->n_devices && cgroup_device_rules(spec, &rules, &n_rules, err) < 0) {
		cgroup_free(cg);
		return -1;
	}
	unsigned want = needed | CG_ALWAYS;
	struct made *made = calloc(cg->n, sizeof(*made));
	int *fds = calloc(cg->n, sizeof(*fds));
	int ret = made && fds ? 0 : pith_fail(err, ENOMEM, "cgroup");
	cg->parents = 1 << 30;
	for (size_t k = 0; ret == 0 && k < cg->n; k++) {
		struct cgroup_hier *h = &cg->h[k];
		fds[k] = -1;
		if (!h->v2 && !(h->ctrls & want))
			continue;
		ret = make_leaf(cg, h, want, &made[k], err);
		h->joined = ret == 0;
		fds[k] = h->fd;
		if (made[k].parents < cg->parents)
			cg->parents = made[k].parents;
	}
	if (cg->parents == 1 << 30)
		cg->parents = 0;
	if (ret == 0)
		ret = apply(cg, fds, r, rules, n_rules, false, err);
	if (ret < 0 && made)
		undo_create(cg, made);
	free(made);
	free(fds);
	free(rules);
	if (ret < 0) {
		cgroup_free(cg);
		return pith_wrap(err, "cgroup");
	}
	cg->fresh = true;
	*out = cg;
	return 0;
}

/* ---------- joining, listing, signalling ---------- */

static int write_pid(int dirfd, pid_t pid, const char *where, struct pith_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (cgroup_write(dirfd, "cgroup.procs", buf, where, err) < 0)
		return pith_wrap(err, "moving pid %d into its cgroup", (int)pid);
	return 0;
}

int cgroup_add_pid(const struct cgroup *cg, pid_t pid, struct pith_error *err)
{
	for (size_t k = 0; k < cg->n; k++) {
		const struct cgroup_hier *h = &cg->h[k];
		/* From state.json, `update` may have joined more hierarchies
		 * since: a leaf that exists there is the container's too. */
		if (!h->joined && (cg->fresh || h->v2 || !h->ctrls))
			continue;
		auto_fd fd = cgroup_open_leaf(cg, h, err);
		if (fd < 0 && !h->joined)
			continue;
		if (fd < 0)
			return -1;
		if (write_pid(fd, pid, h->mount, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_leaf_fd(const struct cgroup *cg)
{
	if (cg->layout != CGROUP_LAYOUT_V2)
		return -1;
	const struct cgroup_hier *h = cgroup_v2_hier(cg);
	return h && h->joined ? h->fd : -1;
}

/* The hierarchy whose cgroup.procs lists every process of the container. */
static const struct cgroup_hier *procs_hier(const struct cgroup *cg)
{
	const struct cgroup_hier *h = cgroup_v2_hier(cg);
	if (h && h->joined)
		return h;
	static const enum cgroup_ctrl pref[] = { CG_FREEZER, CG_PIDS, CG_MEMORY, CG_DEVICES, CG_CPUACCT };
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		h = cgroup_hier_for(cg, pref[i]);
		if (h && h->joined)
			return h;
	}
	for (size_t k = 0; k < cg->n; k++)
		if (cg->h[k].joined)
			return &cg->h[k];
	return NULL;
}

int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, struct pith_error *err)
{
	*pids = NULL;
	*n = 0;
	const struct cgroup_hier *h = procs_hier(cg);
	if (!h)
		return pith_fail(err, ENOENT, "cgroup %s: not joined in any hierarchy", cg->path);
	auto_fd fd = cgroup_open_leaf(cg, h, err);
	if (fd < 0)
		return -1;
	auto_free char *text = NULL;
	if (cgroup_read(fd, "cgroup.procs", &text, err) < 0)
		return -1;
	size_t cap = 0;
	for (char *p = text; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (*n == cap) {
			pid_t *np = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof(pid_t));
			if (!np) {
				free(*pids);
				*pids = NULL;
				return pith_fail(err, ENOMEM, "cgroup.procs");
			}
			*pids = np;
		}
		(*pids)[(*n)++] = (pid_t)v;
		p = end + strspn(end, "\n");
	}
	return 0;
}

static int with_ctrl_fd(const struct cgroup *cg, enum cgroup_ctrl c, const struct cgroup_hier **hp,
			struct pith_error *err)
{
	const struct cgroup_hier *h = cgroup_hier_for(cg, c);
	if (!h || !h->joined) {
		if (c == CG_FREEZER)
			return pith_fail(err, ENOTSUP, "the freezer cgroup controller is not available on this host: "
					 "pause needs it (CONFIG_CGROUP_FREEZER)");
		return pith_fail(err, ENOENT, "the container is not in a %s cgroup", cgroup_ctrl_names[c]);
	}
	*hp = h;
	return cgroup_open_leaf(cg, h, err);
}

int cgroup_freeze(const struct cgroup *cg, bool frozen, struct pith_error *err)
{
	const struct cgroup_hier *h = NULL;
	auto_fd fd = with_ctrl_fd(cg, CG_FREEZER, &h, err);
	if (fd < 0)
		return -1;
	return h->v2 ? cgroup_v2_freeze(fd, frozen, err) : cgroup_v1_freeze(fd, frozen, err);
}

int cgroup_is_frozen(const struct cgroup *cg, bool *frozen, struct pith_error *err)
{
	const struct cgroup_hier *h = NULL;
	*frozen = false;
	auto_fd fd = with_ctrl_fd(cg, CG_FREEZER, &h, err);
	if (fd < 0)
		return -1;
	return h->v2 ? cgroup_v2_is_frozen(fd, frozen, err) : cgroup_v1_is_frozen(fd, frozen, err);
}

int cgroup_kill_all(const struct cgroup *cg, int sig, struct pith_error *err)
{
	const struct cgroup_hier *v2 = cgroup_v2_hier(cg);
	if (sig == SIGKILL && v2 && v2->joined) {
		auto_fd fd = cgroup_open_leaf(cg, v2, err);
		if (fd < 0)
			return -1;
		int r = cgroup_write(fd, "cgroup.kill", "1", cg->path, err);
		if (r != -ENOENT)
			return r; /* before 5.14 there is no cgroup.kill: signal one by one */
	}
	/* Frozen, nobody can fork a child we would miss. */
	struct pith_error ignored = { 0 };
	bool froze = cgroup_freeze(cg, true, &ignored) == 0;
	pid_t *pids = NULL;
	size_t n = 0;
	int ret = cgroup_pids(cg, &pids, &n, err);
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			ret = pith_fail(err, errno, "kill(%d, %d)", (int)pids[i], sig);
	free(pids);
	if (froze && cgroup_freeze(cg, false, &ignored) < 0 && ret == 0)
		ret = pith_fail(err, ignored.errnum, "%s", ignored.msg);
	return ret;
}

int cgroup_oom_kills(const struct cgroup *cg, uint64_t *count, struct pith_error *err)
{
	*count = 0;
	const struct cgroup_hier *h = cgroup_hier_for(cg, CG_MEMORY);
	if (!h || !h->joined)
		return 0;
	auto_fd fd = cgroup_open_leaf(cg, h, err);
	if (fd < 0)
		return -1;
	auto_free char *text = NULL;
	const char *file = h->v2 ? "memory.events" : "memory.oom_control";
	if (cgroup_read(fd, file, &text, err) < 0)
		return -1;
	if (cgroup_kv_u64(text, "oom_kill", count) < 0)
		return pith_fail(err, ENOTSUP, "%s has no oom_kill counter (kernel older than 4.13)", file);
	return 0;
}

int cgroup_state_annotations(const struct cgroup *cg, json_t *annotations)
{
	struct pith_error ignored = { 0 };
	uint64_t n;
	const struct cgroup_hier *h = cgroup_hier_for(cg, CG_MEMORY);
	if (!h || !h->joined || !json_is_object(annotations) || cgroup_oom_kills(cg, &n, &ignored) < 0)
		return 0;
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	json_object_set_new(annotations, "io.pith.oom_kills", json_string(buf));
	return 0;
}

/* ---------- update ---------- */

/* Join a hierarchy the container was not in yet (e.g. cpuset on a first
 * `update --cpuset-cpus`), moving every process. */
static int late_join(const struct cgroup *cg, struct cgroup_hier *h, int *fd, struct pith_error *err)
{
	pid_t *pids = NULL;
	size_t n = 0;
	struct made m = { 0 };
	if (cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	struct cgroup tmp = *cg;
	int ret = make_leaf(&tmp, h, h->ctrls, &m, err);
	*fd = h->fd;
	h->fd = -1;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		int w = write_pid(*fd, pids[i], h->mount, err);
		if (w < 0 && w != -ESRCH)
			ret = -1;
	}
	free(pids);
	return ret;
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *r, struct pith_error *err)
{
	const char *why[CG__COUNT] = { 0 };
	unsigned needed = cgroup_needed_ctrls(r, why);
	if (check_common(cg, r, why, needed, err) < 0)
		return -1;
	struct cgroup_hier *hs = calloc(cg->n, sizeof(*hs));
	int *fds = calloc(cg->n, sizeof(*fds));
	int ret = hs && fds ? 0 : pith_fail(err, ENOMEM, "cgroup update");
	for (size_t k = 0; ret == 0 && k < cg->n; k++) {
		hs[k] = cg->h[k];
		hs[k].fd = -1;
		fds[k] = -1;
		if (cg->h[k].joined)
			fds[k] = cgroup_open_leaf(cg, &cg->h[k], err);
		else if (!cg->h[k].v2 && (cg->h[k].ctrls & needed) && (ret = late_join(cg, &hs[k], &fds[k], err)) == 0)
			cg->h[k].joined = true; /* recorded in state.json by the caller */
		if (fds[k] < 0 && cg->h[k].joined)
			ret = -1;
	}
	struct spec_device_rule *rules = NULL;
	size_t n_rules = 0;
	if (ret == 0 && r->n_devices) {
		struct spec fake = { 0 };
		fake.linux_.resources = *r;
		ret = cgroup_device_rules(&fake, &rules, &n_rules, err);
	}
	if (ret == 0)
		ret = apply(cg, fds, r, rules, n_rules, true, err);
	for (size_t k = 0; fds && k < cg->n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	free(fds);
	free(hs);
	free(rules);
	return ret < 0 ? pith_wrap(err, "update") : 0;
}

/* ---------- destroy ---------- */

/* Parents under a top-level "pith" (or "pith-*") directory are pith's
 * shared ground: they stay, so the next container does not pay for making
 * them again in every hierarchy (as runc keeps its parents). Elsewhere only
 * the parents this container's create made go, and rmdir fails on a
 * non-empty or busy cgroup, so a parent still in use is never lost. */
static int removable_parents(const struct cgroup *cg)
{
	const char *p = cg->path + 1;
	size_t first = strcspn(p, "/");
	bool ours = (first == 4 && strncmp(p, "pith", 4) == 0) || strncmp(p, "pith-", 5) == 0;
	return ours ? 0 : cg->parents;
}

int cgroup_destroy(struct cgroup *cg, struct pith_error *err)
{
	int64_t deadline = now_ms() + 1000;
	for (size_t k = 0; k < cg->n; k++) {
		struct cgroup_hier *h = &cg->h[k];
		if (h->fd >= 0) {
			close(h->fd);
			h->fd = -1;
		}
		/* update records the hierarchies it joins, so "joined" is the truth */
		if (!h->joined)
			continue;
		for (;;) {
			int r = remove_made(h, cg->path, removable_parents(cg), true);
			if (r == 0)
				break;
			if (r != -EBUSY || now_ms() > deadline)
				return pith_fail(err, -r, "removing cgroup %s%s%s", h->mount, cg->path,
						 r == -EBUSY ? " (processes still in it)" : "");
			sleep_ms(10);
		}
		h->joined = false;
	}
	return 0;
}

int cgroup_locate(const char *cgroups_path, const char *id, bool systemd, struct cgroup **out,
		  struct pith_error *err)
{
	struct cgroup *cg;
	if (cgroup_for_path(cgroups_path, id, systemd, &cg, err) < 0)
		return -1;
	/* Whatever create got to make: only the leaves that exist; NULL if none. */
	bool any = false;
	for (size_t k = 0; k < cg->n; k++) {
		struct cgroup_hier *h = &cg->h[k];
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s%s", h->mount, cg->path);
		h->joined = access(dir, F_OK) == 0;
		any |= h->joined;
	}
	cg->parents = 0;
	if (!any) {
		cgroup_free(cg);
		cg = NULL;
	}
	*out = cg;
	return 0;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	struct cgroup_hosts hs = { .h = cg->h, .n = cg->n };
	cgroup_hosts_release(&hs);
	free(cg->path);
	free(cg);
}

/* ---------- state.json ---------- */

static const char *const layout_names[] = { "v1", "v2", "hybrid" };

json_t *cgroup_to_json(const struct cgroup *cg)
{
	json_t *hs = json_array();
	for (size_t k = 0; k < cg->n; k++) {
		const struct cgroup_hier *h = &cg->h[k];
		json_t *ctrls = json_array();
		for (int c = 0; c < CG__COUNT; c++)
			if (h->ctrls & CG_BIT(c))
				json_array_append_new(ctrls, json_string(cgroup_ctrl_names[c]));
		json_array_append_new(hs, json_pack("{s:s, s:s, s:o, s:b, s:b}", "mount", h->mount, "name", h->name,
						    "controllers", ctrls, "v2", h->v2, "joined", h->joined));
	}
	return json_pack("{s:s, s:s, s:i, s:o}", "layout", layout_names[cg->layout], "path", cg->path, "parents",
			 cg->parents, "hierarchies", hs);
}

static int hier_from_json(json_t *jh, struct cgroup_hier *h, struct pith_error *err)
{
	const char *mount, *name;
	json_t *ctrls;
	int v2, joined;
	if (json_unpack(jh, "{s:s, s:s, s:o, s:b, s:b}", "mount", &mount, "name", &name, "controllers", &ctrls,
			"v2", &v2, "joined", &joined) < 0 || !json_is_array(ctrls))
		return pith_fail(err, EINVAL, "state.json: cgroup: malformed hierarchy");
	*h = (struct cgroup_hier){ .mount = strdup(mount), .name = strdup(name), .v2 = v2, .joined = joined, .fd = -1 };
	size_t i;
	json_t *v;
	json_array_foreach(ctrls, i, v) {
		for (int c = 0; c < CG__COUNT; c++)
			if (json_is_string(v) && strcmp(json_string_value(v), cgroup_ctrl_names[c]) == 0)
				h->ctrls |= CG_BIT(c);
	}
	if (!h->mount || !h->name)
		return pith_fail(err, ENOMEM, "state.json: cgroup");
	return 0;
}

int cgroup_from_json(json_t *j, struct cgroup **out, struct pith_error *err)
{
	const char *layout, *path;
	json_t *hs;
	int parents;
	if (json_unpack(j, "{s:s, s:s, s:i, s:o}", "layout", &layout, "path", &path, "parents", &parents,
			"hierarchies", &hs) < 0 || !json_is_array(hs) || path[0] != '/')
		return pith_fail(err, EINVAL, "state.json: malformed \"cgroup\" object");
	struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return pith_fail(err, ENOMEM, "state.json: cgroup");
	cg->layout = strcmp(layout, "v2") == 0 ? CGROUP_LAYOUT_V2
		     : strcmp(layout, "hybrid") == 0 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1;
	cg->parents = parents;
	cg->path = strdup(path);
	cg->h = calloc(json_array_size(hs) + 1, sizeof(*cg->h));
	for (size_t k = 0; cg->h && k <= json_array_size(hs); k++)
		cg->h[k].fd = -1;
	if (!cg->path || !cg->h) {
		cgroup_free(cg);
		return pith_fail(err, ENOMEM, "state.json: cgroup");
	}
	for (size_t k = 0; k < json_array_size(hs); k++) {
		if (hier_from_json(json_array_get(hs, k), &cg->h[k], err) < 0) {
			cg->n = k + 1;
			cgroup_free(cg);
			return -1;
		}
		cg->n = k + 1;
	}
	*out = cg;
	return 0;
}

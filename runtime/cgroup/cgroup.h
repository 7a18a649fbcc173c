/* A container's cgroup on cgroup v1, v2 or a hybrid of both.
 *
 * The layout is read from /proc/self/mountinfo (and the v2 root's
 * cgroup.controllers), never from /proc/cgroups. Every controller is served
 * by exactly one hierarchy: a v1 hierarchy when one carries it, else the v2
 * mount when its root owns it. The container's cgroup has the same path
 * (e.g. /pith/<id>) in every hierarchy it joins; nothing is written outside
 * that leaf and the parents pith itself created. */
#ifndef PITH_CGROUP_H
#define PITH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "../error.h"
#include "../../config/spec.h"

struct cgroup;   /* opaque: layout, and the leaf's path in each hierarchy */

/* Decide the path (linux.cgroupsPath absolute, relative (under /pith) or
 * absent: /pith/<id>; with `systemd`, "slice:prefix:name" is mapped onto a
 * cgroupfs path), create it, apply linux.resources. Fails with a clear,
 * board-aware error when a requested controller is missing. On failure,
 * removes whatever it created. */
int cgroup_create(const struct spec *spec, const char *id, bool systemd, struct cgroup **out,
		  struct pith_error *err);
/* The cgroup that cgroup_create would make for (cgroupsPath, id), without
 * creating anything: for cleaning up after a create that died before it
 * could record its cgroup. *out is NULL when no part of it exists. */
int cgroup_locate(const char *cgroups_path, const char *id, bool systemd, struct cgroup **out,
		  struct pith_error *err);
/* Move pid (a whole thread group) into the leaf of every hierarchy joined. */
int cgroup_add_pid(const struct cgroup *cg, pid_t pid, struct pith_error *err);
/* The v2 leaf directory fd for clone3(CLONE_INTO_CGROUP), or -1 when the
 * layout is not pure v2 (on v1/hybrid, use cgroup_add_pid after clone). */
int cgroup_leaf_fd(const struct cgroup *cg);
/* Serialised form stored in state.json (a new reference). */
json_t *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_t *j, struct cgroup **out, struct pith_error *err);
/* Signal every process: cgroup.kill on v2 for SIGKILL, otherwise freeze,
 * signal each pid of cgroup.procs, thaw. */
int cgroup_kill_all(const struct cgroup *cg, int sig, struct pith_error *err);
/* rmdir the leaf in every hierarchy and the empty parents pith made,
 * retrying while the cgroup drains (about 1 s). Does not free cg. */
int cgroup_destroy(struct cgroup *cg, struct pith_error *err);
int cgroup_freeze(const struct cgroup *cg, bool frozen, struct pith_error *err);
int cgroup_is_frozen(const struct cgroup *cg, bool *frozen, struct pith_error *err);
/* Host pids in the leaf (v2 leaf when there is one, else the first v1
 * hierarchy joined). *pids is malloc()ed. */
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, struct pith_error *err);
/* Apply a new linux.resources to the live cgroup (pith update). */
int cgroup_update(struct cgroup *cg, const struct spec_resources *r, struct pith_error *err);
/* OOM kills so far: memory.events oom_kill (v2), memory.oom_control
 * oom_kill (v1). 0 when the memory controller is not joined. */
int cgroup_oom_kills(const struct cgroup *cg, uint64_t *count, struct pith_error *err);
/* For `pith state`: add "io.pith.oom_kills" (decimal count) to the
 * annotations object when the memory controller is joined. Never fails the
 * caller: returns 0 and leaves annotations alone when it cannot read. */
int cgroup_state_annotations(const struct cgroup *cg, json_t *annotations);
struct mnt_target;
/* Mount what a "cgroup"/"cgroup2" mount of config.json means onto the
 * destination t (an fd resolved inside the rootfs; `name` is for messages),
 * in the container's init, in its mount namespace, before pivot_root. Every
 * mount goes onto an fd, never a path string a symlink could redirect. See
 * cgroup_mount.c for the layouts. With a cgroup namespace the caller must
 * have unshared it AFTER the process joined its cgroups, so the namespace
 * root is the leaf. */
int cgroup_mount_fs(const struct cgroup *cg, const struct mnt_target *t, const char *name,
		    unsigned long flags, bool has_cgroupns, struct pith_error *err);
/* runc's `events` "data" object: cpu, memory, pids, blkio, hugetlb. */
int cgroup_stats(const struct cgroup *cg, json_t **out, struct pith_error *err);
void cgroup_free(struct cgroup *cg);
/* For tests: use a fake root instead of /sys/fs/cgroup and a fake mountinfo
 * (mount points in it are rewritten: "/sys/fs/cgroup" -> fake_root).
 * NULL, NULL restores the real ones. */
void cgroup_set_test_root(const char *fake_root, const char *fake_mountinfo);

/* ---------- shared by cgroup*.c (not for other modules) ---------- */

enum cgroup_layout { CGROUP_LAYOUT_V1, CGROUP_LAYOUT_V2, CGROUP_LAYOUT_HYBRID };

enum cgroup_ctrl {
	CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER, CG_BLKIO, CG_PIDS,
	CG_HUGETLB, CG_NET_CLS, CG_NET_PRIO, CG_RDMA, CG_MISC,
	CG__COUNT
};
#define CG_BIT(c) (1u << (c))

extern const char *const cgroup_ctrl_names[CG__COUNT]; /* v1 names ("blkio"); v2 "io" is CG_BLKIO */

struct cgroup_hier {
	char *mount;          /* host mount point, e.g. /sys/fs/cgroup/memory */
	char *name;           /* v1 super-options kept: "cpu,cpuacct", "name=systemd"; "" on v2 */
	unsigned ctrls;       /* CG_BIT()s this hierarchy serves (for v2: what pith uses it for) */
	bool v2;
	bool joined;          /* the leaf exists here and the container belongs in it */
	int fd;               /* leaf dir while cgroup_create's struct lives, else -1 */
};

struct cgroup {
	enum cgroup_layout layout;
	char *path;           /* "/pith/<id>", same in every hierarchy */
	int parents;          /* parent levels above the leaf that pith created (removed when empty) */
	bool fresh;           /* made by cgroup_create in this process: `joined` is exact */
	struct cgroup_hier *h;
	size_t n;
};

struct cgroup_hosts {         /* what the host mounts (detection result) */
	enum cgroup_layout layout;
	struct cgroup_hier *h;
	size_t n;
	unsigned v2_owned;    /* controllers the v2 root's cgroup.controllers lists */
	bool have_v2;
};

#define CG_ALWAYS (CG_BIT(CG_FREEZER) | CG_BIT(CG_PIDS) | CG_BIT(CG_MEMORY) | CG_BIT(CG_DEVICES) | \
		   CG_BIT(CG_CPUACCT))

/* cgroup.c */
int cgroup_detect(struct cgroup_hosts *out, struct pith_error *err);
int cgroup_parse_mountinfo(const char *text, const char *root_rewrite, struct cgroup_hosts *out,
			   struct pith_error *err);
void cgroup_hosts_release(struct cgroup_hosts *hs);
int cgroup_path_for(const char *cgroups_path, const char *id, bool systemd, char **out, struct pith_error *err);
const struct cgroup_hier *cgroup_hier_for(const struct cgroup *cg, enum cgroup_ctrl c);
const struct cgroup_hier *cgroup_v2_hier(const struct cgroup *cg);
/* Open <hier mount><cg path> as a directory (O_PATH|O_DIRECTORY|O_CLOEXEC). */
int cgroup_open_leaf(const struct cgroup *cg, const struct cgroup_hier *h, struct pith_error *err);
/* Write a value into a file of a dir fd; names the controller and file on error.
 * ENOENT becomes "not supported by this kernel". */
int cgroup_write(int dirfd, const char *file, const char *value, const char *what, struct pith_error *err);
int cgroup_writef(int dirfd, const char *file, const char *what, struct pith_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Read a whole small file into a malloc()ed NUL-terminated buffer. */
int cgroup_read(int dirfd, const char *file, char **out, struct pith_error *err);
int cgroup_read_u64(int dirfd, const char *file, uint64_t *out, struct pith_error *err);
/* "key value" lines (memory.stat, cpu.stat, memory.events): value of key. */
int cgroup_kv_u64(const char *text, const char *key, uint64_t *out);
/* The board-aware message for a controller the host cannot provide. */
int cgroup_missing_ctrl(enum cgroup_ctrl c, const char *what, struct pith_error *err);
/* Controllers the resources need (CG_BIT set), with the first field needing each, for messages. */
unsigned cgroup_needed_ctrls(const struct spec_resources *r, const char *why[CG__COUNT]);
/* Write one line (value + '\n') to an already open file: files taking a list
 * of entries (devices.allow, io.max, net_prio.ifpriomap) take one per write. */
int cgroup_write_line(int fd, const char *file, const char *value, const char *what, struct pith_error *err);

/* cgroup_v1.c: resources on v1 hierarchies. `dirs[c]` is the leaf dirfd of
 * the hierarchy serving controller c, or -1. */
int cgroup_v1_apply(const int dirs[CG__COUNT], const struct spec_resources *r, bool update,
		    struct pith_error *err);
int cgroup_v1_devices(int dirfd, const struct spec_device_rule *rules, size_t n, struct pith_error *err);
int cgroup_v1_freeze(int dirfd, bool frozen, struct pith_error *err);
int cgroup_v1_is_frozen(int dirfd, bool *frozen, struct pith_error *err);
int cgroup_v2_freeze(int dirfd, bool frozen, struct pith_error *err);
int cgroup_v2_is_frozen(int dirfd, bool *frozen, struct pith_error *err);
int cgroup_v2_rdma(int fd, const struct spec_resources *r, struct pith_error *err); /* in cgroup_v1.c */
/* cgroup_v2.c: resources on the v2 leaf; `owned` is what v2 serves. */
int cgroup_v2_apply(int leaf, unsigned owned, const struct spec_resources *r, bool update,
		    struct pith_error *err);
uint64_t cgroup_shares_to_weight(uint64_t shares);       /* crun's formula */
uint64_t cgroup_blkio_weight_to_io(uint64_t weight);     /* [10,1000] -> [1,10000] */
/* OCI swap (memory+swap) -> memory.swap.max; *skip when nothing to write, -1 = "max". */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, bool limit_set, int64_t *out, bool *skip,
		      struct pith_error *err);

/* cgroup_bpf.c: the v2 device program. */
struct bpf_insn;          /* <linux/bpf.h> */
/* Build the program for the rules (last matching rule wins; no match: allow
 * unless the rules hold a wildcard). *insns is malloc()ed. */
int cgroup_bpf_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **insns,
		     size_t *n_insns, struct pith_error *err);
/* Load and attach it to the v2 leaf (BPF_F_ALLOW_MULTI); with `replace`,
 * detach the programs attached before. */
int cgroup_bpf_apply(int leaf, const struct spec_device_rule *rules, size_t n, bool replace,
		     struct pith_error *err);
/* The rules the spec asks for plus the devices every container gets
 * (null, zero, full, random, urandom, tty, console, ptmx, pts) and the
 * linux.devices nodes; malloc()ed. */
int cgroup_device_rules(const struct spec *spec, struct spec_device_rule **out, size_t *n,
			struct pith_error *err);

#endif

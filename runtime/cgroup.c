/* Stubs while the real implementation lands. */
#include <errno.h>
#include "cgroup.h"

int cgroup_create(const struct spec *spec, const char *id, bool systemd, struct cgroup **out,
		  struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_add_pid(const struct cgroup *cg, pid_t pid, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_leaf_fd(const struct cgroup *cg) { return -1; }
json_t *cgroup_to_json(const struct cgroup *cg) { return json_object(); }
int cgroup_from_json(json_t *j, struct cgroup **out, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_kill_all(const struct cgroup *cg, int sig, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_destroy(struct cgroup *cg, struct pith_error *err) { return 0; }
int cgroup_freeze(const struct cgroup *cg, bool frozen, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_is_frozen(const struct cgroup *cg, bool *frozen, struct pith_error *err) { *frozen = false; return 0; }
int cgroup_pids(const struct cgroup *cg, pid_t **pids, size_t *n, struct pith_error *err) { *pids = NULL; *n = 0; return 0; }
int cgroup_update(const struct cgroup *cg, const struct spec_resources *r, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_oom_kills(const struct cgroup *cg, uint64_t *count, struct pith_error *err) { *count = 0; return 0; }
int cgroup_state_annotations(const struct cgroup *cg, json_t *annotations) { return 0; }
int cgroup_mount_fs(const struct cgroup *cg, const char *dest, unsigned long flags, bool has_cgroupns,
		    struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
int cgroup_stats(const struct cgroup *cg, json_t **out, struct pith_error *err) { return pith_fail(err, ENOSYS, "cgroups: not implemented yet"); }
void cgroup_free(struct cgroup *cg) { }
void cgroup_set_test_root(const char *fake_root, const char *fake_mountinfo) { }

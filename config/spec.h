/* The OCI runtime-spec 1.3 configuration as one typed, validated struct.
 *
 * Strings point into the jansson tree kept in `struct spec.json`, so parsing
 * copies nothing; spec_free() releases the tree and the arrays. Everything a
 * runtime needs is converted once here (mount options to flags, capability
 * names to numbers, namespace names to CLONE_* bits), so the container's init
 * does no parsing. Optional scalars carry a `set` flag: absent is not zero. */
#ifndef PITH_SPEC_H
#define PITH_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "../runtime/error.h"

typedef struct { bool set; int64_t v; } spec_i64;
typedef struct { bool set; uint64_t v; } spec_u64;
typedef struct { bool set; bool v; } spec_bool;

struct spec_strv {            /* a JSON array of strings */
	const char **v;           /* NULL-terminated, so it can go to execve directly */
	size_t n;
};

struct spec_kv {              /* one entry of a JSON object of strings */
	const char *key;
	const char *value;
};

struct spec_kvv {
	struct spec_kv *v;
	size_t n;
};

/* ---------- root ---------- */
struct spec_root {
	const char *path;         /* as written; relative means relative to the bundle */
	bool readonly;
};

/* ---------- mounts ---------- */
struct spec_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct spec_id_mappings {
	struct spec_id_mapping *v;
	size_t n;
};

enum spec_mount_kind {
	SPEC_MOUNT_FS,            /* a filesystem type: proc, tmpfs, overlay, ... */
	SPEC_MOUNT_BIND,          /* "bind" option or type "bind" */
	SPEC_MOUNT_RBIND,         /* "rbind" */
};

struct spec_mount {
	const char *destination;  /* absolute, or relative to the rootfs (spec allows both) */
	const char *type;         /* may be NULL (bind mounts) */
	const char *source;       /* may be NULL */
	struct spec_strv options; /* the raw strings, for error messages and features */
	enum spec_mount_kind kind;
	unsigned long flags;      /* MS_* to set: MS_RDONLY, MS_NOSUID, MS_NODEV, ... */
	unsigned long clear_flags;/* MS_* explicitly cleared ("rw", "suid", ...) */
	unsigned long propagation;/* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, |MS_REC */
	uint64_t attr_set;        /* MOUNT_ATTR_* for mount_setattr (recursive ro etc.) */
	uint64_t attr_clr;
	bool recursive_attrs;     /* "rro", "rnosuid", ...: apply attrs with AT_RECURSIVE */
	bool idmap;               /* "idmap" or "ridmap" */
	bool idmap_recursive;     /* "ridmap" */
	bool tmpcopyup;           /* "tmpcopyup": copy the image's dir content into the tmpfs */
	char *data;               /* remaining filesystem options joined by ',' (owned), or NULL */
	struct spec_id_mappings uid_mappings; /* mount-level idmap (spec 1.2) */
	struct spec_id_mappings gid_mappings;
};

/* ---------- process ---------- */
struct spec_user {
	uint32_t uid;
	uint32_t gid;
	spec_u64 umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	const char *username;     /* Windows only; refused if set */
};

struct spec_rlimit {
	int resource;             /* RLIMIT_* */
	const char *name;         /* "RLIMIT_NOFILE" */
	uint64_t hard;
	uint64_t soft;
};

/* Capability sets as bit masks of CAP_* numbers (all < 64). An absent set is 0. */
struct spec_capabilities {
	uint64_t bounding;
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable;
	uint64_t ambient;
};

struct spec_scheduler {
	int policy;               /* SCHED_OTHER, SCHED_FIFO, ... */
	spec_i64 nice;
	spec_i64 priority;
	uint64_t flags;           /* SCHED_FLAG_* */
	spec_u64 runtime;
	spec_u64 deadline;
	spec_u64 period;
};

struct spec_io_priority {
	int class_;               /* IOPRIO_CLASS_RT/BE/IDLE */
	int priority;             /* 0..7 */
};

struct spec_process {
	bool terminal;
	bool has_console_size;
	unsigned console_height;
	unsigned console_width;
	struct spec_user user;
	struct spec_strv args;    /* at least one entry */
	struct spec_strv env;
	const char *cwd;          /* absolute */
	bool has_capabilities;
	struct spec_capabilities capabilities;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	const char *apparmor_profile;
	spec_i64 oom_score_adj;
	const char *selinux_label;
	bool has_io_priority;
	struct spec_io_priority io_priority;
	bool has_scheduler;
	struct spec_scheduler scheduler;
	const char *exec_cpu_affinity_initial; /* cpu list "0-3,7", or NULL */
	const char *exec_cpu_affinity_final;
};

/* ---------- hooks ---------- */
enum spec_hook_kind {
	SPEC_HOOK_PRESTART,
	SPEC_HOOK_CREATE_RUNTIME,
	SPEC_HOOK_CREATE_CONTAINER,
	SPEC_HOOK_START_CONTAINER,
	SPEC_HOOK_POSTSTART,
	SPEC_HOOK_POSTSTOP,
	SPEC_HOOK__COUNT
};

extern const char *const spec_hook_names[SPEC_HOOK__COUNT]; /* "prestart", "createRuntime", ... */

struct spec_hook {
	const char *path;         /* absolute */
	struct spec_strv args;
	struct spec_strv env;
	spec_i64 timeout;         /* seconds, > 0 when set */
};

struct spec_hooks {
	struct spec_hook *v;
	size_t n;
};

/* ---------- linux ---------- */
struct spec_namespace {
	int type;                 /* CLONE_NEWPID, CLONE_NEWNET, ... */
	const char *name;         /* "pid", "network", ... as written */
	const char *path;         /* join this one instead of creating; NULL to create */
};

struct spec_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct spec_device {          /* linux.devices: nodes to create in /dev */
	const char *path;
	char type;                /* 'c', 'b', 'u' (same as c), 'p' */
	int64_t major;
	int64_t minor;
	spec_u64 file_mode;
	spec_u64 uid;
	spec_u64 gid;
};

/* What 0 and a negative value mean for each numeric resource field (the
 * table is in parse_resources.c; the parser applies it, so the cgroup code
 * sees an "unset" zero as absent). */
enum zero_means { ZERO_VALUE, ZERO_UNSET };
enum neg_means { NEG_REFUSED, NEG_UNLIMITED, NEG_UNSET, NEG_VALUE };
enum zr_field {
	ZR_MEM_LIMIT, ZR_MEM_RESERVATION, ZR_MEM_SWAP, ZR_MEM_KERNEL, ZR_MEM_KERNEL_TCP,
	ZR_MEM_SWAPPINESS, ZR_MEM_DISABLE_OOM, ZR_MEM_USE_HIERARCHY, ZR_MEM_CHECK_BEFORE_UPDATE,
	ZR_CPU_SHARES, ZR_CPU_QUOTA, ZR_CPU_BURST, ZR_CPU_PERIOD, ZR_CPU_RT_RUNTIME, ZR_CPU_RT_PERIOD,
	ZR_CPU_CPUS, ZR_CPU_MEMS, ZR_CPU_IDLE, ZR_PIDS_LIMIT, ZR_BLKIO_WEIGHT, ZR_BLKIO_LEAF_WEIGHT,
	ZR_BLKIO_DEVICE_WEIGHT, ZR_BLKIO_DEVICE_LEAF_WEIGHT, ZR_BLKIO_THROTTLE_RATE, ZR_HUGEPAGE_LIMIT,
	ZR_NET_CLASS_ID, ZR_NET_PRIORITY, ZR_RDMA_HCA_HANDLES, ZR_RDMA_HCA_OBJECTS, ZR_UNIFIED,
	ZR_OOM_SCORE_ADJ, ZR_RLIMIT, ZR__COUNT
};
struct zero_rule {
	const char *field;        /* under linux.resources unless it says process. */
	enum zero_means zero;
	enum neg_means neg;       /* -1, or 2^64-1 for an unsigned field */
};
extern const struct zero_rule spec_zero_rules[ZR__COUNT];
/* Apply the table to resources not made by the parser (`pith update` flags). */
struct spec_resources;
void spec_resources_zero_rules(struct spec_resources *r);

/* resources */
struct spec_memory {
	spec_i64 limit;
	spec_i64 reservation;
	spec_i64 swap;
	spec_i64 kernel;          /* deprecated: refused by cgroups when set */
	spec_i64 kernel_tcp;
	spec_u64 swappiness;
	spec_bool disable_oom_killer;
	spec_bool use_hierarchy;
	spec_bool check_before_update;
};

struct spec_cpu {
	spec_u64 shares;
	spec_i64 quota;
	spec_u64 burst;
	spec_u64 period;
	spec_i64 realtime_runtime;
	spec_u64 realtime_period;
	const char *cpus;
	const char *mems;
	spec_i64 idle;
};

struct spec_weight_device {
	int64_t major;
	int64_t minor;
	spec_u64 weight;
	spec_u64 leaf_weight;
};

struct spec_throttle_device {
	int64_t major;
	int64_t minor;
	uint64_t rate;
};

struct spec_throttles {
	struct spec_throttle_device *v;
	size_t n;
};

struct spec_block_io {
	spec_u64 weight;
	spec_u64 leaf_weight;
	struct spec_weight_device *weight_device;
	size_t n_weight_device;
	struct spec_throttles throttle_read_bps;
	struct spec_throttles throttle_write_bps;
	struct spec_throttles throttle_read_iops;
	struct spec_throttles throttle_write_iops;
};

struct spec_hugepage_limit {
	const char *page_size;    /* "2MB", "1GB", "64KB" */
	uint64_t limit;
};

struct spec_net_priority {
	const char *name;
	uint32_t priority;
};

struct spec_network {
	spec_u64 class_id;
	struct spec_net_priority *priorities;
	size_t n_priorities;
};

struct spec_rdma {
	const char *device;
	spec_u64 hca_handles;
	spec_u64 hca_objects;
};

struct spec_device_rule {     /* linux.resources.devices: cgroup allow/deny list */
	bool allow;
	char type;                /* 'a', 'b', 'c' ; 'a' when absent */
	int64_t major;            /* -1 = wildcard */
	int64_t minor;            /* -1 = wildcard */
	const char *access;       /* subset of "rwm"; "rwm" when absent */
};

struct spec_resources {
	bool present;
	bool has_memory;
	struct spec_memory memory;
	bool has_cpu;
	struct spec_cpu cpu;
	spec_i64 pids_limit;
	bool has_block_io;
	struct spec_block_io block_io;
	struct spec_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	bool has_network;
	struct spec_network network;
	struct spec_rdma *rdma;
	size_t n_rdma;
	struct spec_device_rule *devices;
	size_t n_devices;
	struct spec_kvv unified;
};

/* seccomp */
enum spec_seccomp_action {
	SPEC_SCMP_ACT_KILL,          /* SCMP_ACT_KILL (= KILL_THREAD) */
	SPEC_SCMP_ACT_KILL_PROCESS,
	SPEC_SCMP_ACT_KILL_THREAD,
	SPEC_SCMP_ACT_TRAP,
	SPEC_SCMP_ACT_ERRNO,
	SPEC_SCMP_ACT_TRACE,
	SPEC_SCMP_ACT_ALLOW,
	SPEC_SCMP_ACT_LOG,
	SPEC_SCMP_ACT_NOTIFY,
	SPEC_SCMP_ACT__COUNT
};
extern const char *const spec_seccomp_action_names[SPEC_SCMP_ACT__COUNT];

enum spec_seccomp_op {
	SPEC_SCMP_CMP_NE,
	SPEC_SCMP_CMP_LT,
	SPEC_SCMP_CMP_LE,
	SPEC_SCMP_CMP_EQ,
	SPEC_SCMP_CMP_GE,
	SPEC_SCMP_CMP_GT,
	SPEC_SCMP_CMP_MASKED_EQ,
	SPEC_SCMP_CMP__COUNT
};
extern const char *const spec_seccomp_op_names[SPEC_SCMP_CMP__COUNT];

enum spec_seccomp_flag {
	SPEC_SCMP_FLAG_TSYNC = 1 << 0,
	SPEC_SCMP_FLAG_LOG = 1 << 1,
	SPEC_SCMP_FLAG_SPEC_ALLOW = 1 << 2,
	SPEC_SCMP_FLAG_WAIT_KILLABLE_RECV = 1 << 3,
};

struct spec_seccomp_arg {
	unsigned index;           /* 0..5 */
	uint64_t value;
	uint64_t value_two;
	enum spec_seccomp_op op;
};

struct spec_seccomp_syscall {
	struct spec_strv names;
	enum spec_seccomp_action action;
	spec_u64 errno_ret;
	struct spec_seccomp_arg *args;
	size_t n_args;
};

struct spec_seccomp {
	enum spec_seccomp_action default_action;
	spec_u64 default_errno_ret;
	struct spec_strv architectures; /* "SCMP_ARCH_ARM", ... as written */
	unsigned flags;           /* enum spec_seccomp_flag bits */
	const char *listener_path;
	const char *listener_metadata;
	struct spec_seccomp_syscall *syscalls;
	size_t n_syscalls;
	json_t *json;             /* the linux.seccomp object (borrowed), for cache keys */
};

struct spec_personality {
	unsigned long domain;     /* PER_LINUX or PER_LINUX32 */
};

struct spec_net_device {
	const char *host_name;    /* key in linux.netDevices */
	const char *name;         /* name inside the container; host_name when absent */
};

struct spec_linux {
	struct spec_namespace *namespaces;
	size_t n_namespaces;
	int new_namespaces;       /* CLONE_* of namespaces to create (no path) */
	int join_namespaces;      /* CLONE_* of namespaces joined by path */
	struct spec_id_mappings uid_mappings;
	struct spec_id_mappings gid_mappings;
	struct spec_time_offset time_monotonic;
	struct spec_time_offset time_boottime;
	struct spec_device *devices;
	size_t n_devices;
	const char *cgroups_path;
	struct spec_resources resources;
	unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 when absent */
	bool has_seccomp;
	struct spec_seccomp seccomp;
	struct spec_kvv sysctl;
	struct spec_strv masked_paths;
	struct spec_strv readonly_paths;
	const char *mount_label;
	bool has_personality;
	struct spec_personality personality;
	struct spec_net_device *net_devices;
	size_t n_net_devices;
};

/* ---------- the whole config ---------- */
struct spec {
	json_t *json;             /* owns every const char * below */
	char *text;               /* the file as read, when loaded by spec_load_file (else NULL) */
	size_t text_len;
	const char *oci_version;
	struct spec_root root;
	struct spec_mount *mounts;
	size_t n_mounts;
	bool has_process;
	struct spec_process process;
	const char *hostname;
	const char *domainname;
	struct spec_hooks hooks[SPEC_HOOK__COUNT];
	struct spec_kvv annotations;
	bool has_linux;
	struct spec_linux linux_;
};

/* Parse and validate. `name` is used as the prefix of every message
 * ("config.json"). On failure *out is untouched and err says, e.g.,
 * "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"". */
int spec_load_file(const char *path, const char *name, struct spec **out, struct pith_error *err);
int spec_load_string(const char *text, const char *name, struct spec **out, struct pith_error *err);
int spec_from_json(json_t *root, const char *name, struct spec **out, struct pith_error *err); /* steals root */

/* Parse a process object alone (exec --process FILE). The result's strings
 * live in `p_json`, which the caller keeps (json_decref after use).
 * spec_process_release frees the arrays inside *p. */
int spec_parse_process(json_t *p_json, const char *name, struct spec_process *p, struct pith_error *err);
void spec_process_release(struct spec_process *p);

/* Parse linux.resources alone (pith update --resources FILE). */
int spec_parse_resources(json_t *r_json, const char *name, struct spec_resources *r, struct pith_error *err);
void spec_resources_release(struct spec_resources *r);

void spec_free(struct spec *s);

/* Seed jansson's hash from the kernel's AT_RANDOM bytes instead of letting it
 * read /dev/urandom: call before the first JSON object of the process. */
void spec_seed_json_hash(void);

/* Lookup tables shared by the parser, `pith features` and the runtime. */
int spec_capability_from_name(const char *name);     /* "CAP_CHOWN" -> 0, -1 if unknown */
const char *spec_capability_name(int cap);           /* NULL if unknown */
int spec_capability_last(void);                      /* highest CAP_* this build knows */
int spec_rlimit_from_name(const char *name);         /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, -1 */
int spec_namespace_from_name(const char *name);      /* "network" -> CLONE_NEWNET, 0 if unknown */
const char *spec_namespace_name(int clone_flag);     /* CLONE_NEWNET -> "network" */
/* Every mount option this runtime understands, NULL-terminated (for features). */
extern const char *const spec_mount_option_names[];

/* `pith spec`: the default config as JSON (a new reference). */
json_t *spec_default_config(bool rootless);
/* The built-in default seccomp profile (a new reference to the linux.seccomp object). */
json_t *spec_default_seccomp(void);

#endif

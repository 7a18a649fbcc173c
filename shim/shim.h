/* pith-shim: one supervisor process per container. All state lives in one
 * statically allocated struct shim so that nothing grows while it runs. */
#ifndef PITH_SHIM_H
#define PITH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../runtime/error.h"

/* The shim's own failures (bad flags, runtime refused to create) exit with
 * this, like podman; everything else mirrors the container. */
#define SHIM_EXIT_FAILURE 125

#define SHIM_DEFAULT_RUN_DIR "/run/pith-shim"
#define SHIM_DEFAULT_STOP_TIMEOUT 30 /* .NET's HostOptions.ShutdownTimeout */
#define SHIM_MAX_CLIENTS 8
#define SHIM_STREAM_BUF 16384        /* longest line kept whole before a P record */
#define SHIM_LOG_BUF 65536           /* batched log writes */
#define SHIM_TAIL_BYTES 4096         /* raw stderr kept for the exit report */
#define SHIM_TAIL_LINES 10
#define SHIM_BACKOFF_MAX 300         /* seconds */
#define SHIM_BACKOFF_RESET 600       /* seconds of good running reset the backoff */
#define SHIM_PATH_MAX 4096
#define SHIM_MAX_ENV 64              /* -e given with --image */
#define SHIM_MAX_PULL_OPTS 16
#define SHIM_DEFAULT_PROBATION 60    /* seconds a new image must run to be kept */
#define SHIM_PROBATION_TRIES 3       /* failed runs of a new image before going back */
#define SHIM_STR_(x) #x
#define SHIM_STR(x) SHIM_STR_(x)
#define SHIM_DIGEST_LEN 72           /* "sha256:" + 64 hex + NUL */

enum restart_mode { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum log_mode { LOG_NONE, LOG_FILE, LOG_PASSTHROUGH };
enum stream_id { STREAM_STDOUT = 1, STREAM_STDERR = 2 };
enum pull_mode { PULL_NEVER, PULL_MISSING, PULL_NEWER };

struct shim_opts {
	const char *id;
	const char *bundle;
	const char *runtime;      /* NULL: pith next to this binary, else PATH */
	const char *root;         /* runtime --root */
	const char *log_path;     /* with LOG_FILE */
	const char *exit_file;
	const char *pid_file;
	const char *socket_path;  /* NULL: <run_dir>/ctl.sock */
	const char *run_dir;      /* NULL: /run/pith-shim/<id> */
	const char *init_path;    /* with --init=PATH */
	const char *image;        /* --image: the bundle is made from it (REF) */
	const char *store;        /* pith-image --store; NULL: its default */
	const char *env[SHIM_MAX_ENV]; /* -e NAME=VALUE for the image's bundle */
	unsigned nenv;
	char **cmd;               /* after --: replaces the image's Cmd */
	int ncmd;
	enum pull_mode pull;
	const char *pull_opts[SHIM_MAX_PULL_OPTS]; /* --pull-option: for pith-image pull */
	unsigned npull_opts;
	unsigned probation;       /* seconds */
	bool stop_signal_given;   /* --stop-signal beats the image's StopSignal */
	enum log_mode log_mode;
	uint64_t log_max_size;    /* 0: no cap */
	unsigned log_max_files;   /* rotated files kept besides the live one */
	int stop_signal;
	unsigned stop_timeout;
	enum restart_mode restart;
	unsigned restart_max;     /* 0: unlimited */
	int remap_exit;           /* -1: none; pith-init maps this code to 0 */
	bool init;
	bool signal_group;
	bool foreground;
};

struct shim_stream {
	int fd;                   /* read end; -1 when closed */
	enum stream_id id;
	size_t len;               /* bytes of an unfinished line at buf[0] */
	char buf[SHIM_STREAM_BUF];
};

struct shim_log {
	int fd;
	uint64_t size;
	uint64_t dropped;         /* bytes lost to write errors */
	int64_t ts_sec;           /* cache: the seconds part of the timestamp */
	char ts[40];
	size_t len;
	char buf[SHIM_LOG_BUF];
};

struct shim_client {
	int fd;
	bool attach;
	bool wait_exit;           /* a stop waiting to see the shim finish */
};

struct shim_cgroup {
	int memory_dir;           /* O_PATH dir for the OOM counter, -1 unknown */
	int procs_dir;            /* O_PATH dir whose cgroup.procs is the container */
	bool v2;
	uint64_t oom_base;        /* oom_kill counter when the container started */
};

/* Names only this service uses in the store, its image state across shims
 * (they outlive each one): pith-shim/ID:running holds the image it runs
 * (bundling and tagging by digest need a name that reaches it),
 * pith-shim/ID:previous the one to go back to during a probation,
 * pith-shim/ID:refused the one last rolled back from. */
enum shim_pin { PIN_RUNNING, PIN_PREVIOUS, PIN_REFUSED, PIN_COUNT };

/* --image: which image runs, and an update in progress (update.c). */
struct shim_image {
	char tool[SHIM_PATH_MAX];          /* pith-image beside pith-shim */
	char bundle[SHIM_PATH_MAX];        /* RUN_DIR/image, made by `pith-image bundle` */
	char pin[PIN_COUNT][256];          /* by enum shim_pin */
	bool pinned[PIN_COUNT];            /* the name exists in the store */
	char running[SHIM_DIGEST_LEN];     /* manifest digest of the bundled image */
	char target[SHIM_DIGEST_LEN];      /* switching to it once the container stopped */
	char previous[SHIM_DIGEST_LEN];    /* during probation: the image to go back to */
	char refused[SHIM_DIGEST_LEN];     /* rolled back from: not taken again */
	int probation_timer;
	pid_t pull_pid;                    /* an update's pull, 0 when none */
	bool bundled, switching, probation;
	bool first_start;                  /* the names change once the first run starts */
	unsigned failures;                 /* failed runs of the new image in probation */
	unsigned rollbacks;
};

enum shim_state { STATE_RUNNING, STATE_STOPPING, STATE_BACKOFF, STATE_DONE };

struct shim {
	struct shim_opts o;
	struct pith_error err;
	enum shim_state state;

	char run_dir[SHIM_PATH_MAX];
	char socket_path[108];
	char runtime[SHIM_PATH_MAX];
	char bundle[SHIM_PATH_MAX];    /* the bundle given to the runtime */
	char config[SHIM_PATH_MAX];    /* --init: its --config (the private copy); "" for none */
	bool terminal;                 /* process.terminal in the config */
	int stop_signal;               /* --stop-signal, else the image's StopSignal, else TERM */
	struct shim_image img;

	int epfd, sigfd, pidfd, ctl_fd, stop_timer, backoff_timer, console_master;
	int report_fd;                 /* daemon: tells the caller started/failed */
	pid_t pid;                     /* the container's init, host pid */
	int oom_adj_saved;             /* restored in children; INT32_MIN: untouched */

	struct shim_stream out, errs;
	struct shim_log log;
	struct shim_cgroup cg;
	struct shim_client clients[SHIM_MAX_CLIENTS];

	char tail[SHIM_TAIL_BYTES];    /* ring of the latest stderr bytes */
	size_t tail_pos;
	bool tail_wrapped;

	/* The last run and its outcome. */
	int64_t started_at_ns, finished_at_ns;   /* CLOCK_REALTIME */
	int64_t started_mono_ns;
	int status;                    /* wait status; valid when exited */
	bool exited, status_known, oom_killed, stop_timeout_killed, stop_requested;
	bool created;                  /* the runtime holds a container to delete */
	unsigned restarts;
	unsigned backoff_step;
};

/* options.c */
int shim_parse_opts(struct shim_opts *o, int argc, char **argv, struct pith_error *err);
void shim_usage(FILE *f);
int shim_parse_signal(const char *s);
const char *shim_signal_name(int sig);

/* util.c */
int shim_write_all(int fd, const void *buf, size_t len);
ssize_t shim_read_file(int dirfd, const char *path, char *buf, size_t cap);
int shim_write_file_atomic(const char *path, const char *data, size_t len, struct pith_error *err);
int64_t shim_now_ns(int clock);
void shim_format_time(int64_t ns, char *buf, size_t len);
size_t shim_json_escape(char *out, size_t cap, const char *s, size_t len);
int shim_self_dir(char *buf, size_t len);
int shim_path(char *buf, size_t cap, const char *dir, const char *name);

/* spawn.c: runtime invocations with a clean signal state */
pid_t shim_spawn(const struct shim *s, char *const argv[], const int fds[3]);
int shim_runtime(struct shim *s, const char *const *args, int in, int out, int errfd,
		 struct pith_error *err);
int shim_runtime_quiet(struct shim *s, const char *const *args, struct pith_error *err);
void shim_child_reset(const struct shim *s);

/* container.c */
int shim_container_start(struct shim *s, struct pith_error *err);
void shim_container_delete(struct shim *s);
void shim_container_end(struct shim *s);
int shim_container_signal(struct shim *s, int sig);
void shim_container_kill_all(struct shim *s);

/* bundle.c */
int shim_bundle_prepare(struct shim *s, struct pith_error *err);

/* image.c: `pith-image` invocations */
int shim_image_find_tool(struct shim *s, struct pith_error *err);
int shim_image_resolve(struct shim *s, const char *ref, char out[SHIM_DIGEST_LEN], struct pith_error *err);
int shim_image_bundle(struct shim *s, const char *digest, struct pith_error *err);
void shim_image_unbundle(struct shim *s);
int shim_image_pin(struct shim *s, enum shim_pin p, const char *image, struct pith_error *err);
void shim_image_unpin(struct shim *s, enum shim_pin p);
pid_t shim_image_pull_spawn(struct shim *s, struct pith_error *err);
void shim_image_pull_error(struct shim *s, int status, struct pith_error *err);

/* update.c: --image start, update requests, probation and rollback */
int shim_update_setup(struct shim *s, struct pith_error *err);
int shim_update_start_failed(struct shim *s, struct pith_error *err);
int shim_update_request(struct shim *s, struct pith_error *err);
void shim_update_pulled(struct shim *s, int status);
bool shim_update_exited(struct shim *s);
void shim_update_started(struct shim *s);
void shim_update_probation_timer(struct shim *s);
void shim_update_finish(struct shim *s);

/* cgroup.c */
void shim_cgroup_open(struct shim_cgroup *cg, pid_t pid);
bool shim_cgroup_oom_killed(struct shim_cgroup *cg);
void shim_cgroup_kill(struct shim_cgroup *cg);
void shim_cgroup_close(struct shim_cgroup *cg);

/* stdio.c */
int shim_stdio_pipes(struct shim *s, int child[3], struct pith_error *err);
int shim_stream_read(struct shim *s, struct shim_stream *st, bool drain);
void shim_stream_close(struct shim *s, struct shim_stream *st);

/* log.c */
int shim_log_open(struct shim *s, struct pith_error *err);
void shim_log_record(struct shim *s, enum stream_id id, bool partial, const char *p, size_t n);
void shim_log_note(struct shim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shim_log_flush(struct shim *s);
void shim_log_sync(struct shim *s);

/* ctl.c (server) and client.c */
int shim_ctl_listen(struct shim *s, struct pith_error *err);
void shim_ctl_accept(struct shim *s);
void shim_ctl_handle(struct shim *s, int idx);
void shim_ctl_broadcast(struct shim *s, enum stream_id id, const char *p, size_t n);
int shim_client_main(int argc, char **argv);

/* loop.c */
int shim_loop(struct shim *s);
void shim_stop(struct shim *s, unsigned timeout);
void shim_schedule_restart(struct shim *s);
void shim_timer_arm(int tfd, unsigned seconds);
int shim_epoll_add(struct shim *s, int fd, uint64_t tag);
void shim_epoll_del(struct shim *s, int fd);

/* report.c */
int shim_status_json(const struct shim *s, char *buf, size_t cap);
int shim_write_exit_file(struct shim *s, struct pith_error *err);
int shim_exit_status(const struct shim *s);

/* daemon.c */
int shim_daemonize(struct shim *s, struct pith_error *err);
void shim_report_started(struct shim *s);
void shim_report_failed(struct shim *s, const struct pith_error *err);
void shim_self_protect(struct shim *s);

/* epoll tags: kind in the high half, index in the low half */
enum { TAG_SIGNAL = 1, TAG_PIDFD, TAG_STREAM, TAG_CTL_LISTEN, TAG_CLIENT, TAG_STOP_TIMER,
       TAG_BACKOFF_TIMER, TAG_PROBATION_TIMER };
#define SHIM_TAG(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))

#endif

/* pith-image pull REF: the manifest (and platform) as `load` picks it, the config, then the
 * missing layers, each streamed from the registry straight into its unpacker (no compressed
 * copy on disk), up to --jobs at once, each into a temporary; once all are there, one syncfs
 * and the renames (land.c); the manifest and the name last, so the name points at the image
 * only once everything it reaches is synced in place. A failed or killed pull leaves
 * temporaries (removed, or collected by gc), maybe complete layers, and nothing named.
 *
 * Threads, not one curl multi loop: libarchive pulls its input while curl pushes it, so each
 * layer needs its own stack for the unpacker's read callback to block on. Each thread takes
 * its own working directory (unshare(CLONE_FS)) because unpack.c extracts relative to it. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include <sys/file.h>

#include "pull.h"

#define DEFAULT_JOBS 3
#define MAX_JOBS 16
#define DEFAULT_RETRIES 5
#define DEFAULT_STALL 30
#define DEFAULT_BUDGET (64ull << 30)

struct workers {
	struct store *st;
	struct source *src;
	const struct image_plan *plan;
	size_t *todo, ntodo, next;
	struct unpack_policy policy;
	struct registry *reg;
	struct progress *prog;
	struct unpack_batch batch;
	bool *mine;               /* in todo: this run unpacks it (into batch.tmp) */
	bool *unpacked;           /* ... and did, so a layer above may look into it */
	pthread_mutex_t lock;
	pthread_cond_t landed;    /* a layer was unpacked, or a worker failed */
	int failed;
	struct pith_error err;
};

/* Held around an unpack by a thread that could not take a working directory of its own
 * (unshare refused, e.g. under a seccomp filter): those unpack one at a time. */
static pthread_mutex_t shared_cwd = PTHREAD_MUTEX_INITIALIZER;

/* the layers this run unpacks are seen in their temporaries, not yet synced nor renamed; the
 * others were in the store when it started, and the shared lock keeps gc off them */
static bool lowers_present(const struct workers *w, size_t index)
{
	for (size_t i = 0; i < index; i++)
		if (w->mine[i] && !w->unpacked[i])
			return false;
	return true;
}

/* The unpack of layers[index] needs to look below it (a hardlink to a lower file): wait for
 * those layers to be unpacked. Layers are handed out bottom-up, so the lower ones are already
 * some worker's and never wait on this one. */
static int wait_lowers(void *ctx, size_t index, struct pith_error *err)
{
	struct workers *w = ctx;
	pthread_mutex_lock(&w->lock);
	while (!w->failed && !lowers_present(w, index))
		pthread_cond_wait(&w->landed, &w->lock);
	int failed = w->failed;
	pthread_mutex_unlock(&w->lock);
	return failed ? pith_fail(err, ECANCELED, "waiting for the layers below") : 0;
}

static void layer_unpacked(struct workers *w, size_t index, int r, const struct pith_error *err)
{
	pthread_mutex_lock(&w->lock);
	if (r < 0 && !w->failed) {
		w->failed = r;
		w->err = *err;
	}
	if (r == 0)
		w->unpacked[index] = true;
	pthread_cond_broadcast(&w->landed);
	pthread_mutex_unlock(&w->lock);
	if (r < 0)
		registry_cancel(w->reg);
}

static void *worker(void *arg)
{
	struct workers *w = arg;
	struct pith_error err = { 0 };
	bool own_cwd = unshare(CLONE_FS) == 0;
	int r = 0;
	while (r == 0) {
		pthread_mutex_lock(&w->lock);
		bool more = w->next < w->ntodo && !w->failed;
		size_t i = more ? w->todo[w->next++] : 0;
		pthread_mutex_unlock(&w->lock);
		if (!more)
			break;
		const struct layer_plan *l = &w->plan->layers[i];
		/* one unpack at a time under the shared lock: in layer order, waiting before the
		 * lock is taken, so that no holder of it ever waits for a layer still to come */
		if (own_cwd) {
			r = unpack_layer(w->st, w->src, &w->batch, i, &w->policy, &err);
		} else if ((r = wait_lowers(w, i, &err)) == 0) {
			pthread_mutex_lock(&shared_cwd);
			r = unpack_layer(w->st, w->src, &w->batch, i, &w->policy, &err);
			pthread_mutex_unlock(&shared_cwd);
		}
		if (r == 0)
			progress_layer_done(w->prog, l->digest);
		layer_unpacked(w, i, r, &err);
	}
	return NULL;
}

/* The layers the store lacks, jobs at a time, then landed together; the first failure stops
 * the others and removes what they unpacked. */
static int pull_layers(struct workers *w, int jobs, bool announce, struct pith_error *err)
{
	const struct image_plan *p = w->plan;
	w->todo = calloc(p->nlayers + 1, sizeof(*w->todo));
	w->mine = calloc(p->nlayers + 1, sizeof(*w->mine));
	w->unpacked = calloc(p->nlayers + 1, sizeof(*w->unpacked));
	int r = 0;
	if (!w->todo || !w->mine || !w->unpacked)
		r = pith_fail(err, ENOMEM, "layers");
	else if ((r = unpack_batch_init(&w->batch, w->st, p->layers, p->nlayers, err)) < 0)
		unpack_batch_free(&w->batch);
	if (r < 0) {
		free(w->todo);
		free(w->mine);
		free(w->unpacked);
		return r;
	}
	w->ntodo = w->next = 0;
	for (size_t i = 0; i < p->nlayers; i++) {
		bool present = store_has_layer(w->st, p->layers[i].chain_id);
		if (announce)
			progress_layer(w->prog, p->layers[i].digest, p->layers[i].size, present);
		if (!present)
			w->todo[w->ntodo++] = i;
		w->mine[i] = !present;
	}
	pthread_t threads[MAX_JOBS];
	int started = 0;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->landed, NULL);
	for (; started < jobs && (size_t)started < w->ntodo; started++) {
		int e = pthread_create(&threads[started], NULL, worker, w);
		if (e) {
			r = pith_fail(err, e, "pthread_create");
			registry_cancel(w->reg);
			break;
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_cond_destroy(&w->landed);
	pthread_mutex_destroy(&w->lock);
	if (r == 0 && w->failed) {
		*err = w->err;
		r = w->failed;
	}
	/* landed while the store is still held shared: between the shared and the exclusive lock
	 * a gc may run, and it removes temporaries (the second round fetches again what it took) */
	if (r == 0)
		r = unpack_land(w->st, &w->batch, err);
	unpack_batch_free(&w->batch);
	free(w->todo);
	free(w->mine);
	free(w->unpacked);
	return r;
}

static int commit(struct store *st, const struct image_plan *p, const char *name,
		  struct workers *w, int jobs, struct pith_error *err)
{
	/* The download runs with the store shared (pith-image bundle, ls and other pulls go on
	 * beside it); the commit holds it alone. Between the two a gc may have taken what no name
	 * used yet: the config is written again and a missing layer fetched again, under the lock. */
	int r = store_put_blob(st, p->config_digest, p->config, p->config_len, err);
	if (r == 0)
		r = pull_layers(w, jobs, true, err);
	if (r == 0)
		r = store_lock(st, LOCK_EX, err);
	if (r == 0)
		r = store_put_blob(st, p->config_digest, p->config, p->config_len, err);
	if (r == 0)
		r = pull_layers(w, 1, false, err);
	if (r == 0)
		r = store_put_blob(st, p->manifest_digest, p->manifest, p->manifest_len, err);
	json_t *names = NULL;
	if (r == 0)
		r = store_names_load(st, &names, err);
	/* the name already durable on the same digest: a pull that found everything writes nothing */
	const char *had = r == 0 ? json_string_value(json_object_get(names, name)) : NULL;
	if (r == 0 && (!had || strcmp(had, p->manifest_digest) != 0)) {
		json_object_set_new(names, name, json_string(p->manifest_digest));
		r = store_names_save(st, names, err);
	}
	json_decref(names);
	return r;
}

static int parse_progress(const char *s, enum progress_mode *mode, struct pith_error *err)
{
	static const char *const names[] = { "auto", "tty", "json", "none" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*mode = (enum progress_mode)i;
			return 0;
		}
	return pith_fail(err, EINVAL, "--progress %s: expected auto, tty, json or none", s);
}

static int parse_number(const char *opt, const char *s, long lo, long hi, long *out, struct pith_error *err)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return pith_fail(err, EINVAL, "--%s %s: expected a number from %ld to %ld", opt, s, lo, hi);
	*out = v;
	return 0;
}

int pull_parse_args(int argc, char **argv, int nargs, struct pull_args *a, struct pith_error *err)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' }, { "creds", required_argument, NULL, 'c' },
		{ "cert-dir", required_argument, NULL, 'd' }, { "insecure", required_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' }, { "progress", required_argument, NULL, 'P' },
		{ "retries", required_argument, NULL, 'r' }, { "stall-timeout", required_argument, NULL, 's' },
		{ "max-layer-bytes", required_argument, NULL, 'm' }, { 0 },
	};
	*a = (struct pull_args){ .jobs = DEFAULT_JOBS, .budget = DEFAULT_BUDGET, .progress = PROGRESS_AUTO,
				 .opts = { .retries = DEFAULT_RETRIES, .stall_seconds = DEFAULT_STALL } };
	a->insecure = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->insecure)
		return pith_fail(err, ENOMEM, "pull");
	a->opts.insecure = a->insecure;
	int c, r = 0;
	long v;
	while (r == 0 && (c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->platform = optarg; break;
		case 'c': a->opts.creds = optarg; break;
		case 'd': a->opts.cert_dir = optarg; break;
		case 'i': a->insecure[a->ninsecure++] = optarg; break;
		case 'P': r = parse_progress(optarg, &a->progress, err); break;
		case 'j': if ((r = parse_number("jobs", optarg, 1, MAX_JOBS, &v, err)) == 0) a->jobs = (int)v; break;
		case 'r': if ((r = parse_number("retries", optarg, 0, 100, &v, err)) == 0) a->opts.retries = (int)v; break;
		case 's': if ((r = parse_number("stall-timeout", optarg, 1, 3600, &v, err)) == 0) a->opts.stall_seconds = v; break;
		case 'm': a->budget = strtoull(optarg, NULL, 0); break;
		default: r = pith_fail(err, EINVAL, "pull: unknown option %s", argv[optind - 1]);
		}
	}
	if (r == 0 && optind + nargs != argc)
		r = pith_fail(err, EINVAL, "usage: %s", nargs == 1 ? "pull [OPTIONS] REF" : "push [OPTIONS] SOURCE REF");
	for (int i = 0; r == 0 && i < nargs; i++)
		a->args[i] = argv[optind + i];
	return r;
}

int cmd_pull(struct store *st, int argc, char **argv, struct pith_error *err)
{
	struct pull_args a;
	struct image_ref ref;
	int r = pull_parse_args(argc, argv, 1, &a, err);
	if (r == 0)
		r = ref_parse(a.args[0], &ref, err);
	if (r < 0) {
		free(a.insecure);
		return r;
	}
	char name[REF_DOMAIN_MAX + REF_PATH_MAX + DIGEST_LEN + 4];
	ref_store_name(&ref, name, sizeof(name));
	/* a peer closing mid-write is an error to retry, not a reason to die */
	signal(SIGPIPE, SIG_IGN);
	/* one malloc arena for every layer thread: with one each (glibc's default), every arena
	 * keeps its own freed and top slack, ~0.5 MiB of the peak; they allocate little and
	 * seldom (buffers once per layer), so the shared lock costs nothing measurable */
	mallopt(M_ARENA_MAX, 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct progress *prog = progress_new(a.progress, name);
	struct registry *reg = NULL;
	struct remote *remote = NULL;
	struct source src;
	struct image_plan *plans = NULL;
	size_t n = 0;
	r = prog ? registry_open(&ref, &a.opts, prog, &reg, err) : pith_fail(err, ENOMEM, "progress");
	if (r == 0)
		r = remote_open(reg, st, &ref, name, &src, &remote, err);
	if (r == 0)
		r = manifest_plan(&src, name, a.platform, &plans, &n, err);
	if (r == 0 && n != 1)
		r = pith_fail(err, 0, "%zu images for one reference", n);
	struct workers w = { .st = st, .src = &src, .plan = plans, .reg = reg, .prog = prog,
			     .policy = { .max_bytes = a.budget, .max_ratio = UNPACK_DEFAULT_RATIO,
					 .wait_lowers = wait_lowers } };
	w.policy.wait_ctx = &w;
	if (r == 0)
		r = commit(st, &plans[0], name, &w, a.jobs, err);
	progress_finish(prog, r == 0 ? plans[0].manifest_digest : NULL, r == 0);
	if (r == 0 && a.progress != PROGRESS_JSON)
		printf("pulled %s %s\n", plans[0].manifest_digest, name);
	else
		pith_wrap(err, "pull %s", name);
	manifest_plan_free(plans, n);
	remote_close(remote);
	registry_close(reg);
	progress_free(prog);
	curl_global_cleanup();
	free(a.insecure);
	return r;
}

/* --image REF: the service runs from a bundle the shim makes of the image
 * REF names, and follows REF when asked (SIGHUP, or `ctl update`):
 *
 *   [pull REF, --pull newer]  ->  digest of REF  ==  running?  -> nothing to do
 *        | changed (and not the one rolled back from: pith-shim/ID:refused)
 *   pith-shim/ID:previous := the running image; pith-shim/ID:running := REF
 *   stop the container -> unbundle -> bundle the new digest -> start: probation
 *   probation: a run lasting --probation seconds keeps the new image and drops
 *   :previous and :refused; SHIM_PROBATION_TRIES failed runs (exit, or no
 *   start) before that go back: :running := :previous, :refused := the new
 *   one, and :previous goes.
 *
 * The running image always has the shim's own name, so it stays reachable
 * (and safe from gc) whatever happens to REF: a load or pull re-pointing REF
 * leaves the old image with no other name. Everything is bundled by digest,
 * so REF moving changes nothing until the next update.
 *
 * The names are the service's image state and outlive the shim, whatever
 * ends it (stop, SIGTERM at a reboot, SIGKILL, a power cut); only the bundle
 * goes. A shim starting reads them (plan_start): REF moved since :running is
 * an update on probation; :previous left is a probation cut short, resumed
 * from zero; either one's image not starting at all goes back at once
 * (shim_update_start_failed); REF still at :refused runs :running.
 * `pith-image rm` of the three names forgets the service. */
#include "shim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void note_error(struct shim *s, const char *what, const struct pith_error *err)
{
	char buf[1200];
	shim_log_note(s, "%s: %s", what, pith_error_text(err, buf, sizeof(buf)));
}

/* The startup pull, before anything runs: SIGTERM/SIGINT to the shim end it. */
static int wait_pull(struct shim *s, pid_t pid, int *status, struct pith_error *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = s->sigfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		bool stop = false;
		while (p[1].revents && read(s->sigfd, &si, sizeof(si)) == sizeof(si))
			stop |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
		if (stop) {
			kill(pid, SIGKILL); /* a pull is safe to kill at any point */
			waitpid(pid, status, 0);
			close(pidfd);
			return pith_fail(err, 0, "stopped during the pull of %s", s->o.image);
		}
		if (pidfd < 0 || p[0].revents)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return pith_fail(err, errno, "wait for the pull of %s", s->o.image);
	return 0;
}

static int pull_at_start(struct shim *s, struct pith_error *err)
{
	char digest[SHIM_DIGEST_LEN];
	struct pith_error local = { 0 };
	bool present = shim_image_resolve(s, s->o.image, digest, &local) == 0;
	if (s->o.pull == PULL_NEVER || (s->o.pull == PULL_MISSING && present))
		return 0;
	int st;
	pid_t pid = shim_image_pull_spawn(s, err);
	if (pid < 0)
		return -1;
	if (wait_pull(s, pid, &st, err) < 0) {
		struct pith_error ignored;
		shim_image_pull_error(s, 0, &ignored); /* removes its stderr file */
		return -1;
	}
	shim_image_pull_error(s, st, err);
	if (st == 0)
		return 0;
	if (!present)
		return -1;
	note_error(s, "--pull newer: running the image in the store", err);
	return 0;
}

/* What the shims of this ID before left (a clean end or not): the digest of
 * each pin, "" for none. */
static void read_pins(struct shim *s, char stale[PIN_COUNT][SHIM_DIGEST_LEN])
{
	for (int p = PIN_RUNNING; p < PIN_COUNT; p++) {
		struct pith_error ignored;
		s->img.pinned[p] = shim_image_resolve(s, s->img.pin[p], stale[p], &ignored) == 0;
		if (!s->img.pinned[p])
			stale[p][0] = '\0';
	}
}

/* Which image to start, from REF's digest and the names left before: an
 * update while no shim ran, a probation cut short (power cut, kill, stop) to
 * resume, or the refused image REF still names. The names change only once
 * it runs (commit_start): a start that fails leaves them as they were. */
static void plan_start(struct shim *s, const char *ref_digest, char stale[PIN_COUNT][SHIM_DIGEST_LEN])
{
	const char *run = ref_digest, *r = stale[PIN_RUNNING], *p = stale[PIN_PREVIOUS];
	if (stale[PIN_REFUSED][0] && strcmp(ref_digest, stale[PIN_REFUSED]) == 0) {
		snprintf(s->img.refused, sizeof(s->img.refused), "%s", stale[PIN_REFUSED]);
		if (r[0]) {
			shim_log_note(s, "update: %s is %s, which was rolled back: running %s", s->o.image,
				      ref_digest, r);
			run = r;
		}
	}
	if (r[0] && strcmp(run, r) != 0) {
		/* a probation cut short had not proven :running: :previous stays the fallback */
		snprintf(s->img.previous, sizeof(s->img.previous), "%.*s", SHIM_DIGEST_LEN - 1, p[0] ? p : r);
		shim_log_note(s, "update: %s is now %s (was %s): on probation", s->o.image, run, r);
	} else if (r[0] && p[0]) {
		snprintf(s->img.previous, sizeof(s->img.previous), "%.*s", SHIM_DIGEST_LEN - 1, p);
		shim_log_note(s, "update: the probation of %s was cut short: again from the start", r);
	}
	s->img.probation = s->img.previous[0] != '\0';
	snprintf(s->img.target, sizeof(s->img.target), "%.*s", SHIM_DIGEST_LEN - 1, run);
	s->img.first_start = true;
}

/* The first run of an image on probation cannot start (bundle, bundle_prepare
 * or create failed): back to the fallback at once, as at run time. Its
 * bundle is made here; the names change once it runs (commit_start). */
static int go_back_at_start(struct shim *s, struct pith_error *err)
{
	note_error(s, "update: starting the image", err);
	shim_log_note(s, "update: %s could not be started; back to %s", s->img.target, s->img.previous);
	s->img.rollbacks++;
	s->img.probation = false;
	snprintf(s->img.refused, sizeof(s->img.refused), "%s", s->img.target);
	snprintf(s->img.target, sizeof(s->img.target), "%s", s->img.previous);
	s->img.previous[0] = '\0';
	shim_image_unbundle(s);
	*err = (struct pith_error){ 0 };
	return shim_image_bundle(s, s->img.target, err);
}

int shim_update_setup(struct shim *s, struct pith_error *err)
{
	static const char *const pin_names[PIN_COUNT] = { "running", "previous", "refused" };
	if (!s->o.image)
		return 0;
	if (shim_image_find_tool(s, err) < 0)
		return -1;
	if (shim_path(s->img.bundle, sizeof(s->img.bundle), s->run_dir, "image") < 0)
		return pith_fail(err, ENAMETOOLONG, "%s", s->run_dir);
	for (int p = PIN_RUNNING; p < PIN_COUNT; p++)
		snprintf(s->img.pin[p], sizeof(s->img.pin[0]), "pith-shim/%s:%s", s->o.id, pin_names[p]);
	s->img.probation_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->img.probation_timer < 0 ||
	    shim_epoll_add(s, s->img.probation_timer, SHIM_TAG(TAG_PROBATION_TIMER, 0)) < 0)
		return pith_fail(err, errno, "probation timer");
	shim_image_unbundle(s); /* a killed shim's; its names are the service's state */
	char digest[SHIM_DIGEST_LEN], stale[PIN_COUNT][SHIM_DIGEST_LEN];
	read_pins(s, stale);
	if (pull_at_start(s, err) < 0 || shim_image_resolve(s, s->o.image, digest, err) < 0)
		return pith_wrap(err, "--image %s", s->o.image);
	plan_start(s, digest, stale);
	if (shim_image_bundle(s, s->img.target, err) < 0 && (!s->img.probation || go_back_at_start(s, err) < 0))
		return pith_wrap(err, "--image %s", s->o.image);
	s->o.bundle = s->img.bundle;
	return 0;
}

/* The first start failed: an image on probation goes back; anything else is
 * the shim's failure. */
int shim_update_start_failed(struct shim *s, struct pith_error *err)
{
	if (!s->o.image || !s->img.first_start || !s->img.probation)
		return -1;
	if (go_back_at_start(s, err) < 0 || shim_bundle_prepare(s, err) < 0 || shim_container_start(s, err) < 0)
		return pith_wrap(err, "--image %s: back to %s", s->o.image, s->img.target);
	return 0;
}

/* The first run started: the names say what runs now. By digest: REF may
 * have moved since, and the bundle keeps the digest's blobs from gc. */
static void commit_start(struct shim *s)
{
	struct pith_error err = { 0 };
	s->img.first_start = false;
	if (s->img.probation && !s->img.pinned[PIN_PREVIOUS] &&
	    shim_image_pin(s, PIN_PREVIOUS, s->img.pin[PIN_RUNNING], &err) < 0)
		note_error(s, "update: naming the previous image", &err);
	if (shim_image_pin(s, PIN_RUNNING, s->img.target, &err) < 0)
		note_error(s, "update: naming the running image", &err);
	if (!s->img.probation)
		shim_image_unpin(s, PIN_PREVIOUS);
	if (!s->img.refused[0])
		shim_image_unpin(s, PIN_REFUSED); /* REF moved on from it */
	else if (s->img.rollbacks && shim_image_pin(s, PIN_REFUSED, s->img.refused, &err) < 0)
		note_error(s, "update: naming the refused image", &err); /* its first start failed */
}

static void keep_new_image(struct shim *s)
{
	s->img.probation = false;
	s->img.previous[0] = '\0';
	shim_image_unpin(s, PIN_PREVIOUS);
	s->img.refused[0] = '\0';
	shim_image_unpin(s, PIN_REFUSED);
	shim_log_note(s, "update: %s ran for %u s: kept", s->img.running, s->o.probation);
}

static void rollback(struct shim *s, const char *why);

/* The old container is gone (or never ran): run digest from a new bundle. */
static void run_image(struct shim *s, const char *digest, bool probation)
{
	struct pith_error err = { 0 };
	char want[SHIM_DIGEST_LEN];
	snprintf(want, sizeof(want), "%s", digest);
	s->img.switching = false;
	s->img.probation = probation;
	s->backoff_step = 0;
	shim_image_unbundle(s);
	if (shim_image_bundle(s, want, &err) == 0 && shim_bundle_prepare(s, &err) == 0 &&
	    shim_container_start(s, &err) == 0) {
		shim_log_note(s, "update: running %s", want);
		return;
	}
	note_error(s, "update: starting the image", &err);
	snprintf(s->img.running, sizeof(s->img.running), "%s", want);
	if (probation) {
		rollback(s, "could not be started");
		return;
	}
	s->exited = s->status_known = true;
	s->status = SHIM_EXIT_FAILURE << 8;
	s->state = STATE_DONE;
}

/* :running first, :refused after (by digest: REF, if it still names the bad
 * image, keeps it reachable): a power cut between the steps leaves names the
 * next shim reads right (plan_start). */
static void rollback(struct shim *s, const char *why)
{
	struct pith_error err = { 0 };
	char bad[SHIM_DIGEST_LEN];
	snprintf(bad, sizeof(bad), "%s", s->img.running);
	s->img.rollbacks++;
	snprintf(s->img.refused, sizeof(s->img.refused), "%s", bad);
	shim_log_note(s, "update: %s %s; back to %s", bad, why, s->img.previous);
	if (shim_image_pin(s, PIN_RUNNING, s->img.pin[PIN_PREVIOUS], &err) < 0)
		note_error(s, "update: naming the previous image", &err);
	if (shim_image_pin(s, PIN_REFUSED, bad, &err) < 0)
		shim_image_unpin(s, PIN_REFUSED); /* nothing names it: no stale :refused either */
	run_image(s, s->img.previous, false);
	s->img.previous[0] = '\0';
	shim_image_unpin(s, PIN_PREVIOUS);
}

/* REF names a new image: pin the running one, then stop to switch. */
static void update_check(struct shim *s)
{
	struct pith_error err = { 0 };
	char digest[SHIM_DIGEST_LEN];
	if (shim_image_resolve(s, s->o.image, digest, &err) < 0) {
		note_error(s, "update", &err);
		return;
	}
	if (strcmp(digest, s->img.running) == 0) {
		shim_log_note(s, "update: %s is still %s", s->o.image, digest);
		return;
	}
	if (strcmp(digest, s->img.refused) == 0) {
		shim_log_note(s, "update: %s is %s, which was rolled back: not taken again", s->o.image, digest);
		return;
	}
	/* :running by name, not by digest: the digest may have no other name now */
	if (shim_image_pin(s, PIN_PREVIOUS, s->img.pin[PIN_RUNNING], &err) < 0 ||
	    shim_image_pin(s, PIN_RUNNING, s->o.image, &err) < 0 ||
	    shim_image_resolve(s, s->img.pin[PIN_RUNNING], digest, &err) < 0) {
		note_error(s, "update: pinning the images", &err);
		if (s->img.pinned[PIN_PREVIOUS] && shim_image_pin(s, PIN_RUNNING, s->img.pin[PIN_PREVIOUS], &err) < 0)
			note_error(s, "update: naming the running image again", &err);
		shim_image_unpin(s, PIN_PREVIOUS);
		return;
	}
	snprintf(s->img.previous, sizeof(s->img.previous), "%s", s->img.running);
	snprintf(s->img.target, sizeof(s->img.target), "%s", digest);
	s->img.failures = 0;
	s->img.switching = true;
	shim_log_note(s, "update: %s is now %s (was %s): switching", s->o.image, digest, s->img.running);
	if (s->state == STATE_BACKOFF) {
		shim_timer_arm(s->backoff_timer, 0);
		run_image(s, s->img.target, true);
		return;
	}
	shim_stop(s, s->o.stop_timeout);
	s->stop_requested = false; /* a stop for the switch, not the service's end */
}

int shim_update_request(struct shim *s, struct pith_error *err)
{
	if (!s->o.image)
		return pith_fail(err, 0, "update: the shim runs a --bundle, not an --image");
	if (s->img.pull_pid || s->img.switching || s->img.probation)
		return pith_fail(err, 0, "update: one is in progress");
	if (s->stop_requested || (s->state != STATE_RUNNING && s->state != STATE_BACKOFF))
		return pith_fail(err, 0, "update: the service is stopping");
	if (s->o.pull != PULL_NEWER) {
		update_check(s);
		return 0;
	}
	pid_t pid = shim_image_pull_spawn(s, err);
	if (pid < 0)
		return -1;
	s->img.pull_pid = pid;
	shim_log_note(s, "update: pulling %s", s->o.image);
	return 0;
}

void shim_update_pulled(struct shim *s, int status)
{
	struct pith_error err = { 0 };
	s->img.pull_pid = 0;
	shim_image_pull_error(s, status, &err);
	if (s->stop_requested || s->state == STATE_DONE)
		return;
	if (status != 0) {
		note_error(s, "update", &err);
		return;
	}
	update_check(s);
}

/* A run ended (exit, or a restart that did not start). true: handled here. */
bool shim_update_exited(struct shim *s)
{
	if (!s->o.image)
		return false;
	shim_timer_arm(s->img.probation_timer, 0);
	if (s->stop_requested) {
		s->img.switching = false;
		return false;
	}
	if (s->img.switching) {
		shim_container_end(s);
		run_image(s, s->img.target, true);
		return true;
	}
	if (!s->img.probation)
		return false;
	if (++s->img.failures < SHIM_PROBATION_TRIES) {
		shim_log_note(s, "update: %s failed within its probation (%u of %u)", s->img.running,
			      s->img.failures, SHIM_PROBATION_TRIES);
		shim_schedule_restart(s); /* whatever --restart says: it is on trial */
		return true;
	}
	shim_container_end(s);
	rollback(s, "failed " SHIM_STR(SHIM_PROBATION_TRIES) " times within its probation");
	return true;
}

void shim_update_started(struct shim *s)
{
	if (s->img.first_start)
		commit_start(s);
	if (!s->img.probation)
		return;
	if (s->o.probation == 0)
		keep_new_image(s);
	else
		shim_timer_arm(s->img.probation_timer, s->o.probation);
}

void shim_update_probation_timer(struct shim *s)
{
	uint64_t n;
	if (read(s->img.probation_timer, &n, sizeof(n)) < 0 || !s->img.probation ||
	    s->state != STATE_RUNNING || s->exited)
		return;
	keep_new_image(s);
}

void shim_update_finish(struct shim *s)
{
	if (!s->o.image)
		return;
	if (s->img.pull_pid > 0) {
		kill(s->img.pull_pid, SIGKILL); /* our child, not yet reaped */
		waitpid(s->img.pull_pid, NULL, 0);
		s->img.pull_pid = 0;
		struct pith_error ignored;
		shim_image_pull_error(s, 0, &ignored); /* removes its stderr file */
	}
	shim_image_unbundle(s); /* the names stay: the next shim of this ID goes on from them */
	if (s->img.probation_timer >= 0)
		close(s->img.probation_timer), s->img.probation_timer = -1;
}

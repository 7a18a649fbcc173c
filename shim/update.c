/* --image REF: the service runs from a bundle the shim makes of the image
 * REF names, and follows REF when asked (SIGHUP, or `ctl update`):
 *
 *   [pull REF, --pull newer]  ->  digest of REF  ==  running?  -> nothing to do
 *        | changed (and not the one rolled back from before)
 *   pith-shim/ID:previous := the running image; pith-shim/ID:running := REF
 *   stop the container -> unbundle -> bundle the new digest -> start: probation
 *   probation: a run lasting --probation seconds keeps the new image and drops
 *   :previous; SHIM_PROBATION_TRIES failed runs (exit, or no start) before
 *   that go back: :running := :previous, and :previous goes.
 *
 * The running image always has the shim's own name, so it stays reachable
 * (and safe from gc) whatever happens to REF: a load or pull re-pointing REF
 * leaves the old image with no other name. Everything is bundled by digest,
 * so REF moving changes nothing until the next update. Names and bundle live
 * no longer than the shim. */
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

int shim_update_setup(struct shim *s, struct pith_error *err)
{
	if (!s->o.image)
		return 0;
	if (shim_image_find_tool(s, err) < 0)
		return -1;
	if (shim_path(s->img.bundle, sizeof(s->img.bundle), s->run_dir, "image") < 0)
		return pith_fail(err, ENAMETOOLONG, "%s", s->run_dir);
	snprintf(s->img.pin[PIN_RUNNING], sizeof(s->img.pin[0]), "pith-shim/%s:running", s->o.id);
	snprintf(s->img.pin[PIN_PREVIOUS], sizeof(s->img.pin[0]), "pith-shim/%s:previous", s->o.id);
	s->img.probation_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->img.probation_timer < 0 ||
	    shim_epoll_add(s, s->img.probation_timer, SHIM_TAG(TAG_PROBATION_TIMER, 0)) < 0)
		return pith_fail(err, errno, "probation timer");
	shim_image_forget_stale(s);
	char digest[SHIM_DIGEST_LEN];
	if (pull_at_start(s, err) < 0 || shim_image_pin(s, PIN_RUNNING, s->o.image, err) < 0 ||
	    shim_image_resolve(s, s->img.pin[PIN_RUNNING], digest, err) < 0 ||
	    shim_image_bundle(s, digest, err) < 0)
		return pith_wrap(err, "--image %s", s->o.image);
	s->o.bundle = s->img.bundle;
	return 0;
}

static void keep_new_image(struct shim *s)
{
	s->img.probation = false;
	s->img.previous[0] = '\0';
	shim_image_unpin(s, PIN_PREVIOUS);
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

static void rollback(struct shim *s, const char *why)
{
	struct pith_error err = { 0 };
	s->img.rollbacks++;
	snprintf(s->img.refused, sizeof(s->img.refused), "%s", s->img.running);
	shim_log_note(s, "update: %s %s; back to %s", s->img.running, why, s->img.previous);
	if (shim_image_pin(s, PIN_RUNNING, s->img.pin[PIN_PREVIOUS], &err) < 0)
		note_error(s, "update: naming the previous image", &err);
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
	shim_image_unbundle(s);
	shim_image_unpin(s, PIN_PREVIOUS);
	shim_image_unpin(s, PIN_RUNNING);
	if (s->img.probation_timer >= 0)
		close(s->img.probation_timer), s->img.probation_timer = -1;
}

/* The event loop. Everything the shim reacts to is an fd in one epoll set:
 * signals (signalfd), the container's exit (pidfd), its output, the control
 * socket, and timerfds armed only while stopping, waiting to restart or
 * trying a new image (update.c).
 * With nothing happening epoll_wait sleeps with no timeout at all. */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 16

int shim_epoll_add(struct shim *s, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void shim_epoll_del(struct shim *s, int fd)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* One shot after seconds; 0 disarms. */
void shim_timer_arm(int tfd, unsigned seconds)
{
	struct itimerspec it = { .it_value = { .tv_sec = seconds } };
	timerfd_settime(tfd, 0, &it, NULL);
}

static bool should_restart(const struct shim *s)
{
	if (s->stop_requested || s->o.restart == RESTART_NO)
		return false;
	if (s->o.restart_max && s->restarts >= s->o.restart_max)
		return false;
	if (s->o.restart == RESTART_ON_FAILURE)
		return !(s->status_known && WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	return true;
}

static void describe(const struct shim *s, char *buf, size_t cap)
{
	if (!s->status_known)
		snprintf(buf, cap, "with an unknown status");
	else if (WIFSIGNALED(s->status))
		snprintf(buf, cap, "on signal %d", WTERMSIG(s->status));
	else
		snprintf(buf, cap, "with code %d", WEXITSTATUS(s->status));
}

void shim_schedule_restart(struct shim *s)
{
	char how[64];
	int64_t ran = shim_now_ns(CLOCK_MONOTONIC) - s->started_mono_ns;
	if (ran >= (int64_t)SHIM_BACKOFF_RESET * 1000000000)
		s->backoff_step = 0;
	unsigned delay = s->backoff_step >= 9 ? SHIM_BACKOFF_MAX : 1u << s->backoff_step;
	if (delay > SHIM_BACKOFF_MAX)
		delay = SHIM_BACKOFF_MAX;
	s->backoff_step++;
	shim_container_end(s);
	describe(s, how, sizeof(how));
	shim_log_note(s, "container exited %s%s; restart %u in %u s", how,
		      s->oom_killed ? " (OOM killed)" : "", s->restarts + 1, delay);
	s->state = STATE_BACKOFF;
	shim_timer_arm(s->backoff_timer, delay);
}

/* After a run ended: an image update first, then the restart policy. */
static void run_ended(struct shim *s)
{
	if (shim_update_exited(s))
		return;
	if (should_restart(s))
		shim_schedule_restart(s);
	else
		s->state = STATE_DONE;
}

static void container_exited(struct shim *s, int status, bool known)
{
	s->exited = true;
	s->status = status;
	s->status_known = known;
	s->finished_at_ns = shim_now_ns(CLOCK_REALTIME);
	shim_epoll_del(s, s->pidfd);
	shim_timer_arm(s->stop_timer, 0);
	/* Whatever it wrote before dying is already in the pipe. */
	if (s->out.fd >= 0)
		shim_stream_read(s, &s->out, true);
	if (s->errs.fd >= 0)
		shim_stream_read(s, &s->errs, true);
	/* The counter alone could be an OOM kill of some other process in the
	 * container; the init dying of SIGKILL with it is the verdict. */
	s->oom_killed = known && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
			shim_cgroup_oom_killed(&s->cg);
	run_ended(s);
}

static void reap(struct shim *s)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == s->pid && !s->exited)
			container_exited(s, st, true);
		else if (p == s->img.pull_pid)
			shim_update_pulled(s, st);
}

static void on_pidfd(struct shim *s)
{
	reap(s);
	/* Readable but not reaped: not our child (a subreaper above us took
	 * it); the pidfd tells that it ended, not how. */
	if (!s->exited && waitpid(s->pid, NULL, WNOHANG) < 0 && errno == ECHILD)
		container_exited(s, 0, false);
}

void shim_stop(struct shim *s, unsigned timeout)
{
	s->stop_requested = true;
	if (s->state == STATE_BACKOFF) {
		shim_timer_arm(s->backoff_timer, 0);
		s->state = STATE_DONE;
		return;
	}
	if (s->state == STATE_STOPPING && timeout == 0) {
		/* an impatient second stop: no more waiting */
		s->stop_timeout_killed = true;
		shim_container_kill_all(s);
		return;
	}
	if (s->state != STATE_RUNNING)
		return;
	s->state = STATE_STOPPING;
	shim_container_signal(s, s->stop_signal);
	if (timeout == 0) {
		s->stop_timeout_killed = true;
		shim_container_kill_all(s);
	} else {
		shim_timer_arm(s->stop_timer, timeout);
	}
}

static void on_stop_timer(struct shim *s)
{
	uint64_t n;
	if (read(s->stop_timer, &n, sizeof(n)) < 0 || s->state != STATE_STOPPING || s->exited)
		return;
	s->stop_timeout_killed = true;
	shim_container_kill_all(s);
}

static void on_backoff_timer(struct shim *s)
{
	uint64_t n;
	if (read(s->backoff_timer, &n, sizeof(n)) < 0 || s->state != STATE_BACKOFF)
		return;
	s->restarts++;
	struct pith_error err = { 0 };
	if (shim_container_start(s, &err) == 0)
		return;
	shim_log_note(s, "restart failed: %s", err.msg);
	/* A failed create counts as a failed run for the policy. */
	s->exited = true;
	s->status = SHIM_EXIT_FAILURE << 8;
	s->status_known = true;
	s->finished_at_ns = shim_now_ns(CLOCK_REALTIME);
	run_ended(s);
}

/* Signals for the container; SIGCHLD, SIGPIPE and the synchronous ones are
 * the shim's own business and never forwarded. */
static bool forwarded(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP ||
	       sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGWINCH || sig == SIGCONT;
}

static void on_signal(struct shim *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			reap(s);
			continue;
		}
		if (!forwarded(sig))
			continue;
		/* With --image, SIGHUP (systemctl reload) is an update request;
		 * `pith-shim ctl kill HUP` still reaches the app. */
		if (sig == SIGHUP && s->o.image) {
			struct pith_error err = { 0 };
			if (shim_update_request(s, &err) < 0)
				shim_log_note(s, "%s", err.msg);
			continue;
		}
		/* SIGTERM to the shim (systemd stopping the service) is a stop:
		 * no restart, and KILL after the timeout. SIGINT ends the
		 * restarts too but leaves the app its own pace. */
		if (sig == SIGTERM || sig == SIGINT) {
			s->stop_requested = true;
			if (s->state == STATE_BACKOFF) {
				shim_stop(s, 0);
				continue;
			}
			if (sig == SIGTERM && s->state == STATE_RUNNING) {
				s->state = STATE_STOPPING;
				/* 0 is "no grace" here as in shim_stop (doc/pith-shim.8) */
				if (s->o.stop_timeout == 0) {
					shim_container_signal(s, s->stop_signal);
					s->stop_timeout_killed = true;
					shim_container_kill_all(s);
					continue;
				}
				shim_timer_arm(s->stop_timer, s->o.stop_timeout);
			}
			/* a stop: the image's StopSignal or --stop-signal in place of TERM */
			if (sig == SIGTERM)
				sig = s->stop_signal;
		}
		shim_container_signal(s, sig);
	}
}

static void dispatch(struct shim *s, uint64_t tag)
{
	uint32_t idx = (uint32_t)tag;
	switch ((int)(tag >> 32)) {
	case TAG_SIGNAL: on_signal(s); break;
	case TAG_PIDFD: on_pidfd(s); break;
	case TAG_STREAM:
		shim_stream_read(s, idx == STREAM_STDOUT ? &s->out : &s->errs, false);
		break;
	case TAG_CTL_LISTEN: shim_ctl_accept(s); break;
	case TAG_CLIENT: shim_ctl_handle(s, (int)idx); break;
	case TAG_STOP_TIMER: on_stop_timer(s); break;
	case TAG_BACKOFF_TIMER: on_backoff_timer(s); break;
	case TAG_PROBATION_TIMER: shim_update_probation_timer(s); break;
	}
}

int shim_loop(struct shim *s)
{
	struct epoll_event ev[MAX_EVENTS];
	while (s->state != STATE_DONE) {
		int n = epoll_wait(s->epfd, ev, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && s->state != STATE_DONE; i++)
			dispatch(s, ev[i].data.u64);
		shim_log_flush(s);
	}
	return 0;
}

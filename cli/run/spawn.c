// SPDX-License-Identifier: MIT
/*
 * reuseport run: starting instances (fork, exec with the shim preloaded),
 * reaping them, restarting crashed ones with backoff, and the event loop
 * that turns signals into actions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics_http.h"
#include "run_impl.h"

/* "{i}" in s replaced by i, "{g}" by gen; malloc'ed. */
static char *subst(const char *s, int i, uint32_t gen)
{
	char num[2][16], *out, *o;
	const char *p;
	size_t k = 0;

	snprintf(num[0], sizeof(num[0]), "%d", i);
	snprintf(num[1], sizeof(num[1]), "%u", gen);
	for (p = s; (p = strchr(p, '{')); p++)
		k++;
	out = malloc(strlen(s) + 1 + k * sizeof(num[0]));
	if (!out)
		return NULL;
	for (o = out, p = s; *p;) {
		if (!strncmp(p, "{i}", 3) || !strncmp(p, "{g}", 3)) {
			o = stpcpy(o, num[p[1] == 'g']);
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/*
 * LD_PRELOAD for an instance: the shim first, then the inherited entries
 * (ld.so separates them by ':' or ' '), without a second copy of the shim.
 */
static char *preload_value(void)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(R.lib);
	char *out, *copy, *tok, *save;

	out = malloc(len + (old ? strlen(old) : 0) + 2);
	if (!out)
		return NULL;
	strcpy(out, R.lib);
	copy = strdup(old ? old : "");
	if (!copy)
		return out;
	for (tok = strtok_r(copy, ": ", &save); tok;
	     tok = strtok_r(NULL, ": ", &save)) {
		if (strcmp(tok, R.lib)) {
			strcat(out, ":");
			strcat(out, tok);
		}
	}
	free(copy);
	return out;
}

/* In the child between fork and exec; never returns. */
__attribute__((noreturn)) static void exec_instance(int i, uint32_t gen,
						    int errfd, const int out[4])
{
	char buf[32], *pre, **argv;
	sigset_t none;
	int argc = 0, err;

	/*
	 * Own process group: a terminal's Ctrl-C reaches the supervisor only,
	 * and the supervisor can signal the instance with everything it forks.
	 */
	setpgid(0, 0);
	/* --prefix: stdout and stderr into the supervisor's pipes */
	if (out[1] >= 0 && out[3] >= 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[3], STDERR_FILENO);
	}
	/* handlers were inherited while signals were blocked: reset, unblock */
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	pre = preload_value();
	if (pre)
		setenv("LD_PRELOAD", pre, 1);
	snprintf(buf, sizeof(buf), "%d", i);
	setenv("REUSEPORT_INSTANCE", buf, 1);
	snprintf(buf, sizeof(buf), "%u", gen);
	setenv("REUSEPORT_GENERATION", buf, 1);
	if (R.policy)
		setenv("REUSEPORT_POLICY", R.policy, 1);
	while (R.cmd[argc])
		argc++;
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	for (int k = 0; argv && k < argc; k++)
		argv[k] = subst(R.cmd[k], i, gen);
	if (argv)
		execvp(argv[0], argv);
	err = errno;
	/* the supervisor reads this from the CLOEXEC pipe: exec failed */
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* it will see a crash instead */
	}
	_exit(err == ENOENT ? 127 : 126);
}

/*
 * Start instance i (1-based) of generation gen. Returns its pid, or
 * -errno when CMD cannot be executed (the exec error travels back on a
 * CLOEXEC pipe: EOF means exec succeeded).
 */
pid_t run_spawn(int i, uint32_t gen)
{
	int pfd[2], out[4] = { -1, -1, -1, -1 }, err = 0;
	sigset_t all, old;
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	if (R.prefix && run_out_pipes(i, out) != 0)
		run_warn(
			"event=warning instance=%d reason=\"no pipe for --prefix: %s\"",
			i, strerror(errno));
	/*
	 * Signals blocked across fork: the child must never run our handler
	 * (it would write into the shared self-pipe as if we got the signal).
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		exec_instance(i, gen, pfd[1], out);
	}
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	run_out_adopt(i, out); /* if the fork failed, EOF ends them */
	if (pid < 0) {
		close(pfd[0]);
		return -err;
	}
	setpgid(pid, pid); /* whichever of us runs first wins; same result */
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(pid, NULL, 0);
		return -err;
	}
	run_info("event=start instance=%d pid=%d generation=%u", i, (int)pid,
		 gen);
	return pid;
}

/* SIGTERM/SIGKILL/... an instance's process group (or it, if it left). */
void run_signal_tree(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (kill(-pid, sig) != 0 && errno == ESRCH)
		kill(pid, sig);
}

static struct inst *inst_of(pid_t pid)
{
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid == pid)
			return &R.inst[i];
	return NULL;
}

void run_describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=%s%s", sig_name(WTERMSIG(status)),
			 WCOREDUMP(status) ? " core=1" : "");
	else
		snprintf(buf, len, "status=?");
}

static uint64_t clamp_backoff(uint64_t ms)
{
	return ms > R.backoff_max_ms ? R.backoff_max_ms : ms;
}

/* Instance died uninvited (or could not be executed): restart later. */
static void schedule_restart(struct inst *in, uint64_t now)
{
	if (now - in->started_ms >= STABLE_MS)
		in->backoff_ms = BACKOFF_MIN_MS;
	in->backoff_ms = clamp_backoff(in->backoff_ms);
	in->restart_at_ms = now + in->backoff_ms;
}

/* Reap every child, orphans we adopted included; note instance deaths. */
static void reap(void)
{
	char how[48];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct inst *in = inst_of(pid);
		uint64_t now = now_ms();
		bool bg;

		run_describe_exit(status, how, sizeof(how));
		run_alias_drop(pid);
		if (pid == R.pending) {
			run_info("event=exit pid=%d %s role=replacement",
				 (int)pid, how);
			R.pending = 0;
			R.pending_status = status;
			continue;
		}
		if (pid == R.retiring) {
			run_info("event=exit pid=%d %s role=replaced", (int)pid,
				 how);
			R.retiring = 0;
			continue;
		}
		if (!in)
			continue; /* an adopted orphan: reaping is all it needs */
		in->pid = 0;
		if (in->stopping || R.stopping) {
			run_info("event=exit instance=%d pid=%d %s",
				 (int)(in - R.inst) + 1, (int)pid, how);
			in->stopping = false;
			continue;
		}
		bg = run_went_background((int)(in - R.inst), in->gen, pid,
					 status, in->started_ms, &in->pid);
		if (in->pid)
			continue; /* --adopt: its daemon is the instance now */
		run_warn("event=crash instance=%d pid=%d %s uptime_ms=%llu",
			 (int)(in - R.inst) + 1, (int)pid, how,
			 (unsigned long long)(now - in->started_ms));
		if (!bg && !run_limit_reached((int)(in - R.inst), status)) {
			schedule_restart(in, now);
			run_info(
				"event=restart_scheduled instance=%d in_ms=%llu",
				(int)(in - R.inst) + 1,
				(unsigned long long)in->backoff_ms);
			in->backoff_ms = clamp_backoff(in->backoff_ms * 2);
		}
		/*
		 * Whatever it forked (workers holding its listener) must not
		 * outlive it: the restarted instance takes over, and closing
		 * those listeners migrates what is queued on them.
		 */
		if (kill(-pid, SIGTERM) == 0) {
			kill(-pid, SIGCONT);
			run_warn("event=leftovers pgid=%d action=TERM",
				 (int)pid);
		}
	}
}

/* (Re)start instance i with its generation. */
static void start(int i)
{
	struct inst *in = &R.inst[i];
	pid_t pid = run_spawn(i + 1, in->gen);
	uint64_t now = now_ms();

	in->restart_at_ms = 0;
	in->started_ms = now;
	if (pid < 0) {
		schedule_restart(in, now);
		run_warn(
			"event=error instance=%d reason=\"cannot execute %s: %s\" restart_in_ms=%llu",
			i + 1, R.cmd[0], strerror((int)-pid),
			(unsigned long long)in->backoff_ms);
		in->backoff_ms = clamp_backoff(in->backoff_ms * 2);
		return;
	}
	in->pid = pid;
}

static void forward(int sig)
{
	for (int i = 0; i < R.n; i++)
		run_signal_tree(R.inst[i].pid, sig);
	run_signal_tree(R.pending, sig);
	run_signal_tree(R.retiring, sig);
}

/*
 * --reload signal: SIGHUP to each instance's own process only. Its workers
 * often leave HUP at its default action (gunicorn's): the master reloads
 * and replaces them gracefully, a HUP of their own would kill them.
 */
static void forward_hup(void)
{
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid > 0)
			kill(R.inst[i].pid, SIGHUP);
}

static void on_event(int sig)
{
	switch (sig) {
	case SIGCHLD:
		break;
	case SIGHUP:
		if (R.stopping || R.stop_requests)
			break;
		if (R.reload == RELOAD_SIGNAL) {
			run_info("event=signal signal=HUP action=forward");
			run_notify(
				"RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=SIGHUP forwarded to every instance",
				(unsigned long long)now_ms() * 1000);
			forward_hup();
			run_notify(
				"READY=1\nSTATUS=%d instances serving, generation %u",
				R.n, R.gen);
			break;
		}
		run_info("event=signal signal=HUP action=%s",
			 R.hup ? "already_queued" : "rolling_restart");
		R.hup = true;
		break;
	case SIGTERM:
	case SIGINT:
		R.stop_requests++;
		run_info("event=signal signal=%s action=%s", sig_name(sig),
			 R.stop_requests > 1 ? "kill" : "stop");
		break;
	default:
		run_info("event=signal signal=%s action=forward",
			 sig_name(sig));
		forward(sig);
	}
}

/*
 * The event loop's one step: wait up to ms for a signal, handle what came,
 * reap, and run due restarts (unless stopping).
 */
void run_tick(int ms)
{
	static struct pollfd p[2 + RUN_MAX_STREAMS];
	unsigned char sigs[64];
	uint64_t now;
	ssize_t n;
	int np;

	p[0] = (struct pollfd){ .fd = R.sigpipe[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = R.metrics ? rp_metrics_fd(R.metrics) : -1,
				.events = POLLIN };
	np = 2 + run_out_pollfds(p + 2, RUN_MAX_STREAMS);
	if (poll(p, (nfds_t)np, ms) > 0) {
		while ((n = read(R.sigpipe[0], sigs, sizeof(sigs))) > 0)
			for (ssize_t k = 0; k < n; k++)
				on_event(sigs[k]);
		run_out_service(p + 2, np - 2);
	}
	if (R.metrics)
		rp_metrics_handle(R.metrics);
	reap();
	if (R.stopping || R.stop_requests)
		return;
	now = now_ms();
	for (int i = 0; i < R.n; i++)
		if (!R.inst[i].pid && R.inst[i].restart_at_ms &&
		    now >= R.inst[i].restart_at_ms)
			start(i);
}

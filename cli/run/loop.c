// SPDX-License-Identifier: MIT
/*
 * reuseport run: the event loop's one step (run_tick()), which the main
 * loop and the long procedures (rolling restart, stop) call while they
 * wait: signals turned into actions, children reaped, crashed instances
 * restarted with backoff, /metrics and --prefix output served.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit.h"
#include "cgroup.h"
#include "loop.h"
#include "metrics_http.h"
#include "notify.h"
#include "out.h"
#include "reload.h"
#include "rescue.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "tree.h"

/* An instance up this long restarts after BACKOFF_MIN_MS again when it dies. */
#define STABLE_MS 10000

static struct inst *inst_of(pid_t pid)
{
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid == pid)
			return &R.inst[i];
	return NULL;
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

/* Is p dying: a zombie, or SIGKILL pending (a kill -9 of its group)? */
static bool dying(pid_t p)
{
	char path[64], line[256];
	bool d = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)p);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (!d && fgets(line, sizeof(line), f)) {
		unsigned long long mask;

		if (!strncmp(line, "State:", 6))
			d = strchr(line, 'Z') || strchr(line, 'X');
		else if ((sscanf(line, "SigPnd: %llx", &mask) == 1 ||
			  sscanf(line, "ShdPnd: %llx", &mask) == 1) &&
			 (mask & (1ull << (SIGKILL - 1))))
			d = true;
	}
	fclose(f);
	return d;
}

/*
 * Does process group pgid have a member that is not already dying? The
 * workers of an instance killed with kill -9 on its group are on their
 * way out: no leftovers to speak of.
 */
static bool group_lives(pid_t pgid)
{
	struct dirent *e;
	bool lives = false;
	DIR *d = opendir("/proc");

	if (!d)
		return true;
	while (!lives && (e = readdir(d))) {
		pid_t p = (pid_t)atoi(e->d_name), ppid, pgrp;
		char state;

		if (p > 0 && rp_proc_stat(p, &ppid, &pgrp, &state) &&
		    pgrp == pgid && !dying(p))
			lives = true;
	}
	closedir(d);
	return lives;
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
			if (group_lives(pid))
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

static void on_event(int sig, pid_t requester)
{
	switch (sig) {
	case SIGCHLD:
		break;
	case SIGHUP:
		if (requester)
			run_reload_wait(requester);
		if (R.stopping || R.stop_requests) {
			run_reload_answer_all(RP_RELOAD_STOPPING);
			break;
		}
		if (R.reload == RELOAD_SIGNAL) {
			run_info("event=signal signal=HUP action=forward");
			run_notify(
				"RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=SIGHUP forwarded to every instance",
				(unsigned long long)now_ms() * 1000);
			forward_hup();
			run_reload_answer_all(RP_RELOAD_DONE);
			run_notify_serving();
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
		run_signal_all(sig);
	}
}

/*
 * The event loop's one step: wait up to ms for a signal, handle what came,
 * reap, and run due restarts (unless stopping).
 */
void run_tick(int ms)
{
	static struct pollfd p[2 + RUN_MAX_STREAMS];
	struct run_sigrec sigs[16];
	uint64_t now;
	ssize_t n;
	int np;

	p[0] = (struct pollfd){ .fd = R.sigpipe[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = R.metrics ? rp_metrics_fd(R.metrics) : -1,
				.events = POLLIN };
	np = 2 + run_out_pollfds(p + 2, RUN_MAX_STREAMS);
	if (poll(p, (nfds_t)np, ms) > 0) {
		while ((n = read(R.sigpipe[0], sigs, sizeof(sigs))) > 0)
			for (ssize_t k = 0; k < n / (ssize_t)sizeof(sigs[0]);
			     k++)
				on_event(sigs[k].sig, sigs[k].requester);
		run_out_service(p + 2, np - 2);
	}
	if (R.metrics)
		rp_metrics_handle(R.metrics);
	reap();
	if (R.stopping || R.stop_requests)
		return;
	run_cgroup_tick();
	run_rescue_tick();
	now = now_ms();
	for (int i = 0; i < R.n; i++)
		if (!R.inst[i].pid && R.inst[i].restart_at_ms &&
		    now >= R.inst[i].restart_at_ms)
			start(i);
}

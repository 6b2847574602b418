// SPDX-License-Identifier: MIT
/*
 * reuseport run: rolling restart (SIGHUP) and graceful stop (SIGTERM):
 * replace or stop instances without losing a connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit.h"
#include "loop.h"
#include "notify.h"
#include "out.h"
#include "reload.h"
#include "roll.h"
#include "spawn.h"
#include "state.h"
#include "tree.h"

#define WAIT_MS 50

/*
 * Stop *slot (R.pending or R.retiring) by SIGTERM, SIGKILL after --grace.
 * A stop request hands it over to run_stop_all(), which stops it with the rest.
 */
static void stop_proc(pid_t *slot)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	pid_t pid = *slot;

	run_signal_tree(pid, SIGTERM);
	run_signal_tree(pid,
			SIGCONT); /* a stopped process cannot act on TERM */
	while (*slot && now_ms() < deadline && !R.stop_requests)
		run_tick(WAIT_MS);
	if (!*slot || R.stop_requests)
		return;
	run_warn("event=kill pid=%d reason=\"still running after --grace\"",
		 (int)pid);
	run_signal_tree(pid, SIGKILL);
	while (*slot && !R.stop_requests)
		run_tick(WAIT_MS);
}

/* Drain pid's slots; wait until their connections are done (--grace). */
static void drain_and_wait(int i, pid_t pid)
{
	struct tree_scan t = { .root = pid, .drain = true };
	uint64_t deadline = now_ms() + R.grace_ms;

	run_scan_tree(&t);
	run_info(
		"event=drain instance=%d pid=%d slots=%ld active=%ld hook_active=%ld",
		i + 1, (int)pid, t.slots, t.active, t.hook_active);
	while (t.active > 0 && now_ms() < deadline && !R.stop_requests &&
	       R.retiring) {
		run_tick(WAIT_MS);
		run_scan_tree(
			&t); /* drain again: sockets it registered since */
	}
	if (t.active > 0 && R.retiring && !R.stop_requests)
		run_warn("event=drain_timeout instance=%d pid=%d active=%ld",
			 i + 1, (int)pid, t.active);
}

/*
 * Has the replacement new registered? Ready when it has a live slot in
 * every group where the instance it replaces (old) has one; at the
 * deadline one group is enough (its configuration may have changed). With
 * steering off nowhere (no live slot of any of our processes), a listening
 * socket will do. 0: not yet.
 */
static bool replacement_ready(int i, pid_t new, pid_t old, bool final)
{
	struct tree_scan t = { .root = new, .other = old };
	struct tree_scan all = { .root = getpid() };

	run_scan_tree(&t);
	if (t.slots && (t.covered == t.other_groups || final)) {
		run_info(
			"event=ready instance=%d pid=%d generation=%u slots=%ld missing_groups=%d",
			i + 1, (int)new, R.gen, t.slots,
			t.other_groups - t.covered);
		return true;
	}
	if (t.slots)
		return false;
	run_scan_tree(&all); /* every process we started, and theirs */
	if (!all.slots && run_tree_listens(new)) {
		run_info(
			"event=ready instance=%d pid=%d generation=%u steering=off",
			i + 1, (int)new, R.gen);
		return true;
	}
	return false;
}

/* Replace instance i by one of generation R.gen; false: abort the roll. */
static bool replace(int i)
{
	uint64_t started = now_ms(), deadline = started + R.ready_ms;
	struct inst *in = &R.inst[i];
	bool ready = false;
	pid_t pid, old;

	pid = run_spawn(i + 1, R.gen);
	if (pid < 0) {
		run_warn(
			"event=rolling_abort instance=%d reason=\"cannot execute %s: %s\"",
			i + 1, R.cmd[0], strerror((int)-pid));
		return false;
	}
	R.pending = pid;
	for (;;) {
		bool final = now_ms() >= deadline;

		/* --adopt: it went to the background, follow its daemon */
		if (!R.pending && R.adopt &&
		    run_went_background(i, R.gen, pid, R.pending_status,
					started, &R.pending) &&
		    R.pending) {
			pid = R.pending;
			continue;
		}
		/* in->pid may change meanwhile: a crashed old one restarts */
		ready = replacement_ready(i, pid, in->pid, final);
		if (ready || final || !R.pending || R.stop_requests)
			break;
		run_tick(WAIT_MS);
	}
	if (R.stop_requests)
		return false; /* run_stop_all() stops R.pending too */
	if (!R.pending) {
		char how[48], words[48];

		run_describe_exit(R.pending_status, how, sizeof(how));
		run_warn(
			"event=rolling_abort instance=%d generation=%u pid=%d %s reason=\"instance %d generation %u exited with %s before registering; the old instances keep serving\"",
			i + 1, R.gen, (int)pid, how, i + 1, R.gen,
			run_exit_words(R.pending_status, words, sizeof(words)));
		run_went_background(i, R.gen, pid, R.pending_status, started,
				    &R.pending);
		if (R.pending) /* only when stop_requests is not set */
			stop_proc(&R.pending);
		return false;
	}
	if (!ready) {
		run_warn(
			"event=rolling_abort instance=%d pid=%d reason=\"replacement did not register within --ready-timeout\"",
			i + 1, (int)pid);
		stop_proc(&R.pending);
		return false;
	}
	old = in->pid;
	free(in->restarts); /* a new generation starts a new restart count */
	*in = (struct inst){ .pid = pid,
			     .gen = R.gen,
			     .started_ms = started,
			     .backoff_ms = BACKOFF_MIN_MS };
	R.pending = 0;
	if (old > 0) {
		R.retiring = old;
		drain_and_wait(i, old);
		if (R.retiring)
			stop_proc(&R.retiring);
	}
	return true;
}

/* SIGHUP: every instance replaced, in order, by one of the next generation. */
void run_rolling_restart(void)
{
	run_reload_begin();
	if (R.gen == UINT32_MAX) {
		run_warn(
			"event=rolling_abort reason=\"generation is at its maximum (4294967295); restart the supervisor with a lower REUSEPORT_GENERATION\"");
		run_reload_end(RP_RELOAD_REFUSED);
		return;
	}
	/*
	 * Generations only grow, even after an abort: a number is never
	 * reused for a different set of instances.
	 */
	R.gen++;
	run_info("event=rolling_restart generation=%u instances=%d", R.gen,
		 R.n);
	run_notify(
		"RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=rolling restart to generation %u",
		(unsigned long long)now_ms() * 1000, R.gen);
	for (int i = 0; i < R.n; i++) {
		if (R.stop_requests) {
			run_reload_end(RP_RELOAD_STOPPING);
			return;
		}
		if (!replace(i)) {
			run_notify(
				"READY=1\nSTATUS=rolling restart to generation %u failed at instance %d; the others keep serving",
				R.gen, i + 1);
			run_reload_end(RP_RELOAD_FAILED);
			return;
		}
	}
	run_info("event=rolling_done generation=%u", R.gen);
	run_notify_serving();
	run_reload_end(RP_RELOAD_DONE);
}

static int running(void)
{
	int alive = (R.pending > 0) + (R.retiring > 0);

	for (int i = 0; i < R.n; i++)
		alive += R.inst[i].pid > 0;
	return alive;
}

/* Orphans of the instances (detached helpers) go with them. */
static void stop_adopted(void)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	bool termed = false, killed = false;
	pid_t pids[256];
	int n;

	while ((n = run_children(pids, 256)) > 0) {
		int sig = 0;

		if (!termed) {
			sig = SIGTERM;
			termed = true;
			run_info("event=stop_orphans count=%d", n);
		} else if (!killed &&
			   (now_ms() >= deadline || R.stop_requests > 1)) {
			sig = SIGKILL;
			killed = true;
			run_warn(
				"event=kill orphans=%d reason=\"still running after --grace\"",
				n);
		}
		for (int k = 0; sig && k < n; k++) {
			kill(pids[k], sig);
			kill(pids[k], SIGCONT);
		}
		run_tick(20);
	}
}

/* SIGTERM/SIGINT: drain all, wait for connections, TERM, KILL leftovers. */
int run_stop_all(void)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	bool killed = false;
	long active = 0;

	R.stopping = true;
	run_reload_answer_all(RP_RELOAD_STOPPING);
	run_notify_stop();
	for (int i = 0; i < R.n; i++) {
		R.inst[i].restart_at_ms = 0;
		R.inst[i].stopping = R.inst[i].pid > 0;
	}
	run_info("event=stop processes=%d", running());
	/*
	 * Draining every slot leaves the program nothing eligible, so it keeps
	 * using all of them: nothing is refused while connections finish.
	 */
	do {
		active = 0;
		for (int i = 0; i < R.n; i++) {
			struct tree_scan t = { .root = R.inst[i].pid,
					       .drain = true };

			if (t.root > 0) {
				run_scan_tree(&t);
				active += t.active;
			}
		}
		if (!active || now_ms() >= deadline || R.stop_requests > 1)
			break;
		run_tick(WAIT_MS);
	} while (running());
	if (active && R.stop_requests < 2)
		run_warn("event=drain_timeout active=%ld", active);
	run_signal_all(R.stop_requests > 1 ? SIGKILL : SIGTERM);
	run_signal_all(SIGCONT);
	deadline = now_ms() + R.grace_ms;
	while (running()) {
		if (!killed && (now_ms() >= deadline || R.stop_requests > 1)) {
			run_warn("event=kill processes=%d reason=\"%s\"",
				 running(),
				 R.stop_requests > 1 ?
					 "second stop signal" :
					 "still running after --grace");
			run_signal_all(SIGKILL);
			killed = true;
		}
		run_tick(20);
	}
	stop_adopted();
	run_out_flush();
	run_info("event=stopped status=%d", R.exit_code);
	return R.exit_code;
}

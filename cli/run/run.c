// SPDX-License-Identifier: MIT
/*
 * reuseport run: start N instances of a server under the shim and keep them
 * up; restart them one by one without losing a connection (SIGHUP); stop
 * them gracefully (SIGTERM/SIGINT). Usable as PID 1 of a container.
 *
 * A rolling restart relies on the group's state: the replacement runs with
 * a newer REUSEPORT_GENERATION, so once it has registered the program sends
 * it every new connection; the old instance is drained, allowed to finish
 * its active connections, then stopped, and whatever was still queued on
 * its listener migrates to a live one (sk_reuseport/migrate).
 *
 * One event loop (run_tick(), loop.c): signals arrive through a self-pipe,
 * children are reaped with waitpid(-1, WNOHANG), restart timers run on a
 * 100 ms tick. The long procedures (rolling restart, stop: roll.c) call
 * run_tick() while they wait, so crashes are handled and signals counted at
 * any time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "loop.h"
#include "metrics_http.h"
#include "notify.h"
#include "args.h"
#include "cgroup.h"
#include "registry_names.h"
#include "reload.h"
#include "roll.h"
#include "run.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "tree.h"
#include "unsteered.h"

#define TICK_MS 100

/*
 * A record of the self-pipe: the signal, and for a SIGHUP queued by
 * reuseport reload, its pid (reload.h). Writes of a record are atomic and
 * reads take whole records (the pipe only ever holds whole ones).
 */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	struct run_sigrec r = { .sig = sig };
	int saved = errno;

	(void)uc;
	if (sig == SIGHUP && si && si->si_code == SI_QUEUE &&
	    si->si_value.sival_int == RP_RELOAD_MAGIC)
		r.requester = si->si_pid;
	if (write(R.sigpipe[1], &r, sizeof(r)) < 0) {
		/* pipe full: enough wake-ups are queued already */
	}
	errno = saved;
}

/* --metrics: the /metrics endpoint, served from run_tick(). */
static bool run_metrics_open(void)
{
	char err[256];

	R.metrics = rp_metrics_listen(R.metrics_addr, R.cfg, err, sizeof(err));
	if (!R.metrics)
		fprintf(stderr, "reuseport run: --metrics: %s\n", err);
	else
		run_info("event=metrics url=http://%s/metrics",
			 rp_metrics_addr(R.metrics));
	return R.metrics != NULL;
}

/* Has every instance registered (at least one slot or listener)? */
static bool all_registered(void)
{
	for (int i = 0; i < R.n; i++)
		if (!run_tree_registered(R.inst[i].pid))
			return false;
	return true;
}

/*
 * The cgroup programs for --mode cgroup and auto. auto without them (no
 * cgroup v2, no CAP_BPF/CAP_NET_ADMIN) is preload, said in one line.
 */
static bool start_cgroup(void)
{
	char why[512];
	int err = run_cgroup_setup(why, sizeof(why));

	if (!err) {
		char path[RP_ESC_SIZE(PATH_MAX)];

		atexit(run_cgroup_close);
		/* a cgroup's name is whoever made it's */
		run_info("event=cgroup path=%s",
			 rp_escape(path, sizeof(path), run_cgroup_dir(),
				   PATH_MAX));
		return true;
	}
	if (R.mode == MODE_CGROUP) {
		fprintf(stderr, "reuseport run: --mode cgroup: %s\n", why);
		return false;
	}
	run_info(
		"event=mode mode=preload errno=%s %s action=\"only servers LD_PRELOAD reaches are steered (dynamically linked, libc's calls)\"",
		strerrorname_np(-err), why);
	R.mode = MODE_PRELOAD;
	return true;
}

int rp_run_main(int argc, char **argv, const struct rp_config *cfg)
{
	static const int handled[] = { SIGCHLD, SIGHUP,	 SIGTERM, SIGINT,
				       SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH };
	struct sigaction sa = { .sa_sigaction = on_signal };
	sigset_t set;
	int ret;

	R.cfg = cfg;
	/* first: a refused REUSEPORT_LOG_FILE is reported as ours */
	rp_log_set_prefix("reuseport run", "reuseport", false);
	/* the supervisor's events are its output: info unless REUSEPORT_LOG */
	rp_log_setup(getenv("REUSEPORT_LOG") ? cfg->log_level : RP_LOG_INFO,
		     cfg->log_file, true);
	R.grace_ms = 10000;
	R.ready_ms = 10000;
	R.backoff_max_ms = 10000;
	R.limit_n = 5;
	R.limit_ms = 10000;
	ret = run_parse_args(argc, argv);
	if (ret >= 0)
		return ret;
	R.pidns = rp_pidns();
	R.inst = calloc((size_t)R.n, sizeof(*R.inst));
	if (!R.inst || pipe2(R.sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("reuseport run");
		return 1;
	}
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		sigaction(handled[i], &sa, NULL);
		sigaddset(&set, handled[i]);
	}
	/* a parent may have blocked some (a shell's SIGCHLD...) */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* a closed log pipe must not kill the supervisor */
	signal(SIGPIPE, SIG_IGN);
	/* grandchildren whose parent dies are reaped here, PID 1 or not */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		run_warn("event=warning reason=\"PR_SET_CHILD_SUBREAPER: %s\"",
			 strerror(errno));
	if (R.metrics_addr && !run_metrics_open())
		return 1;
	if (R.mode != MODE_PRELOAD && !start_cgroup())
		return 1;
	run_info(
		"event=supervise instances=%d generation=%u pid=%d mode=%s lib=%s",
		R.n, R.gen, (int)getpid(),
		R.mode == MODE_AUTO   ? "auto" :
		R.mode == MODE_CGROUP ? "cgroup" :
					"preload",
		R.lib);
	run_notify_setup();

	for (int i = 0; i < R.n; i++) {
		pid_t pid = run_spawn(i + 1, R.gen);

		if (pid < 0) {
			fprintf(stderr,
				"reuseport run: cannot execute %s: %s\n",
				R.cmd[0], strerror((int)-pid));
			run_stop_all();
			return pid == -ENOENT ? 127 : 126;
		}
		R.inst[i] = (struct inst){ .pid = pid,
					   .gen = R.gen,
					   .started_ms = now_ms(),
					   .backoff_ms = BACKOFF_MIN_MS };
	}
	for (uint64_t next_check = 0, next_ready = 0;;) {
		run_tick(TICK_MS);
		if (now_ms() >= next_check) {
			run_check_groups();
			run_unsteered_check();
			next_check = now_ms() + 1000;
		}
		/* until every instance registered, look 5 times a second */
		if (!R.ready && now_ms() >= next_ready) {
			if (all_registered())
				run_announce_ready();
			next_ready = now_ms() + 200;
		}
		if (R.stop_requests)
			return run_stop_all();
		if (R.hup) {
			R.hup = false;
			run_rolling_restart();
		}
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * reuseport run: the supervisor's state and what every file of it uses
 * (limits, logging, the clock). The ground floor of cli/run/: the parts
 * (notify, out, tree; spawn, exit; rescue; loop; roll) each call only the ones
 * below them, run.c (options, the main loop) sits on top.
 */
#ifndef RP_RUN_STATE_H
#define RP_RUN_STATE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "log.h"

#define MAX_INSTANCES 256
#define BACKOFF_MIN_MS 100

struct inst {
	pid_t pid; /* 0: not running */
	uint32_t gen; /* REUSEPORT_GENERATION it runs and restarts with */
	bool stopping; /* we asked it to go */
	uint64_t started_ms;
	uint64_t restart_at_ms; /* 0: no restart pending */
	uint64_t backoff_ms;
	uint64_t *restarts; /* times of its last restarts (--restart-limit) */
	int nrestarts;
};

/*
 * --mode: how instances are steered. preload: the shim (dynamically
 * linked servers); cgroup: the supervisor's cgroup programs and adoption
 * (any binary); auto: both, the cgroup adopting what the shim does not
 * reach.
 */
enum run_mode { MODE_AUTO, MODE_PRELOAD, MODE_CGROUP };

/* A signal as the handler passes it to the loop (run.c, the self-pipe). */
struct run_sigrec {
	int sig;
	pid_t requester; /* a SIGHUP of reuseport reload: who waits, else 0 */
};

/* What SIGHUP does (--reload). */
enum run_reload { RELOAD_ROLL, RELOAD_SIGNAL };

struct run_state {
	int n;
	uint64_t grace_ms, ready_ms, backoff_max_ms;
	char lib[PATH_MAX];
	const char *policy;
	char **cmd;
	uint32_t gen; /* generation of the newest (re)start round */
	uint32_t pidns;
	struct inst *inst;
	const struct rp_config *cfg;
	int sigpipe[2]; /* struct run_sigrec records */
	int stop_requests; /* SIGTERM/SIGINT received */
	bool stopping; /* run_stop_all() runs: no more restarts */
	bool hup;
	pid_t pending; /* rolling restart: replacement not yet registered */
	pid_t retiring; /* rolling restart: replaced instance being stopped */
	const char *metrics_addr; /* --metrics ADDR:PORT */
	struct rp_metrics_srv *metrics; /* served from run_tick() */
	int pending_status; /* wait status of a replacement that exited */
	int limit_n; /* --restart-limit N/T: 0 = no limit */
	uint64_t limit_ms;
	enum run_reload reload;
	const char *ready_file; /* --ready-file */
	bool prefix; /* --prefix */
	bool adopt; /* --adopt: follow the daemon a command left */
	enum run_mode mode; /* --mode */
	bool ready; /* every instance registered (announced) */
	uint64_t rescue_ms; /* --rescue: 0 = off */
	unsigned long rescues; /* hung instances evacuated and killed */
	int exit_code; /* of the supervisor once it stops */
};
/* The one supervisor of this process (state.c). */
extern struct run_state R;

/*
 * The supervisor's events go through the one logger (log.c), prefixed
 * "reuseport run:", at REUSEPORT_LOG's level (default info here): what
 * went wrong at warn, the rest at info.
 */
#define run_info(...) rp_log(RP_LOG_INFO, __VA_ARGS__)
#define run_warn(...) rp_log(RP_LOG_WARN, __VA_ARGS__)

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline const char *sig_name(int sig)
{
	const char *s = sigabbrev_np(sig);

	return s ? s : "?";
}

#endif

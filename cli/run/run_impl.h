/* SPDX-License-Identifier: MIT */
/* Shared by the files of reuseport run; not part of its interface. */
#ifndef RP_RUN_IMPL_H
#define RP_RUN_IMPL_H

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "group.h"
#include "log.h"

#define MAX_INSTANCES 256
#define BACKOFF_MIN_MS 100
/* An instance up this long restarts after BACKOFF_MIN_MS again when it dies. */
#define STABLE_MS 10000
#define TICK_MS 100
#define WAIT_MS 50
/* Socket inodes looked at when steering is off (see tree_listens()). */
#define MAX_TREE_SOCKETS 1024
/* Output pipes --prefix relays at most (two an instance, and leftovers). */
#define RUN_MAX_STREAMS 1024

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
	int sigpipe[2];
	int stop_requests; /* SIGTERM/SIGINT received */
	bool stopping; /* stop_all() runs: no more restarts */
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
	bool ready; /* every instance registered (announced) */
	int exit_code; /* of the supervisor once it stops */
};
extern struct run_state R;

#define RUN_SCAN_PORTS 32

/* What one pass over the groups of this netns found for a process tree. */
struct tree_scan {
	pid_t root; /* the tree whose slots are counted (and drained) */
	pid_t other; /* 0, or a tree whose groups root must cover */
	bool drain; /* set RP_SLOT_DRAINING on root's live slots */
	long slots; /* live slots of root */
	long active; /* open connections on root's TCP groups (kernel) */
	long hook_active; /* the same as the accept/close hooks counted */
	int nports;
	uint16_t ports[RUN_SCAN_PORTS]; /* root's TCP group ports */
	int other_groups; /* groups where other has a live slot */
	int covered; /* of which root has one too */
};

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

/* run_spawn.c */
pid_t run_spawn(int i, uint32_t gen);
void run_describe_exit(int status, char *buf, size_t len);
void run_signal_tree(pid_t pid, int sig);
void run_tick(int ms);
/* run_roll.c */
void run_rolling_restart(void);
int run_stop_all(void);
/* run_tree.c */
void run_scan_tree(struct tree_scan *t);
bool run_tree_listens(pid_t root);
/* Kernel truth for every group of this netns (unregistered listeners). */
void run_check_groups(void);
/* Has the tree of instance pid registered a slot (or, steering off, a listener)? */
bool run_tree_registered(pid_t pid);
/* --adopt: slots of pid `from` (exited) belong to pid `to` (its daemon). */
void run_alias(pid_t from, pid_t to);
void run_alias_drop(pid_t to);
/* run_exit.c: deaths the supervisor gives up on */
/*
 * Did pid (instance i of generation gen, started at started_ms) exit 0
 * leaving processes behind? Then *adopted is the one that takes its place
 * (--adopt), or 0: the supervisor is stopping (run_fail).
 */
bool run_went_background(int i, uint32_t gen, pid_t pid, int status,
			 uint64_t started_ms, pid_t *adopted);
bool run_limit_reached(int i, int status);
void run_fail(int code);
/* A wait status in words: "status 1", "signal SEGV". */
const char *run_exit_words(int status, char *buf, size_t len);
/* run_notify.c: sd_notify (NOTIFY_SOCKET) and --ready-file */
void run_notify_setup(void);
void run_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void run_announce_ready(void);
void run_notify_stop(void);
/* run_out.c: --prefix, the instances' output tagged [i] */
int run_out_pipes(int i, int fds[4]);
void run_out_adopt(int i, int fds[4]);
int run_out_pollfds(struct pollfd *p, int max);
void run_out_service(const struct pollfd *p, int n);
void run_out_flush(void);

/* The supervisor's live children (instances and adopted orphans). */
int run_children(pid_t *out, int max);

#endif

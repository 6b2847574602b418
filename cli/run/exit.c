// SPDX-License-Identifier: MIT
/*
 * reuseport run: how instances end. A wait status in words (the log's and
 * the user's), the processes the supervisor was left with, and the deaths
 * it does not restart after. A command that went to the background (exited
 * 0, its daemon left running) would be started again and again, each start
 * leaving one more daemon; an instance that keeps dying (--restart-limit
 * N/T, like systemd's StartLimitBurst) is a configuration error, not a
 * crash. Both stop the supervisor, which stops the other instances cleanly
 * and exits non-zero.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "exit.h"
#include "state.h"
#include "sys.h"
#include "tree.h"

#define FOREGROUND_FLAGS                                                  \
	"lighttpd -D, apache2 -DFOREGROUND, nginx -g 'daemon off;', "     \
	"redis-server --daemonize no, memcached without -d, unbound -d, " \
	"dnsmasq -k, squid -N, haproxy -db (or -W without -D)"

/* The foreground flag of well-known servers, by program name. */
static const char *foreground_flag(const char *prog)
{
	static const char *const flags[][2] = {
		{ "lighttpd", "-D" },
		{ "apache2", "-DFOREGROUND" },
		{ "httpd", "-DFOREGROUND" },
		{ "nginx", "-g 'daemon off;'" },
		{ "redis-server", "--daemonize no" },
		{ "memcached", "no -d" },
		{ "unbound", "-d" },
		{ "dnsmasq", "-k" },
		{ "squid", "-N" },
		{ "haproxy", "-db, or -W without -D" },
	};
	const char *base = strrchr(prog, '/');

	base = base ? base + 1 : prog;
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		if (!strcmp(base, flags[k][0]))
			return flags[k][1];
	return NULL;
}

/*
 * The supervisor's live children, as /proc says (instances, and orphans
 * re-parented to it as subreaper): up to max pids into out; how many.
 */
int run_children(pid_t *out, int max)
{
	pid_t self = getpid();
	struct dirent *p;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while ((p = readdir(d)) && n < max) {
		pid_t pid = (pid_t)atoi(p->d_name), ppid, pgrp;
		char state;

		if (pid > 0 && rp_proc_stat(pid, &ppid, &pgrp, &state) &&
		    ppid == self && state != 'Z' && state != 'X')
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

static bool ours(pid_t pid)
{
	if (pid == R.pending || pid == R.retiring)
		return true;
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid == pid)
			return true;
	return false;
}

/* CLOCK_MONOTONIC ms at which pid started (/proc/PID/stat starttime). */
static bool start_ms(pid_t pid, pid_t *ppid, uint64_t *ms, char *comm,
		     size_t len)
{
	unsigned long long ticks;
	struct timespec boot, mono;
	char buf[1024];
	const char *f = rp_proc_stat_fields(pid, buf, sizeof(buf), comm, len);

	/* state ppid ... starttime is the 20th field after the ')' */
	if (!f ||
	    sscanf(f,
		   "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   ppid, &ticks) != 2)
		return false;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	*ms = ticks * 1000 / (unsigned long long)sysconf(_SC_CLK_TCK);
	/* boot time to monotonic time (they differ by time suspended) */
	*ms -= (uint64_t)(boot.tv_sec - mono.tv_sec) * 1000;
	return true;
}

/*
 * Was pid started as instance i of generation gen? Its environment says
 * (REUSEPORT_INSTANCE, REUSEPORT_GENERATION); unreadable: assume so.
 */
static bool started_as(pid_t pid, int i, uint32_t gen)
{
	char env[32768], want[2][48];
	bool found[2] = { false, false };
	ssize_t n = rp_proc_read(pid, "environ", env, sizeof(env));

	if (n < 0)
		return true;
	snprintf(want[0], sizeof(want[0]), "REUSEPORT_INSTANCE=%d", i + 1);
	snprintf(want[1], sizeof(want[1]), "REUSEPORT_GENERATION=%u", gen);
	for (char *e = env; e < env + n; e += strlen(e) + 1)
		for (int k = 0; k < 2; k++)
			found[k] |= !strcmp(e, want[k]);
	return found[0] && found[1];
}

/*
 * Processes adopted by the supervisor (re-parented to it as subreaper)
 * that instance i of generation gen, started at since_ms, left behind when
 * it exited. Returns how many; the newest one's pid and name in *newest,
 * comm.
 */
static int left_behind(int i, uint32_t gen, uint64_t since_ms, pid_t *newest,
		       char *comm, size_t len)
{
	uint64_t newest_ms = 0;
	pid_t kids[256];
	int nk = run_children(kids, 256), n = 0;

	for (int k = 0; k < nk; k++) {
		pid_t pid = kids[k], ppid;
		char name[64];
		uint64_t ms;

		/* 20 ms: starttime has clock-tick (10 ms) resolution */
		if (ours(pid) ||
		    !start_ms(pid, &ppid, &ms, name, sizeof(name)) ||
		    ms + 20 < since_ms || !started_as(pid, i, gen))
			continue;
		n++;
		if (ms >= newest_ms) {
			newest_ms = ms;
			*newest = pid;
			snprintf(comm, len, "%s", name);
		}
	}
	return n;
}

/* Stop the supervisor; it exits with code (the first one given). */
static void run_fail(int code)
{
	if (!R.exit_code)
		R.exit_code = code;
	if (!R.stop_requests)
		R.stop_requests = 1;
}

bool run_went_background(int i, uint32_t gen, pid_t pid, int status,
			 uint64_t started_ms, pid_t *adopted)
{
	const char *flag = foreground_flag(R.cmd[0]);
	char comm[64], shown[RP_ESC_SIZE(sizeof(comm))],
		hint[160 + sizeof(shown)] = "";
	pid_t first = 0;
	int n;

	*adopted = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return false;
	n = left_behind(i, gen, started_ms, &first, comm, sizeof(comm));
	if (!n)
		return false;
	/* a process names itself (prctl, argv[0]): not a line of its own */
	rp_escape(shown, sizeof(shown), comm, sizeof(comm));
	if (R.adopt && !R.stop_requests) {
		run_info(
			"event=adopt instance=%d generation=%u pid=%d comm=\"%s\" exited=%d",
			i + 1, gen, (int)first, shown, (int)pid);
		run_alias(pid, first);
		*adopted = first;
		return true;
	}
	if (R.exit_code)
		return true; /* said already: another instance did the same */
	if (!flag)
		flag = foreground_flag(comm);
	if (flag)
		snprintf(hint, sizeof(hint), " (for %s: %s)", shown, flag);
	run_warn("event=background instance=%d left=%d pid=%d comm=\"%s\"",
		 i + 1, n, (int)first, shown);
	fprintf(stderr,
		"reuseport run: instance %d exited with status 0 but left %d process%s running (%s, pid %d): %s went to the background. Run it in the foreground%s; the usual flags: " FOREGROUND_FLAGS
		"; or --adopt to follow the daemon. Stopping what it left and the other instances.\n",
		i + 1, n, n > 1 ? "es" : "", shown, (int)first, R.cmd[0], hint);
	run_fail(1);
	return true;
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

const char *run_exit_words(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %s", sig_name(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %d", WEXITSTATUS(status));
	return buf;
}

/* A wait status as the supervisor's exit status: never 0. */
static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

bool run_limit_reached(int i, int status)
{
	struct inst *in = &R.inst[i];
	uint64_t now = now_ms();
	char how[48];
	int recent = 0;

	if (!R.limit_n)
		return false;
	if (R.exit_code)
		return true; /* giving up already */
	if (!in->restarts) {
		in->restarts = calloc((size_t)R.limit_n, sizeof(*in->restarts));
		if (!in->restarts)
			return false;
	}
	for (int k = 0; k < R.limit_n; k++)
		recent += in->restarts[k] && now - in->restarts[k] < R.limit_ms;
	if (recent < R.limit_n) {
		/* the oldest entry makes room */
		in->restarts[in->nrestarts++ % R.limit_n] = now;
		return false;
	}
	run_describe_exit(status, how, sizeof(how));
	run_warn(
		"event=restart_limit instance=%d %s restarts=%d within_ms=%llu",
		i + 1, how, R.limit_n, (unsigned long long)R.limit_ms);
	fprintf(stderr,
		"reuseport run: instance %d exited with %s after %d restarts within %.1f s (--restart-limit %d/%g); giving up, stopping the other instances\n",
		i + 1, run_exit_words(status, how, sizeof(how)), R.limit_n,
		(double)R.limit_ms / 1000, R.limit_n,
		(double)R.limit_ms / 1000);
	run_fail(exit_code_of(status));
	return true;
}

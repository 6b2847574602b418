// SPDX-License-Identifier: MIT
/* reuseport bench: the processes (run, the load tool) and what /proc and
 * the group's slots say about them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "sys.h"

static double tv_s(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

int bench_capture(char *const argv[], char *out, size_t len, double *cpu)
{
	struct rusage ru;
	size_t got = 0;
	int pfd[2], st;
	ssize_t k;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while ((k = read(pfd[0], out + got, len - 1 - got)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		got += (size_t)k;
		if (got == len - 1) { /* keep the end: the summary is there */
			memmove(out, out + len / 2, got - len / 2);
			got -= len / 2;
		}
	}
	out[got] = 0;
	close(pfd[0]);
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	if (cpu)
		*cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t bench_start_run(const struct bench_opts *o, unsigned int n,
		      const char *log)
{
	char exe[PATH_MAX], nbuf[16];
	const char *argv[512];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int a = 0, fd;
	pid_t pid;

	if (k <= 0) {
		perror("reuseport bench: /proc/self/exe");
		return -1;
	}
	exe[k] = 0;
	snprintf(nbuf, sizeof(nbuf), "%u", n);
	argv[a++] = exe;
	argv[a++] = "--pin-dir";
	argv[a++] = cfg.pin_dir;
	argv[a++] = "run";
	argv[a++] = "-n";
	argv[a++] = nbuf;
	argv[a++] = "--grace";
	argv[a++] = "1";
	if (o->policy) {
		argv[a++] = "--policy";
		argv[a++] = o->policy;
	}
	argv[a++] = "--";
	for (int i = 0; o->cmd[i] && a < 511; i++)
		argv[a++] = o->cmd[i];
	argv[a] = NULL;
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "reuseport bench: %s: %s\n", log,
			strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(fd);
	if (pid < 0)
		perror("reuseport bench: fork");
	return pid;
}

static bool reaped(pid_t pid, int tenths)
{
	for (int i = 0; i < tenths; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		usleep(100000);
	}
	return false;
}

void bench_stop_run(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (reaped(pid, 150))
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	reaped(pid, 50);
}

struct match {
	const struct bench_opts *o;
	struct bench_slots *s;
	unsigned int live;
};

/* Group names end in _PORT and start with tcp or udp (names.c). */
static bool ours(const struct bench_opts *o, const char *name)
{
	char suffix[16];
	size_t nl = strlen(name), sl;

	snprintf(suffix, sizeof(suffix), "_%u", o->port);
	sl = strlen(suffix);
	return nl > sl && !strcmp(name + nl - sl, suffix) &&
	       !strncmp(name, bench_load_udp(o->load) ? "udp" : "tcp", 3);
}

static int count_group(const char *name, const char *dir, struct rp_state *st,
		       int socks_fd, void *arg)
{
	struct match *m = arg;

	(void)dir;
	if (!ours(m->o, name))
		return 0;
	m->live += rp_group_live_slots(st, socks_fd, 0);
	if (!m->s)
		return 0;
	for (uint32_t i = 0; i < nslots(st) && i < BENCH_MAX_SLOTS; i++) {
		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
		m->s->live[i] = true;
		m->s->selected[i] += st->slots[i].selected;
		m->s->n++;
	}
	return 0;
}

static unsigned int walk(const struct bench_opts *o, struct bench_slots *s)
{
	struct match m = { .o = o, .s = s };

	if (s)
		memset(s, 0, sizeof(*s));
	/* no group yet is not an error here */
	int saved = dup(2), nul = open("/dev/null", O_WRONLY);

	if (nul >= 0)
		dup2(nul, 2);
	for_each_group(count_group, &m);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (nul >= 0)
		close(nul);
	return m.live;
}

void bench_slots_read(const struct bench_opts *o, struct bench_slots *s)
{
	walk(o, s);
}

/* The shim said it runs without a group (plain SO_REUSEPORT) in log. */
static bool fell_back(const char *log)
{
	char buf[8192];
	size_t k;
	FILE *f = fopen(log, "r");

	if (!f)
		return false;
	k = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[k] = 0;
	return strstr(buf, "event=fallback") != NULL;
}

int bench_wait_members(const struct bench_opts *o, pid_t run, unsigned int n,
		       const char *log)
{
	uint64_t end = rp_now_ns() + (uint64_t)(o->ready_timeout * 1e9);
	unsigned int live = 0;
	int st;

	while (rp_now_ns() < end) {
		if (waitpid(run, &st, WNOHANG) == run) {
			fprintf(stderr,
				"reuseport bench: `reuseport run -n %u` exited (status %d) before %u member(s) registered on port %u\n",
				n, WIFEXITED(st) ? WEXITSTATUS(st) : -1, n,
				o->port);
			return -1;
		}
		live = walk(o, NULL);
		if (live >= n)
			return 0;
		if (fell_back(log)) {
			fprintf(stderr,
				"reuseport bench: the instances run without a steering group (the shim fell back to plain SO_REUSEPORT; the reason is in the log below)\n");
			return -1;
		}
		usleep(100000);
	}
	fprintf(stderr,
		"reuseport bench: %u of %u member(s) registered on %s port %u after %.1f s: does CMD listen on that port (--port)?\n",
		live, n, bench_load_udp(o->load) ? "udp" : "tcp", o->port,
		o->ready_timeout);
	return -1;
}

static uint64_t ticks_of(pid_t pid, pid_t *ppid)
{
	char buf[1024];
	const char *f = rp_proc_stat_fields(pid, buf, sizeof(buf), NULL, 0);
	unsigned long long ut = 0, stt = 0;
	int pp = 0;

	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (!f ||
	    sscanf(f, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &pp, &ut, &stt) != 3)
		return 0;
	*ppid = pp;
	return ut + stt;
}

uint64_t bench_tree_ticks(pid_t root)
{
	enum { MAXP = 4096 };
	static pid_t pid[MAXP], ppid[MAXP];
	static uint64_t t[MAXP];
	static bool in[MAXP];
	struct dirent *e;
	uint64_t sum = 0;
	int n = 0;
	bool more = true;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAXP) {
		char *end;
		long v = strtol(e->d_name, &end, 10);

		if (*end || v <= 0)
			continue;
		pid[n] = (pid_t)v;
		ppid[n] = 0;
		t[n] = ticks_of(pid[n], &ppid[n]);
		in[n] = false;
		n++;
	}
	closedir(d);
	while (more) { /* mark descendants until nothing changes */
		more = false;
		for (int i = 0; i < n; i++) {
			if (in[i])
				continue;
			bool parent_in = ppid[i] == root;

			for (int j = 0; j < n && !parent_in; j++)
				parent_in = in[j] && pid[j] == ppid[i];
			if (parent_in) {
				in[i] = more = true;
				sum += t[i];
			}
		}
	}
	return sum;
}

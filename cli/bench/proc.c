// SPDX-License-Identifier: MIT
/* reuseport bench: the processes it starts (reuseport run, the load tool,
 * gnuplot), and the CPU time /proc counts for them. */
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

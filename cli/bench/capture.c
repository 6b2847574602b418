// SPDX-License-Identifier: MIT
/* reuseport bench: run a tool, keep its output and the CPU it used. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

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

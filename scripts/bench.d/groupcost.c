// SPDX-License-Identifier: MIT
/*
 * groupcost: what creating and joining a group costs a process, for
 * scripts/bench --only groups.
 *
 *   groupcost serve PORT FD
 *       socket, bind 127.0.0.1:PORT, listen (TCP), then one byte to FD
 *       and wait to be killed: the server whose start is timed.
 *   groupcost exec REPS PORT VARIANT...
 *       VARIANT is NAME:PRELOAD:MODE, PRELOAD a libreuseport.so or "-"
 *       (none), MODE "create" (a port no group has: every start creates
 *       one), "join" (a port where a member started with the same
 *       PRELOAD listens) or "plain" (a fresh port, for no shim). The
 *       variants take turns, one start each (A B C A B C ...), REPS times;
 *       a start is fork to the byte on the pipe (exec, the shim's
 *       work, bind, listen). Prints per variant the median, min and max
 *       microseconds.
 *   groupcost bindmany BASE N
 *       bind N UDP sockets to 127.0.0.1:BASE..BASE+N-1; prints the
 *       microseconds the N socket+bind took.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXV 8
#define MAXR 1000

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int bind_to(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

static int serve(int port, int fd)
{
	int s = bind_to(SOCK_STREAM, port);

	if (s < 0 || listen(s, 64)) {
		perror("groupcost serve");
		return 1;
	}
	if (write(fd, "x", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static int bindmany(int base, int n)
{
	double t0 = now_us();

	for (int i = 0; i < n; i++)
		if (bind_to(SOCK_DGRAM, base + i) < 0) {
			fprintf(stderr, "groupcost: bind port %d: %s\n",
				base + i, strerror(errno));
			return 1;
		}
	printf("%.0f\n", now_us() - t0);
	return 0;
}

/* Start self as "serve PORT 3" with LD_PRELOAD=pre: microseconds to ready. */
static double start(const char *self, const char *pre, int port, pid_t *pid)
{
	char pbuf[16], env_pre[4200];
	int p[2];
	double t0, t;
	char c;

	if (pipe(p))
		return -1;
	snprintf(pbuf, sizeof(pbuf), "%d", port);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", pre);
	t0 = now_us();
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (!*pid) {
		char *argv[] = { (char *)self, "serve", pbuf, "3", NULL };

		dup2(p[1], 3);
		if (strcmp(pre, "-"))
			putenv(env_pre);
		else
			unsetenv("LD_PRELOAD");
		execv(self, argv);
		_exit(127);
	}
	close(p[1]);
	t = read(p[0], &c, 1) == 1 ? now_us() - t0 : -1;
	close(p[0]);
	return t;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int exec_variants(const char *self, int reps, int port, int nv,
			 char **spec)
{
	static double us[MAXV][MAXR];
	char name[MAXV][64], pre[MAXV][4096], mode[MAXV][16];
	pid_t holder[MAXV] = { 0 };
	int next = port;

	if (nv > MAXV || reps > MAXR)
		return 2;
	for (int v = 0; v < nv; v++)
		if (sscanf(spec[v], "%63[^:]:%4095[^:]:%15s", name[v], pre[v],
			   mode[v]) != 3)
			return 2;
	for (int r = 0; r < reps; r++) {
		for (int v = 0; v < nv; v++) {
			int p = ++next;
			pid_t pid;

			if (!strcmp(mode[v], "join")) {
				/* one member listens there for every start */
				if (!holder[v]) {
					holder[v] = -1;
					if (start(self, pre[v], 40000 + v,
						  &holder[v]) < 0)
						return 1;
				}
				p = 40000 + v;
			}
			us[v][r] = start(self, pre[v], p, &pid);
			stop(pid);
			if (us[v][r] < 0) {
				fprintf(stderr, "groupcost: %s did not start\n",
					name[v]);
				return 1;
			}
		}
	}
	for (int v = 0; v < nv; v++) {
		qsort(us[v], (size_t)reps, sizeof(double), cmp);
		printf("%s %.0f %.0f %.0f\n", name[v], us[v][reps / 2],
		       us[v][0], us[v][reps - 1]);
		if (holder[v] > 0)
			stop(holder[v]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "bindmany"))
		return bindmany(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 6 && !strcmp(argv[1], "exec"))
		return exec_variants(argv[0], atoi(argv[2]), atoi(argv[3]),
				     argc - 4, argv + 4);
	fprintf(stderr, "usage: groupcost serve PORT FD | bindmany BASE N | "
			"exec REPS PORT NAME:PRELOAD:MODE...\n");
	return 2;
}

// SPDX-License-Identifier: MIT
/*
 * progcost: the steering program's cost per run, for scripts/bench
 * (section progcost).
 *
 *   progcost --bare OBJ  N SECONDS PORT   baseline: load OBJ (bare.bpf.c),
 *                                         fill its sockarray, attach it
 *   progcost --pin PROG N SECONDS PORT    the shim's group: run under
 *                                         LD_PRELOAD; PROG is the group's
 *                                         pinned program (exists once a
 *                                         member listens)
 *   --cpu  pin member i to CPU i % ncpu (the cpu policy needs it)
 *
 * N member processes, each with its own listener on 127.0.0.1:PORT,
 * accept and close in a loop; the parent connects and resets (SO_LINGER 0,
 * so no TIME_WAIT) as fast as it can for SECONDS, and reads run_time_ns and
 * run_cnt of the program (kernel.bpf_stats_enabled=1) before and after.
 * Prints: ns_per_run runs connections connect_errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAXN 256

static struct sockaddr_in addr;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int listener(void)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 4096)) {
		perror("progcost: listener");
		exit(1);
	}
	return fd;
}

static void pin_cpu(int i)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(i % (n > 0 ? n : 1), &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("progcost: sched_setaffinity");
}

/* a member: listen (unless given its socket), say ready, accept forever */
static void member(int fd, int i, int cpu, int ready)
{
	if (cpu)
		pin_cpu(i);
	if (fd < 0)
		fd = listener();
	if (write(ready, "r", 1) != 1)
		exit(1);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

static int stats(int prog, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return -1;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

/* load the bare program for n members; fds[] become its sockarray */
static int load_bare(const char *path, int n, const int *fds)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *socks;
	int pfd, mfd;

	if (!obj || libbpf_get_error(obj))
		return -1;
	socks = bpf_object__find_map_by_name(obj, "socks");
	prog = bpf_object__next_program(obj, NULL);
	if (!socks || !prog || bpf_map__set_max_entries(socks, n) ||
	    bpf_object__load(obj))
		return -1;
	mfd = bpf_map__fd(socks);
	pfd = bpf_program__fd(prog);
	for (__u32 i = 0; i < (__u32)n; i++) {
		__u64 v = (__u64)fds[i];

		if (bpf_map_update_elem(mfd, &i, &v, BPF_NOEXIST))
			return -1;
	}
	if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &pfd,
		       sizeof(pfd)))
		return -1;
	return pfd;
}

int main(int argc, char **argv)
{
	const char *bare = NULL, *pin = NULL;
	int cpu = 0, n, port, prog = -1, ready[2], fds[MAXN];
	pid_t kids[MAXN];
	double secs, t0, t1, t_start;
	__u64 ns0, cnt0, ns1, cnt1, conns = 0, errs = 0;
	char c;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "--cpu")) {
			cpu = 1;
		} else if (argc > 2 && !strcmp(argv[1], "--bare")) {
			bare = argv[2];
			argc--, argv++;
		} else if (argc > 2 && !strcmp(argv[1], "--pin")) {
			pin = argv[2];
			argc--, argv++;
		} else {
			break;
		}
	}
	if (argc != 4 || !bare == !pin) {
		fprintf(stderr, "usage: progcost [--cpu] --bare OBJ|--pin PROG "
				"N SECONDS PORT\n");
		return 2;
	}
	n = atoi(argv[1]);
	secs = atof(argv[2]);
	port = atoi(argv[3]);
	if (n < 1 || n > MAXN || secs <= 0 || port < 1 || port > 65535)
		return 2;
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (pipe(ready))
		return 1;
	t_start = now();
	if (bare) {
		for (int i = 0; i < n; i++)
			fds[i] = listener();
		prog = load_bare(bare, n, fds);
		if (prog < 0) {
			fprintf(stderr, "progcost: cannot load %s\n", bare);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (!kids[i]) {
			close(ready[0]);
			member(bare ? fds[i] : -1, i, cpu, ready[1]);
		}
	}
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			return 1;
	fprintf(stderr, "progcost: %d members ready after %.2f s\n", n,
		now() - t_start);
	if (pin)
		prog = bpf_obj_get(pin);
	if (prog < 0 || stats(prog, &ns0, &cnt0)) {
		fprintf(stderr, "progcost: no program statistics (%s)\n",
			strerror(errno));
		goto out;
	}
	t0 = now();
	do {
		for (int k = 0; k < 64; k++) {
			struct linger l = { 1, 0 };
			int s = socket(AF_INET, SOCK_STREAM, 0);

			if (s < 0)
				return 1;
			setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			if (connect(s, (struct sockaddr *)&addr, sizeof(addr)))
				errs++;
			else
				conns++;
			close(s);
		}
		t1 = now();
	} while (t1 - t0 < secs);
	if (stats(prog, &ns1, &cnt1) || cnt1 == cnt0) {
		fprintf(stderr, "progcost: the program did not run\n");
		prog = -1;
		goto out;
	}
	printf("%.2f %llu %llu %llu\n", (double)(ns1 - ns0) / (cnt1 - cnt0),
	       (unsigned long long)(cnt1 - cnt0), (unsigned long long)conns,
	       (unsigned long long)errs);
out:
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return prog < 0;
}

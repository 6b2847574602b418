// SPDX-License-Identifier: MIT
/*
 * progcost: the steering program's cost per run, for scripts/bench
 * (section progcost). Every variant's group is up at once and the driver
 * takes turns between them a few dozen connections at a time, so that a
 * drift of the machine hits every variant alike.
 *
 *   progcost serve [--cpu] [--bare OBJ PIN] N PORT
 *       N member processes, each with its own listener on 127.0.0.1:PORT,
 *       accept and close in a loop. Under LD_PRELOAD they form the shim's
 *       group (its program is pinned once a member listens); with --bare
 *       the baseline: load OBJ (bare.bpf.c), fill its sockarray with the
 *       members' sockets, attach it and pin it at PIN. --cpu: member i on
 *       CPU i % ncpu (the cpu policy needs it). Prints "ready" once every
 *       member listens and runs until SIGTERM (members die with it).
 *
 *   progcost drive ROUNDS CHUNK NAME:PORT:PROG...
 *       ROUNDS times, each variant in turn: read run_time_ns and run_cnt
 *       of the program pinned at PROG (kernel.bpf_stats_enabled=1),
 *       connect CHUNK times to 127.0.0.1:PORT and reset (SO_LINGER 0, so
 *       no TIME_WAIT), read them again. Prints a line per round and
 *       variant: NAME ROUND ns runs connections connect_errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAXN 256
#define MAXV 64

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int listener(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
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
static void member(int fd, int port, int i, int cpu, int ready)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cpu)
		pin_cpu(i);
	if (fd < 0)
		fd = listener(port);
	if (write(ready, "r", 1) != 1)
		exit(1);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

/* load the bare program for n members over fds[], attach and pin it */
static int load_bare(const char *path, const char *pin, int n, const int *fds)
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
		       sizeof(pfd)) ||
	    bpf_obj_pin(pfd, pin))
		return -1;
	return 0;
}

static int serve(int argc, char **argv)
{
	const char *bare = NULL, *pin = NULL;
	int cpu = 0, n, port, ready[2], fds[MAXN];
	char c;

	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "--cpu")) {
			cpu = 1;
		} else if (argc > 2 && !strcmp(argv[0], "--bare")) {
			bare = argv[1];
			pin = argv[2];
			argc -= 2, argv += 2;
		} else {
			break;
		}
	}
	if (argc != 2)
		return 2;
	n = atoi(argv[0]);
	port = atoi(argv[1]);
	if (n < 1 || n > MAXN || port < 1 || port > 65535 || pipe(ready))
		return 2;
	for (int i = 0; i < n; i++)
		fds[i] = bare ? listener(port) : -1;
	for (int i = 0; i < n; i++) {
		pid_t kid = fork();

		if (kid < 0)
			return 1;
		if (!kid) {
			close(ready[0]);
			member(fds[i], port, i, cpu, ready[1]);
		}
	}
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			return 1;
	if (bare && load_bare(bare, pin, n, fds)) {
		fprintf(stderr, "progcost: cannot load %s and pin it at %s\n",
			bare, pin);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
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

static int drive(int argc, char **argv)
{
	struct variant {
		char name[64];
		struct sockaddr_in addr;
		int prog;
	} v[MAXV];
	int rounds, chunk, nv = 0;

	if (argc < 3)
		return 2;
	rounds = atoi(argv[0]);
	chunk = atoi(argv[1]);
	if (rounds < 1 || chunk < 1)
		return 2;
	for (int i = 2; i < argc && nv < MAXV; i++, nv++) {
		char *port = strchr(argv[i], ':'), *path;

		path = port ? strchr(port + 1, ':') : NULL;
		if (!path || port - argv[i] >= (long)sizeof(v[nv].name))
			return 2;
		memcpy(v[nv].name, argv[i], port - argv[i]);
		v[nv].name[port - argv[i]] = 0;
		v[nv].addr = loopback(atoi(port + 1));
		v[nv].prog = bpf_obj_get(path + 1);
		if (v[nv].prog < 0) {
			fprintf(stderr, "progcost: %s: no program at %s (%s)\n",
				v[nv].name, path + 1, strerror(errno));
			return 1;
		}
	}
	for (int r = 1; r <= rounds; r++) {
		for (int k = 0; k < nv; k++) {
			__u64 ns0, cnt0, ns1, cnt1, conns = 0, errs = 0;

			if (stats(v[k].prog, &ns0, &cnt0))
				return 1;
			for (int j = 0; j < chunk; j++) {
				struct linger l = { 1, 0 };
				int s = socket(AF_INET, SOCK_STREAM, 0);

				if (s < 0)
					return 1;
				setsockopt(s, SOL_SOCKET, SO_LINGER, &l,
					   sizeof(l));
				if (connect(s, (struct sockaddr *)&v[k].addr,
					    sizeof(v[k].addr)))
					errs++;
				else
					conns++;
				close(s);
			}
			if (stats(v[k].prog, &ns1, &cnt1))
				return 1;
			printf("%s %d %llu %llu %llu %llu\n", v[k].name, r,
			       (unsigned long long)(ns1 - ns0),
			       (unsigned long long)(cnt1 - cnt0),
			       (unsigned long long)conns,
			       (unsigned long long)errs);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc > 1 && !strcmp(argv[1], "serve"))
		ret = serve(argc - 2, argv + 2);
	else if (argc > 1 && !strcmp(argv[1], "drive"))
		ret = drive(argc - 2, argv + 2);
	if (ret == 2)
		fprintf(stderr,
			"usage: progcost serve [--cpu] [--bare OBJ PIN] N PORT\n"
			"       progcost drive ROUNDS CHUNK NAME:PORT:PROG...\n");
	return ret;
}

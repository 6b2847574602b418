// SPDX-License-Identifier: MIT
/*
 * steer_ab: builds of the steering program side by side, for work on its
 * cost (not part of make bench, which measures real groups of the shim;
 * steer_ab.sh builds it and loads each variant several times).
 *
 *   steer_ab N CHUNK ROUNDS PORT VARIANT...
 *   VARIANT: bare:OBJ        scripts/bench.d/bare.bpf.c built for N members
 *            POLICY:OBJ      a build of bpf/steer.bpf.c with a state map
 *                            filled as a group of N members (POLICY: the
 *                            number of enum rp_policy; weights 1, 2, 3, ...;
 *                            member i pinned to CPU i mod ncpu)
 *
 *            uVARIANT        the same for UDP: N sockets, datagrams from
 *                            FLOWS client sockets (env, default 64) in turn
 *            VARIANT+flows   (UDP) with the flow table (REUSEPORT_UDP_FLOWS)
 * Each variant gets its own N listeners on 127.0.0.1:PORT+v with its
 * program attached; one child accepts on all of them. Then ROUNDS times,
 * for each variant in turn, CHUNK connections (reset at once) and the
 * program's run_time_ns / run_cnt over them (kernel.bpf_stats_enabled=1):
 * a drift of the machine hits every variant alike. Prints per variant the
 * overall ns per run and the median ratio to the first variant over the
 * rounds. Run as root in a private network namespace, e.g.
 *   unshare --net sh -c 'ip link set lo up; sysctl -qw kernel.bpf_stats_enabled=1;
 *     steer_ab 4 300 60 17000 bare:bare-4.o 1:old.bpf.o 1:new.bpf.o'
 * STALL=QUEUE,MS sets the stall guard as REUSEPORT_STALL does (default
 * 16,1000; STALL=off: none); DUMP=1 prints the last variant's slots
 * (selected, dequeued, the stall guard's fields) at the end. The state is filled through bpf/steer.h, with
 * the tables user space builds: build the tool with the header of the
 * builds compared (same layout),
 *   cc -D_GNU_SOURCE -O2 -Ibpf -Igroup -o steer_ab \
 *     scripts/bench.d/steer_ab.c group/schedule.c \
 *     group/maglev.c -lbpf
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maglev.h"
#include "schedule.h"
#include "steer.h"

#define MAXN 256
#define MAXV 32
#define MAXR 1000
#define MAXFD 65536

/*
 * The slot of each listener (when its variant has a state map): the
 * acceptor moves a connection from queued to accepted as the shim's
 * accept hook does, so the stall guard sees what it sees in a group.
 */
static struct rp_slot *slot_of[MAXFD];
static __s64 *load_of[MAXFD]; /* leastconn: the close hook's decrement */
static struct rp_state *dump_state; /* DUMP=1: the last variant's slots */

static int udp_mode, flows_mode; /* of the variant being set up */

static int listener(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1,
	    fd = socket(AF_INET,
			(udp_mode ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK,
			0);

	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (!udp_mode && listen(fd, 4096))) {
		perror("steer_ab: listener");
		exit(1);
	}
	return fd;
}

/* a group of n members as the shim would have written it */
static int fill_state(int map_fd, int policy, int n, const int *fds)
{
	struct rp_state *st = calloc(1, sizeof(*st));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	__u32 zero = 0;
	int err;

	if (!st)
		return -1;
	st->meta->magic = RP_MAGIC;
	st->meta->layout = RP_LAYOUT;
	st->hot->policy = (__u32)policy;
	st->meta->max_slots = (__u32)n;
	st->hot->nslots = (__u32)n;
	st->meta->proto = udp_mode ? IPPROTO_UDP : IPPROTO_TCP;
	if (flows_mode) {
		st->hot->flags |= RP_HDR_FLOWS;
		st->hot->flow_sets = RP_FLOWS_DEFAULT / RP_FLOW_WAYS;
	}
	st->meta->family = AF_INET;
	/* REUSEPORT_STALL=QUEUE,MS as the shim reads it (default 16,1000) */
	st->hot->stall_queue = 16;
	st->hot->stall_ms = 1000;
	if (getenv("STALL") &&
	    sscanf(getenv("STALL"), "%u,%u", &st->hot->stall_queue,
		   &st->hot->stall_ms) != 2)
		st->hot->stall_ms = 0;
	/* as create.c sets it */
	st->hot->stall_limit = st->hot->stall_ms && !udp_mode ?
				       (__s64)st->hot->stall_queue :
				       RP_STALL_NEVER;
	for (int i = 0; i < n; i++) {
		socklen_t l = sizeof(st->slots[i].r.cookie);

		getsockopt(fds[i], SOL_SOCKET, SO_COOKIE,
			   &st->slots[i].r.cookie, &l);
		st->slots[i].r.pid = (__u32)getpid();
		st->slots[i].r.weight = 1 + (__u32)(i % 3);
		st->slots[i].r.cpu = (__s32)(i % (ncpu > 0 ? ncpu : 1));
	}
	{
		/* the tables user space builds (members.c) */
		uint32_t live[MAXN], w[MAXN];
		int32_t cpu[MAXN];
		int len;

		for (int i = 0; i < n; i++) {
			live[i] = (uint32_t)i;
			w[i] = st->slots[i].r.weight;
			cpu[i] = st->slots[i].r.cpu;
		}
		rp_maglev_build(live, (uint32_t)n, st->sticky, RP_STICKY_SIZE);
		len = rp_wsched_build(live, w, (uint32_t)n, st->wsched,
				      RP_WSCHED_SIZE);
		st->hot->wsched_len = len > 0 ? (__u32)len : 0;
		rp_cpu_table_build(live, cpu, (uint32_t)n, st->cpu_slot,
				   RP_CPU_SLOTS);
		for (int i = n; i < RP_MAX_SLOTS; i++)
			st->load[i] = RP_LOAD_AWAY;
	}
	err = bpf_map_update_elem(map_fd, &zero, st, 0);
	free(st);
	return err;
}

/* load OBJ, fill its sockarray with fds (and its state for a policy) */
static int load(const char *path, int policy, int n, const int *fds)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *socks, *state;
	int pfd;

	if (!obj || libbpf_get_error(obj))
		return -1;
	socks = bpf_object__find_map_by_name(obj, "socks");
	prog = bpf_object__next_program(obj, NULL);
	if (flows_mode) {
		struct bpf_map *fl = bpf_object__find_map_by_name(obj, "flows");

		if (!fl || bpf_map__set_max_entries(fl, RP_FLOWS_DEFAULT /
								RP_FLOW_WAYS))
			return -1;
	}
	if (!socks || !prog || bpf_map__set_max_entries(socks, (__u32)n) ||
	    bpf_object__load(obj))
		return -1;
	state = bpf_object__find_map_by_name(obj, "state");
	if (policy >= 0) {
		struct rp_state *m;

		if (!state || fill_state(bpf_map__fd(state), policy, n, fds))
			return -1;
		m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED,
			 bpf_map__fd(state), 0);
		if (m == MAP_FAILED)
			return -1;
		if (getenv("DUMP"))
			dump_state = m;
		for (int i = 0; i < n; i++)
			if (fds[i] < MAXFD) {
				slot_of[fds[i]] = &m->slots[i];
				if (policy == RP_POLICY_LEASTCONN)
					load_of[fds[i]] = &m->load[i];
			}
	}
	for (__u32 i = 0; i < (__u32)n; i++) {
		__u64 v = (__u64)fds[i];

		if (bpf_map_update_elem(bpf_map__fd(socks), &i, &v,
					BPF_NOEXIST))
			return -1;
	}
	pfd = bpf_program__fd(prog);
	if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &pfd,
		       sizeof(pfd)))
		return -1;
	return pfd;
}

static void stats(int prog, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	bpf_obj_get_info_by_fd(prog, &info, &len);
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
}

static void connect_reset(int port, int count)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger l = { 1, 0 };

	for (int k = 0; k < count; k++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			return;
		setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
}

/* UDP: count datagrams, from nflows client sockets in turn */
static int nflows, flowfd[1024];
static char is_udp[MAXFD];

static void send_flows(int port, int count)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (int k = 0; k < count; k++)
		sendto(flowfd[k % nflows], "x", 1, MSG_DONTWAIT,
		       (struct sockaddr *)&a, sizeof(a));
}

static _Noreturn void acceptor(int ep)
{
	unsigned int eagain = 0;

	struct epoll_event ev[64];

	for (;;) {
		int k = epoll_wait(ep, ev, 64, -1);

		for (int j = 0; j < k; j++) {
			int c;

			int fd = ev[j].data.fd;
			struct rp_slot *sl = fd < MAXFD ? slot_of[fd] : NULL;

			if (fd < MAXFD && is_udp[fd]) {
				char b[64];

				while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >=
				       0)
					;
				continue;
			}
			while ((c = accept(fd, NULL, NULL)) >= 0) {
				close(c);
				if (!sl)
					continue;
				/* the accept hook: rp_slot_dequeue() */
				__atomic_fetch_add(&sl->a.accepted, 1,
						   __ATOMIC_RELAXED);
				__atomic_fetch_add(&sl->a.dequeued, 1,
						   __ATOMIC_RELAXED);
				if (load_of[fd])
					__atomic_fetch_sub(load_of[fd], 1,
							   __ATOMIC_RELAXED);
			}
			/* EAGAIN: the queue is empty (rp_slot_set_queued, once
			 * in 16 as the shim's hook) */
			if (sl && !(++eagain & 15) &&
			    sl->a.dequeued != sl->r.selected)
				__atomic_store_n(&sl->a.dequeued,
						 sl->r.selected,
						 __ATOMIC_RELAXED);
		}
	}
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static int fds[MAXV][MAXN];
	static double rat[MAXV][MAXR];
	int n, chunk, rounds, port, nv = argc - 5, prog[MAXV], ep;
	char udp[MAXV] = { 0 };
	__u64 tns[MAXV] = { 0 }, tcnt[MAXV] = { 0 };
	pid_t kid;

	if (argc < 6 || nv > MAXV) {
		fprintf(stderr, "usage: steer_ab N CHUNK ROUNDS PORT "
				"bare:OBJ|POLICY:OBJ...\n");
		return 2;
	}
	n = atoi(argv[1]);
	chunk = atoi(argv[2]);
	rounds = atoi(argv[3]);
	port = atoi(argv[4]);
	if (n < 1 || n > MAXN || chunk < 1 || rounds < 1 || rounds > MAXR ||
	    port < 1 || port + nv > 65535)
		return 2;
	ep = epoll_create1(0);
	for (int v = 0; v < nv; v++) {
		const char *spec = argv[5 + v], *obj;
		int policy = -1;

		udp_mode = spec[0] == 'u';
		spec += udp_mode;
		flows_mode = strstr(spec, "+flows:") != NULL;
		udp[v] = (char)udp_mode;
		obj = strchr(spec, ':');
		if (!obj || (flows_mode && !udp_mode))
			return 2;
		if (strncmp(spec, "bare:", 5))
			policy = atoi(spec);
		for (int i = 0; i < n; i++) {
			struct epoll_event e = { .events = EPOLLIN };

			fds[v][i] = listener(port + v);
			if (fds[v][i] < MAXFD)
				is_udp[fds[v][i]] = (char)udp_mode;
			e.data.fd = fds[v][i];
			epoll_ctl(ep, EPOLL_CTL_ADD, fds[v][i], &e);
		}
		prog[v] = load(obj + 1, policy, n, fds[v]);
		if (prog[v] < 0) {
			fprintf(stderr, "steer_ab: cannot load %s\n",
				argv[5 + v]);
			return 1;
		}
	}
	nflows = getenv("FLOWS") ? atoi(getenv("FLOWS")) : 64;
	if (nflows < 1 || nflows > 1024)
		return 2;
	for (int k = 0; k < nflows; k++) {
		flowfd[k] = socket(AF_INET, SOCK_DGRAM, 0);
		if (flowfd[k] < 0)
			return 1;
	}
	kid = fork();
	if (kid < 0)
		return 1;
	if (!kid) {
		pin_cpu(1);
		acceptor(ep);
	}
	/* the program runs on the connecting CPU; accepts happen on another */
	pin_cpu(0);
	for (int r = 0; r < rounds; r++) {
		double ns[MAXV];

		for (int v = 0; v < nv; v++) {
			__u64 a, b, c, d;

			stats(prog[v], &a, &b);
			if (udp[v])
				send_flows(port + v, chunk);
			else
				connect_reset(port + v, chunk);
			stats(prog[v], &c, &d);
			tns[v] += c - a;
			tcnt[v] += d - b;
			ns[v] = d > b ? (double)(c - a) / (double)(d - b) : 0;
		}
		for (int v = 0; v < nv; v++)
			rat[v][r] = ns[0] > 0 ? ns[v] / ns[0] : 0;
	}
	for (int v = 0; v < nv; v++) {
		qsort(rat[v], (size_t)rounds, sizeof(double), cmp);
		printf("%3d %-36s %7.1f ns/run  ratio %.3f [q1 %.3f q3 %.3f]  runs %llu\n",
		       n, argv[5 + v],
		       tcnt[v] ? (double)tns[v] / (double)tcnt[v] : 0.0,
		       rat[v][rounds / 2], rat[v][rounds / 4],
		       rat[v][3 * rounds / 4], (unsigned long long)tcnt[v]);
	}
	for (int i = 0; dump_state && i < n; i++) {
		struct rp_slot *sl = &dump_state->slots[i];

		printf("slot %d selected %llu dequeued %llu accepted %llu stall_seen %llu stall_next %llu stall_ns %llu\n",
		       i, (unsigned long long)sl->r.selected,
		       (unsigned long long)sl->a.dequeued,
		       (unsigned long long)sl->a.accepted,
		       (unsigned long long)sl->r.stall_seen,
		       (unsigned long long)sl->r.stall_next,
		       (unsigned long long)sl->r.stall_ns);
	}
	fflush(stdout);
	kill(kid, SIGKILL);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * reuseport bench: the built-in closed-loop load for servers without a
 * packaged generator. C connections, one thread (epoll); each connection
 * sends a request, waits for the whole answer, records the latency and
 * sends the next. tcp: 64 bytes echoed back; memcached: "get k", answer
 * up to "END\r\n".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sys.h"

#define BUCKET_NS 10000ull /* 10 us */
#define NBUCKETS 200000 /* up to 2 s */
#define MAXCONN 10000

struct conn {
	int fd;
	size_t got;
	uint64_t sent_ns;
	char buf[256];
};

static uint32_t hist[NBUCKETS];
static struct conn conns[MAXCONN];

static const char echo_req[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef012345678901234\n";
static const char mc_req[] = "get k\r\n";

static bool complete(enum bench_load l, const struct conn *c)
{
	if (l == LOAD_TCP)
		return c->got >= sizeof(echo_req) - 1;
	return c->got >= 5 && !memcmp(c->buf + c->got - 5, "END\r\n", 5);
}

static int conn_open(const struct bench_opts *o, int ep, struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)o->port) };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	const char *req = o->load == LOAD_TCP ? echo_req : mc_req;
	size_t len = strlen(req);
	int one = 1;

	if (inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1)
		return -1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) ||
	    write(c->fd, req, len) != (ssize_t)len) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->got = 0;
	c->sent_ns = rp_now_ns();
	return 0;
}

static double percentile(uint64_t total, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)total), seen = 0;

	for (int i = 0; i < NBUCKETS; i++) {
		seen += hist[i];
		if (seen >= want && want)
			return (double)(i + 1) * BUCKET_NS / 1e6;
	}
	return NAN;
}

int bench_builtin_run(const struct bench_opts *o, struct bench_result *r)
{
	struct epoll_event evs[256];
	struct timespec c0, c1;
	uint64_t t0, end, done = 0, errs = 0, sum_ns = 0;
	const char *req = o->load == LOAD_TCP ? echo_req : mc_req;
	size_t len = strlen(req);
	unsigned int nc = o->conns > MAXCONN ? MAXCONN : o->conns;
	int ep = epoll_create1(EPOLL_CLOEXEC), open_ok = 0;

	if (ep < 0)
		return -1;
	memset(hist, 0, sizeof(hist));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (unsigned int i = 0; i < nc; i++)
		if (conn_open(o, ep, &conns[i]) == 0)
			open_ok++;
		else
			errs++;
	if (!open_ok) {
		fprintf(stderr,
			"reuseport bench: cannot connect to %s:%u: %s\n",
			o->addr, o->port, strerror(errno));
		close(ep);
		return -1;
	}
	t0 = rp_now_ns();
	end = t0 + (uint64_t)(o->duration * 1e9);
	while (rp_now_ns() < end) {
		int k = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t m = read(c->fd, c->buf + c->got,
					 sizeof(c->buf) - c->got);

			if (m <= 0 || c->got + (size_t)m >= sizeof(c->buf)) {
				if (m < 0 && errno == EINTR)
					continue;
				errs++; /* closed, reset or a runaway answer */
				close(c->fd);
				conn_open(o, ep, c);
				continue;
			}
			c->got += (size_t)m;
			if (!complete(o->load, c))
				continue;
			uint64_t now = rp_now_ns(), lat = now - c->sent_ns;
			uint64_t b = lat / BUCKET_NS;

			hist[b < NBUCKETS ? b : NBUCKETS - 1]++;
			sum_ns += lat;
			done++;
			c->got = 0;
			c->sent_ns = now;
			if (write(c->fd, req, len) != (ssize_t)len) {
				errs++;
				close(c->fd);
				conn_open(o, ep, c);
			}
		}
	}
	r->seconds = (double)(rp_now_ns() - t0) / 1e9;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	for (unsigned int i = 0; i < nc; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	close(ep);
	r->client_cpu = (double)(c1.tv_sec - c0.tv_sec) +
			(double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	r->requests = (double)done;
	r->errors = (double)errs;
	r->rps = (double)done / r->seconds;
	r->p50_ms = percentile(done, 0.50);
	r->p99_ms = percentile(done, 0.99);
	r->avg_ms = done ? (double)sum_ns / (double)done / 1e6 : NAN;
	return done ? 0 : -1;
}

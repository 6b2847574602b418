// SPDX-License-Identifier: MIT
/* The /metrics endpoint (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics_http.h"
#include "snapshot.h"
#include "sys.h"

#define MAX_CLIENTS 64
#define REQ_MAX 8192
#define IDLE_NS (10ull * 1000000000ull)

struct client {
	int fd; /* -1: free */
	uint64_t since_ns;
	size_t in_len;
	char in[REQ_MAX];
	char *out; /* the response being written */
	size_t out_len, out_off;
};

struct rp_metrics_srv {
	int lfd, ep;
	const struct rp_config *cfg;
	const char *only; /* group spec, NULL: all */
	char addr[80];
	struct client c[MAX_CLIENTS];
};

static void drop(struct rp_metrics_srv *m, struct client *c)
{
	epoll_ctl(m->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

/* Send what is left; drop the client when done or broken. */
static void flush_out(struct rp_metrics_srv *m, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = { .events = EPOLLOUT,
						  .data.ptr = c };

			epoll_ctl(m->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	drop(m, c);
}

/* extra: header lines, each ending in \r\n ("" for none) */
static void respond_with(struct rp_metrics_srv *m, struct client *c,
			 const char *status, const char *extra,
			 const char *type, const char *body, size_t len,
			 bool head)
{
	FILE *f = open_memstream(&c->out, &c->out_len);

	if (!f) {
		drop(m, c);
		return;
	}
	fprintf(f,
		"HTTP/1.1 %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		status, extra, type, len);
	if (!head)
		fwrite(body, 1, len, f);
	if (fclose(f) != 0) {
		drop(m, c);
		return;
	}
	c->out_off = 0;
	flush_out(m, c);
}

static void respond(struct rp_metrics_srv *m, struct client *c,
		    const char *status, const char *type, const char *body,
		    size_t len, bool head)
{
	respond_with(m, c, status, "", type, body, len, head);
}

static void answer(struct rp_metrics_srv *m, struct client *c)
{
	char method[16], path[1024], minor[2], *q;
	struct snapshot s;
	char *body = NULL;
	size_t len = 0;
	int end = 0;
	bool head;
	FILE *f;

	/* a request line ends with HTTP/1.0 or HTTP/1.1, nothing else */
	if (sscanf(c->in, "%15s %1023s HTTP/1.%1[01]%n", method, path, minor,
		   &end) != 3 ||
	    (c->in[end] != '\r' && c->in[end] != '\n')) {
		respond(m, c, "400 Bad Request", "text/plain", "bad request\n",
			12, false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_with(m, c, "405 Method Not Allowed",
			     "Allow: GET, HEAD\r\n", "text/plain",
			     "GET /metrics\n", 13, false);
		return;
	}
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (strcmp(path, "/metrics")) {
		respond(m, c, "404 Not Found", "text/plain",
			"not found: try /metrics\n", 24, head);
		return;
	}
	f = open_memstream(&body, &len);
	/* no bpffs: no group, but the ports shared with nobody steering */
	if (!f || (snap_take(&s, m->cfg, m->only, NULL) != 0 && !s.no_bpffs)) {
		if (f)
			fclose(f);
		free(body);
		respond(m, c, "500 Internal Server Error", "text/plain",
			"cannot read the groups\n", 23, head);
		return;
	}
	render_prom(f, &s);
	snap_free(&s);
	if (fclose(f) != 0) {
		free(body);
		drop(m, c);
		return;
	}
	respond(m, c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		body, len, head);
	free(body);
}

static void readable(struct rp_metrics_srv *m, struct client *c)
{
	ssize_t n;

	if (c->out) {
		flush_out(m, c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, REQ_MAX - 1 - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(m, c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (memmem(c->in, c->in_len, "\r\n\r\n", 4) ||
	    memmem(c->in, c->in_len, "\n\n", 2))
		answer(m, c);
	else if (c->in_len >= REQ_MAX - 1)
		respond(m, c, "431 Request Header Fields Too Large",
			"text/plain", "request too long\n", 17, false);
}

/*
 * A slot for a new client when all are taken. Requests already waiting in a
 * client's socket are answered first (that frees their slots). Then the
 * oldest client that has sent nothing makes room: a flood of idle
 * connections evicts its own, never a scrape whose request has arrived.
 * Only when every client is mid-request does the oldest of all go.
 */
static struct client *make_room(struct rp_metrics_srv *m)
{
	struct client *c = NULL, *quiet = NULL;
	int pending;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i].fd >= 0 && !m->c[i].out &&
		    ioctl(m->c[i].fd, FIONREAD, &pending) == 0 && pending > 0)
			readable(m, &m->c[i]);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *k = &m->c[i];

		if (k->fd < 0)
			return k;
		if (!c || k->since_ns < c->since_ns)
			c = k;
		if (!k->in_len && !k->out &&
		    (!quiet || k->since_ns < quiet->since_ns))
			quiet = k;
	}
	c = quiet ? quiet : c;
	drop(m, c);
	return c;
}

static void accept_all(struct rp_metrics_srv *m)
{
	for (;;) {
		int fd = accept4(m->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or an aborted connection */
		for (int i = 0; i < MAX_CLIENTS && !c; i++)
			if (m->c[i].fd < 0)
				c = &m->c[i];
		if (!c)
			c = make_room(m);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		c->fd = fd;
		c->in_len = 0;
		c->since_ns = rp_now_ns();
		if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			c->fd = -1;
		}
	}
}

void rp_metrics_handle(struct rp_metrics_srv *m)
{
	struct epoll_event ev[32];
	int n = epoll_wait(m->ep, ev, 32, 0);
	uint64_t now;

	for (int i = 0; i < n; i++) {
		if (!ev[i].data.ptr)
			accept_all(m);
		else if (((struct client *)ev[i].data.ptr)->fd >= 0)
			readable(m, ev[i].data.ptr);
	}
	now = rp_now_ns();
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i].fd >= 0 && now > m->c[i].since_ns + IDLE_NS)
			drop(m, &m->c[i]);
}

static int split(const char *spec, char *host, size_t hlen, char *port,
		 size_t plen)
{
	const char *colon = strrchr(spec, ':');
	size_t n;

	if (!colon) {
		snprintf(host, hlen, "0.0.0.0");
		snprintf(port, plen, "%s", spec);
		return 0;
	}
	n = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (n < 2 || spec[n - 1] != ']')
			return -1;
		spec++;
		n -= 2;
	}
	if (n >= hlen)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (!n)
		snprintf(host, hlen, "0.0.0.0");
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

static int bind_listen(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
			*ai;
	char host[64], port[16];
	int fd, one = 1, rc;

	if (split(spec, host, sizeof(host), port, sizeof(port)) ||
	    strspn(port, "0123456789") != strlen(port) || !*port ||
	    atoi(port) > 65535) {
		snprintf(err, errlen,
			 "'%s' is not ADDR:PORT, [IPv6]:PORT or :PORT", spec);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "'%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
			snprintf(err, errlen, "cannot listen on %s: %s", spec,
				 strerror(errno));
			close(fd);
			fd = -1;
		}
	} else {
		snprintf(err, errlen, "socket: %s", strerror(errno));
	}
	freeaddrinfo(ai);
	return fd;
}

struct rp_metrics_srv *rp_metrics_listen(const char *spec,
					 const struct rp_config *cfg, char *err,
					 size_t errlen)
{
	struct rp_metrics_srv *m = calloc(1, sizeof(*m));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->cfg = cfg;
	for (int i = 0; i < MAX_CLIENTS; i++)
		m->c[i].fd = -1;
	m->lfd = bind_listen(spec, err, errlen);
	m->ep = m->lfd < 0 ? -1 : epoll_create1(EPOLL_CLOEXEC);
	if (m->lfd >= 0 && m->ep < 0)
		snprintf(err, errlen, "epoll: %s", strerror(errno));
	if (m->ep < 0 || epoll_ctl(m->ep, EPOLL_CTL_ADD, m->lfd, &ev)) {
		if (m->lfd >= 0)
			close(m->lfd);
		if (m->ep >= 0)
			close(m->ep);
		free(m);
		return NULL;
	}
	getsockname(m->lfd, (struct sockaddr *)&ss, &sl);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a,
			  sizeof(a));
		snprintf(m->addr, sizeof(m->addr), "[%s]:%u", a,
			 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a,
			  sizeof(a));
		snprintf(m->addr, sizeof(m->addr), "%s:%u", a,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return m;
}

int rp_metrics_fd(const struct rp_metrics_srv *m)
{
	return m->ep;
}

void rp_metrics_only(struct rp_metrics_srv *m, const char *spec)
{
	m->only = spec;
}

const char *rp_metrics_addr(const struct rp_metrics_srv *m)
{
	return m->addr;
}

void rp_metrics_close(struct rp_metrics_srv *m)
{
	if (!m)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			drop(m, &m->c[i]);
	close(m->lfd);
	close(m->ep);
	free(m);
}

// SPDX-License-Identifier: MIT
/*
 * Kernel view of reuseport groups through NETLINK_SOCK_DIAG / inet_diag
 * (what `ss -tlne` / `ss -ulne` show). One dump per call, restricted by the
 * kernel to the protocol, family, state and local port; address, device
 * and v6only are compared here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "rawsys.h"
#include "kdiag.h"

/* include/net/tcp_states.h: UDP uses TCP_ESTABLISHED once connected and
 * TCP_CLOSE otherwise. */
#define KD_TCP_LISTEN 10
#define KD_TCP_CLOSE 7

/* Large enough for any dump skb: the kernel sizes them from the reader's
 * last buffer, starting at NLMSG_GOODSIZE (<= 8 KiB). */
#define KD_BUF_SIZE 16384
#define KD_DUMP_TRIES 3

struct kd_query {
	int proto;
	int family;
	uint16_t port_be;
	bool match_addr;
	uint32_t addr[4]; /* network order, AF_INET uses addr[0] */
	uint32_t ifindex;
	bool v6only;
	bool match_cookie;
	uint64_t cookie;
	struct rp_kmember *out;
	size_t max;
	size_t count;
};

static uint32_t kd_seq;

/* INET_DIAG_SKV6ONLY among the attributes after the inet_diag_msg: 1 or 0,
 * -1 when absent. */
static int kd_v6only_attr(const struct nlmsghdr *h)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_msg));
	const char *p = (const char *)h + off;
	size_t rem = h->nlmsg_len > off ? h->nlmsg_len - off : 0;

	while (rem >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t step;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > rem)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY &&
		    a->nla_len >= NLA_HDRLEN + 1)
			return *((const uint8_t *)a + NLA_HDRLEN) ? 1 : 0;
		step = NLA_ALIGN(a->nla_len);
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return -1;
}

static int kd_msg(struct kd_query *q, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	uint8_t state = q->proto == IPPROTO_TCP ? KD_TCP_LISTEN : KD_TCP_CLOSE;
	struct rp_kmember k = { 0 };
	int v6only = -1;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EPROTO;
	/* The kernel filters on all of these already; check anyway. */
	if (m->idiag_family != q->family || m->idiag_state != state ||
	    (q->port_be && m->id.idiag_sport != q->port_be) ||
	    m->id.idiag_dport != 0)
		return 0;
	if (q->match_cookie) {
		k.cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
			   m->id.idiag_cookie[0];
		if (k.cookie != q->cookie)
			return 0;
	}
	if (q->match_addr) {
		size_t alen = q->family == AF_INET6 ? 16 : 4;

		if (memcmp(m->id.idiag_src, q->addr, alen) ||
		    m->id.idiag_if != q->ifindex)
			return 0;
		if (q->family == AF_INET6) {
			v6only = kd_v6only_attr(h);
			if (v6only >= 0 && (bool)v6only != q->v6only)
				return 0;
		}
	}
	if (q->count < q->max) {
		k.cookie = (uint64_t)m->id.idiag_cookie[1] << 32 |
			   m->id.idiag_cookie[0];
		k.inode = m->idiag_inode;
		k.uid = m->idiag_uid;
		k.ifindex = (int32_t)m->id.idiag_if;
		k.rqueue = m->idiag_rqueue;
		k.wqueue = m->idiag_wqueue;
		k.port = ntohs(m->id.idiag_sport);
		memcpy(k.addr, m->id.idiag_src, q->family == AF_INET6 ? 16 : 4);
		if (q->family == AF_INET6 && v6only < 0)
			v6only = kd_v6only_attr(h);
		k.v6only_known = v6only >= 0;
		k.v6only = v6only > 0;
		q->out[q->count] = k;
	}
	q->count++;
	return 0;
}

/* One dump over fd. Returns 0, 1 when the kernel flagged the dump as
 * inconsistent (NLM_F_DUMP_INTR), or a negative errno. */
static int kd_dump_once(int fd, struct kd_query *q, void *buf)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	uint32_t seq = __atomic_add_fetch(&kd_seq, 1, __ATOMIC_RELAXED);
	bool intr = false;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.r.sdiag_family = (uint8_t)q->family;
	req.r.sdiag_protocol = (uint8_t)q->proto;
	/* INET_DIAG_SKV6ONLY comes unasked for LISTEN/CLOSE AF_INET6 sockets. */
	req.r.idiag_ext = 0;
	req.r.idiag_states = q->proto == IPPROTO_TCP ? 1U << KD_TCP_LISTEN :
						       1U << KD_TCP_CLOSE;
	/* Both tcp_diag (listeners) and udp_diag honour the source port. */
	req.r.id.idiag_sport = q->port_be;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	do
		n = sendmsg(fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	q->count = 0;
	for (;;) {
		const char *p = buf;
		size_t len;

		iov.iov_base = buf;
		iov.iov_len = KD_BUF_SIZE;
		msg.msg_namelen = sizeof(kernel);
		msg.msg_flags = 0;
		do
			n = recvmsg(fd, &msg, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (n == 0)
			return -EPROTO;
		if (msg.msg_namelen < sizeof(kernel) || kernel.nl_pid != 0)
			continue; /* not from the kernel */
		for (len = (size_t)n; len >= NLMSG_HDRLEN;) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)p;
			size_t step = NLMSG_ALIGN(h->nlmsg_len);
			int err;

			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
				return -EPROTO; /* overruns the datagram */
			p += step;
			len = step < len ? len - step : 0;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (h->nlmsg_type) {
			case NLMSG_DONE:
				/* A failed dump ends with the error here. */
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					memcpy(&err, NLMSG_DATA(h),
					       sizeof(err));
					if (err < 0)
						return err;
				}
				return intr ? 1 : 0;
			case NLMSG_ERROR: {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error < 0 ? e->error : -EPROTO;
			}
			case SOCK_DIAG_BY_FAMILY:
				err = kd_msg(q, h);
				if (err < 0)
					return err;
				break;
			default:
				break;
			}
		}
	}
}

static int kd_run(struct kd_query *q)
{
	union {
		struct nlmsghdr h;
		char b[KD_BUF_SIZE];
	} buf;
	int saved = errno;
	int fd, ret = 0, i;

	fd = rp_raw_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			   NETLINK_SOCK_DIAG);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < KD_DUMP_TRIES; i++) {
		ret = kd_dump_once(fd, q, &buf);
		if (ret <= 0)
			break;
	}
	if (ret > 0)
		ret = -EAGAIN; /* inconsistent every time */
	rp_raw_close(fd);
out:
	errno = saved;
	return ret;
}

int rp_kernel_listeners(int proto, const struct sockaddr *addr, int ifindex,
			bool v6only, struct rp_kmember *out, size_t max)
{
	struct kd_query q = {
		.proto = proto,
		.match_addr = true,
		.ifindex = (uint32_t)ifindex,
		.v6only = v6only,
		.out = out,
		.max = out ? max : 0,
	};
	int ret;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || !addr ||
	    ifindex < 0)
		return -EINVAL;
	q.family = addr->sa_family;
	if (q.family == AF_INET) {
		const struct sockaddr_in *sin =
			(const struct sockaddr_in *)addr;

		q.port_be = sin->sin_port;
		memcpy(q.addr, &sin->sin_addr, 4);
		q.v6only = false;
	} else if (q.family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
			(const struct sockaddr_in6 *)addr;

		q.port_be = s6->sin6_port;
		memcpy(q.addr, &s6->sin6_addr, 16);
		/* bind() to a specific, not v4-mapped address sets v6only */
		if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) &&
		    !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			q.v6only = true;
	} else {
		return -EAFNOSUPPORT;
	}
	if (!q.port_be)
		return -EINVAL;
	ret = kd_run(&q);
	if (ret < 0)
		return ret;
	return q.count > INT32_MAX ? INT32_MAX : (int)q.count;
}

int rp_kernel_all_listeners(int proto, int family, struct rp_kmember *out,
			    size_t max)
{
	struct kd_query q = {
		.proto = proto,
		.family = family,
		.out = out,
		.max = out ? max : 0,
	};
	int ret;

	if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	ret = kd_run(&q);
	if (ret < 0)
		return ret;
	return q.count > INT32_MAX ? INT32_MAX : (int)q.count;
}

int rp_kernel_accept_queue(int family, uint16_t port, uint64_t cookie,
			   uint32_t *queued, uint32_t *backlog)
{
	struct rp_kmember k;
	struct kd_query q = {
		.proto = IPPROTO_TCP,
		.family = family,
		.port_be = htons(port),
		.match_cookie = true,
		.cookie = cookie,
		.out = &k,
		.max = 1,
	};
	int ret;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!port)
		return -EINVAL;
	ret = kd_run(&q);
	if (ret < 0)
		return ret;
	if (!q.count)
		return -ENOENT;
	if (queued)
		*queued = k.rqueue;
	if (backlog)
		*backlog = k.wqueue;
	return 0;
}

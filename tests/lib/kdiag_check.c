// SPDX-License-Identifier: MIT
/*
 * kdiag_check: checks group/kdiag.c against real sockets. Opens TCP
 * listeners and bound UDP sockets in several reuseport groups of one port
 * (0.0.0.0, 127.0.0.1, bound to lo, [::] dual-stack, [::] v6only, [::1]),
 * plus decoys (another port, bound but not listening, connected UDP,
 * accepted-to-be connections), and asserts that rp_kernel_listeners()
 * returns exactly the SO_COOKIEs of each group, and the accept queue.
 * Prints "ok: ..." / "FAIL: ..." per check and "N passed, M failed".
 *
 *   kdiag_check                      the checks (run in a fresh netns)
 *   kdiag_check bench [N] [CALLS]    microseconds per rp_kernel_listeners
 *                                    call, 4 group members, then with N
 *                                    (1000) unrelated listeners present
 */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdiag.h"

#define F_REUSEPORT 0x01
#define F_LISTEN 0x02
#define F_V6ONLY 0x04 /* AF_INET6: IPV6_V6ONLY = 1 (else set to 0) */
#define F_BINDLO 0x08 /* SO_BINDTODEVICE "lo" */
#define F_REUSEADDR 0x10

#define MAXM 16

static int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	printf("%d passed, %d failed\n", passed, failed + 1);
	exit(1);
}

static socklen_t mkaddr(struct sockaddr_storage *ss, const char *ip,
			uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			abort();
		return sizeof(*s6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
			abort();
		return sizeof(*sin);
	}
}

/* A socket bound to ip:port (0 = any port), returns the fd, -1 on error. */
static int mksock(int type, const char *ip, uint16_t port, int flags,
		  int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, ip, port);
	int one = 1, v6only = !!(flags & F_V6ONLY);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((flags & F_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err;
	if ((flags & F_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto err;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		goto err;
	if ((flags & F_BINDLO) &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		goto err;
	if (bind(fd, (struct sockaddr *)&ss, len))
		goto err;
	if ((flags & F_LISTEN) && listen(fd, backlog))
		goto err;
	return fd;
err:
	close(fd);
	return -1;
}

static int xsock(int type, const char *ip, uint16_t port, int flags,
		 int backlog)
{
	int fd = mksock(type, ip, port, flags, backlog);

	if (fd < 0) {
		char what[96];

		snprintf(what, sizeof(what), "socket %s %s:%u flags %#x",
			 type == SOCK_STREAM ? "tcp" : "udp", ip, port, flags);
		die(what);
	}
	return fd;
}

static uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len))
		die("SO_COOKIE");
	return c;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* rp_kernel_listeners() for proto ip:port on ifindex/v6only must return
 * exactly the sockets fds[0..n-1] (cookies, inodes, uid, device, v6only). */
static void expect_group(const char *what, int proto, const char *ip,
			 uint16_t port, int ifindex, bool v6only,
			 const int *fds, int n)
{
	struct rp_kmember m[MAXM];
	struct sockaddr_storage ss;
	bool seen[MAXM] = { false };
	int ret, i, j, bad = 0;
	char why[160] = "";

	mkaddr(&ss, ip, port);
	memset(m, 0xa5, sizeof(m));
	ret = rp_kernel_listeners(proto, (struct sockaddr *)&ss, ifindex,
				  v6only, m, MAXM);
	if (ret != n) {
		check(false, "%s: %d sockets, expected %d", what, ret, n);
		return;
	}
	for (i = 0; i < ret; i++) {
		for (j = 0; j < n; j++)
			if (!seen[j] && m[i].cookie == cookie_of(fds[j]))
				break;
		if (j == n) {
			snprintf(why, sizeof(why), "cookie %llu not expected",
				 (unsigned long long)m[i].cookie);
			bad++;
			continue;
		}
		seen[j] = true;

		struct stat st;

		if (fstat(fds[j], &st) || st.st_ino != m[i].inode) {
			snprintf(why, sizeof(why), "inode %u != %lu",
				 m[i].inode, (unsigned long)st.st_ino);
			bad++;
		}
		if (m[i].uid != geteuid()) {
			snprintf(why, sizeof(why), "uid %u", m[i].uid);
			bad++;
		}
		if (m[i].ifindex != ifindex) {
			snprintf(why, sizeof(why), "ifindex %d", m[i].ifindex);
			bad++;
		}
		if (ss.ss_family == AF_INET6 &&
		    (!m[i].v6only_known || m[i].v6only != v6only)) {
			snprintf(why, sizeof(why), "v6only known %d value %d",
				 m[i].v6only_known, m[i].v6only);
			bad++;
		}
		if (ss.ss_family == AF_INET && m[i].v6only_known) {
			snprintf(why, sizeof(why), "v6only known for AF_INET");
			bad++;
		}
	}
	check(!bad, "%s: %d sockets, cookies = SO_COOKIE%s%s", what, n,
	      bad ? ": " : "", why);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int tcp_connect(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, ip, port);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
		die("connect");
	return fd;
}

/* A listener of another uid on ip:port (0: any port, returned in *port) in
 * a child; returns its pid, and its bind result through *bind_errno (0 =
 * listening). The child lives until *release is closed. */
static pid_t other_uid_listener(const char *ip, uint16_t *port, uid_t uid,
				int *bind_errno, int *release)
{
	int res[2], rel[2];
	pid_t pid;

	if (pipe(res) || pipe(rel))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int res_[2] = { 0, 0 }, fd;
		char c;

		close(res[0]);
		close(rel[1]);
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			res_[0] = errno;
		else if ((fd = mksock(SOCK_STREAM, ip, *port,
				      F_REUSEPORT | F_LISTEN, 8)) < 0)
			res_[0] = errno;
		else
			res_[1] = port_of(fd);
		if (write(res[1], res_, sizeof(res_)) != sizeof(res_))
			_exit(1);
		while (read(rel[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(res[1]);
	close(rel[0]);
	int r[2];

	if (read(res[0], r, sizeof(r)) != sizeof(r))
		die("child");
	*bind_errno = r[0];
	*port = (uint16_t)r[1];
	close(res[0]);
	*release = rel[1];
	return pid;
}

static void release_child(pid_t pid, int release)
{
	close(release);
	waitpid(pid, NULL, 0);
}

/* A TCP listener on 0.0.0.0:port in a new network namespace (child). */
static pid_t other_netns_listener(uint16_t port, int *release)
{
	int res[2], rel[2];
	pid_t pid;
	char c = 0;

	if (pipe(res) || pipe(rel))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(res[0]);
		close(rel[1]);
		if (unshare(CLONE_NEWNET) ||
		    mksock(SOCK_STREAM, "0.0.0.0", port, F_REUSEPORT | F_LISTEN,
			   8) < 0)
			c = 1;
		if (write(res[1], &c, 1) != 1)
			_exit(1);
		while (read(rel[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(res[1]);
	close(rel[0]);
	if (read(res[0], &c, 1) != 1 || c)
		die("listener in another netns");
	close(res[0]);
	*release = rel[1];
	return pid;
}

/* n sockets in one group: the dump takes several netlink messages. */
static void check_big_group(int type, int n)
{
	int proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	int flags = F_REUSEPORT | (type == SOCK_STREAM ? F_LISTEN : 0);
	struct rp_kmember *m = calloc(n, sizeof(*m));
	uint64_t *want = calloc(n, sizeof(*want));
	int *fds = calloc(n, sizeof(*fds));
	struct sockaddr_storage ss;
	int i, j, ret, found = 0;
	uint16_t port = 0;

	if (!m || !want || !fds)
		die("calloc");
	for (i = 0; i < n; i++) {
		fds[i] = xsock(type, "127.0.0.1", port, flags, 8);
		port = port_of(fds[i]);
		want[i] = cookie_of(fds[i]);
	}
	mkaddr(&ss, "127.0.0.1", port);
	ret = rp_kernel_listeners(proto, (struct sockaddr *)&ss, 0, false, m,
				  n);
	for (i = 0; i < ret && i < n; i++)
		for (j = 0; j < n; j++)
			if (want[j] == m[i].cookie) {
				want[j] = 0;
				found++;
				break;
			}
	check(ret == n && found == n,
	      "%s group of %d (multi-part dump): %d, %d",
	      proto == IPPROTO_TCP ? "tcp" : "udp", n, ret, found);
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(m);
	free(want);
	free(fds);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signals without SA_RESTART arriving during calls change nothing. */
static void check_eintr(uint16_t port, const int *t_lo)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 20 }, { 0, 20 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct sockaddr_storage ss;
	struct rp_kmember m[MAXM];
	int i, ret, bad = 0;

	mkaddr(&ss, "127.0.0.1", port);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < 3000; i++) {
		ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss,
					  0, false, m, MAXM);
		if (ret != 2 || (m[0].cookie != cookie_of(t_lo[0]) &&
				 m[0].cookie != cookie_of(t_lo[1])))
			bad++;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	check(!bad && alarms > 0,
	      "3000 calls under %d SIGALRMs (no SA_RESTART): %d wrong",
	      (int)alarms, bad);
}

static int run_checks(void)
{
	struct sockaddr_storage ss;
	struct rp_kmember m[MAXM];
	int lo = (int)if_nametoindex("lo");
	int t_any[2], t_lo[2], t_v6any[2], t_v6only[2], t_v6lo, t_mapped;
	int t_dev, t_other;
	int u_any[2], u_lo, u_conn, u_v6any, u_v6only, u_other, u_ra[2];
	int t_q, cl[3], acc, ret, fds0, i, e;
	uint32_t queued = 0, backlog = 0, sum;
	uint16_t P, Q, R, S;

	if (!lo)
		die("if_nametoindex lo");

	/* ports: P (shared), Q (another port), R (accept queue) */
	t_any[0] = xsock(SOCK_STREAM, "0.0.0.0", 0, F_REUSEPORT | F_LISTEN, 64);
	P = port_of(t_any[0]);
	t_other = xsock(SOCK_STREAM, "0.0.0.0", 0, F_REUSEPORT | F_LISTEN, 64);
	Q = port_of(t_other);
	t_q = xsock(SOCK_STREAM, "127.0.0.1", 0, F_REUSEPORT | F_LISTEN, 7);
	R = port_of(t_q);
	printf("info: ports P=%u Q=%u R=%u, lo ifindex %d\n", P, Q, R, lo);

	t_any[1] = xsock(SOCK_STREAM, "0.0.0.0", P, F_REUSEPORT | F_LISTEN, 64);
	t_lo[0] =
		xsock(SOCK_STREAM, "127.0.0.1", P, F_REUSEPORT | F_LISTEN, 64);
	t_lo[1] =
		xsock(SOCK_STREAM, "127.0.0.1", P, F_REUSEPORT | F_LISTEN, 64);
	t_dev = xsock(SOCK_STREAM, "0.0.0.0", P,
		      F_REUSEPORT | F_LISTEN | F_BINDLO, 64);
	/* bound with SO_REUSEPORT, never listening: not in any group */
	xsock(SOCK_STREAM, "0.0.0.0", P, F_REUSEPORT, 0);
	t_v6any[0] = xsock(SOCK_STREAM, "::", P, F_REUSEPORT | F_LISTEN, 64);
	t_v6any[1] = xsock(SOCK_STREAM, "::", P, F_REUSEPORT | F_LISTEN, 64);
	t_v6only[0] = xsock(SOCK_STREAM, "::", P,
			    F_REUSEPORT | F_LISTEN | F_V6ONLY, 64);
	t_v6only[1] = xsock(SOCK_STREAM, "::", P,
			    F_REUSEPORT | F_LISTEN | F_V6ONLY, 64);
	/* bound to a specific IPv6 address: the kernel sets v6only itself */
	t_v6lo = xsock(SOCK_STREAM, "::1", P, F_REUSEPORT | F_LISTEN, 64);
	t_mapped = xsock(SOCK_STREAM, "::ffff:127.0.0.1", P,
			 F_REUSEPORT | F_LISTEN, 64);

	u_any[0] = xsock(SOCK_DGRAM, "0.0.0.0", P, F_REUSEPORT, 0);
	u_any[1] = xsock(SOCK_DGRAM, "0.0.0.0", P, F_REUSEPORT, 0);
	u_lo = xsock(SOCK_DGRAM, "127.0.0.1", P, F_REUSEPORT, 0);
	u_conn = xsock(SOCK_DGRAM, "127.0.0.1", P, F_REUSEPORT, 0);
	mkaddr(&ss, "127.0.0.1", Q);
	if (connect(u_conn, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)))
		die("connect udp");
	u_v6any = xsock(SOCK_DGRAM, "::", P, F_REUSEPORT, 0);
	u_v6only = xsock(SOCK_DGRAM, "::", P, F_REUSEPORT | F_V6ONLY, 0);
	u_other = xsock(SOCK_DGRAM, "0.0.0.0", Q, F_REUSEPORT, 0);
	/* SO_REUSEADDR only: not a reuseport group, but listed (limit) */
	u_ra[0] = xsock(SOCK_DGRAM, "127.0.0.3", 0, F_REUSEADDR, 0);
	S = port_of(u_ra[0]);
	u_ra[1] = xsock(SOCK_DGRAM, "127.0.0.3", S, F_REUSEADDR, 0);

	expect_group("tcp 0.0.0.0:P", IPPROTO_TCP, "0.0.0.0", P, 0, false,
		     t_any, 2);
	expect_group("tcp 127.0.0.1:P", IPPROTO_TCP, "127.0.0.1", P, 0, false,
		     t_lo, 2);
	expect_group("tcp 0.0.0.0:P bound to lo", IPPROTO_TCP, "0.0.0.0", P, lo,
		     false, &t_dev, 1);
	expect_group("tcp 0.0.0.0:Q", IPPROTO_TCP, "0.0.0.0", Q, 0, false,
		     &t_other, 1);
	expect_group("tcp 127.0.0.2:P (nobody)", IPPROTO_TCP, "127.0.0.2", P, 0,
		     false, NULL, 0);
	expect_group("tcp [::]:P dual-stack", IPPROTO_TCP, "::", P, 0, false,
		     t_v6any, 2);
	expect_group("tcp [::]:P v6only", IPPROTO_TCP, "::", P, 0, true,
		     t_v6only, 2);
	expect_group("tcp [::1]:P (v6only forced by the kernel)", IPPROTO_TCP,
		     "::1", P, 0, true, &t_v6lo, 1);
	mkaddr(&ss, "::1", P);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	check(ret == 1 && m[0].cookie == cookie_of(t_v6lo) && m[0].v6only,
	      "tcp [::1]:P asked with v6only 0: found, v6only 1 (%d)", ret);
	expect_group("tcp [::ffff:127.0.0.1]:P v4-mapped", IPPROTO_TCP,
		     "::ffff:127.0.0.1", P, 0, false, &t_mapped, 1);
	expect_group("udp 0.0.0.0:P", IPPROTO_UDP, "0.0.0.0", P, 0, false,
		     u_any, 2);
	expect_group("udp 127.0.0.1:P (connected one not listed)", IPPROTO_UDP,
		     "127.0.0.1", P, 0, false, &u_lo, 1);
	expect_group("udp [::]:P dual-stack", IPPROTO_UDP, "::", P, 0, false,
		     &u_v6any, 1);
	expect_group("udp [::]:P v6only", IPPROTO_UDP, "::", P, 0, true,
		     &u_v6only, 1);
	expect_group("udp 0.0.0.0:Q", IPPROTO_UDP, "0.0.0.0", Q, 0, false,
		     &u_other, 1);
	expect_group("udp 127.0.0.3:S SO_REUSEADDR only (listed: limit)",
		     IPPROTO_UDP, "127.0.0.3", S, 0, false, u_ra, 2);

	/* a connected UDP socket is in the kernel group but not listed */
	mkaddr(&ss, "127.0.0.1", P);
	ret = rp_kernel_listeners(IPPROTO_UDP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	for (i = 0; i < ret && i < MAXM; i++)
		if (m[i].cookie == cookie_of(u_conn))
			break;
	check(ret >= 0 && i == ret, "connected udp socket (cookie %llu) absent",
	      (unsigned long long)cookie_of(u_conn));

	/* truncation: count is the total */
	mkaddr(&ss, "0.0.0.0", P);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, 1);
	check(ret == 2 && (m[0].cookie == cookie_of(t_any[0]) ||
			   m[0].cookie == cookie_of(t_any[1])),
	      "max 1: returns 2, fills 1 (%d)", ret);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  NULL, 0);
	check(ret == 2, "out NULL, max 0: returns 2 (%d)", ret);

	/* errors and errno */
	errno = EXDEV;
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	check(ret == 2 && errno == EXDEV, "errno kept on success (%d, %d)", ret,
	      errno);
	ret = rp_kernel_listeners(IPPROTO_SCTP, (struct sockaddr *)&ss, 0,
				  false, m, MAXM);
	check(ret == -EINVAL && errno == EXDEV, "bad proto: -EINVAL (%d)", ret);
	mkaddr(&ss, "0.0.0.0", 0);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	check(ret == -EINVAL, "port 0: -EINVAL (%d)", ret);
	ss.ss_family = AF_UNIX;
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	check(ret == -EAFNOSUPPORT && errno == EXDEV,
	      "AF_UNIX: -EAFNOSUPPORT (%d)", ret);

	/* accept queue: 3 connections not accepted */
	for (i = 0; i < 3; i++)
		cl[i] = tcp_connect("127.0.0.1", R);
	ret = rp_kernel_accept_queue(AF_INET, R, cookie_of(t_q), &queued,
				     &backlog);
	check(ret == 0 && queued == 3 && backlog == 7,
	      "accept queue 127.0.0.1:R: ret %d, queued %u backlog %u (3, 7)",
	      ret, queued, backlog);
	expect_group("tcp 127.0.0.1:R with 3 queued children", IPPROTO_TCP,
		     "127.0.0.1", R, 0, false, &t_q, 1);
	mkaddr(&ss, "127.0.0.1", R);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	check(ret == 1 && m[0].rqueue == 3 && m[0].wqueue == 7,
	      "rp_kmember rqueue %u wqueue %u (3, 7)", m[0].rqueue,
	      m[0].wqueue);
	acc = accept4(t_q, NULL, NULL, SOCK_CLOEXEC);
	ret = rp_kernel_accept_queue(AF_INET, R, cookie_of(t_q), &queued, NULL);
	check(acc >= 0 && ret == 0 && queued == 2, "after accept: %u queued",
	      queued);
	close(acc);
	ret = rp_kernel_accept_queue(AF_INET, R, cookie_of(t_any[0]), &queued,
				     NULL);
	check(ret == -ENOENT, "accept queue, cookie on another port: -ENOENT");
	ret = rp_kernel_accept_queue(AF_INET6, R, cookie_of(t_q), NULL, NULL);
	check(ret == -ENOENT, "accept queue, wrong family: -ENOENT");
	for (i = 0; i < 3; i++)
		close(cl[i]);

	/* 3 connections to a group of 2: the queues add up to 3 */
	for (i = 0; i < 3; i++)
		cl[i] = tcp_connect("127.0.0.1", P);
	mkaddr(&ss, "127.0.0.1", P);
	ret = rp_kernel_listeners(IPPROTO_TCP, (struct sockaddr *)&ss, 0, false,
				  m, MAXM);
	sum = 0;
	for (i = 0; i < ret && i < MAXM; i++)
		sum += m[i].rqueue;
	check(ret == 2 && sum == 3, "tcp 127.0.0.1:P: 2 listeners, %u queued",
	      sum);
	for (i = 0; i < 3; i++)
		close(cl[i]);

	/* another uid: cannot join (EADDRINUSE), is seen with its uid */
	if (geteuid() == 0) {
		uint16_t port = P;
		int rel;
		pid_t pid;

		pid = other_uid_listener("127.0.0.1", &port, 65534, &e, &rel);
		check(e == EADDRINUSE,
		      "uid 65534, SO_REUSEPORT on 127.0.0.1:P: %s",
		      e ? strerror(e) : "listening");
		release_child(pid, rel);
		port = 0;
		pid = other_uid_listener("127.0.0.4", &port, 65534, &e, &rel);
		mkaddr(&ss, "127.0.0.4", port);
		ret = e ? -e :
			  rp_kernel_listeners(IPPROTO_TCP,
					      (struct sockaddr *)&ss, 0, false,
					      m, MAXM);
		check(ret == 1 && m[0].uid == 65534,
		      "listener of uid 65534 on 127.0.0.4: %d, uid %u", ret,
		      ret == 1 ? m[0].uid : 0);
		release_child(pid, rel);
	} else {
		printf("info: not root, uid checks skipped\n");
	}

	if (geteuid() == 0) {
		int rel;
		pid_t pid = other_netns_listener(P, &rel);

		expect_group("tcp 0.0.0.0:P, another netns has one too",
			     IPPROTO_TCP, "0.0.0.0", P, 0, false, t_any, 2);
		release_child(pid, rel);
	}
	check_big_group(SOCK_STREAM, 300);
	check_big_group(SOCK_DGRAM, 300);
	check_eintr(P, t_lo);

	/* no descriptor left behind */
	fds0 = count_fds();
	for (i = 0; i < 200; i++) {
		mkaddr(&ss, i & 1 ? "::" : "0.0.0.0", P);
		rp_kernel_listeners(i & 2 ? IPPROTO_UDP : IPPROTO_TCP,
				    (struct sockaddr *)&ss, 0, false, m, MAXM);
	}
	check(count_fds() == fds0, "no fd leak after 200 calls (%d, %d)",
	      count_fds(), fds0);

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* CPU time of this thread (user + kernel): not inflated by other load. */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double bench_calls(int proto, uint16_t port, int calls)
{
	struct sockaddr_storage ss;
	struct rp_kmember m[MAXM];
	double t0;
	int i, ret;

	mkaddr(&ss, "0.0.0.0", port);
	t0 = now_us();
	for (i = 0; i < calls; i++) {
		ret = rp_kernel_listeners(proto, (struct sockaddr *)&ss, 0,
					  false, m, MAXM);
		if (ret != 4) {
			errno = ret < 0 ? -ret : EINVAL;
			die("bench: rp_kernel_listeners != 4");
		}
	}
	return (now_us() - t0) / calls;
}

/* The fixed part: opening and closing the netlink socket. */
static double bench_socket(int calls)
{
	double t0 = now_us();
	int i, fd;

	for (i = 0; i < calls; i++) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_SOCK_DIAG);
		if (fd < 0)
			die("socket");
		close(fd);
	}
	return (now_us() - t0) / calls;
}

static int run_bench(int unrelated, int calls)
{
	struct rlimit rl;
	uint16_t tp, up;
	int i, fd;
	double t0, t1, u0, u1, s0;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fd = xsock(SOCK_STREAM, "0.0.0.0", 0, F_REUSEPORT | F_LISTEN, 64);
	tp = port_of(fd);
	for (i = 0; i < 3; i++)
		xsock(SOCK_STREAM, "0.0.0.0", tp, F_REUSEPORT | F_LISTEN, 64);
	fd = xsock(SOCK_DGRAM, "0.0.0.0", 0, F_REUSEPORT, 0);
	up = port_of(fd);
	for (i = 0; i < 3; i++)
		xsock(SOCK_DGRAM, "0.0.0.0", up, F_REUSEPORT, 0);

	bench_calls(IPPROTO_TCP, tp, 50); /* warm up */
	t0 = bench_calls(IPPROTO_TCP, tp, calls);
	u0 = bench_calls(IPPROTO_UDP, up, calls);
	s0 = bench_socket(calls);
	for (i = 0; i < unrelated; i++) {
		xsock(SOCK_STREAM, "0.0.0.0", 0, F_LISTEN, 64);
		xsock(SOCK_DGRAM, "0.0.0.0", 0, 0, 0);
	}
	t1 = bench_calls(IPPROTO_TCP, tp, calls);
	u1 = bench_calls(IPPROTO_UDP, up, calls);
	printf("cpu time per call (user + kernel):\n");
	printf("tcp: %.1f us/call (4 listeners), %.1f us/call (+%d unrelated listeners)\n",
	       t0, t1, unrelated);
	printf("udp: %.1f us/call (4 sockets), %.1f us/call (+%d unrelated sockets)\n",
	       u0, u1, unrelated);
	printf("of which netlink socket() + close(): %.1f us\n", s0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "bench"))
		return run_bench(argc > 2 ? atoi(argv[2]) : 1000,
				 argc > 3 ? atoi(argv[3]) : 1000);
	return run_checks();
}

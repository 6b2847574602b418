// SPDX-License-Identifier: MIT
/*
 * errnos: a fixed list of socket calls that fail or succeed in telling ways;
 * prints "name ret errno" for each. Run with and without the shim: the
 * outputs must be identical (the shim never changes return values/errno).
 *
 * errno is set to a sentinel before each call and printed after it whether
 * the call failed or not ("-": still the sentinel): libc leaves errno alone
 * when a call succeeds, so a hook that leaks the errno of its own work
 * (a pin that already exists, a map lookup that failed) into a successful
 * call shows up as a difference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* no socket or fd call sets it */
#define SENTINEL EDOM

static void show(const char *name, const char *ret, int err)
{
	const char *e = strerrorname_np(err);

	if (err == SENTINEL)
		e = "-";
	printf("%-28s %s %s\n", name, ret, e ? e : "?");
}

#define SHOW(name, expr)                                 \
	do {                                             \
		errno = SENTINEL;                        \
		long r_ = (long)(expr);                  \
		show(name, r_ < 0 ? "-1" : "ok", errno); \
	} while (0)

/* the same for a call whose value must be the same too (flags, not fds) */
#define SHOW_VALUE(name, expr)                        \
	do {                                          \
		char v_[24];                          \
		errno = SENTINEL;                     \
		long r_ = (long)(expr);               \
		int e_ = errno;                       \
		snprintf(v_, sizeof(v_), "%#lx", r_); \
		show(name, r_ < 0 ? "-1" : v_, e_);   \
	} while (0)

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int port = argc > 1 ? atoi(argv[1]) : 8200;
	int p[2], t, u, t2, t3, v = 0, one = 1;
	socklen_t len = sizeof(v);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (pipe(p))
		return 1;

	SHOW("socket bad domain", socket(12345, SOCK_STREAM, 0));
	SHOW("socket bad type", socket(AF_INET, 77, 0));
	SHOW("socket bad proto", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	SHOW("bind ebadf", bind(-1, (struct sockaddr *)&a, sizeof(a)));
	SHOW("bind enotsock", bind(p[0], (struct sockaddr *)&a, sizeof(a)));
	t = socket(AF_INET, SOCK_STREAM, 0);
	SHOW("bind short len", bind(t, (struct sockaddr *)&a, 4));
	SHOW("bind null", bind(t, NULL, sizeof(a)));
	SHOW("bind bad family", bind(t,
				     (struct sockaddr *)&(struct sockaddr_in6){
					     .sin6_family = AF_INET6 },
				     sizeof(struct sockaddr_in6)));
	SHOW("bind ok", bind(t, (struct sockaddr *)&a, sizeof(a)));
	SHOW("bind twice", bind(t, (struct sockaddr *)&a, sizeof(a)));
	SHOW("listen ebadf", listen(-1, 1));
	SHOW("listen enotsock", listen(p[0], 1));
	SHOW("accept not listening", accept(t, NULL, NULL));
	SHOW("listen ok", listen(t, 8));
	SHOW("listen again", listen(t, 16));
	SHOW("getsockopt reuseport",
	     getsockopt(t, SOL_SOCKET, SO_REUSEPORT, &v, &len));
	/* a plain socket without SO_REUSEPORT on a port shared by the shim */
	t2 = socket(AF_INET, SOCK_STREAM, 0);
	SHOW("bind taken port", bind(t2, (struct sockaddr *)&a, sizeof(a)));
	u = socket(AF_INET, SOCK_DGRAM, 0);
	SHOW("listen udp", listen(u, 1));
	SHOW("accept udp", accept(u, NULL, NULL));
	SHOW("accept4 bad flags", accept4(t, NULL, NULL, 0x7fff));
	SHOW("setsockopt bad level", setsockopt(t, 9999, 1, &one, sizeof(one)));
	SHOW("setsockopt short",
	     setsockopt(t, SOL_SOCKET, SO_REUSEPORT, &one, 1));
	SHOW("getsockopt ebadf", getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len));
	SHOW("dup ebadf", dup(-1));
	SHOW("dup2 ebadf", dup2(-1, 100));
	SHOW("dup3 same fd", dup3(t, t, 0));
	SHOW("dup2 same fd", dup2(t, t));
	SHOW("fcntl dupfd ebadf", fcntl(-1, F_DUPFD, 0));
	SHOW_VALUE("fcntl getfl", fcntl(t, F_GETFL));
	t3 = fcntl(t, F_DUPFD_CLOEXEC, 50);
	printf("%-28s %s\n", "fcntl dupfd >= 50", t3 >= 50 ? "ok" : "no");
	SHOW("close dup", close(t3));
	SHOW("close twice", close(t3));
	SHOW("close ebadf", close(-1));
	SHOW("close pipe", close(p[0]));
	SHOW("close listener", close(t));
	return 0;
}

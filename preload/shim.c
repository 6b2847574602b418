// SPDX-License-Identifier: MIT
/*
 * The interposer's logic: classify sockets, force SO_REUSEPORT before bind,
 * hand listening/bound sockets in scope to registration (register.c), keep
 * the application's view of SO_REUSEPORT. The exported symbols in hooks.c
 * only forward here; accept accounting is in acct.c, close/dup in fdlife.c.
 *
 * Rules every function follows: the caller's return value and errno are
 * what libc gave, on success as on failure, with these exceptions, each
 * deliberate:
 * - REUSEPORT_STRICT=1: a steering failure (or an invalid environment)
 *   fails the bind/listen in scope, with the errno named in the log line;
 * - setsockopt(SO_REUSEPORT, 0) on an INET socket in scope is swallowed and
 *   returns 0 (the forced 1 must survive to bind), and getsockopt then
 *   reports 1, which is what the kernel has after bind;
 * - close() of one of the shim's own held pin fds (hold.c), met by a
 *   server that closes every number it did not open, returns 0 and leaves
 *   it open until the listen that needs it (close_range() and dup2() go
 *   around it the same way).
 * fds the shim opens are O_CLOEXEC and closed before it returns, but those
 * held from a TCP bind to its listen.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rawsys.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "shim_impl.h"

/*
 * Sockets passed by systemd (LISTEN_FDS) are registered before the program
 * uses them; nothing else happens at load: LD_PRELOAD reaches every child a
 * server spawns (CGI, shells, `nginx -t`), and a process that never calls
 * a hooked function should not pay for symbol lookups or parsing.
 */
__attribute__((constructor)) static void rp_constructor(void)
{
	if (!getenv("LISTEN_FDS"))
		return;
	rp_init();
	rp_in_shim++;
	rp_adopt_passed_sockets();
	rp_in_shim--;
}

static bool bypass(void)
{
	rp_init();
	return rp_in_shim || rp_cfg.disabled;
}

static void apply_swallowed(int fd, struct rp_fdent *e)
{
	int zero = 0;

	if (!(e->flags & RP_FD_SWALLOWED))
		return;
	libc_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof(zero));
	e->flags &= ~RP_FD_SWALLOWED;
	rp_fd_set(fd, e);
}

static int strict_invalid(const char *call)
{
	pr_err("event=strict_fail call=%s errno=EINVAL error=\"%s\"", call,
	       rp_cfg.error);
	errno = EINVAL;
	return -1;
}

int rp_socket(int domain, int type, int protocol)
{
	struct rp_fdent e = { 0 };
	bool skip = bypass();
	int fd = libc_socket(domain, type, protocol);

	if (fd < 0 || skip)
		return fd;
	e.flags = rp_classify(domain, type, protocol) | RP_FD_KNOWN;
	e.forkgen = rp_forkgen;
	rp_fd_set(fd, &e);
	return fd;
}

int rp_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct rp_fdent e;
	int one = 1, ret, saved;
	uint32_t kind;

	if (bypass() || !rp_addr_ok(sa, len))
		return libc_bind(fd, sa, len);
	kind = rp_sock_kind(fd, &e);
	if (!kind)
		return libc_bind(fd, sa, len);
	if (rp_port_of(sa) == 0) {
		/*
		 * An ephemeral port is private to this socket: no group, no
		 * forced flag, also at its later listen().
		 */
		apply_swallowed(fd, &e);
		ret = libc_bind(fd, sa, len);
		if (ret == 0) {
			saved = errno;
			e.flags |= RP_FD_EPHEMERAL;
			rp_fd_set(fd, &e);
			errno = saved;
		}
		return ret;
	}
	if (rp_cfg.invalid) {
		if (rp_cfg.strict)
			return strict_invalid("bind");
		apply_swallowed(fd, &e);
		return libc_bind(fd, sa, len);
	}
	if (!rp_in_scope(kind, sa)) {
		apply_swallowed(fd, &e);
		return libc_bind(fd, sa, len);
	}

	rp_in_shim++;
	libc_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* TCP registers at listen; a UDP socket is a member from bind on */
	if (kind == RP_FD_UDP) {
		ret = rp_register_bind(fd, kind, sa, len, &e);
	} else {
		ret = libc_bind(fd, sa, len);
		saved = errno;
		/* open the group now: the listen may come after a setuid */
		if (ret == 0 && !(e.flags & RP_FD_APP_PROG))
			rp_hold_open(fd, kind, sa);
		errno = saved;
	}
	saved = errno;
	rp_in_shim--;
	errno = saved;
	return ret;
}

int rp_listen(int fd, int backlog)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	struct rp_fdent e;
	int one = 1, ret, saved;

	if (bypass())
		return libc_listen(fd, backlog);
	if (rp_sock_kind(fd, &e) != RP_FD_TCP || (e.flags & RP_FD_EPHEMERAL) ||
	    getsockname(fd, sa, &len) != 0 || !rp_addr_ok(sa, len) ||
	    rp_port_of(sa) == 0)
		return libc_listen(fd, backlog);
	if (rp_cfg.invalid)
		return rp_cfg.strict ? strict_invalid("listen") :
				       libc_listen(fd, backlog);
	if (!rp_in_scope(RP_FD_TCP, sa))
		return libc_listen(fd, backlog);

	rp_in_shim++;
	/* A socket bound before the shim saw it: the flag still counts at listen. */
	libc_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	ret = rp_register_listen(fd, sa, backlog, &e);
	saved = errno;
	rp_in_shim--;
	errno = saved;
	return ret;
}

/*
 * A UDP member that connects is a client's socket (a resolver's outgoing
 * port bound explicitly): it leaves its group. The fast path for every
 * other connect is one table read after the real call.
 */
int rp_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct rp_fdent e;
	int ret, saved;

	ret = libc_connect(fd, sa, len);
	if (ret != 0 || !rp_fd_get(fd, &e) || !(e.flags & RP_FD_UDP) ||
	    !(e.flags & RP_FD_MEMBER) || bypass())
		return ret;
	saved = errno;
	rp_in_shim++;
	rp_register_leave(fd, &e);
	rp_in_shim--;
	errno = saved;
	return ret;
}

/*
 * The application attaches its own reuseport program: it keeps it. Its
 * sockets (and every socket of that group in this process) are left out
 * of steering, so the shim never replaces the program. A socket the
 * application never made reuseport gets what the kernel gives it without
 * the shim's forced flag: EINVAL.
 */
static int app_program(int fd, struct rp_fdent *e, int name, const void *val,
		       socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int on = 0, ret, saved;
	socklen_t olen = sizeof(on);

	if (!(e->flags & RP_FD_APP_RP) &&
	    libc_getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, &olen) == 0 &&
	    on && getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
	    rp_addr_ok((struct sockaddr *)&ss, slen) &&
	    rp_port_of((struct sockaddr *)&ss) != 0) {
		/* bound, and the flag is ours, not the application's */
		errno = EINVAL;
		return -1;
	}
	ret = libc_setsockopt(fd, SOL_SOCKET, name, val, len);
	saved = errno;
	if (ret == 0) {
		e->flags |= RP_FD_APP_PROG;
		rp_fd_set(fd, e);
		rp_register_app_program(fd, e);
	}
	errno = saved;
	return ret;
}

int rp_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct rp_fdent e;

	if (bypass() || level != SOL_SOCKET ||
	    (name != SO_REUSEPORT && name != SO_ATTACH_REUSEPORT_CBPF &&
	     name != SO_ATTACH_REUSEPORT_EBPF) ||
	    rp_cfg.invalid || !rp_sock_kind(fd, &e))
		return libc_setsockopt(fd, level, name, val, len);
	if (name != SO_REUSEPORT)
		return app_program(fd, &e, name, val, len);
	if (!val || len < sizeof(int))
		return libc_setsockopt(fd, level, name, val, len);
	if (*(const int *)val) {
		int ret = libc_setsockopt(fd, level, name, val, len);
		int saved = errno;

		if (ret == 0) {
			e.flags &= ~RP_FD_SWALLOWED;
			e.flags |= RP_FD_APP_RP;
			rp_fd_set(fd, &e);
		}
		errno = saved;
		return ret;
	}
	/*
	 * SO_REUSEPORT=0 would make the bind to a shared port fail. Before
	 * bind the port is unknown: remember the wish and apply it at bind if
	 * the port turns out to be out of scope.
	 */
	if (e.flags & RP_FD_MEMBER)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
	    rp_addr_ok((struct sockaddr *)&ss, slen) &&
	    rp_port_of((struct sockaddr *)&ss) != 0)
		return libc_setsockopt(fd, level, name, val, len);
	e.flags |= RP_FD_SWALLOWED;
	rp_fd_set(fd, &e);
	pr_debug("event=swallow fd=%d option=SO_REUSEPORT value=0", fd);
	return 0;
}

int rp_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	bool skip = bypass();
	int ret = libc_getsockopt(fd, level, name, val, len);
	struct rp_fdent e;

	if (ret == 0 && level == SOL_SOCKET && name == SO_REUSEPORT && val &&
	    len && *len >= sizeof(int) && !skip && rp_fd_get(fd, &e) &&
	    (e.flags & (RP_FD_SWALLOWED | RP_FD_MEMBER)))
		*(int *)val = 1;
	return ret;
}

// SPDX-License-Identifier: MIT
/*
 * The interposer's logic: classify sockets, force SO_REUSEPORT before bind,
 * hand listening/bound sockets in scope to registration (register.c), keep
 * the application's view of SO_REUSEPORT. The exported symbols in hooks.c
 * only forward here; accept/close accounting is in acct.c.
 *
 * Rules every function follows: the caller's return value and errno are
 * what libc gave, unless REUSEPORT_STRICT=1 turns a steering failure into a
 * failed call; fds the shim opens are closed before it returns.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "real.h"
#include "shim.h"
#include "shim_impl.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif

struct rp_config rp_cfg;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Registration (dlopen, pins, slot claims) is rare and serialised. */
pthread_mutex_t rp_reg_lock = PTHREAD_MUTEX_INITIALIZER;
__thread int rp_in_shim __attribute__((tls_model("initial-exec")));
uint32_t rp_my_pid;

static const char *env_get(const char *name)
{
	return getenv(name);
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&rp_reg_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&rp_reg_lock);
}

static void atfork_child(void)
{
	pthread_mutex_unlock(&rp_reg_lock);
	__atomic_fetch_add(&rp_forkgen, 1, __ATOMIC_RELAXED);
	rp_acct_after_fork();
	__atomic_store_n(&rp_my_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
}

static void init_once_fn(void)
{
	int saved = errno;

	rp_in_shim++;
	rp_real_init();
	rp_config_parse(&rp_cfg, env_get, getauxval(AT_SECURE) != 0);
	rp_log_setup(rp_cfg.log_level, rp_cfg.log_file, true);
	if (rp_cfg.notice[0])
		pr_debug("event=config notice=\"%s\"", rp_cfg.notice);
	if (rp_cfg.invalid)
		pr_err("event=config_invalid error=\"%s\" action=\"%s\"",
		       rp_cfg.error,
		       rp_cfg.strict ?
			       "REUSEPORT_STRICT=1: binds and listens in scope fail with EINVAL" :
			       "pass-through, no steering");
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	rp_my_pid = (uint32_t)getpid();
	rp_adopt_passed_sockets();
	rp_in_shim--;
	errno = saved;
}

void rp_init(void)
{
	/* a hooked call made while this thread initialises passes through */
	if (__builtin_expect(rp_in_shim, 0))
		return;
	pthread_once(&init_once, init_once_fn);
}

/*
 * Nothing else happens at load: LD_PRELOAD reaches every child a server
 * spawns (CGI, shells, `nginx -t`), and a process that never calls a hooked
 * function should not pay for symbol lookups or parsing. Only sockets
 * passed by systemd must be adopted before the program uses them.
 */
__attribute__((constructor)) static void rp_constructor(void)
{
	if (getenv("LISTEN_FDS"))
		rp_init();
}

static bool bypass(void)
{
	rp_init();
	return rp_in_shim || rp_cfg.disabled;
}

/* Kind of an INET socket (RP_FD_TCP / RP_FD_UDP), 0 for anything else. */
uint32_t rp_classify(int domain, int type, int protocol)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET && domain != AF_INET6)
		return 0;
	if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		return RP_FD_TCP;
	if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		return RP_FD_UDP;
	return 0;
}

/* Entry of fd, classified by asking the kernel if the shim never saw it. */
uint32_t rp_sock_kind(int fd, struct rp_fdent *e)
{
	int domain, type, proto;
	socklen_t len = sizeof(int);

	rp_fd_get(fd, e);
	if (e->flags & RP_FD_KNOWN)
		return e->flags & (RP_FD_TCP | RP_FD_UDP);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return 0;
	len = sizeof(int);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return 0;
	len = sizeof(int);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0)
		return 0;
	e->flags = rp_classify(domain, type, proto) | RP_FD_KNOWN;
	e->forkgen = rp_forkgen;
	rp_fd_set(fd, e);
	return e->flags & (RP_FD_TCP | RP_FD_UDP);
}

uint16_t rp_port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

bool rp_addr_ok(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < sizeof(sa_family_t))
		return false;
	if (sa->sa_family == AF_INET)
		return len >= sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return len >= sizeof(struct sockaddr_in6);
	return false;
}

static void apply_swallowed(int fd, struct rp_fdent *e)
{
	int zero = 0;

	if (!(e->flags & RP_FD_SWALLOWED))
		return;
	libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof(zero));
	e->flags &= ~RP_FD_SWALLOWED;
	rp_fd_set(fd, e);
}

bool rp_in_scope(uint32_t kind, const struct sockaddr *sa)
{
	uint16_t port = rp_port_of(sa);

	return port != 0 &&
	       rp_config_port_in_scope(
		       &rp_cfg, kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP,
		       port) &&
	       rp_config_addr_in_scope(&rp_cfg, sa);
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
	int fd = libc.socket(domain, type, protocol);

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
		return libc.bind(fd, sa, len);
	kind = rp_sock_kind(fd, &e);
	if (!kind)
		return libc.bind(fd, sa, len);
	if (rp_port_of(sa) == 0) {
		/*
		 * An ephemeral port is private to this socket: no group, no
		 * forced flag, also at its later listen().
		 */
		apply_swallowed(fd, &e);
		ret = libc.bind(fd, sa, len);
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
		return libc.bind(fd, sa, len);
	}
	if (!rp_in_scope(kind, sa)) {
		apply_swallowed(fd, &e);
		return libc.bind(fd, sa, len);
	}

	rp_in_shim++;
	libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* TCP registers at listen; a UDP socket is a member from bind on */
	if (kind == RP_FD_UDP) {
		ret = rp_register_bind(fd, kind, sa, len, &e);
	} else {
		ret = libc.bind(fd, sa, len);
		saved = errno;
		/* open the group now: the listen may come after a setuid */
		if (ret == 0 && !(e.flags & RP_FD_APP_PROG))
			rp_register_hold(fd, kind, sa);
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
		return libc.listen(fd, backlog);
	if (rp_sock_kind(fd, &e) != RP_FD_TCP || (e.flags & RP_FD_EPHEMERAL) ||
	    getsockname(fd, sa, &len) != 0 || !rp_addr_ok(sa, len) ||
	    rp_port_of(sa) == 0)
		return libc.listen(fd, backlog);
	if (rp_cfg.invalid)
		return rp_cfg.strict ? strict_invalid("listen") :
				       libc.listen(fd, backlog);
	if (!rp_in_scope(RP_FD_TCP, sa))
		return libc.listen(fd, backlog);

	rp_in_shim++;
	/* A socket bound before the shim saw it: the flag still counts at listen. */
	libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	ret = rp_register_listen(fd, sa, backlog, &e);
	saved = errno;
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
	    libc.getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, &olen) == 0 &&
	    on && getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
	    rp_addr_ok((struct sockaddr *)&ss, slen) &&
	    rp_port_of((struct sockaddr *)&ss) != 0) {
		/* bound, and the flag is ours, not the application's */
		errno = EINVAL;
		return -1;
	}
	ret = libc.setsockopt(fd, SOL_SOCKET, name, val, len);
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
		return libc.setsockopt(fd, level, name, val, len);
	if (name != SO_REUSEPORT)
		return app_program(fd, &e, name, val, len);
	if (!val || len < sizeof(int))
		return libc.setsockopt(fd, level, name, val, len);
	if (*(const int *)val) {
		int ret = libc.setsockopt(fd, level, name, val, len);
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
		return libc.setsockopt(fd, level, name, val, len);
	e.flags |= RP_FD_SWALLOWED;
	rp_fd_set(fd, &e);
	pr_debug("event=swallow fd=%d option=SO_REUSEPORT value=0", fd);
	return 0;
}

int rp_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	bool skip = bypass();
	int ret = libc.getsockopt(fd, level, name, val, len);
	struct rp_fdent e;

	if (ret == 0 && level == SOL_SOCKET && name == SO_REUSEPORT && val &&
	    len && *len >= sizeof(int) && !skip && rp_fd_get(fd, &e) &&
	    (e.flags & (RP_FD_SWALLOWED | RP_FD_MEMBER)))
		*(int *)val = 1;
	return ret;
}

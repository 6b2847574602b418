// SPDX-License-Identifier: MIT
/*
 * What every part of the interposer stands on: the parsed environment,
 * the registration lock and its fork handlers, the "inside the shim" flag,
 * lazy initialisation, and what a socket is (kind, port, scope).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "real.h"
#include "shim_impl.h"
#include "sys.h"

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
	if (libc_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return 0;
	len = sizeof(int);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return 0;
	len = sizeof(int);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0)
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

/*
 * A UDP port in the kernel's ephemeral range (ip_local_port_range) is a
 * client's: resolvers (unbound, named) bind their random outgoing ports
 * explicitly, and each would become a group. Left alone unless
 * REUSEPORT_PORTS names it. Read once: a bind path, never accept's.
 */
static bool client_udp_port(uint16_t port)
{
	static uint16_t lo, hi;
	static int known; /* 0 not read, 1 read, -1 unreadable */

	if (!rp_cfg.all_ports)
		return false;
	if (!__atomic_load_n(&known, __ATOMIC_ACQUIRE)) {
		uint16_t l, h;
		int k = rp_ephemeral_ports(&l, &h) ? 1 : -1;

		lo = l;
		hi = h;
		__atomic_store_n(&known, k, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&known, __ATOMIC_ACQUIRE) > 0 && port >= lo &&
	       port <= hi;
}

bool rp_in_scope(uint32_t kind, const struct sockaddr *sa)
{
	uint16_t port = rp_port_of(sa);

	return port != 0 &&
	       rp_config_port_in_scope(
		       &rp_cfg, kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP,
		       port) &&
	       !(kind == RP_FD_UDP && client_udp_port(port)) &&
	       rp_config_addr_in_scope(&rp_cfg, sa);
}

// SPDX-License-Identifier: MIT
/*
 * The interposer's logic: classify sockets, force SO_REUSEPORT before bind,
 * register listening/bound sockets in their group after the real call, keep
 * accept/close accounting. The exported symbols in hooks.c only forward here.
 *
 * Rules every function follows: the caller's return value and errno are
 * what libc gave, unless REUSEPORT_STRICT=1 turns a steering failure into a
 * failed call; fds the shim opens are closed before it returns.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fdtab.h"
#include "group.h"
#include "log.h"
#include "real.h"
#include "shim.h"

#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

#define STEER_LIB "libreuseport-steer.so"

static struct rp_config cfg;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Registration (dlopen, pins, slot claims) is rare and serialised. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct rp_steer_api *steer;
static bool steer_failed;

/*
 * Set while the shim runs its own (or libbpf's) socket calls, so those
 * reach libc untouched.
 */
static __thread int in_shim __attribute__((tls_model("initial-exec")));

static const char *env_get(const char *name)
{
	return getenv(name);
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
}

/*
 * This process's entries in slots' acct_pid/acct_active (leastconn
 * accounting), given back at exit so a finished process leaves no load.
 */
#define MAX_ACCT 64
static struct {
	struct rp_slot *slot;
	int idx;
} acct_list[MAX_ACCT];
static unsigned int nacct;
static uint32_t my_pid;

static void atfork_child(void)
{
	pthread_mutex_unlock(&reg_lock);
	__atomic_fetch_add(&rp_forkgen, 1, __ATOMIC_RELAXED);
	/* the parent's entries stay the parent's */
	__atomic_store_n(&nacct, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&my_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
}

static void adopt_passed_sockets(void);

static void init_once_fn(void)
{
	int saved = errno;

	in_shim++;
	rp_real_init();
	rp_config_parse(&cfg, env_get, getauxval(AT_SECURE) != 0);
	rp_log_setup(cfg.log_level, cfg.log_file);
	if (cfg.notice[0])
		pr_debug("event=config notice=\"%s\"", cfg.notice);
	if (cfg.invalid)
		pr_err("event=config_invalid error=\"%s\" action=\"%s\"",
		       cfg.error,
		       cfg.strict ?
			       "REUSEPORT_STRICT=1: binds and listens in scope fail with EINVAL" :
			       "pass-through, no steering");
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	my_pid = (uint32_t)getpid();
	adopt_passed_sockets();
	in_shim--;
	errno = saved;
}

void rp_init(void)
{
	/* a hooked call made while this thread initialises passes through */
	if (__builtin_expect(in_shim, 0))
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
	return in_shim || cfg.disabled;
}

static const char *errno_name(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOSPC:
		return "ENOSPC";
	case ENOMEDIUM:
		return "ENOMEDIUM";
	case EPROTO:
		return "EPROTO";
	case ELIBACC:
		return "ELIBACC";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case ENOMEM:
		return "ENOMEM";
	case EBUSY:
		return "EBUSY";
	default:
		return strerrorname_np(err) ? strerrorname_np(err) : "EIO";
	}
}

/* Kind of an INET socket (RP_FD_TCP / RP_FD_UDP), 0 for anything else. */
static uint32_t classify(int domain, int type, int protocol)
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
static uint32_t sock_kind(int fd, struct rp_fdent *e)
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
	e->flags = classify(domain, type, proto) | RP_FD_KNOWN;
	e->forkgen = rp_forkgen;
	rp_fd_set(fd, e);
	return e->flags & (RP_FD_TCP | RP_FD_UDP);
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static bool addr_ok(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < sizeof(sa_family_t))
		return false;
	if (sa->sa_family == AF_INET)
		return len >= sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return len >= sizeof(struct sockaddr_in6);
	return false;
}

static int make_key(int fd, uint32_t kind, const struct sockaddr *sa,
		    struct rp_group_key *key)
{
	int v6only = 0, ifindex = 0;
	socklen_t len = sizeof(int);

	memset(key, 0, sizeof(*key));
	key->proto = kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	key->family = sa->sa_family;
	key->port = port_of(sa);
	if (sa->sa_family == AF_INET6 &&
	    libc.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) != 0)
		v6only = 0;
	len = sizeof(int);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len) !=
	    0)
		ifindex = 0;
	return rp_group_name(key->name, sizeof(key->name), key->proto, sa,
			     v6only != 0, ifindex) < 0 ?
		       -EINVAL :
		       0;
}

static const struct rp_steer_api *load_steer(void)
{
	char path[PATH_MAX];
	const struct rp_steer_api *api;
	Dl_info info;
	void *h;
	char *slash;

	if (steer || steer_failed)
		return steer;
	steer_failed = true;
	if (!dladdr((void *)rp_init, &info) || !info.dli_fname) {
		pr_warn("event=fallback reason=\"cannot locate libreuseport.so to find %s\"",
			STEER_LIB);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s", info.dli_fname);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path),
			 "%s", STEER_LIB);
	else
		snprintf(path, sizeof(path), "%s", STEER_LIB);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		pr_warn("event=fallback errno=ELIBACC reason=\"cannot load the steering library: %s\" action=\"plain SO_REUSEPORT (kernel hash)\"",
			dlerror());
		return NULL;
	}
	api = dlsym(h, RP_STEER_API_SYMBOL);
	if (!api || api->abi != RP_STEER_ABI ||
	    api->state_size != sizeof(struct rp_state)) {
		pr_warn("event=fallback errno=ELIBACC reason=\"%s does not match this libreuseport.so (reinstall both together)\" action=\"plain SO_REUSEPORT (kernel hash)\"",
			path);
		return NULL;
	}
	api->init(&cfg);
	steer = api;
	steer_failed = false;
	return steer;
}

/*
 * Warn once per group and process: a server that listens many times on one
 * port (or restarts its listener) must not flood the log.
 */
static bool first_warning(const char *name)
{
	static char warned[16][96];
	static unsigned int nwarned;
	unsigned int i;

	for (i = 0; i < nwarned && i < 16; i++)
		if (!strcmp(warned[i], name))
			return false;
	if (nwarned < 16)
		snprintf(warned[nwarned++], sizeof(warned[0]), "%s", name);
	return true;
}

static const char *reason_of(int err)
{
	if (err == -ELIBACC || !steer)
		return "reason=\"the steering library is not available\"";
	return steer->last_error();
}

/* Open or create the group before the kernel state changes. Locked. */
static int prepare(const struct rp_group_key *key, struct rp_state **st)
{
	*st = NULL;
	if (!load_steer())
		return -ELIBACC;
	return steer->prepare(&cfg, key, st);
}

static void report(const struct rp_group_key *key, const char *call, int err,
		   const char *action)
{
	if (cfg.strict)
		pr_err("event=strict_fail group=%s call=%s errno=%s %s",
		       key->name, call, errno_name(-err), reason_of(err));
	else if (first_warning(key->name))
		pr_warn("event=fallback group=%s errno=%s %s action=\"%s\"",
			key->name, errno_name(-err), reason_of(err), action);
}

/*
 * Register fd after the real listen()/bind() succeeded. On failure the
 * socket is still a member of the kernel group but not steerable, so make
 * sure it is not starved: mark the group unsteered (the program then lets
 * the kernel hash over all members) or, without access to the group's
 * state, detach the program from the kernel group.
 */
static int join(int fd, const struct rp_group_key *key, struct rp_state *st,
		struct rp_fdent *e, const char *call)
{
	struct rp_member m;
	int err, zero = 0;

	err = steer->join(&cfg, key, fd, &m);
	if (!err) {
		e->flags |= RP_FD_MEMBER;
		e->flags &= ~RP_FD_UNSTEERED;
		e->slot = m.slotp;
		e->state = m.state;
		e->forkgen = rp_forkgen;
		rp_fd_set(fd, e);
		pr_info("event=attach group=%s slot=%d policy=%s%s", key->name,
			m.slot, rp_policy_name(m.state->hdr.policy),
			m.already ? " already=1" : "");
		return 0;
	}
	if (st && err == -ENOSPC) {
		steer->unsteered(st, my_pid, true);
		e->flags |= RP_FD_UNSTEERED;
		e->state = st;
		e->forkgen = rp_forkgen;
		rp_fd_set(fd, e);
		report(key, call, err,
		       "group switched to kernel hash while this member is outside the map");
	} else {
		libc.setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero,
				sizeof(zero));
		report(key, call, err,
		       "plain SO_REUSEPORT (kernel hash) for the whole port group");
	}
	return err;
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

static bool in_scope(uint32_t kind, const struct sockaddr *sa)
{
	uint16_t port = port_of(sa);

	return port != 0 &&
	       rp_config_port_in_scope(
		       &cfg, kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP,
		       port) &&
	       rp_config_addr_in_scope(&cfg, sa);
}

static int strict_invalid(const char *call)
{
	pr_err("event=strict_fail call=%s errno=EINVAL error=\"%s\"", call,
	       cfg.error);
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
	e.flags = classify(domain, type, protocol) | RP_FD_KNOWN;
	e.forkgen = rp_forkgen;
	rp_fd_set(fd, &e);
	return fd;
}

int rp_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct rp_state *st = NULL;
	struct rp_group_key key;
	struct rp_fdent e;
	int one = 1, ret, saved, err = 0;
	uint32_t kind;

	if (bypass() || !addr_ok(sa, len))
		return libc.bind(fd, sa, len);
	kind = sock_kind(fd, &e);
	if (!kind)
		return libc.bind(fd, sa, len);
	if (port_of(sa) == 0 || cfg.invalid) {
		if (cfg.invalid && cfg.strict && port_of(sa) != 0)
			return strict_invalid("bind");
		apply_swallowed(fd, &e);
		return libc.bind(fd, sa, len);
	}
	if (!in_scope(kind, sa)) {
		apply_swallowed(fd, &e);
		return libc.bind(fd, sa, len);
	}

	in_shim++;
	libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (kind == RP_FD_UDP) {
		pthread_mutex_lock(&reg_lock);
		err = make_key(fd, kind, sa, &key);
		if (!err)
			err = prepare(&key, &st);
		if (err && cfg.strict) {
			report(&key, "bind", err, "");
			pthread_mutex_unlock(&reg_lock);
			in_shim--;
			errno = -err;
			return -1;
		}
	}
	ret = libc.bind(fd, sa, len);
	saved = errno;
	if (kind == RP_FD_UDP) {
		if (ret == 0) {
			if (err)
				report(&key, "bind", err,
				       "plain SO_REUSEPORT (kernel hash)");
			else
				err = join(fd, &key, st, &e, "bind");
			if (err && cfg.strict) {
				ret = -1;
				saved = -err;
			}
		}
		pthread_mutex_unlock(&reg_lock);
	}
	in_shim--;
	errno = saved;
	return ret;
}

int rp_listen(int fd, int backlog)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	struct rp_state *st = NULL;
	struct rp_group_key key;
	struct rp_fdent e;
	int one = 1, ret, saved, err;

	if (bypass())
		return libc.listen(fd, backlog);
	if (sock_kind(fd, &e) != RP_FD_TCP || getsockname(fd, sa, &len) != 0 ||
	    !addr_ok(sa, len) || port_of(sa) == 0)
		return libc.listen(fd, backlog);
	if (cfg.invalid)
		return cfg.strict ? strict_invalid("listen") :
				    libc.listen(fd, backlog);
	if (!in_scope(RP_FD_TCP, sa))
		return libc.listen(fd, backlog);

	in_shim++;
	pthread_mutex_lock(&reg_lock);
	/* A socket bound before the shim saw it: the flag still counts at listen. */
	libc.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	err = make_key(fd, RP_FD_TCP, sa, &key);
	if (!err)
		err = prepare(&key, &st);
	if (err && cfg.strict) {
		report(&key, "listen", err, "");
		ret = -1;
		saved = -err;
		goto out;
	}
	ret = libc.listen(fd, backlog);
	saved = errno;
	if (ret == 0) {
		if (err)
			report(&key, "listen", err,
			       "plain SO_REUSEPORT (kernel hash)");
		else
			err = join(fd, &key, st, &e, "listen");
		if (err && cfg.strict) {
			ret = -1;
			saved = -err;
		}
	}
out:
	pthread_mutex_unlock(&reg_lock);
	in_shim--;
	errno = saved;
	return ret;
}

/*
 * systemd socket activation (LISTEN_FDS/LISTEN_PID): the sockets arrive
 * bound and listening, so the bind/listen hooks never see them. Register
 * the ones in scope now. They need ReusePort=yes in the .socket unit.
 */
static void adopt_passed_sockets(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	struct rp_state *st;
	struct rp_group_key key;
	struct rp_fdent e;
	long n;
	int fd, on, err;
	socklen_t len;

	if (!pid || !fds || cfg.disabled || cfg.invalid ||
	    strtol(pid, NULL, 10) != (long)getpid())
		return;
	n = strtol(fds, NULL, 10);
	for (fd = 3; n > 0 && n <= 4096 && fd < 3 + n; fd++) {
		uint32_t kind = sock_kind(fd, &e);

		len = sizeof(ss);
		if (!kind || getsockname(fd, sa, &len) != 0 ||
		    !addr_ok(sa, len) || !in_scope(kind, sa))
			continue;
		on = 0;
		len = sizeof(on);
		if (kind == RP_FD_TCP &&
		    (libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on,
				     &len) ||
		     !on))
			continue; /* the listen hook will see it */
		pthread_mutex_lock(&reg_lock);
		err = make_key(fd, kind, sa, &key);
		if (!err)
			err = prepare(&key, &st);
		if (err)
			report(&key, "systemd", err,
			       "plain SO_REUSEPORT (kernel hash)");
		else
			join(fd, &key, st, &e, "systemd");
		pthread_mutex_unlock(&reg_lock);
	}
}

static void dec_positive(__s64 *p)
{
	__s64 cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur > 0 &&
	       !__atomic_compare_exchange_n(p, &cur, cur - 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void dec_positive_s32(__s32 *p)
{
	__s32 cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur > 0 &&
	       !__atomic_compare_exchange_n(p, &cur, cur - 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* This process's acct entry in slot s, claimed on first use; -1 if full. */
static int acct_index(struct rp_slot *s)
{
	uint32_t pid = __atomic_load_n(&my_pid, __ATOMIC_RELAXED);
	unsigned int n;

	for (int k = 0; k < RP_ACCT_PIDS; k++)
		if (__atomic_load_n(&s->acct_pid[k], __ATOMIC_RELAXED) == pid)
			return k;
	for (int k = 0; k < RP_ACCT_PIDS; k++) {
		uint32_t zero = 0;

		if (!__atomic_compare_exchange_n(&s->acct_pid[k], &zero, pid,
						 false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			continue;
		n = __atomic_fetch_add(&nacct, 1, __ATOMIC_RELAXED);
		if (n < MAX_ACCT) {
			acct_list[n].slot = s;
			acct_list[n].idx = k;
		}
		return k;
	}
	return -1;
}

/* Accept path: memory operations only, never a system call. */
int rp_accepted(int lfd, int fd)
{
	struct rp_fdent l, a = { 0 };
	int idx;

	if (fd < 0) {
		/* An empty accept queue: nothing is queued on this slot. */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    rp_fd_get(lfd, &l) && (l.flags & RP_FD_MEMBER) && l.slot)
			__atomic_store_n(&l.slot->queued, 0, __ATOMIC_RELAXED);
		return fd;
	}
	if (!rp_fd_get(lfd, &l) || !(l.flags & RP_FD_MEMBER) || !l.slot) {
		rp_fd_clear(fd);
		return fd;
	}
	idx = acct_index(l.slot);
	a.flags = RP_FD_ACCEPTED | RP_FD_KNOWN |
		  (l.flags & (RP_FD_TCP | RP_FD_UDP)) |
		  (uint32_t)(idx + 1) << RP_FD_ACCT_SHIFT;
	a.forkgen = rp_forkgen;
	a.slot = l.slot;
	a.state = l.state;
	rp_fd_set(fd, &a);
	__atomic_fetch_add(&l.slot->accepted, 1, __ATOMIC_RELAXED);
	dec_positive(&l.slot->queued);
	__atomic_fetch_add(&l.slot->active, 1, __ATOMIC_RELAXED);
	if (idx >= 0)
		__atomic_fetch_add(&l.slot->acct_active[idx], 1,
				   __ATOMIC_RELAXED);
	return fd;
}

/* Normal exit: this process's open connections no longer count. */
__attribute__((destructor)) static void rp_destructor(void)
{
	unsigned int n = __atomic_load_n(&nacct, __ATOMIC_RELAXED);

	if (n > MAX_ACCT)
		n = MAX_ACCT;
	for (unsigned int i = 0; i < n; i++) {
		struct rp_slot *s = acct_list[i].slot;
		uint32_t pid = __atomic_load_n(&my_pid, __ATOMIC_RELAXED);
		int32_t mine;
		__s64 cur;

		if (__atomic_load_n(&s->acct_pid[acct_list[i].idx],
				    __ATOMIC_RELAXED) != pid)
			continue;
		mine = __atomic_exchange_n(&s->acct_active[acct_list[i].idx], 0,
					   __ATOMIC_RELAXED);
		cur = __atomic_load_n(&s->active, __ATOMIC_RELAXED);
		while (mine > 0 &&
		       !__atomic_compare_exchange_n(
			       &s->active, &cur, cur > mine ? cur - mine : 0,
			       false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
		__atomic_store_n(&s->acct_pid[acct_list[i].idx], 0,
				 __ATOMIC_RELAXED);
	}
}

/* An fd is going away (close, or replaced by dup2/dup3). */
static void forget(const struct rp_fdent *e)
{
	if (e->forkgen != __atomic_load_n(&rp_forkgen, __ATOMIC_RELAXED))
		return;
	if ((e->flags & RP_FD_ACCEPTED) && e->slot) {
		int idx = (int)((e->flags & RP_FD_ACCT_MASK) >>
				RP_FD_ACCT_SHIFT) -
			  1;

		dec_positive(&e->slot->active);
		if (idx >= 0)
			dec_positive_s32(&e->slot->acct_active[idx]);
	}
	if ((e->flags & RP_FD_UNSTEERED) && e->state && steer)
		steer->unsteered(e->state, my_pid, false);
}

void rp_closing(int fd)
{
	struct rp_fdent e;

	/* Cleared before the real close: the number may be reused at once. */
	if (rp_fd_get(fd, &e)) {
		rp_fd_clear(fd);
		forget(&e);
	}
}

/*
 * newfd now refers to oldfd's socket. Socket-level facts carry over;
 * accounting stays with the original fd so a connection is counted once.
 */
int rp_duped(int oldfd, int newfd, bool replaced)
{
	struct rp_fdent e, old;

	if (newfd < 0 || newfd == oldfd)
		return newfd;
	if (replaced && rp_fd_get(newfd, &old))
		forget(&old);
	if (!rp_fd_get(oldfd, &e)) {
		rp_fd_clear(newfd);
		return newfd;
	}
	e.flags &= RP_FD_TCP | RP_FD_UDP | RP_FD_KNOWN | RP_FD_SWALLOWED |
		   RP_FD_MEMBER;
	e.forkgen = rp_forkgen;
	if (!(e.flags & RP_FD_MEMBER)) {
		e.slot = NULL;
		e.state = NULL;
	}
	rp_fd_set(newfd, &e);
	return newfd;
}

int rp_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct rp_fdent e;

	if (bypass() || level != SOL_SOCKET || name != SO_REUSEPORT ||
	    cfg.invalid || !val || len < sizeof(int) || !sock_kind(fd, &e))
		return libc.setsockopt(fd, level, name, val, len);
	if (*(const int *)val) {
		if (e.flags & RP_FD_SWALLOWED) {
			e.flags &= ~RP_FD_SWALLOWED;
			rp_fd_set(fd, &e);
		}
		return libc.setsockopt(fd, level, name, val, len);
	}
	/*
	 * SO_REUSEPORT=0 would make the bind to a shared port fail. Before
	 * bind the port is unknown: remember the wish and apply it at bind if
	 * the port turns out to be out of scope.
	 */
	if (e.flags & RP_FD_MEMBER)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
	    addr_ok((struct sockaddr *)&ss, slen) &&
	    port_of((struct sockaddr *)&ss) != 0)
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

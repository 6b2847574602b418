// SPDX-License-Identifier: MIT
/*
 * Registration: a socket the application made listen (TCP) or bound (UDP)
 * on a port in scope joins its group through libreuseport-steer.so, which
 * is loaded on the first registration. Every failure after the kernel call
 * leaves the group in a state where no member is starved, and says so in
 * one line (once per group and process).
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
#include <unistd.h>

#include "group.h"
#include "log.h"
#include "names.h"
#include "real.h"
#include "registry_names.h"
#include "shim.h"
#include "shim_impl.h"

#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

#define STEER_LIB "libreuseport-steer.so"

static const struct rp_steer_api *steer;
static bool steer_failed;

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

static int make_key(int fd, uint32_t kind, const struct sockaddr *sa,
		    struct rp_group_key *key)
{
	int v6only = 0, ifindex = 0;
	socklen_t len = sizeof(int);

	memset(key, 0, sizeof(*key));
	key->proto = kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	key->family = sa->sa_family;
	key->port = rp_port_of(sa);
	if (sa->sa_family == AF_INET6 &&
	    libc.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) != 0)
		v6only = 0;
	len = sizeof(int);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len) !=
	    0)
		ifindex = 0;
	memcpy(&key->addr, sa,
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in));
	key->ifindex = ifindex;
	key->v6only = v6only != 0;
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
	api->init(&rp_cfg);
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

static void report(const struct rp_group_key *key, const char *call, int err,
		   const char *action)
{
	if (rp_cfg.strict)
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
static void detach(int fd)
{
	int zero = 0;

	libc.setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero,
			sizeof(zero));
}

/*
 * Groups of this process whose program the application attached itself
 * (SO_ATTACH_REUSEPORT_CBPF/EBPF): never registered, never attached to.
 */
#define MAX_APP_GROUPS 16
static char app_groups[MAX_APP_GROUPS][96];
static unsigned int napp_groups;

static bool app_group(const char *name)
{
	for (unsigned int i = 0; i < napp_groups; i++)
		if (!strcmp(app_groups[i], name))
			return true;
	return false;
}

/* Locked. */
static void add_app_group(const char *name)
{
	if (app_group(name))
		return;
	if (napp_groups < MAX_APP_GROUPS)
		snprintf(app_groups[napp_groups++], sizeof(app_groups[0]), "%s",
			 name);
	pr_warn("event=app_program group=%s action=\"the application's own reuseport program is kept; libreuseport does not steer this group in this process\"",
		name);
}

void rp_register_app_program(int fd, struct rp_fdent *e)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	struct rp_group_key key;
	uint32_t kind = e->flags & (RP_FD_TCP | RP_FD_UDP);

	/* Not bound yet: the fd's flag keeps it out at bind/listen. */
	if (getsockname(fd, sa, &len) != 0 || !rp_addr_ok(sa, len) ||
	    rp_port_of(sa) == 0 || make_key(fd, kind, sa, &key))
		return;
	pthread_mutex_lock(&rp_reg_lock);
	add_app_group(key.name);
	pthread_mutex_unlock(&rp_reg_lock);
}

/*
 * Groups opened at a TCP bind, for the listen that follows: a server that
 * drops privileges in between (varnish's jail, squid) could not open root's
 * pins any more. The fds are O_CLOEXEC and marked in the fd table, so an
 * application that closes them (a daemon closing every fd) is noticed.
 */
#define MAX_HELD 32
static struct {
	int sock; /* -1: free */
	struct rp_handle h;
} held[MAX_HELD] = { [0 ... MAX_HELD - 1] = { .sock = -1 } };

static void mark_held(int fd, bool on)
{
	struct rp_fdent e = { .flags = RP_FD_HELD | RP_FD_KNOWN };

	if (on)
		rp_fd_set(fd, &e);
	else
		rp_fd_clear(fd);
}

static void release(struct rp_handle *h)
{
	mark_held(h->socks_fd, false);
	mark_held(h->prog_fd, false);
	steer->close(h);
}

/* Locked. The handle held for socket sock, if any (taken out). */
static bool take_held(int sock, struct rp_handle *h)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i].sock == sock) {
			*h = held[i].h;
			held[i].sock = -1;
			return true;
		}
	return false;
}

/* Open or create the group before the kernel state changes. Locked. */
static int prepare(int fd, const struct rp_group_key *key, struct rp_handle *h)
{
	memset(h, 0, sizeof(*h));
	h->socks_fd = h->prog_fd = -1;
	if (!load_steer())
		return -ELIBACC;
	if (take_held(fd, h)) {
		/* attach() checks the ids too: numbers reused behind us */
		if (h->socks_fd >= 0 && h->prog_fd >= 0)
			return 0;
		release(h);
	}
	return steer->open(&rp_cfg, key, h);
}

void rp_register_hold(int fd, uint32_t kind, const struct sockaddr *sa)
{
	struct rp_group_key key;
	struct rp_handle h;
	struct rp_fdent e;
	int i;

	pthread_mutex_lock(&rp_reg_lock);
	if (make_key(fd, kind, sa, &key) || app_group(key.name) ||
	    !load_steer())
		goto out;
	for (i = 0; i < MAX_HELD && held[i].sock >= 0; i++)
		;
	if (i == MAX_HELD || take_held(fd, &h))
		goto out;
	/* a failure here is retried, and reported, at listen */
	if (steer->open(&rp_cfg, &key, &h))
		goto out;
	held[i].sock = fd;
	held[i].h = h;
	mark_held(h.socks_fd, true);
	mark_held(h.prog_fd, true);
	if (rp_fd_get(fd, &e)) {
		e.flags |= RP_FD_HOLDING;
		rp_fd_set(fd, &e);
	}
out:
	pthread_mutex_unlock(&rp_reg_lock);
}

void rp_register_forget_sock(int sock)
{
	struct rp_handle h;

	pthread_mutex_lock(&rp_reg_lock);
	if (take_held(sock, &h))
		release(&h);
	pthread_mutex_unlock(&rp_reg_lock);
}

/*
 * The application is about to dup2() onto a number that holds one of the
 * shim's fds (a daemon pointing every fd at /dev/null): move ours out of
 * the way first, high up, so its group is still open at listen.
 */
#define HELD_FD_FLOOR 512
void rp_register_before_dup2(int newfd)
{
	struct rp_fdent e;
	int moved;

	if (rp_in_shim || !rp_fd_get(newfd, &e) || !(e.flags & RP_FD_HELD))
		return;
	pthread_mutex_lock(&rp_reg_lock);
	moved = libc.fcntl(newfd, F_DUPFD_CLOEXEC, HELD_FD_FLOOR);
	if (moved >= 0) {
		mark_held(moved, true);
		for (int i = 0; i < MAX_HELD; i++) {
			if (held[i].sock < 0)
				continue;
			if (held[i].h.socks_fd == newfd)
				held[i].h.socks_fd = moved;
			if (held[i].h.prog_fd == newfd)
				held[i].h.prog_fd = moved;
		}
		/* the number is the application's now */
		rp_fd_clear(newfd);
	}
	pthread_mutex_unlock(&rp_reg_lock);
}

void rp_register_held_closed(int fd)
{
	pthread_mutex_lock(&rp_reg_lock);
	for (int i = 0; i < MAX_HELD; i++) {
		if (held[i].sock < 0)
			continue;
		if (held[i].h.socks_fd == fd)
			held[i].h.socks_fd = -1;
		if (held[i].h.prog_fd == fd)
			held[i].h.prog_fd = -1;
	}
	pthread_mutex_unlock(&rp_reg_lock);
}

static int join(int fd, const struct rp_group_key *key, struct rp_handle *h,
		struct rp_fdent *e, const char *call)
{
	struct rp_state *st = h->st;
	struct rp_member m;
	int err;

	err = steer->attach(&rp_cfg, key, fd, h, &m);
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
		steer->unsteered(st, rp_my_pid, true);
		e->flags |= RP_FD_UNSTEERED;
		e->state = st;
		e->forkgen = rp_forkgen;
		rp_fd_set(fd, e);
		report(key, call, err,
		       "group switched to kernel hash while this member is outside the map");
	} else {
		detach(fd);
		report(key, call, err,
		       "plain SO_REUSEPORT (kernel hash) for the whole port group");
	}
	return err;
}

enum op { OP_NONE, OP_BIND, OP_LISTEN };

/* The kernel call a registration wraps. */
struct call {
	enum op op;
	const char *name; /* for log lines: bind, listen, systemd */
	const struct sockaddr *sa;
	socklen_t len;
	int backlog;
};

static int kernel_call(int fd, const struct call *c)
{
	switch (c->op) {
	case OP_BIND:
		return libc.bind(fd, c->sa, c->len);
	case OP_LISTEN:
		return libc.listen(fd, c->backlog);
	case OP_NONE:
		break;
	}
	return 0;
}

/*
 * The one registration path, for UDP binds, TCP listens and sockets passed
 * by systemd: open or create the group before the kernel call (so a strict
 * failure changes nothing), make the call, then join. The caller has forced
 * SO_REUSEPORT and checked the scope; sa is the socket's address.
 */
static int register_around(int fd, uint32_t kind, const struct sockaddr *sa,
			   struct rp_fdent *e, const struct call *c)
{
	struct rp_handle h = { .socks_fd = -1, .prog_fd = -1 };
	struct rp_group_key key;
	int ret, saved, err;

	pthread_mutex_lock(&rp_reg_lock);
	err = make_key(fd, kind, sa, &key);
	if (!err && ((e->flags & RP_FD_APP_PROG) || app_group(key.name))) {
		/* the application steers this group itself */
		ret = kernel_call(fd, c);
		saved = errno;
		if (ret == 0 && (e->flags & RP_FD_APP_PROG))
			add_app_group(key.name);
		goto out;
	}
	if (!err)
		err = prepare(fd, &key, &h);
	if (err && rp_cfg.strict) {
		report(&key, c->name, err, "");
		ret = -1;
		saved = -err;
		goto out;
	}
	ret = kernel_call(fd, c);
	saved = errno;
	if (ret == 0) {
		if (err) {
			/*
			 * The socket is in the kernel group now but cannot be
			 * registered: a program that selects only registered
			 * sockets would starve it. Same safe state as a failed
			 * join: no program, kernel hash for every member.
			 */
			detach(fd);
			report(&key, c->name, err,
			       "plain SO_REUSEPORT (kernel hash) for the whole port group");
		} else {
			err = join(fd, &key, &h, e, c->name);
		}
		if (err && rp_cfg.strict) {
			/* strict: the call failed, so the socket leaves the group */
			if (c->op == OP_LISTEN)
				shutdown(fd, SHUT_RDWR);
			ret = -1;
			saved = -err;
		}
	}
out:
	if (h.st)
		release(&h);
	pthread_mutex_unlock(&rp_reg_lock);
	errno = saved;
	return ret;
}

int rp_register_bind(int fd, uint32_t kind, const struct sockaddr *sa,
		     socklen_t len, struct rp_fdent *e)
{
	struct call c = { .op = OP_BIND, .name = "bind", .sa = sa, .len = len };

	return register_around(fd, kind, sa, e, &c);
}

int rp_register_listen(int fd, const struct sockaddr *sa, int backlog,
		       struct rp_fdent *e)
{
	struct call c = { .op = OP_LISTEN,
			  .name = "listen",
			  .backlog = backlog };

	return register_around(fd, RP_FD_TCP, sa, e, &c);
}

/*
 * A listener this process never saw bound or listening (inherited across
 * exec: HAProxy -W reloads, nginx binary upgrades) has its first accept
 * here: if its socket is registered, account for it like our own. Asked
 * once per fd; the answer is kept in the fd table.
 */
void rp_adopt_inherited(int lfd, struct rp_fdent *e)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	struct rp_group_key key;
	struct rp_member m;
	int on = 0;
	socklen_t olen = sizeof(on);

	if (rp_sock_kind(lfd, e) != RP_FD_TCP || rp_cfg.disabled ||
	    rp_cfg.invalid || getsockname(lfd, sa, &len) != 0 ||
	    !rp_addr_ok(sa, len) || !rp_in_scope(RP_FD_TCP, sa) ||
	    libc.getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) || !on)
		return;
	rp_in_shim++;
	pthread_mutex_lock(&rp_reg_lock);
	if (!make_key(lfd, RP_FD_TCP, sa, &key) && load_steer() &&
	    steer->find(&rp_cfg, &key, lfd, &m) == 0) {
		e->flags |= RP_FD_MEMBER;
		e->slot = m.slotp;
		e->state = m.state;
		e->forkgen = rp_forkgen;
		rp_fd_set(lfd, e);
		pr_info("event=adopt group=%s slot=%d reason=\"listener inherited across exec\"",
			key.name, m.slot);
	}
	pthread_mutex_unlock(&rp_reg_lock);
	rp_in_shim--;
}

/* Exit: groups whose last member is this process go away with it. */
__attribute__((destructor)) static void release_groups(void)
{
	if (steer && !rp_in_shim) {
		rp_in_shim++;
		steer->at_exit();
		rp_in_shim--;
	}
}

void rp_register_unsteered_gone(struct rp_state *st)
{
	if (steer)
		steer->unsteered(st, rp_my_pid, false);
}

/*
 * systemd socket activation (LISTEN_FDS/LISTEN_PID): the sockets arrive
 * bound and listening, so the bind/listen hooks never see them. Register
 * the ones in scope now. They need ReusePort=yes in the .socket unit.
 */
void rp_adopt_passed_sockets(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	struct call c = { .op = OP_NONE, .name = "systemd" };
	struct rp_fdent e;
	socklen_t len;
	int fd, on;
	long n;

	if (!pid || !fds || rp_cfg.disabled || rp_cfg.invalid ||
	    strtol(pid, NULL, 10) != (long)getpid())
		return;
	n = strtol(fds, NULL, 10);
	for (fd = 3; n > 0 && n <= 4096 && fd < 3 + n; fd++) {
		uint32_t kind = rp_sock_kind(fd, &e);

		len = sizeof(ss);
		if (!kind || getsockname(fd, sa, &len) != 0 ||
		    !rp_addr_ok(sa, len) || !rp_in_scope(kind, sa))
			continue;
		on = 0;
		len = sizeof(on);
		if (kind == RP_FD_TCP &&
		    (libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on,
				     &len) ||
		     !on))
			continue; /* the listen hook will see it */
		register_around(fd, kind, sa, &e, &c);
	}
}

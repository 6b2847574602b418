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

#include "rawsys.h"
#include "group.h"
#include "log.h"
#include "names.h"
#include "real.h"
#include "registry_names.h"
#include "shim.h"
#include "shim_impl.h"
#include "steal.h"

/* No program on the socket's kernel group: the kernel hash for all. */
void rp_detach(int fd)
{
	int zero = 0;

	libc_setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero,
			sizeof(zero));
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
	    rp_port_of(sa) == 0 || rp_make_key(fd, kind, sa, &key))
		return;
	pthread_mutex_lock(&rp_reg_lock);
	rp_app_group_add(key.name);
	pthread_mutex_unlock(&rp_reg_lock);
}

/*
 * Register fd after the real listen()/bind() succeeded. On failure the
 * socket is still a member of the kernel group but not steerable, so make
 * sure it is not starved: mark the group unsteered (the program then lets
 * the kernel hash over all members) or, without access to the group's
 * state, detach the program from the kernel group.
 */
static int join(int fd, const struct rp_group_key *key, struct rp_handle *h,
		struct rp_fdent *e, const char *call)
{
	struct rp_state *st = h->st;
	struct rp_member m;
	int err;

	err = rp_steer->attach(&rp_cfg, key, fd, h, &m);
	if (!err) {
		e->flags |= RP_FD_MEMBER;
		e->flags &= ~RP_FD_UNSTEERED;
		e->slot = m.slotp;
		e->state = m.state;
		e->forkgen = rp_forkgen;
		rp_fd_set(fd, e);
		rp_steal_note_listener(m.slotp, fd);
		pr_info("event=attach group=%s slot=%d policy=%s%s", key->name,
			m.slot, rp_policy_name(m.state->hot->policy),
			m.already ? " already=1" : "");
		return 0;
	}
	if (st && err == -ENOSPC) {
		rp_steer->unsteered(st, rp_my_pid, true);
		e->flags |= RP_FD_UNSTEERED;
		e->state = st;
		e->forkgen = rp_forkgen;
		rp_fd_set(fd, e);
		rp_report(
			key, call, err,
			"group switched to kernel hash while this member is outside the map");
	} else {
		rp_detach(fd);
		rp_report(
			key, call, err,
			"plain SO_REUSEPORT (kernel hash) for the whole port group");
	}
	return err;
}

static int kernel_call(int fd, const struct call *c)
{
	switch (c->op) {
	case OP_BIND:
		return libc_bind(fd, c->sa, c->len);
	case OP_LISTEN:
		return libc_listen(fd, c->backlog);
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
int rp_register_around(int fd, uint32_t kind, const struct sockaddr *sa,
		       struct rp_fdent *e, const struct call *c)
{
	struct rp_handle h = { .socks_fd = -1, .prog_fd = -1 };
	struct rp_group_key key;
	int ret, saved, err;
	uint64_t joining = 0;

	pthread_mutex_lock(&rp_reg_lock);
	err = rp_make_key(fd, kind, sa, &key);
	if (!err && ((e->flags & RP_FD_APP_PROG) || rp_app_group(key.name))) {
		/* the application steers this group itself */
		rp_hold_drop(fd);
		ret = kernel_call(fd, c);
		saved = errno;
		if (ret == 0 && (e->flags & RP_FD_APP_PROG))
			rp_app_group_add(key.name);
		goto out;
	}
	if (!err)
		err = rp_hold_prepare(fd, &key, &h);
	if (err && rp_cfg.strict) {
		rp_report(&key, c->name, err, "");
		ret = -1;
		saved = -err;
		goto out;
	}
	/* from the call on the socket is in the kernel group: say so first */
	if (!err && h.st)
		joining = rp_steer->joining(h.st, fd);
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
			rp_detach(fd);
			rp_report(
				&key, c->name, err,
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
	if (joining)
		rp_steer->joined(h.st, joining);
	if (h.st)
		rp_hold_release(&h);
	pthread_mutex_unlock(&rp_reg_lock);
	errno = saved;
	return ret;
}

int rp_register_bind(int fd, uint32_t kind, const struct sockaddr *sa,
		     socklen_t len, struct rp_fdent *e)
{
	struct call c = { .op = OP_BIND, .name = "bind", .sa = sa, .len = len };

	return rp_register_around(fd, kind, sa, e, &c);
}

int rp_register_listen(int fd, const struct sockaddr *sa, int backlog,
		       struct rp_fdent *e)
{
	struct call c = { .op = OP_LISTEN,
			  .name = "listen",
			  .backlog = backlog };

	return rp_register_around(fd, RP_FD_TCP, sa, e, &c);
}

void rp_register_leave(int fd, struct rp_fdent *e)
{
	struct rp_state *st = e->state;
	int err;

	pthread_mutex_lock(&rp_reg_lock);
	e->flags &= ~RP_FD_MEMBER;
	e->slot = NULL;
	e->state = NULL;
	rp_fd_set(fd, e);
	err = st ? rp_steer->leave(&rp_cfg, st, fd) : -ENOENT;
	pr_info("event=leave port=%u reason=\"a connected UDP socket is a client's\" errno=%s",
		st ? st->meta->port : 0u, err ? strerrorname_np(-err) : "0");
	pthread_mutex_unlock(&rp_reg_lock);
}

/* Exit: groups whose last member is this process go away with it. */
__attribute__((destructor)) static void release_groups(void)
{
	if (rp_steer && !rp_in_shim) {
		rp_in_shim++;
		rp_steer->at_exit();
		rp_in_shim--;
	}
}

void rp_register_unsteered_gone(struct rp_state *st)
{
	if (rp_steer)
		rp_steer->unsteered(st, rp_my_pid, false);
}

// SPDX-License-Identifier: MIT
/*
 * Connection accounting for leastconn and the supervisor's drain: an
 * accept on a member moves a connection from the slot's queued to its
 * active count, a close takes it out. Memory operations only, never a
 * system call. Each process's share is kept per slot so that it can be
 * given back when the process exits (here) or dies (group GC).
 */
#include <errno.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "real.h"
#include "shim.h"

#include "fdtab.h"
#include "share.h"
#include "shim_impl.h"

/*
 * This process's entries in slots' acct_pid/acct_active, given back at
 * exit so a finished process leaves no load.
 */
#define MAX_ACCT 64
static struct {
	struct rp_state *state;
	struct rp_slot *slot;
	int idx;
} acct_list[MAX_ACCT];
static unsigned int nacct;

/* In the child after fork: the parent's entries stay the parent's. */
void rp_acct_after_fork(void)
{
	__atomic_store_n(&nacct, 0, __ATOMIC_RELAXED);
}

/* This process's acct entry in slot s, claimed on first use; -1 if full. */
static int acct_index(struct rp_state *st, struct rp_slot *s)
{
	uint32_t pid = __atomic_load_n(&rp_my_pid, __ATOMIC_RELAXED);
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
			acct_list[n].state = st;
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
		/*
		 * An empty accept queue: nothing is queued on this slot. Said
		 * once in 16 (an event loop meets EAGAIN at every wakeup):
		 * it reads the program's line (rp_slot_dequeue).
		 */
		static __thread unsigned int eagain
			__attribute__((tls_model("initial-exec")));

		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !(eagain++ & 15) && rp_fd_get(lfd, &l) &&
		    (l.flags & RP_FD_MEMBER) && l.slot)
			rp_slot_set_queued(l.state, l.slot, 0);
		return fd;
	}
	if (!rp_fd_get(lfd, &l) && !rp_in_shim) {
		int saved = errno;

		rp_adopt_inherited(lfd, &l);
		errno = saved;
	}
	if (!(l.flags & RP_FD_MEMBER) || !l.slot) {
		rp_fd_clear(fd);
		return fd;
	}
	idx = acct_index(l.state, l.slot);
	a.flags = RP_FD_ACCEPTED | RP_FD_KNOWN |
		  (l.flags & (RP_FD_TCP | RP_FD_UDP)) |
		  (uint32_t)(idx + 1) << RP_FD_ACCT_SHIFT;
	a.forkgen = rp_forkgen;
	a.slot = l.slot;
	a.state = l.state;
	rp_fd_set(fd, &a);
	__atomic_fetch_add(&l.slot->accepted, 1, __ATOMIC_RELAXED);
	rp_slot_dequeue(l.slot);
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
	uint32_t pid = __atomic_load_n(&rp_my_pid, __ATOMIC_RELAXED);

	if (n > MAX_ACCT)
		n = MAX_ACCT;
	for (unsigned int i = 0; i < n; i++)
		rp_share_take_back(acct_list[i].state, acct_list[i].slot,
				   acct_list[i].idx, pid);
}

/* An fd is going away (close, or replaced by dup2/dup3). */
static void forget(int fd, const struct rp_fdent *e)
{
	/* the shim's own held fds, and sockets holding them: any process */
	if (e->flags & RP_FD_HELD)
		rp_register_held_closed(fd);
	if (e->flags & RP_FD_HOLDING)
		rp_register_forget_sock(fd);
	if (e->forkgen != __atomic_load_n(&rp_forkgen, __ATOMIC_RELAXED))
		return;
	if ((e->flags & RP_FD_ACCEPTED) && e->slot) {
		int idx = (int)((e->flags & RP_FD_ACCT_MASK) >>
				RP_FD_ACCT_SHIFT) -
			  1;

		rp_dec_positive(&e->slot->active);
		rp_slot_unload(e->state, e->slot, 1);
		if (idx >= 0)
			rp_dec_positive_s32(&e->slot->acct_active[idx]);
	}
	if ((e->flags & RP_FD_UNSTEERED) && e->state)
		rp_register_unsteered_gone(e->state);
}

int rp_close(int fd)
{
	struct rp_fdent e;

	rp_init();
	if (rp_fd_get(fd, &e)) {
		/*
		 * The shim's own held fd, hit by an application closing
		 * every number it did not open: it stays open until listen.
		 */
		if ((e.flags & RP_FD_HELD) && !rp_in_shim)
			return 0;
		/* Cleared before the real close: the number may be reused. */
		rp_fd_clear(fd);
		forget(fd, &e);
	}
	return libc.close(fd);
}

/*
 * close_range()/closefrom(): every fd of [first, last] goes away but the
 * shim's held ones, which the real call is split around.
 */
int rp_close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int from = first;
	struct rp_fdent e;
	int fd, ret = 0;

	rp_init();
	if (flags & CLOSE_RANGE_CLOEXEC)
		return libc.close_range(first, last, flags);
	fd = first > (unsigned int)RP_FDTAB_MAX ? -1 : (int)first;
	while ((fd = rp_fd_next(fd)) >= 0 && (unsigned int)fd <= last) {
		rp_fd_get(fd, &e);
		if ((e.flags & RP_FD_HELD) && !rp_in_shim) {
			if ((unsigned int)fd > from)
				ret |= libc.close_range(
					from, (unsigned int)fd - 1, flags);
			from = (unsigned int)fd + 1;
		} else {
			rp_fd_clear(fd);
			forget(fd, &e);
		}
		fd++;
	}
	if (from <= last && from >= first)
		ret |= libc.close_range(from, last, flags);
	return ret ? -1 : 0;
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
		forget(newfd, &old);
	if (!rp_fd_get(oldfd, &e)) {
		rp_fd_clear(newfd);
		return newfd;
	}
	e.flags &= RP_FD_SOCKET_FACTS;
	e.forkgen = rp_forkgen;
	if (!(e.flags & RP_FD_MEMBER)) {
		e.slot = NULL;
		e.state = NULL;
	}
	rp_fd_set(newfd, &e);
	return newfd;
}

long rp_syscall(long n, const long a[6])
{
	long ret;

	rp_init();
	switch (n) {
	case SYS_close:
		if (rp_in_shim) /* the shim's own raw close */
			return libc.syscall(n, a[0]);
		return rp_close((int)a[0]);
	case SYS_accept:
	case SYS_accept4:
		ret = libc.syscall(n, a[0], a[1], a[2], a[3]);
		return ret < 0 ? ret : rp_accepted((int)a[0], (int)ret);
	case SYS_close_range:
		return rp_close_range((unsigned int)a[0], (unsigned int)a[1],
				      (int)a[2]);
	case SYS_dup:
		return rp_duped((int)a[0], (int)libc.syscall(n, a[0]), false);
	case SYS_dup2:
	case SYS_dup3:
		rp_dup_onto((int)a[1]);
		return rp_duped((int)a[0],
				(int)libc.syscall(n, a[0], a[1], a[2]), true);
	default:
		return libc.syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}

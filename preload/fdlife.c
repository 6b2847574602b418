// SPDX-License-Identifier: MIT
/*
 * The life of an fd the shim knows: close(), close_range()/closefrom(),
 * dup(), dup2(), dup3(), fcntl(F_DUPFD) and the same through syscall(2)
 * (libuv closes and accepts that way). A closing accepted connection
 * leaves its slot's counts; a listener's copy carries its socket facts;
 * the shim's own held pin fds survive a server that closes everything.
 * Memory operations only on these paths, never a system call of the
 * shim's own.
 */
#include <errno.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "fdtab.h"
#include "real.h"
#include "share.h"
#include "shim.h"
#include "shim_impl.h"

/* An fd is going away (close, or replaced by dup2/dup3). */
static void forget(int fd, const struct rp_fdent *e)
{
	/* the shim's own held fds, and sockets holding them: any process */
	if (e->flags & RP_FD_HELD)
		rp_hold_fd_closed(fd);
	if (e->flags & RP_FD_HOLDING)
		rp_hold_forget_sock(fd);
	if (e->forkgen != __atomic_load_n(&rp_forkgen, __ATOMIC_RELAXED))
		return;
	if ((e->flags & RP_FD_ACCEPTED) && e->slot) {
		int idx = (int)((e->flags & RP_FD_ACCT_MASK) >>
				RP_FD_ACCT_SHIFT) -
			  1;

		rp_dec_positive(&e->slot->a.active);
		rp_slot_unload(e->state, e->slot, 1);
		if (idx >= 0)
			rp_dec_positive_s32(&e->slot->a.acct_active[idx]);
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
	return libc_close(fd);
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
		return libc_close_range(first, last, flags);
	fd = first > (unsigned int)RP_FDTAB_MAX ? -1 : (int)first;
	while ((fd = rp_fd_next(fd)) >= 0 && (unsigned int)fd <= last) {
		rp_fd_get(fd, &e);
		if ((e.flags & RP_FD_HELD) && !rp_in_shim) {
			if ((unsigned int)fd > from)
				ret |= libc_close_range(
					from, (unsigned int)fd - 1, flags);
			from = (unsigned int)fd + 1;
		} else {
			rp_fd_clear(fd);
			forget(fd, &e);
		}
		fd++;
	}
	if (from <= last && from >= first)
		ret |= libc_close_range(from, last, flags);
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
			return libc_syscall(n, a[0]);
		return rp_close((int)a[0]);
	case SYS_accept:
	case SYS_accept4:
		ret = libc_syscall(n, a[0], a[1], a[2], a[3]);
		return ret < 0 ? ret : rp_accepted((int)a[0], (int)ret);
	case SYS_close_range:
		return rp_close_range((unsigned int)a[0], (unsigned int)a[1],
				      (int)a[2]);
	case SYS_dup:
		return rp_duped((int)a[0], (int)libc_syscall(n, a[0]), false);
#ifdef SYS_dup2 /* not on arm64 or riscv64 */
	case SYS_dup2:
#endif
	case SYS_dup3:
		rp_hold_dup_onto((int)a[1]);
		return rp_duped((int)a[0],
				(int)libc_syscall(n, a[0], a[1], a[2]), true);
	default:
		return libc_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}

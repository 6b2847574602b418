// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_STEAL: a blocking accept() on a member waits for its own queue
 * in steps of half the threshold; between steps it takes one connection
 * from a sibling that has connections waiting and accepted nothing for
 * the threshold (the sibling is frozen, or busy with a slow request).
 *
 * Taking: pidfd_getfd() copies the sibling's listener into this process;
 * one accept on the copy, and the copy is closed at once (a copy that
 * outlives its owner keeps the listener alive, and the kernel keeps
 * steering to it).
 *
 * The race: the copy shares the owner's open file description, so it
 * cannot be made non-blocking (that would change the owner's accept), and
 * its connection can be taken between the look and the accept. Two
 * stealers never race each other: a stealer holds the victim's steal_lock
 * from the look to the close of the copy. Against the owner, a look at
 * the kernel's queue (TCP_INFO: tcpi_unacked of a listener) must find two
 * or more waiting, or one and the owner stopped (state T) or, single-
 * threaded, asleep in a system call that does not wait for connections
 * (/proc/PID/syscall: a slow request's work). The owner must accept two
 * connections, or return from that call and accept, in the microseconds
 * between the look and the accept for this one to block, and then it
 * waits only until the next connection the kernel steers to that
 * listener. io_uring's
 * IORING_ACCEPT_DONTWAIT would close the window but is refused by common
 * container seccomp profiles.
 *
 * The host sees what accept would give it: its own queue's result as
 * before, or a stolen connection; never the copy, the pidfd or an errno
 * of the steal.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rawsys.h"
#include "real.h"
#include "share.h"
#include "shim.h"
#include "shim_impl.h"
#include "steal.h"
#include "sys.h"

/* pidfd_getfd refused here: stealing is off for this process */
static int steal_off;
static uint32_t my_pidns;

void rp_steal_note_listener(struct rp_slot *s, int fd)
{
	__atomic_store_n(&s->a.listen_fd1, fd + 1, __ATOMIC_RELAXED);
}

/*
 * Asked at every accept, not cached: a listener turned non-blocking by
 * ioctl(FIONBIO), which the shim does not see, must never wait here. A
 * receive timeout (SO_RCVTIMEO) is the real accept's to keep.
 */
bool rp_steal_wanted(int lfd)
{
	struct rp_fdent l;
	struct timeval tv = { 0 };
	socklen_t tl = sizeof(tv);
	int fl, saved = errno;
	bool ok;

	if (!rp_cfg.steal_ms || __atomic_load_n(&steal_off, __ATOMIC_RELAXED) ||
	    rp_in_shim || !rp_fd_get(lfd, &l) || !(l.flags & RP_FD_MEMBER) ||
	    !(l.flags & RP_FD_TCP) || !l.slot || !l.state)
		return false;
	fl = libc_fcntl(lfd, F_GETFL);
	ok = fl >= 0 && !(fl & O_NONBLOCK) &&
	     rp_raw_getsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) == 0 &&
	     !tv.tv_sec && !tv.tv_usec;
	errno = saved;
	return ok;
}

/*
 * A signal interrupted the wait: a blocking accept is restarted when the
 * handler has SA_RESTART, else fails with EINTR. Which signal it was is
 * not known: restarted only if every caught signal restarts.
 */
static bool restarts(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) != 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    !(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}

static void off(const char *reason, int err)
{
	if (!__atomic_exchange_n(&steal_off, 1, __ATOMIC_RELAXED))
		pr_warn("event=steal_off reason=%s errno=%d", reason, err);
}

/* System calls in which a process may be about to accept. */
static bool waits_for_connections(long nr)
{
	switch (nr) {
	case SYS_accept:
	case SYS_accept4:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_epoll_pwait:
	case SYS_io_uring_enter:
#ifdef SYS_poll
	case SYS_poll:
#endif
#ifdef SYS_select
	case SYS_select:
#endif
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
#endif
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		return true;
	}
	return false;
}

/*
 * A single-threaded owner asleep in a system call that does not wait for
 * connections (a slow request's work): it cannot take its one waiting
 * connection before it returns from that call.
 */
static bool busy_elsewhere(uint32_t pid, bool stopped_only)
{
	char buf[512];
	const char *f =
		rp_proc_stat_fields((pid_t)pid, buf, sizeof(buf), NULL, 0);
	char state;
	long threads = 0, nr;

	/* state and field 20, num_threads (the 18th after the state) */
	if (!f || sscanf(f,
			 "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			 "%*s %*s %*s %*s %*s %ld",
			 &state, &threads) != 2)
		return false;
	if (state == 'T' || state == 't')
		return true; /* stopped */
	if (stopped_only || state != 'S' || threads != 1)
		return false;
	if (rp_proc_read((pid_t)pid, "syscall", buf, sizeof(buf)) < 0)
		return false;
	/* "running", or "-1 ..." (not in a system call): not known */
	if (sscanf(buf, "%ld", &nr) != 1 || nr < 0)
		return false;
	return !waits_for_connections(nr);
}

/* Is the victim's connection safe to wait for (see the top)? */
static bool worth_it(int copy, uint32_t pid, bool stopped_only)
{
	struct tcp_info ti = { 0 };
	socklen_t tl = sizeof(ti);

	if (rp_raw_getsockopt(copy, IPPROTO_TCP, TCP_INFO, &ti, &tl) != 0 ||
	    ti.tcpi_state != TCP_LISTEN || !ti.tcpi_unacked)
		return false;
	if (stopped_only)
		return busy_elsewhere(pid, true);
	return ti.tcpi_unacked >= 2 || busy_elsewhere(pid, false);
}

/* One connection from slot v of st, or -1 (errno not kept). */
static int take(struct rp_state *st, struct rp_slot *v, struct sockaddr *sa,
		socklen_t *len, int flags, bool stopped_only)
{
	uint32_t pid = __atomic_load_n(&v->r.pid, __ATOMIC_RELAXED);
	int fd = __atomic_load_n(&v->a.listen_fd1, __ATOMIC_RELAXED) - 1;
	uint64_t cookie = __atomic_load_n(&v->r.cookie, __ATOMIC_RELAXED);
	uint64_t got = 0;
	socklen_t cl = sizeof(got);
	int pidfd, copy, c = -1;

	pidfd = (int)rp_raw_syscall(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);
	if (pidfd < 0) {
		if (errno == ENOSYS || errno == EPERM)
			off("pidfd_open", errno);
		return -1;
	}
	copy = (int)rp_raw_syscall(SYS_pidfd_getfd, pidfd, fd, 0, 0, 0, 0);
	rp_raw_close(pidfd);
	if (copy < 0) {
		if (errno == EPERM || errno == EACCES || errno == ENOSYS)
			off("pidfd_getfd", errno);
		return -1;
	}
	/* the number may name another file by now */
	if (rp_raw_getsockopt(copy, SOL_SOCKET, SO_COOKIE, &got, &cl) == 0 &&
	    got == cookie && worth_it(copy, pid, stopped_only))
		c = libc_accept4(copy, sa, len, flags);
	rp_raw_close(copy);
	(void)st;
	return c;
}

/*
 * The lock is held by holder (a pid of this namespace): a stealer that died
 * holding it (kill -9 within a steal) must not leave the victim
 * unstealable. Taken over only from a holder that is gone; rare, so the
 * look at it (kill 0, /proc) is affordable; errno is the host's, kept.
 */
static bool take_over_lock(struct rp_slot *v, uint32_t holder, uint32_t me)
{
	int saved = errno;
	bool gone = holder && holder != me && rp_pid_gone((pid_t)holder);

	errno = saved;
	return gone &&
	       __atomic_compare_exchange_n(&v->a.steal_lock, &holder, me, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static int try_steal(int lfd, const struct rp_fdent *l, struct sockaddr *sa,
		     socklen_t *len, int flags, bool stopped_only)
{
	uint64_t thr = (uint64_t)rp_cfg.steal_ms * 1000000u;
	uint32_t me = __atomic_load_n(&rp_my_pid, __ATOMIC_RELAXED);
	uint32_t zero = 0;
	struct rp_slot *v;
	int i, c;

	if (!my_pidns)
		my_pidns = rp_pidns();
	i = rp_steal_pick(l->state, l->slot, my_pidns, rp_now_ns(), thr);
	if (i < 0)
		return -1;
	v = &l->state->slots[i];
	if (!__atomic_compare_exchange_n(&v->a.steal_lock, &zero, me, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) &&
	    !take_over_lock(v, zero, me))
		return -1;
	c = take(l->state, v, sa, len, flags, stopped_only);
	__atomic_store_n(&v->a.steal_lock, 0, __ATOMIC_RELEASE);
	if (c >= 0) {
		rp_accepted_from(lfd, c, v);
		pr_debug("event=steal slot=%d pid=%u", i,
			 __atomic_load_n(&v->r.pid, __ATOMIC_RELAXED));
	}
	return c;
}

/*
 * A stopped sibling's connections and this queue's take turns: they have
 * waited since it stopped (the threshold at least), so they do not wait
 * for this queue to empty; this queue's do not wait for the sibling's to
 * empty either (a shared socket serves both in order). A sibling that
 * runs is stolen from only while this queue is empty: a server thread
 * that serves one connection at a time and a client that writes to its
 * connections in order would otherwise deadlock (this thread reading a
 * stolen connection the client writes to after one in this queue).
 */
static __thread bool stole_last __attribute__((tls_model("initial-exec")));

int rp_steal_accept(int lfd, struct sockaddr *sa, socklen_t *len, int flags,
		    bool is_accept4)
{
	int step = rp_cfg.steal_ms / 2 ? (int)rp_cfg.steal_ms / 2 : 1;
	int saved = errno;
	struct rp_fdent l;

	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int r, c;

		if (!rp_fd_get(lfd, &l) || !(l.flags & RP_FD_MEMBER) ||
		    !l.slot || !l.state)
			break; /* left the group meanwhile */
		r = poll(&p, 1, 0);
		if (r != 0 && (stole_last || r < 0))
			break; /* this queue's turn (or its error) */
		errno = 0;
		c = try_steal(lfd, &l, sa, len, flags, r > 0);
		if (c < 0 && r > 0 && errno != EINTR)
			break; /* ready, and no stopped sibling */
		if (c >= 0) {
			stole_last = true;
			errno = saved;
			return c;
		}
		if (errno == EINTR && !restarts())
			return -1; /* interrupted in the sibling's accept */
		if (__atomic_load_n(&steal_off, __ATOMIC_RELAXED))
			break;
		r = poll(&p, 1, step);
		if (r < 0 && errno == EINTR && !restarts())
			return -1; /* EINTR, as the accept would */
		if (r != 0)
			break; /* ready, or the listener's error: the real one */
	}
	stole_last = false;
	errno = saved;
	return rp_accepted(lfd, is_accept4 ? libc_accept4(lfd, sa, len, flags) :
					     libc_accept(lfd, sa, len));
}

// SPDX-License-Identifier: MIT
/*
 * Connection accounting for leastconn and the supervisor's drain: an
 * accept on a member moves a connection from the slot's queued to its
 * active count (the close side is fdlife.c). Memory operations only,
 * never a system call. Each process's share is kept per slot so that it
 * can be given back when the process exits (here) or dies (group GC).
 */
#include <errno.h>

#include "fdtab.h"
#include "share.h"
#include "sys.h"
#include "shim.h"
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
/* the process the list is of: a child after fork starts its own */
static uint32_t acct_owner;

/* This process's acct entry in slot s, claimed on first use; -1 if full. */
static int acct_index(struct rp_state *st, struct rp_slot *s)
{
	uint32_t pid = __atomic_load_n(&rp_my_pid, __ATOMIC_RELAXED);
	unsigned int n;

	for (int k = 0; k < RP_ACCT_PIDS; k++)
		if (__atomic_load_n(&s->o.acct_pid[k], __ATOMIC_RELAXED) == pid)
			return k;
	for (int k = 0; k < RP_ACCT_PIDS; k++) {
		uint32_t zero = 0;

		if (!__atomic_compare_exchange_n(&s->o.acct_pid[k], &zero, pid,
						 false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			continue;
		if (__atomic_load_n(&acct_owner, __ATOMIC_RELAXED) != pid &&
		    __atomic_exchange_n(&acct_owner, pid, __ATOMIC_RELAXED) !=
			    pid)
			__atomic_store_n(&nacct, 0, __ATOMIC_RELAXED);
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
	return rp_accepted_from(lfd, fd, NULL);
}

int rp_accepted_from(int lfd, int fd, struct rp_slot *from)
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
	/*
	 * A listener never seen listening here (inherited across exec: its
	 * entry may only say what getsockopt() classified): asked once.
	 */
	if (!rp_fd_get(lfd, &l) ||
	    !(l.flags & (RP_FD_MEMBER | RP_FD_ASKED | RP_FD_UNSTEERED))) {
		int saved = errno;

		if (!rp_in_shim)
			rp_adopt_inherited(lfd, &l);
		errno = saved;
	}
	if (!(l.flags & RP_FD_MEMBER) || !l.slot) {
		rp_fd_clear(fd);
		return fd;
	}
	if (rp_cfg.steal_ms)
		/* the vDSO's clock: no system call */
		__atomic_store_n(&l.slot->a.last_accept_ns, rp_now_ns(),
				 __ATOMIC_RELAXED);
	if (!from)
		from = l.slot;
	else
		rp_slot_load_move(l.state, from, l.slot);
	if (__atomic_load_n(&l.slot->r.flags, __ATOMIC_RELAXED) &
	    RP_SLOT_KCOUNT) {
		/* the kernel counts active and the load (cgroup programs) */
		rp_fd_clear(fd);
		__atomic_fetch_add(&from->a.accepted, 1, __ATOMIC_RELAXED);
		rp_slot_dequeue(from);
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
	/* the queue it left is from's, the connection lives here */
	__atomic_fetch_add(&from->a.accepted, 1, __ATOMIC_RELAXED);
	rp_slot_dequeue(from);
	__atomic_fetch_add(&l.slot->a.active, 1, __ATOMIC_RELAXED);
	if (idx >= 0)
		__atomic_fetch_add(&l.slot->a.acct_active[idx], 1,
				   __ATOMIC_RELAXED);
	return fd;
}

/* Normal exit: this process's open connections no longer count. */
__attribute__((destructor)) static void rp_destructor(void)
{
	unsigned int n = __atomic_load_n(&nacct, __ATOMIC_RELAXED);
	uint32_t pid = __atomic_load_n(&rp_my_pid, __ATOMIC_RELAXED);

	if (__atomic_load_n(&acct_owner, __ATOMIC_RELAXED) != pid)
		return; /* a child that took no connection: the list is the
			 * parent's */
	if (n > MAX_ACCT)
		n = MAX_ACCT;
	for (unsigned int i = 0; i < n; i++)
		rp_share_take_back(acct_list[i].state, acct_list[i].slot,
				   acct_list[i].idx, pid);
}

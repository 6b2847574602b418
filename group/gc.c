// SPDX-License-Identifier: MIT
/*
 * What members that are gone leave behind: processes whose socket could
 * not be registered (hdr.unsteered, which puts the group on the kernel
 * hash) and the connection counts of processes that died without closing
 * (kill -9, forked workers). Only for processes of this pid namespace.
 */
#include <stdbool.h>
#include <stdint.h>

#include "group_impl.h"
#include "share.h"
#include "sys.h"

static void recount_unsteered(struct rp_state *st)
{
	uint32_t n = 0;

	for (int k = 0; k < RP_UNSTEERED_PIDS; k++)
		n += __atomic_load_n(&st->outside->unsteered_pid[k],
				     __ATOMIC_RELAXED) != 0;
	__atomic_store_n(&st->meta->unsteered, n, __ATOMIC_RELAXED);
	rp_state_kernel_hash(st);
}

void rp_group_unsteered(struct rp_state *st, uint32_t pid, bool on)
{
	for (int k = 0; k < RP_UNSTEERED_PIDS; k++) {
		uint32_t want = on ? 0 : pid;

		if (__atomic_compare_exchange_n(
			    &st->outside->unsteered_pid[k], &want, on ? pid : 0,
			    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	if (on)
		__atomic_store_n(&st->meta->pidns, rp_pidns(),
				 __ATOMIC_RELAXED);
	recount_unsteered(st);
}

void rp_group_gc(struct rp_state *st)
{
	uint32_t n = rp_nslots(st);
	uint32_t ns = rp_pidns();

	if (ns && __atomic_load_n(&st->meta->pidns, __ATOMIC_RELAXED) == ns) {
		for (int k = 0; k < RP_UNSTEERED_PIDS; k++) {
			uint32_t pid =
				__atomic_load_n(&st->outside->unsteered_pid[k],
						__ATOMIC_RELAXED);

			if (pid && rp_pid_gone((pid_t)pid))
				__atomic_compare_exchange_n(
					&st->outside->unsteered_pid[k], &pid, 0,
					false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED);
		}
		recount_unsteered(st);
	}

	for (uint32_t i = 0; i < n; i++) {
		struct rp_slot *s = &st->slots[i];

		/* pids of another pid namespace mean nothing here */
		if (!ns || __atomic_load_n(&s->r.pidns, __ATOMIC_RELAXED) != ns)
			continue;
		for (int k = 0; k < RP_ACCT_PIDS; k++) {
			uint32_t pid = __atomic_load_n(&s->o.acct_pid[k],
						       __ATOMIC_RELAXED);

			if (pid && rp_pid_gone((pid_t)pid))
				rp_share_take_back(st, s, k, pid);
		}
	}
}

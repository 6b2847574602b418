/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One slot: may it be chosen at a level (the stall guard among the
 * tests), and selecting it. Part of the steering program, see
 * steer_common.bpf.h.
 */
#ifndef RP_SLOT_BPF_H
#define RP_SLOT_BPF_H

#include "stall.h"
#include "steer_common.bpf.h"

/*
 * Stall guard (TCP), the decision in stall.h; here the notes it keeps on
 * the slot. Accepts moved: the note is the time at most every
 * stall_queue selections (stall_next), else no time (0). Accepts not
 * seen: the note is the selections, so the member is looked at again
 * stall_queue later. A healthy member costs one look (a call and a clock
 * read) every stall_queue selections.
 */
static __noinline int stall_look(struct rp_state *st, struct rp_slot *slot)
{
	__u64 d, sel, now;

	if (!st || !slot)
		return 0;
	d = slot->dequeued;
	sel = slot->selected;
	if (rp_stall_unseen(slot)) {
		slot->stall_seen = sel;
		slot->stall_ns = 0;
		return 0;
	}
	if (rp_stall_moved(slot)) {
		slot->stall_seen = d;
		slot->stall_ns = 0;
		if ((__s64)(sel - slot->stall_next) >= 0) {
			slot->stall_ns = bpf_ktime_get_coarse_ns() | 1;
			slot->stall_next = sel + st->hdr.stall_queue;
		}
		return 0;
	}
	now = bpf_ktime_get_coarse_ns();
	if (!slot->stall_ns) {
		slot->stall_ns = now | 1;
		return 0;
	}
	return rp_stall_over(&st->hdr, slot->stall_ns, now);
}

/*
 * The stall guard's test: one comparison on the program's own line. With
 * the guard off (or UDP) stall_limit is RP_STALL_NEVER: it never passes.
 */
static __always_inline int stalled(struct rp_state *st, struct rp_slot *slot)
{
	if (!rp_stall_due(&st->hdr, slot))
		return 0;
	return stall_look(st, slot);
}

static __always_inline int slot_ok(struct rp_state *st, struct rp_slot *slot,
				   __u32 min_gen, int strict)
{
	if (slot->cookie && slot->dead_cookie == slot->cookie)
		return 0;
	if (strict >= LVL_NOT_DRAINING && (slot->flags & RP_SLOT_DRAINING))
		return 0;
	if (strict >= LVL_NEWEST && slot->generation < min_gen)
		return 0;
	if (strict >= LVL_PRIMARY && (slot->flags & RP_SLOT_STANDBY))
		return 0;
	if (strict >= LVL_RUNNING && stalled(st, slot)) {
		if (strict == LVL_PRIMARY)
			count(st, RP_CNT_STALL_SKIPS);
		return 0;
	}
	return 1;
}

/*
 * The same as a global function: the verifier checks it once, not in
 * every state of every bpf_loop callback that asks (that multiplied the
 * load time). The common path inlines slot_ok instead (a call costs).
 */
__noinline int rp_usable(struct rp_state *st, struct rp_slot *slot,
			 __u32 min_gen, int strict)
{
	if (!st || !slot)
		return 0;
	return slot_ok(st, slot, min_gen, strict);
}

/*
 * Select slot i; on an empty slot remember that its socket is gone (and
 * take it out of leastconn's choice until the slot is claimed again).
 */
static __always_inline int try_select(struct sk_reuseport_md *md,
				      struct rp_state *st, struct rp_slot *slot,
				      __u32 i, int *err)
{
	__u64 cookie = slot->cookie;
	long ret = bpf_sk_select_reuseport(md, &socks, &i, 0);

	if (ret == 0)
		return 1;
	if (ret == -ENOENT) {
		if (cookie && slot->dead_cookie != cookie) {
			slot->dead_cookie = cookie;
			if (i < RP_MAX_SLOTS)
				st->load[i] = RP_LOAD_AWAY;
		}
	} else {
		*err = (int)ret;
	}
	return 0;
}

#endif

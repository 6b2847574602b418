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
 * stall_queue later. A healthy member costs one look (a call, an element
 * of the hooks' and a clock read) every stall_queue selections.
 */
static __noinline int stall_look(struct rp_hot *h, struct rp_slot_run *slot,
				 struct rp_slot_acct *a)
{
	__u64 d, sel, now;

	if (!h || !slot || !a)
		return 0;
	d = a->dequeued;
	sel = slot->selected;
	if (rp_stall_unseen(slot, a)) {
		slot->stall_seen = sel;
		slot->stall_ns = 0;
		return 0;
	}
	if (rp_stall_moved(slot, a)) {
		slot->stall_seen = d;
		slot->stall_ns = 0;
		if ((__s64)(sel - slot->stall_next) >= 0) {
			slot->stall_ns = bpf_ktime_get_coarse_ns() | 1;
			slot->stall_next = sel + h->stall_queue;
		}
		return 0;
	}
	now = bpf_ktime_get_coarse_ns();
	if (!slot->stall_ns) {
		slot->stall_ns = now | 1;
		return 0;
	}
	return rp_stall_over(h, slot->stall_ns, now);
}

/*
 * The stall guard's test: one comparison on the program's own line (UDP:
 * none). With the guard off stall_limit is RP_STALL_NEVER: it never
 * passes.
 */
static __always_inline int stalled(struct grp *gr, struct rp_slot_run *slot,
				   __u32 i)
{
	if (!TCP || !rp_stall_due(gr->hot, slot))
		return 0;
	return stall_look(gr->hot, slot, slot_acct(gr, i));
}

/* The program found the slot's socket gone (until a new one claims it). */
static __always_inline int dead(const struct rp_slot_run *slot)
{
	return slot->cookie && slot->dead_cookie == slot->cookie;
}

static __always_inline int slot_ok(struct grp *gr, struct rp_slot_run *slot,
				   __u32 i, __u32 min_gen, int strict)
{
	if (dead(slot))
		return 0;
	if (strict >= LVL_NOT_DRAINING && (slot->flags & RP_SLOT_DRAINING))
		return 0;
	if (strict >= LVL_NEWEST && slot->generation < min_gen)
		return 0;
	if (strict >= LVL_PRIMARY && (slot->flags & RP_SLOT_STANDBY))
		return 0;
	if (strict >= LVL_RUNNING && stalled(gr, slot, i)) {
		if (strict == LVL_PRIMARY)
			count(gr, RP_CNT_STALL_SKIPS);
		return 0;
	}
	return 1;
}

/*
 * The same as a global function: the verifier checks it once, not in
 * every state of every bpf_loop callback that asks (that multiplied the
 * load time). The common path inlines slot_ok instead (a call costs).
 */
__noinline int rp_usable(__u32 g, __u32 i, __u32 min_gen, int strict)
{
	struct rp_slot_run *slot;
	struct grp gr;

	if (!grp_get(g, &gr))
		return 0;
	slot = slot_at(&gr, i);
	return slot && slot_ok(&gr, slot, i, min_gen, strict);
}

/*
 * Select slot i; on an empty slot remember that its socket is gone (and
 * take it out of leastconn's choice until the slot is claimed again).
 */
static __always_inline int try_select(struct sk_reuseport_md *md,
				      struct grp *gr, struct rp_slot_run *slot,
				      __u32 i, int *err)
{
	__u64 cookie = slot->cookie;
	void *so = bpf_map_lookup_elem(&socks, &gr->g);
	__s64 *load;
	long ret;

	if (!so)
		return 0;
	ret = bpf_sk_select_reuseport(md, so, &i, 0);
	if (ret == 0)
		return 1;
	if (ret == -ENOENT) {
		if (cookie && slot->dead_cookie != cookie) {
			slot->dead_cookie = cookie;
			load = load_at(gr, i);
			if (load)
				*load = RP_LOAD_AWAY;
		}
	} else {
		*err = (int)ret;
	}
	return 0;
}

/* The common path's select: steer_general retries and notes a dead slot. */
static __always_inline int try_select_fast(struct sk_reuseport_md *md,
					   struct grp *gr, __u32 i)
{
	void *so = bpf_map_lookup_elem(&socks, &gr->g);

	return so && bpf_sk_select_reuseport(md, so, &i, 0) == 0;
}

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The scan over slots in bpf_loop() callbacks, and the safety net every
 * policy ends in (pick_from). Part of the steering program, see
 * steer_common.bpf.h.
 */
#ifndef RP_SCAN_BPF_H
#define RP_SCAN_BPF_H

#include "slot.bpf.h"
#include "steer_common.bpf.h"

/* Shared with the bpf_loop() callbacks. */
struct scan {
	struct sk_reuseport_md *md;
	struct rp_state *st;
	__u32 start;
	__u32 n;
	__u32 min_gen;
	__u32 chosen;
	int found;
	int strict; /* enum level */
	int err; /* last error other than -ENOENT */
	/* policy scans */
	__s64 best_load;
	__s64 total_weight;
	__s32 cpu;
	int want_cpu; /* cpu policy: only slots pinned to cpu */
};

static __always_inline int usable(struct scan *s, struct rp_slot *slot,
				  int strict)
{
	return rp_usable(s->st, slot, s->min_gen, strict);
}

static __always_inline int scan_at(struct scan *s, __u32 k, int strict)
{
	__u32 i = s->start + k;
	struct rp_slot *slot;

	if (i >= s->n)
		i -= s->n;
	slot = slot_at(s->st, i);
	if (!slot)
		return 1;
	if (!usable(s, slot, strict))
		return 0;
	if (s->want_cpu && (!slot->cookie || slot->cpu != s->cpu))
		return 0;
	if (try_select(s->md, s->st, slot, i, &s->err)) {
		s->chosen = i;
		s->found = 1;
		return 1;
	}
	return 0;
}

static int scan_one(__u32 k, struct scan *s)
{
	return scan_at(s, k, s->strict);
}

/* scan_one over every level in turn: k = level step * n + offset */
static int scan_levels(__u32 k, struct scan *s)
{
	__u32 step = k / s->n;

	return scan_at(s, k - step * s->n, LVL_PRIMARY - (int)step);
}

/*
 * The safety net: first live slot at or after start at the best level
 * that has one (one bpf_loop over all levels keeps the verifier's work
 * flat). Returns the slot index or -1. A global subprogram: off the
 * common path, verified once.
 */
__noinline int pick_from(struct sk_reuseport_md *md, __u32 start, __u32 n)
{
	__u32 zero = 0;
	struct rp_state *st = bpf_map_lookup_elem(&state, &zero);
	struct rp_slot *sl;

	if (!st || !n || n > RP_MAX_SLOTS)
		return -1;
	struct scan s = {
		.md = md,
		.st = st,
		.start = start,
		.n = n,
		.min_gen = st->hdr.max_generation,
	};

	/*
	 * Nothing eligible: a standby before a stalled member, a stalled
	 * member before an older generation (its successor may have died),
	 * an older generation before a draining member (an operator's
	 * explicit wish), and a draining member before a reset.
	 */
	bpf_loop(n * (LVL_PRIMARY + 1), scan_levels, &s, 0);
	/* chosen below LVL_NEWEST: nothing better was live */
	sl = s.found ? slot_at(st, s.chosen) : 0;
	if (sl &&
	    ((sl->flags & RP_SLOT_DRAINING) || sl->generation < s.min_gen))
		count(st, RP_CNT_INELIGIBLE);
	if (s.err)
		count(st, RP_CNT_SELECT_ERROR);
	return s.found ? (int)s.chosen : -1;
}

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The scans over slots in bpf_loop() callbacks, and the safety net every
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
	struct grp gr; /* the callbacks' group: pointers spilled here */
	__u32 start;
	__u32 n;
	__u32 min_gen;
	__u32 chosen;
	__u32 h; /* uniform pick: the hash that is tried again */
	int found;
	int strict; /* enum level */
	int err; /* last error other than -ENOENT */
	__s64 best_load;
	__s64 total_weight;
	__s32 cpu;
	int want_cpu; /* cpu policy: only slots pinned to cpu */
};

static __always_inline int scan_at(struct scan *s, __u32 k, int strict)
{
	__u32 i = s->start + k;
	struct rp_slot_run *slot;
	struct grp *gr = &s->gr;

	if (i >= s->n)
		i -= s->n;
	slot = slot_at(gr, i);
	if (!slot)
		return 1;
	if (!rp_usable(s->gr.g, i, s->min_gen, strict))
		return 0;
	if (s->want_cpu && (!slot->cookie || slot->cpu != s->cpu))
		return 0;
	if (try_select(s->md, gr, slot, i, &s->err)) {
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

/* A hash's k-th try for a slot, uniform over the n slots again. */
static __always_inline __u32 rehash(__u32 h, __u32 k)
{
	return mix32(h + k * 0x9e3779b9u);
}

/*
 * The uniform pick: a slot the hash names again (s->h, try k + 1), until
 * one is eligible and taken. Each try is uniform over the slots, so a dead
 * slot's share goes to every live member alike, and a flow's tries are
 * always the same (UDP hash stays per flow).
 */
static int rehash_one(__u32 k, struct scan *s)
{
	__u32 i = scale32(rehash(s->h, k + 1), s->n);
	struct rp_slot_run *slot;
	struct grp *gr = &s->gr;

	slot = slot_at(gr, i);
	if (!slot)
		return 1;
	if (!slot->cookie || !rp_usable(s->gr.g, i, s->min_gen, LVL_PRIMARY))
		return 0;
	if (try_select(s->md, gr, slot, i, &s->err)) {
		s->chosen = i;
		s->found = 1;
		return 1;
	}
	return 0;
}

/*
 * The safety net: with uniform (RP_UNIFORM | a hash h), up to
 * RP_REHASH_TRIES slots the hash names again (rehash_one); then the first
 * live slot at or after start at the best level that has one. Returns the slot or
 * -1. A global subprogram: off the common path, verified once.
 */
#define RP_UNIFORM (1ull << 32)
#define RP_REHASH_TRIES 32
__noinline int pick_from(struct sk_reuseport_md *md, __u32 g, __u32 start,
			 __u32 n, __u64 uniform)
{
	struct rp_slot_run *sl;
	struct grp gr;

	if (!md || !grp_get(g, &gr) || !n || n > RP_MAX_SLOTS)
		return -1;
	struct scan s = {
		.md = md,
		.gr = gr,
		.start = start,
		.n = n,
		.min_gen = gr.hot->max_generation,
	};

	if (uniform & RP_UNIFORM) {
		s.h = (__u32)uniform;
		bpf_loop(RP_REHASH_TRIES, rehash_one, &s, 0);
	}
	/*
	 * Nothing eligible (or the uniform pick's member died meanwhile): a
	 * standby before a stalled member, a stalled member before an older
	 * generation, an older generation before a draining member, and a
	 * draining member before a reset.
	 */
	if (!s.found)
		bpf_loop(n * (LVL_PRIMARY + 1), scan_levels, &s, 0);
	sl = s.found ? slot_at(&gr, s.chosen) : 0;
	if (sl &&
	    ((sl->flags & RP_SLOT_DRAINING) || sl->generation < s.min_gen))
		count(&gr, RP_CNT_INELIGIBLE);
	if (s.err)
		count(&gr, RP_CNT_SELECT_ERROR);
	return s.found ? (int)s.chosen : -1;
}

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The steering program of one reuseport group. Every member attaches the
 * same pinned instance; it picks a registered, live socket of the group for
 * each new connection / UDP flow, and hands over the connections of a
 * closing listener (section sk_reuseport/migrate).
 *
 * Liveness is only known to the kernel: a sockarray slot empties when its
 * socket dies and the program cannot read the sockarray, so it tries
 * bpf_sk_select_reuseport() and moves on when that says -ENOENT.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

#define ENOENT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, RP_DEFAULT_SLOTS); /* set per group before load */
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct rp_state);
} state SEC(".maps");

static __always_inline void count(struct rp_state *st, enum rp_counter c)
{
	__sync_fetch_and_add(&st->hdr.counters[c], 1);
}

/* Scan state shared with the bpf_loop() callback. */
struct scan {
	struct sk_reuseport_md *md;
	struct rp_state *st;
	__u32 start;
	__u32 n;
	__u32 min_gen;
	__u32 chosen;
	int found;
	int strict; /* 1: skip draining and older generations */
	int err; /* last error other than -ENOENT */
};

static int scan_one(__u32 k, struct scan *s)
{
	struct rp_slot *slot;
	__u32 i = s->start + k;
	long ret;

	if (i >= s->n)
		i -= s->n;
	if (i >= RP_MAX_SLOTS)
		return 1;
	slot = &s->st->slots[i];
	if (s->strict &&
	    ((slot->flags & RP_SLOT_DRAINING) || slot->generation < s->min_gen))
		return 0;
	ret = bpf_sk_select_reuseport(s->md, &socks, &i, 0);
	if (ret == 0) {
		s->chosen = i;
		s->found = 1;
		return 1;
	}
	if (ret != -ENOENT)
		s->err = ret;
	return 0;
}

/*
 * Select the first live slot at or after start, preferring eligible ones
 * (not draining, newest generation). Returns the slot index or -1.
 */
static __always_inline int pick_from(struct sk_reuseport_md *md,
				     struct rp_state *st, __u32 start, __u32 n)
{
	struct scan s = {
		.md = md,
		.st = st,
		.start = start,
		.n = n,
		.min_gen = st->hdr.max_generation,
		.strict = 1,
	};

	bpf_loop(n, scan_one, &s, 0);
	if (!s.found) {
		s.strict = 0;
		bpf_loop(n, scan_one, &s, 0);
		if (s.found)
			count(st, RP_CNT_INELIGIBLE);
	}
	if (s.err)
		count(st, RP_CNT_SELECT_ERROR);
	return s.found ? (int)s.chosen : -1;
}

SEC("sk_reuseport/migrate")
int steer(struct sk_reuseport_md *md)
{
	struct bpf_sock *msk = md->migrating_sk;
	struct rp_state *st;
	__u32 zero = 0, n, start, policy;
	__u64 cursor;
	int slot;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return SK_PASS;
	count(st, RP_CNT_RUNS);

	/*
	 * A member that could not be registered gets nothing from a map
	 * selection; the kernel hash over the whole group still reaches it.
	 */
	if (st->hdr.unsteered && !msk) {
		count(st, RP_CNT_UNSTEERED);
		return SK_PASS;
	}

	n = st->hdr.nslots;
	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	if (n == 0)
		goto empty;

	policy = st->hdr.policy;
	if (policy == RP_POLICY_HASH) {
		start = md->hash % n;
	} else {
		cursor = __sync_fetch_and_add(&st->hdr.rr, 1);
		start = cursor % n;
	}

	slot = pick_from(md, st, start, n);
	if (slot < 0)
		goto empty;

	/*
	 * Round robin rotates over live slots: a skipped empty slot must not
	 * give its turn to the next one twice.
	 */
	if (policy != RP_POLICY_HASH && (__u32)slot != start) {
		__u32 skipped = (__u32)slot > start ? (__u32)slot - start :
						      (__u32)slot + n - start;
		__sync_fetch_and_add(&st->hdr.rr, skipped);
	}

	if (slot < RP_MAX_SLOTS) {
		struct rp_slot *sl = &st->slots[slot];

		__sync_fetch_and_add(&sl->selected, 1);
		if (msk)
			__sync_fetch_and_add(&sl->migrated, 1);
	}
	count(st, msk ? RP_CNT_MIGRATED : RP_CNT_STEERED);
	return SK_PASS;

empty:
	/*
	 * Nothing registered is live: let the kernel pick (for a migration
	 * that is a random remaining listener, which beats a reset).
	 */
	count(st, msk ? RP_CNT_MIGRATE_EMPTY : RP_CNT_EMPTY);
	return SK_PASS;
}

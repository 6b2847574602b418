// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The steering program of one reuseport group. Every member attaches the
 * same pinned instance; it picks a registered, live socket of the group for
 * each new connection / UDP datagram, and hands over the connections of a
 * closing listener (section sk_reuseport/migrate).
 *
 * Liveness is only known to the kernel: a sockarray slot empties when its
 * socket dies and the program cannot read the sockarray, so it tries
 * bpf_sk_select_reuseport() and remembers a slot it found empty
 * (dead_cookie) so that later runs skip it without a helper call.
 *
 * Eligibility comes in levels (enum level): a policy chooses among the
 * best (primary members of the newest generation, not draining, not
 * stalled) and the safety net widens step by step.
 *
 * Every policy ends in the same safety net: if its choice cannot be
 * selected, scan from a policy-given start for any eligible live slot,
 * then for any live slot at all. Only when no registered socket is live
 * does the kernel's own hash decide (SK_PASS without a selection).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "flows.bpf.h"
#include "policy.bpf.h"
#include "scan.bpf.h"
#include "slot.bpf.h"
#include "steer_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The program took slot sl. TCP: the connection now waits in its accept
 * queue (queued = selected - dequeued). The group's protocol decides, not
 * md->ip_protocol: that reads the listener's struct sock, a cache miss
 * that cost ~25 ns a run.
 */
static __always_inline void took(struct rp_state *st, struct rp_slot *sl,
				 __u32 i, int migration)
{
	__sync_fetch_and_add(&sl->selected, 1);

	/* leastconn's load: TCP only */
	if (unlikely(st->hdr.policy == RP_POLICY_LEASTCONN) &&
	    st->hdr.proto == IPPROTO_TCP && i < RP_MAX_SLOTS)
		__sync_fetch_and_add(&st->load[i], 1);
	if (migration)
		__sync_fetch_and_add(&sl->migrated, 1);
}

/*
 * Everything but the common case (see steer() below): migrations, the
 * flow table, the policies that scan, members outside the map, and the
 * safety net when the common choice hint (>= 0) could not be taken (err:
 * its select error). A global subprogram, verified once and out of the
 * common path's way: a run of the program is cold in the caches (a whole
 * connection's kernel path lies between two runs), so its cost follows
 * the cache lines of code and data it touches.
 */
__noinline int steer_general(struct sk_reuseport_md *md, int hint)
{
	struct bpf_sock *msk = md->migrating_sk;
	struct rp_flow_key fk = { 0 };
	struct rp_state *st;
	struct rp_slot *sl;
	__u32 zero = 0, n, start = 0, policy;
	int slot = -1, flow = 0, err = 0;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return SK_PASS;
	n = st->hdr.nslots;
	policy = st->hdr.policy;
	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	if (hint >= 0 && !msk) {
		/* the common case's choice could not be taken: the net
		 * starts with it (a select error is counted there) */
		start = (__u32)hint;
		goto safety_net;
	}

	/*
	 * A member that could not be registered gets nothing from a map
	 * selection; the kernel hash over the whole group still reaches it.
	 */
	if ((st->hdr.unsteered || st->hdr.unregistered) && !msk) {
		count(st, RP_CNT_UNSTEERED);
		return SK_PASS;
	}
	if (n == 0)
		goto empty;

	if ((st->hdr.flags & RP_HDR_FLOWS) && st->hdr.proto == IPPROTO_UDP &&
	    flow_key(md, &fk) == 0) {
		struct scan fs = {
			.md = md,
			.st = st,
			.n = n,
			.min_gen = st->hdr.max_generation,
		};

		flow = 1;
		slot = flow_lookup(md, &fs, &fk);
		if (slot >= 0)
			goto chosen;
	}

	if (policy == RP_POLICY_AUTO || policy >= RP_POLICY_MAX) {
		/* AUTO is resolved at creation; anything else is a newer
		 * tool's value: count it, and rotate rather than reset */
		count(st, RP_CNT_BAD_POLICY);
		policy = RP_POLICY_ROUNDROBIN;
	}
	if (policy == RP_POLICY_ROUNDROBIN || policy == RP_POLICY_HASH) {
		start = common_pick(md, st, policy, n);
		sl = slot_at(st, start);
		if (sl &&
		    slot_ok(st, sl, st->hdr.max_generation, LVL_PRIMARY) &&
		    try_select(md, st, sl, start, &err))
			slot = (int)start;
	} else {
		struct pick out = { 0 };

		slot = pick_policy(md, policy, n, &out);
		start = out.start;
		err = out.err;
	}

safety_net:
	if (err)
		count(st, RP_CNT_SELECT_ERROR);
	if (slot < 0) {
		if (n == 0)
			goto empty;
		slot = pick_from(md, start, n);
		if (slot < 0)
			goto empty;
		/*
		 * Round robin rotates over live slots: a skipped empty slot
		 * must not give its turn to the next one twice.
		 */
		if (policy == RP_POLICY_ROUNDROBIN && (__u32)slot != start) {
			__u32 skipped = (__u32)slot > start ?
						(__u32)slot - start :
						(__u32)slot + n - start;
			__sync_fetch_and_add(&st->hdr.rr, skipped);
		}
	}

	sl = slot_at(st, (__u32)slot);
	if (sl && flow)
		flow_place(st, &fk, (__u32)slot, sl->cookie);
chosen:
	sl = slot_at(st, (__u32)slot);
	if (sl)
		took(st, sl, (__u32)slot, msk != 0);
	/* steered is not counted: user space sums selected - migrated */
	if (msk)
		count(st, RP_CNT_MIGRATED);
	return SK_PASS;

empty:
	/*
	 * Nothing registered is live: let the kernel pick (for a migration
	 * that is a random remaining listener, which beats a reset).
	 */
	count(st, msk ? RP_CNT_MIGRATE_EMPTY : RP_CNT_EMPTY);
	return SK_PASS;
}

/*
 * slot_ok() at LVL_PRIMARY for the common path: a draining, standby or
 * stalled slot, an older generation or a slot found gone leaves the
 * choice to steer_general (which counts the stall guard's skips).
 */
static __always_inline int first_ok(struct rp_state *st, struct rp_slot *sl)
{
	return !(sl->flags & (RP_SLOT_DRAINING | RP_SLOT_STANDBY)) &&
	       sl->generation >= st->hdr.max_generation && !stalled(st, sl) &&
	       !(sl->cookie && sl->dead_cookie == sl->cookie);
}

/*
 * The common case, one straight run of code: a new connection or
 * datagram, every listener registered, no flow table, a policy that
 * needs no scan, and its first choice can be taken. A run is cold in the
 * caches, so its cost follows the code it runs: roundrobin and hash come
 * first and straight, everything else is placed out of their way
 * (unlikely) or is steer_general's.
 */
SEC("sk_reuseport/migrate")
int steer(struct sk_reuseport_md *md)
{
	struct rp_state *st;
	struct rp_slot *sl;
	__u32 zero = 0, n, policy, i;
	int k;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return SK_PASS;
	/* runs is not counted: user space sums the outcomes (one atomic less) */
	n = st->hdr.nslots;
	policy = st->hdr.policy;
	if (unlikely(md->migrating_sk || n - 1 >= RP_MAX_SLOTS ||
		     (st->hdr.unsteered | st->hdr.unregistered |
		      (st->hdr.flags & RP_HDR_FLOWS)))) {
		/* UDP flow table: a datagram of a known flow, to its member */
		if (!md->migrating_sk && n - 1 < RP_MAX_SLOTS &&
		    !(st->hdr.unsteered | st->hdr.unregistered) &&
		    st->hdr.proto == IPPROTO_UDP) {
			k = flow_hit(md, st, n);
			sl = k >= 0 ? slot_at(st, (__u32)k) : 0;
			if (sl) {
				/* counted per slot: the header's lines are
				 * read by every run, on every CPU */
				__sync_fetch_and_add(&sl->flow_hits, 1);
				took(st, sl, (__u32)k, 0);
				return SK_PASS;
			}
		}
		return steer_general(md, -1);
	}
	if (likely(policy - RP_POLICY_ROUNDROBIN <=
		   RP_POLICY_HASH - RP_POLICY_ROUNDROBIN)) {
		/* side by side: either way the code stays in one place */
		if (policy == RP_POLICY_HASH)
			i = scale32(md->hash, n);
		else
			i = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
	} else {
		k = first_pick(md, st, policy, n);
		if (k < 0 || (__u32)k >= n)
			return steer_general(md, -1);
		i = (__u32)k;
	}
	sl = slot_at(st, i);
	/*
	 * Not taken: steer_general decides, and tries this slot again (the
	 * net counts a select error and notes a slot found gone), so that
	 * this path keeps nothing across the helper call.
	 */
	if (unlikely(!sl || !first_ok(st, sl) ||
		     bpf_sk_select_reuseport(md, &socks, &i, 0)))
		/* roundrobin and hash go on from their choice, the others
		 * start over */
		return steer_general(md,
				     policy == RP_POLICY_ROUNDROBIN ||
						     policy == RP_POLICY_HASH ?
					     (int)i :
					     -1);
	/* steered is not counted: user space sums selected - migrated */
	took(st, sl, i, 0);
	return SK_PASS;
}

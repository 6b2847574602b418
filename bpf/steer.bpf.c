// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The steering program of a network namespace's groups of one protocol.
 * Every member attaches the same pinned instance; it finds the group of
 * the listener the kernel's lookup hit, picks a registered, live socket
 * of that group for each new connection / UDP datagram, and hands over
 * the connections of a closing listener (section sk_reuseport/migrate).
 *
 * Liveness is only known to the kernel: a sockarray slot empties when its
 * socket dies and the program cannot read the sockarray, so it tries
 * bpf_sk_select_reuseport() and remembers a slot it found empty
 * (dead_cookie) so that later runs skip it without a helper call.
 *
 * Eligibility comes in levels (enum level): a policy chooses among the
 * best (primary members of the newest generation, not draining, not
 * stalled) and the safety net widens step by step. Every policy ends in
 * the same safety net: if its choice cannot be selected, scan for any
 * eligible live slot, then for any live slot at all. Only when no
 * registered socket is live does the kernel's own hash decide (SK_PASS
 * without a selection). The parts: see steer_common.bpf.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "flows.bpf.h"
#include "outsider.bpf.h"
#include "policy.bpf.h"
#include "scan.bpf.h"
#include "slot.bpf.h"
#include "steer_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * The program took slot sl. TCP: the connection now waits in its accept
 * queue (queued = selected - dequeued).
 */
static __always_inline void took(struct grp *gr, struct rp_slot_run *sl,
				 __u32 i, int migration)
{
	__s64 *load;

	__sync_fetch_and_add(&sl->selected, 1);
	/* leastconn's load: TCP only */
	if (TCP && unlikely(gr->hot->policy == RP_POLICY_LEASTCONN)) {
		load = load_at(gr, i);
		if (load)
			__sync_fetch_and_add(load, 1);
	}
	if (migration)
		__sync_fetch_and_add(&sl->migrated, 1);
}

/*
 * Everything but the common case: migrations, the flow table, the
 * policies that scan, members outside the map, and the safety net when
 * the common choice (hint >= 0) could not be taken. A global subprogram,
 * verified once and out of the common path's way.
 */
__noinline int steer_general(struct sk_reuseport_md *md, __u32 g, int hint)
{
	struct bpf_sock *msk;
	struct rp_flow_key fk = { 0 };
	struct rp_slot_run *sl;
	struct grp gr;
	__u32 n, start = 0, policy, h;
	int slot = -1, flow = 0, err = 0, uniform = 0;

	if (!md || !grp_get(g, &gr))
		return SK_PASS;
	msk = md->migrating_sk;
	n = gr.hot->nslots;
	policy = gr.hot->policy;
	h = md->hash;
	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	if (policy == RP_POLICY_AUTO || policy >= RP_POLICY_MAX) {
		/* AUTO is resolved at creation; anything else is a newer
		 * tool's value: count it, and rotate rather than reset */
		count(&gr, RP_CNT_BAD_POLICY);
		policy = RP_POLICY_ROUNDROBIN;
	}
	if (hint >= 0 && !msk) {
		/* the common case's choice could not be taken */
		start = (__u32)hint;
		if (policy == RP_POLICY_HASH)
			goto hash_again;
		goto safety_net;
	}

	/* once a jiffy: is the member the kernel's lookup hit registered? */
	if (!msk) {
		__u32 now = (__u32)bpf_jiffies64();

		if (gr.hot->looked != now) {
			gr.hot->looked = now;
			rp_look(md, gr.g);
		}
	}
	/*
	 * A member outside the map gets nothing from a map selection; the
	 * kernel hash over the whole group still reaches it.
	 */
	if (gr.hot->kernel_hash && !msk) {
		count(&gr, RP_CNT_UNSTEERED);
		return SK_PASS;
	}
	if (n == 0)
		goto empty;

	if (UDP && (gr.hot->flags & RP_HDR_FLOWS) && flow_key(md, &fk) == 0) {
		flow = 1;
		slot = flow_lookup(md, &gr, n, &fk, &err);
		if (slot >= 0)
			goto chosen;
	}

	if (policy == RP_POLICY_ROUNDROBIN) {
		start = (__u32)__sync_fetch_and_add(&gr.hot->rr, 1) % n;
		sl = slot_at(&gr, start);
		if (sl &&
		    slot_ok(&gr, sl, start, gr.hot->max_generation,
			    LVL_PRIMARY) &&
		    try_select(md, &gr, sl, start, &err))
			slot = (int)start;
	} else if (policy == RP_POLICY_HASH) {
		start = scale32(h, n);
		sl = slot_at(&gr, start);
		if (sl &&
		    slot_ok(&gr, sl, start, gr.hot->max_generation,
			    LVL_PRIMARY) &&
		    try_select(md, &gr, sl, start, &err)) {
			slot = (int)start;
			goto safety_net;
		}
hash_again:
		/* the slot the hash named cannot be taken: hash again */
		uniform = 1;
	} else {
		struct pick out = { 0 };

		slot = pick_policy(md, g, policy, n, &out);
		start = out.start;
		err = out.err;
		uniform = policy == RP_POLICY_STICKY || policy == RP_POLICY_CPU;
	}

safety_net:
	if (err)
		count(&gr, RP_CNT_SELECT_ERROR);
	if (slot < 0) {
		if (n == 0)
			goto empty;
		slot = pick_from(md, g, start, n, uniform ? RP_UNIFORM | h : 0);
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
			__sync_fetch_and_add(&gr.hot->rr, skipped);
		}
	}

	sl = slot_at(&gr, (__u32)slot);
	if (UDP && sl && flow)
		flow_place(&gr, &fk, (__u32)slot, sl->cookie);
chosen:
	sl = slot_at(&gr, (__u32)slot);
	if (sl)
		took(&gr, sl, (__u32)slot, msk != 0);
	/* steered is not counted: user space sums selected - migrated */
	if (msk)
		count(&gr, RP_CNT_MIGRATED);
	return SK_PASS;

empty:
	/*
	 * Nothing registered is live: let the kernel pick (for a migration
	 * that is a random remaining listener, which beats a reset).
	 */
	count(&gr, msk ? RP_CNT_MIGRATE_EMPTY : RP_CNT_EMPTY);
	return SK_PASS;
}

/*
 * slot_ok() at LVL_PRIMARY for the common path: a draining, standby or
 * stalled slot, an older generation or a slot found gone leaves the
 * choice to steer_general.
 */
static __always_inline int first_ok(struct grp *gr, struct rp_slot_run *sl,
				    __u32 i)
{
	return !(sl->flags & (RP_SLOT_DRAINING | RP_SLOT_STANDBY)) &&
	       sl->generation >= gr->hot->max_generation &&
	       !stalled(gr, sl, i) && !dead(sl);
}

/*
 * The common case, one straight run of code: a new connection or
 * datagram, every listener registered, no flow table, a policy that needs
 * no scan, and its first choice can be taken.
 */
SEC("sk_reuseport/migrate")
int steer(struct sk_reuseport_md *md)
{
	struct rp_slot_run *sl;
	struct grp gr;
	__u32 n, policy, i;
	int k;

	if (unlikely(!grp_find(md, &gr)))
		return SK_PASS; /* not a group of this namespace's */
	n = gr.hot->nslots;
	policy = gr.hot->policy;
	if (unlikely(md->migrating_sk || n - 1 >= RP_MAX_SLOTS ||
		     gr.hot->kernel_hash || (gr.hot->flags & RP_HDR_FLOWS) ||
		     gr.hot->looked != (__u32)bpf_jiffies64())) {
		/* UDP flow table: a datagram of a known flow, to its member */
		if (UDP && !md->migrating_sk && n - 1 < RP_MAX_SLOTS &&
		    !gr.hot->kernel_hash &&
		    gr.hot->looked == (__u32)bpf_jiffies64()) {
			k = flow_hit(md, &gr, n);
			sl = k >= 0 ? slot_at(&gr, (__u32)k) : 0;
			if (sl) {
				__sync_fetch_and_add(&sl->flow_hits, 1);
				took(&gr, sl, (__u32)k, 0);
				return SK_PASS;
			}
		}
		return steer_general(md, gr.g, -1);
	}
	if (likely(policy - RP_POLICY_ROUNDROBIN <=
		   RP_POLICY_HASH - RP_POLICY_ROUNDROBIN)) {
		if (policy == RP_POLICY_HASH)
			i = scale32(md->hash, n);
		else
			i = (__u32)__sync_fetch_and_add(&gr.hot->rr, 1) % n;
	} else {
		k = first_pick(md, &gr, policy, n);
		if (k < 0 || (__u32)k >= n)
			return steer_general(md, gr.g, -1);
		i = (__u32)k;
	}
	sl = slot_at(&gr, i);
	if (unlikely(!sl || !first_ok(&gr, sl, i) ||
		     !try_select_fast(md, &gr, i)))
		return steer_general(md, gr.g,
				     policy == RP_POLICY_ROUNDROBIN ||
						     policy == RP_POLICY_HASH ?
					     (int)i :
					     -1);
	took(&gr, sl, i, 0);
	return SK_PASS;
}

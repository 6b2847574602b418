/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policies: their first choices, which the common path tries
 * (first_pick), and the scans and probes of leastconn, weighted, sticky
 * and cpu behind one global subprogram (pick_policy). Part of the
 * steering program, see steer_common.bpf.h.
 */
#ifndef RP_POLICY_BPF_H
#define RP_POLICY_BPF_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>

#include "scan.bpf.h"
#include "slot.bpf.h"
#include "steer_common.bpf.h"

/*
 * leastconn over eligible members (least_pick's choice could not be
 * taken): fewest connections in flight, ties to the first after start.
 */
static __always_inline int least_one(__u32 k, struct scan *s)
{
	__u32 i = s->start + k;
	struct rp_slot *slot;
	__s64 load;

	if (i >= s->n)
		i -= s->n;
	slot = slot_at(s->st, i);
	if (!slot)
		return 1;
	if (!slot->cookie || !usable(s, slot, LVL_PRIMARY))
		return 0;
	load = s->st->load[i & (RP_MAX_SLOTS - 1)];
	if (!s->found || load < s->best_load) {
		s->best_load = load;
		s->chosen = i;
		s->found = 1;
	}
	return 0;
}

/*
 * bpf_loop() callbacks that take RP_UNROLL slots a call: a callback call
 * costs about as much as looking at a slot.
 */
#define RP_UNROLL 4
#define UNROLLED(name, one)                             \
	static int name(__u32 j, struct scan *s)        \
	{                                               \
		for (__u32 u = 0; u < RP_UNROLL; u++) { \
			__u32 k = j * RP_UNROLL + u;    \
                                                        \
			if (k >= s->n || one(k, s))     \
				return 1;               \
		}                                       \
		return 0;                               \
	}
UNROLLED(least_some, least_one)

/* leastconn for large groups: the lighter of two random usable slots */
static __always_inline void pick_two(struct scan *s)
{
	for (int t = 0; t < 4 && !s->found; t++) {
		least_one(bpf_get_prandom_u32() % s->n, s);
		least_one(bpf_get_prandom_u32() % s->n, s);
	}
}

/* weighted: smooth weighted round robin (as nginx upstreams) */
static __always_inline int weight_one(__u32 k, struct scan *s)
{
	struct rp_slot *slot = slot_at(s->st, k);
	__s64 w, cur;

	if (!slot)
		return 1;
	if (!slot->cookie || !usable(s, slot, LVL_PRIMARY))
		return 0;
	w = slot->weight ? slot->weight : 1;
	cur = __sync_fetch_and_add(&slot->current, w) + w;
	s->total_weight += w;
	if (!s->found || cur > s->best_load) {
		s->best_load = cur;
		s->chosen = k;
		s->found = 1;
	}
	return 0;
}

UNROLLED(weight_some, weight_one)

/*
 * The client's address, hashed: the packet's source for a new flow, the
 * remote end of the connection being migrated otherwise. An AF_INET
 * group only gets IPv4: no need to read the packet's protocol.
 */
static __always_inline __u32 client_hash(struct sk_reuseport_md *md,
					 struct rp_state *st,
					 struct bpf_sock *msk)
{
	__u32 a[4] = { 0 };

	if (msk) {
		if (msk->family == AF_INET)
			return mix32(msk->dst_ip4);
		a[0] = msk->dst_ip6[0];
		a[1] = msk->dst_ip6[1];
		a[2] = msk->dst_ip6[2];
		a[3] = msk->dst_ip6[3];
	} else if (st->hdr.family == AF_INET ||
		   md->eth_protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes_relative(md,
						offsetof(struct iphdr, saddr),
						a, 4, BPF_HDR_START_NET))
			return md->hash;
		return mix32(a[0]);
	} else {
		if (bpf_skb_load_bytes_relative(md,
						offsetof(struct ipv6hdr, saddr),
						a, 16, BPF_HDR_START_NET))
			return md->hash;
		/* v4-mapped clients of a dual-stack group hash as IPv4 */
		if (!a[0] && !a[1] && a[2] == bpf_htonl(0xffff))
			return mix32(a[3]);
	}
	return mix32(a[0] ^ mix32(a[1] ^ mix32(a[2] ^ mix32(a[3]))));
}

/* sticky: Maglev table built by user space; probe past dead members. */
static __always_inline int pick_sticky(struct sk_reuseport_md *md,
				       struct scan *s, __u32 h, __u32 n,
				       int *err)
{
	struct rp_state *st = s->st;
	__u32 step = mix32(h ^ 0x9e3779b9) | 1;

	for (int k = 0; k < 4; k++) {
		__u32 b = (h + (__u32)k * step) % RP_STICKY_SIZE;
		struct rp_slot *slot;
		__u32 i;

		/* clang knows b < size and drops the check; the verifier
		 * does not track modulo ranges, so keep it */
		asm volatile("" : "+r"(b));
		if (b >= RP_STICKY_SIZE)
			return -1;
		i = st->sticky[b];
		if (i >= n)
			continue;
		slot = slot_at(st, i);
		if (!slot || !usable(s, slot, LVL_PRIMARY))
			continue;
		if (try_select(md, st, slot, i, err))
			return (int)i;
	}
	return -1;
}

/* What pick_policy is given and hands back besides the slot. */
struct pick {
	__u32 start; /* out: where the safety net begins */
	int err; /* out: last error of a select other than -ENOENT */
};

/*
 * The policies other than roundrobin and hash: the slot chosen and
 * selected, or -1. A global subprogram: its code stays out of the common
 * path's way (instruction cache), and the verifier walks it once.
 */
__noinline int pick_policy(struct sk_reuseport_md *md, __u32 policy, __u32 n,
			   struct pick *out)
{
	struct bpf_sock *msk = md->migrating_sk;
	__u32 zero = 0, *start;
	struct scan s = {
		.md = md,
		.n = n,
	};
	struct rp_state *st;
	struct rp_slot *sl;
	int slot = -1, *err;
	__u32 h;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st || !out || n == 0 || n > RP_MAX_SLOTS)
		return -1;
	s.st = st;
	s.min_gen = st->hdr.max_generation;
	start = &out->start;
	err = &out->err;

	switch (policy) {
	case RP_POLICY_STICKY:
		h = client_hash(md, st, msk);
		slot = pick_sticky(md, &s, h, n, err);
		*start = scale32(h, n);
		break;
	case RP_POLICY_CPU:
		s.cpu = (__s32)bpf_get_smp_processor_id();
		s.start = scale32(md->hash, n);
		s.strict = LVL_PRIMARY;
		s.want_cpu = 1;
		bpf_loop(n, scan_one, &s, 0);
		if (s.found)
			slot = (int)s.chosen;
		*err = s.err;
		*start = scale32(md->hash, n);
		break;
	case RP_POLICY_LEASTCONN:
		s.start = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
		if (n > RP_SCAN_EXACT)
			pick_two(&s);
		else
			bpf_loop((n + RP_UNROLL - 1) / RP_UNROLL, least_some,
				 &s, 0);
		*start = s.start;
		if (s.found) {
			sl = slot_at(st, s.chosen);
			if (sl && try_select(md, st, sl, s.chosen, err))
				slot = (int)s.chosen;
			*start = s.chosen;
		}
		break;
	default: /* RP_POLICY_WEIGHTED */
		bpf_loop((n + RP_UNROLL - 1) / RP_UNROLL, weight_some, &s, 0);
		*start = 0;
		if (s.found) {
			sl = slot_at(st, s.chosen);
			if (sl) {
				__sync_fetch_and_add(&sl->current,
						     -s.total_weight);
				if (try_select(md, st, sl, s.chosen, err))
					slot = (int)s.chosen;
			}
			*start = s.chosen;
		}
		break;
	}
	return slot;
}

/* The choice of roundrobin or hash: the slot the policy itself names. */
static __always_inline __u32 common_pick(struct sk_reuseport_md *md,
					 struct rp_state *st, __u32 policy,
					 __u32 n)
{
	if (policy == RP_POLICY_ROUNDROBIN)
		return (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
	return scale32(md->hash, n);
}

/*
 * leastconn's first choice from the loads alone (rp_state.load; a slot
 * away carries RP_LOAD_AWAY): the least loaded of all up to RP_SCAN_MAX
 * slots, ties to the first after a rotating start, or the lighter of two
 * random slots. The caller checks that it may be chosen; if not, the
 * exact scan over eligible members decides (least_some).
 */
static __always_inline int least_pick(struct sk_reuseport_md *md,
				      struct rp_state *st, __u32 n)
{
	__u32 start, best = 0, i, a, b;
	__s64 bl = 0, l;

	if (n > RP_SCAN_MAX) {
		/*
		 * Two slots from the flow's hash and the clock, both for
		 * both: a helper call (bpf_get_prandom_u32) costs more than
		 * the whole choice (bpf_jiffies64 is inlined). n < 2^16.
		 */
		a = mix32(md->hash ^ (__u32)bpf_jiffies64());
		b = ((a >> 16) * n) >> 16;
		a = ((a & 0xffff) * n) >> 16;
		asm volatile("" : "+r"(a), "+r"(b)); /* see slot_at */
		if (a >= RP_MAX_SLOTS || b >= RP_MAX_SLOTS)
			return -1;
		return st->load[a] <= st->load[b] ? (int)a : (int)b;
	}
	start = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
#pragma unroll
	for (__u32 k = 0; k < RP_SCAN_MAX; k++) {
		if (k < n) {
			i = start + k;
			if (i >= n)
				i -= n;
			asm volatile("" : "+r"(i)); /* see slot_at */
			i &= RP_MAX_SLOTS - 1;
			l = st->load[i];
			if (!k || l < bl) {
				bl = l;
				best = i;
			}
		}
	}
	return bl >= RP_LOAD_AWAY ? -1 : (int)best;
}

/*
 * The first choice of roundrobin, hash, weighted, sticky or cpu, from a
 * table where the policy needs one (built by user space, see
 * group/schedule.c), or -1: the policy needs steer_general.
 */
static __always_inline int first_pick(struct sk_reuseport_md *md,
				      struct rp_state *st, __u32 policy,
				      __u32 n)
{
	struct rp_cpu_members *e;
	__u32 k, c;

	switch (policy) {
	case RP_POLICY_ROUNDROBIN:
	case RP_POLICY_HASH:
		return (int)common_pick(md, st, policy, n);
	case RP_POLICY_WEIGHTED:
		c = st->hdr.wsched_len;
		if (c - 1 >= RP_WSCHED_SIZE)
			return -1;
		k = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % c;
		asm volatile("" : "+r"(k)); /* see slot_at */
		return k < RP_WSCHED_SIZE ? st->wsched[k] : -1;
	case RP_POLICY_STICKY:
		/* pick_sticky's first probe */
		k = client_hash(md, st, 0) % RP_STICKY_SIZE;
		asm volatile("" : "+r"(k));
		return k < RP_STICKY_SIZE ? st->sticky[k] : -1;
	case RP_POLICY_LEASTCONN:
		return least_pick(md, st, n);
	case RP_POLICY_CPU:
		c = bpf_get_smp_processor_id();
		k = c;
		asm volatile("" : "+r"(k)); /* see slot_at */
		if (k >= RP_CPU_SLOTS)
			return -1;
		e = &st->cpu_slot[k];
		if (!e->n) /* nobody pinned here: the hash */
			return (int)scale32(md->hash, n);
		if (e->n > RP_CPU_WAYS)
			return -1; /* more than the table holds: scan */
		/* the hash picks one of the members pinned here */
		k = scale32(md->hash, e->n);
		asm volatile("" : "+r"(k)); /* see slot_at */
		if (k >= RP_CPU_WAYS)
			return -1;
		k = e->slot[k];
		if (k >= n || st->slots[k & (RP_MAX_SLOTS - 1)].cpu != (__s32)c)
			return -1; /* the table is older than the slot */
		return (int)k;
	}
	return -1;
}

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policies that scan or probe (leastconn, weighted, sticky, cpu),
 * behind one global subprogram, pick_policy(). Part of steer.bpf.c (one
 * translation unit): included after the scan helpers it uses.
 */
#ifndef RP_POLICY_BPF_H
#define RP_POLICY_BPF_H

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
		if (msk->family == 2 /* AF_INET */)
			return mix32(msk->dst_ip4);
		a[0] = msk->dst_ip6[0];
		a[1] = msk->dst_ip6[1];
		a[2] = msk->dst_ip6[2];
		a[3] = msk->dst_ip6[3];
	} else if (st->hdr.family == 2 /* AF_INET */ ||
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

#endif

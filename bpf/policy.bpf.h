/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policies: their first choice from the tables user space builds
 * (first_pick: the common path), and for those that scan or probe
 * (leastconn, weighted, sticky, cpu) the choice behind one global
 * subprogram, pick_policy(). Part of the steering program, see
 * steer_common.bpf.h.
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
	struct rp_slot_run *slot;
	struct grp *gr = &s->gr;
	__s64 *load;

	if (i >= s->n)
		i -= s->n;
	slot = slot_at(gr, i);
	if (!slot)
		return 1;
	if (!slot->cookie || !rp_usable(s->gr.g, i, s->min_gen, LVL_PRIMARY))
		return 0;
	load = load_at(gr, i);
	if (!load)
		return 0;
	if (!s->found || *load < s->best_load) {
		s->best_load = *load;
		s->chosen = i;
		s->found = 1;
	}
	return 0;
}

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

static __always_inline void pick_two(struct scan *s)
{
	for (int t = 0; t < 4 && !s->found; t++) {
		least_one(bpf_get_prandom_u32() % s->n, s);
		least_one(bpf_get_prandom_u32() % s->n, s);
	}
}

static __always_inline int weight_one(__u32 k, struct scan *s)
{
	struct rp_slot_run *slot;
	struct grp *gr = &s->gr;
	__s64 w, cur;

	slot = slot_at(gr, k);
	if (!slot)
		return 1;
	if (!slot->cookie || !rp_usable(s->gr.g, k, s->min_gen, LVL_PRIMARY))
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
 * remote end of the connection being migrated otherwise.
 */
static __always_inline __u32 client_hash(struct sk_reuseport_md *md,
					 struct grp *gr, struct bpf_sock *msk)
{
	__u32 a[4] = { 0 };

	if (msk) {
		if (msk->family == AF_INET)
			return mix32(msk->dst_ip4);
		a[0] = msk->dst_ip6[0];
		a[1] = msk->dst_ip6[1];
		a[2] = msk->dst_ip6[2];
		a[3] = msk->dst_ip6[3];
	} else if (gr->hot->family == AF_INET ||
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
		if (!a[0] && !a[1] && a[2] == bpf_htonl(0xffff))
			return mix32(a[3]);
	}
	return mix32(a[0] ^ mix32(a[1] ^ mix32(a[2] ^ mix32(a[3]))));
}

static __always_inline int pick_sticky(struct sk_reuseport_md *md,
				       struct scan *s, struct grp *gr, __u32 h,
				       __u32 n, int *err)
{
	__u32 step = mix32(h ^ 0x9e3779b9) | 1, size = gr->hot->sticky_size;
	struct rp_slot_run *slot;
	int i;

	if (!size)
		return -1;
	for (int k = 0; k < 4; k++) {
		__u32 b = (h + (__u32)k * step) % size;

		i = u16_at(gr, gr->hot->off_sticky, b);
		if (i < 0 || (__u32)i >= n)
			continue;
		slot = slot_at(gr, (__u32)i);
		if (!slot ||
		    !rp_usable(s->gr.g, (__u32)i, s->min_gen, LVL_PRIMARY))
			continue;
		if (try_select(md, gr, slot, (__u32)i, err))
			return i;
	}
	return -1;
}

struct pick {
	__u32 start; /* out: where the safety net begins */
	int err; /* out: last error of a select other than -ENOENT */
};

__noinline int pick_policy(struct sk_reuseport_md *md, __u32 g, __u32 policy,
			   __u32 n, struct pick *out)
{
	struct bpf_sock *msk;
	struct scan s = {
		.md = md,
		.n = n,
	};
	struct rp_slot_run *sl;
	struct grp gr;
	int slot = -1;
	__u32 h;

	if (!md || !out || !grp_get(g, &gr) || n == 0 || n > RP_MAX_SLOTS)
		return -1;
	s.gr = gr;
	msk = md->migrating_sk;
	s.min_gen = gr.hot->max_generation;

	switch (policy) {
	case RP_POLICY_STICKY:
		h = client_hash(md, &gr, msk);
		slot = pick_sticky(md, &s, &gr, h, n, &out->err);
		out->start = scale32(h, n);
		break;
	case RP_POLICY_CPU:
		s.cpu = (__s32)bpf_get_smp_processor_id();
		s.start = scale32(md->hash, n);
		s.strict = LVL_PRIMARY;
		s.want_cpu = 1;
		bpf_loop(n, scan_one, &s, 0);
		if (s.found)
			slot = (int)s.chosen;
		out->err = s.err;
		out->start = scale32(md->hash, n);
		break;
	case RP_POLICY_LEASTCONN:
		s.start = (__u32)__sync_fetch_and_add(&gr.hot->rr, 1) % n;
		if (n > RP_SCAN_EXACT)
			pick_two(&s);
		else
			bpf_loop((n + RP_UNROLL - 1) / RP_UNROLL, least_some,
				 &s, 0);
		out->start = s.start;
		if (s.found) {
			sl = slot_at(&gr, s.chosen);
			if (sl && try_select(md, &gr, sl, s.chosen, &out->err))
				slot = (int)s.chosen;
			out->start = s.chosen;
		}
		break;
	default: /* RP_POLICY_WEIGHTED */
		bpf_loop((n + RP_UNROLL - 1) / RP_UNROLL, weight_some, &s, 0);
		out->start = 0;
		if (s.found) {
			sl = slot_at(&gr, s.chosen);
			if (sl) {
				__sync_fetch_and_add(&sl->current,
						     -s.total_weight);
				if (try_select(md, &gr, sl, s.chosen,
					       &out->err))
					slot = (int)s.chosen;
			}
			out->start = s.chosen;
		}
		break;
	}
	return slot;
}

/*
 * leastconn's first choice from the loads alone (a slot away carries
 * RP_LOAD_AWAY): the least loaded of all up to RP_SCAN_MAX slots (one
 * element: the first 16 loads), ties to the first after a rotating start,
 * or the lighter of two random slots.
 */
static __always_inline int least_pick(struct sk_reuseport_md *md,
				      struct grp *gr, __u32 n)
{
	__u32 start, best = 0, i, a, b;
	__s64 bl = 0, l, *la, *lb;
	struct rp_loads *ld;

	if (n > RP_SCAN_MAX) {
		a = mix32(md->hash ^ (__u32)bpf_jiffies64());
		b = ((a >> 16) * n) >> 16;
		a = ((a & 0xffff) * n) >> 16;
		la = load_at(gr, a);
		lb = load_at(gr, b);
		if (!la || !lb)
			return -1;
		return *la <= *lb ? (int)a : (int)b;
	}
	ld = elem(gr->st, gr->hot->off_load);
	if (!ld)
		return -1;
	start = (__u32)__sync_fetch_and_add(&gr->hot->rr, 1) % n;
#pragma unroll
	for (__u32 k = 0; k < RP_SCAN_MAX; k++) {
		if (k < n) {
			i = start + k;
			if (i >= n)
				i -= n;
			asm volatile("" : "+r"(i)); /* see slot_at */
			i &= RP_LOADS_PER_ELEM - 1;
			l = ld->l[i];
			if (!k || l < bl) {
				bl = l;
				best = i;
			}
		}
	}
	return bl >= RP_LOAD_AWAY ? -1 : (int)best;
}

/*
 * The first choice of weighted, sticky, leastconn or cpu, from a table
 * where the policy needs one (built by user space), or -1: the policy
 * needs steer_general.
 */
static __always_inline int first_pick(struct sk_reuseport_md *md,
				      struct grp *gr, __u32 policy, __u32 n)
{
	struct rp_cpu_members *e;
	__u32 k, c;

	switch (policy) {
	case RP_POLICY_WEIGHTED:
		c = gr->hot->wsched_len;
		if (c - 1 >= RP_WSCHED_MAX)
			return -1;
		k = (__u32)__sync_fetch_and_add(&gr->hot->rr, 1) % c;
		return u16_at(gr, gr->hot->off_wsched, k);
	case RP_POLICY_STICKY:
		/* pick_sticky's first probe */
		c = gr->hot->sticky_size;
		if (!c)
			return -1;
		k = client_hash(md, gr, 0) % c;
		return u16_at(gr, gr->hot->off_sticky, k);
	case RP_POLICY_LEASTCONN:
		return least_pick(md, gr, n);
	case RP_POLICY_CPU:
		c = bpf_get_smp_processor_id();
		if (c >= gr->hot->ncpu)
			return -1;
		e = elem(gr->st, gr->hot->off_cpu + c);
		if (!e)
			return -1;
		if (!e->n) /* nobody pinned here: the hash */
			return (int)scale32(md->hash, n);
		if (e->n > RP_CPU_WAYS)
			return -1; /* more than the table holds: scan */
		k = scale32(md->hash, e->n);
		asm volatile("" : "+r"(k)); /* see slot_at */
		if (k >= RP_CPU_WAYS)
			return -1;
		return e->slot[k];
	}
	return -1;
}

#endif

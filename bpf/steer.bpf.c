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
 * Every policy ends in the same safety net: if its choice cannot be
 * selected, scan from a policy-given start for any eligible live slot,
 * then for any live slot at all. Only when no registered socket is live
 * does the kernel's own hash decide (SK_PASS without a selection).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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

static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Shared with the bpf_loop() callbacks. */
struct scan {
	struct sk_reuseport_md *md;
	struct rp_state *st;
	__u32 start;
	__u32 n;
	__u32 min_gen;
	__u32 chosen;
	int found;
	int strict; /* 2: skip draining and older generations, 1: draining */
	int err; /* last error other than -ENOENT */
	/* policy scans */
	__s64 best_load;
	__s64 total_weight;
	__s32 cpu;
	int want_cpu; /* cpu policy: only slots pinned to cpu */
};

static __always_inline struct rp_slot *slot_at(struct rp_state *st, __u32 i)
{
	/* i is often x % n: clang knows the bound, the verifier does not */
	asm volatile("" : "+r"(i));
	if (i >= RP_MAX_SLOTS)
		return 0;
	return &st->slots[i];
}

static __always_inline int usable(struct rp_slot *slot, __u32 min_gen,
				  int strict)
{
	if (slot->cookie && slot->dead_cookie == slot->cookie)
		return 0;
	if (strict >= 1 && (slot->flags & RP_SLOT_DRAINING))
		return 0;
	if (strict >= 2 && slot->generation < min_gen)
		return 0;
	return 1;
}

/* Select slot i; on an empty slot remember that its socket is gone. */
static __always_inline int try_select(struct sk_reuseport_md *md,
				      struct rp_slot *slot, __u32 i, int *err)
{
	__u64 cookie = slot->cookie;
	long ret = bpf_sk_select_reuseport(md, &socks, &i, 0);

	if (ret == 0)
		return 1;
	if (ret == -ENOENT) {
		if (cookie)
			slot->dead_cookie = cookie;
	} else {
		*err = (int)ret;
	}
	return 0;
}

static int scan_one(__u32 k, struct scan *s)
{
	__u32 i = s->start + k;
	struct rp_slot *slot;

	if (i >= s->n)
		i -= s->n;
	slot = slot_at(s->st, i);
	if (!slot)
		return 1;
	if (!usable(slot, s->min_gen, s->strict))
		return 0;
	if (s->want_cpu && (!slot->cookie || slot->cpu != s->cpu))
		return 0;
	if (try_select(s->md, slot, i, &s->err)) {
		s->chosen = i;
		s->found = 1;
		return 1;
	}
	return 0;
}

/*
 * The safety net: first live eligible slot at or after start, else the
 * first live one. Returns the slot index or -1.
 */
__noinline int pick_from(struct sk_reuseport_md *md, __u32 start, __u32 n)
{
	__u32 zero = 0;
	struct rp_state *st = bpf_map_lookup_elem(&state, &zero);

	if (!st || n > RP_MAX_SLOTS)
		return -1;
	struct scan s = {
		.md = md,
		.st = st,
		.start = start,
		.n = n,
		.min_gen = st->hdr.max_generation,
		.strict = 2,
	};

	/*
	 * Nothing eligible: an older generation (its successor may have
	 * died) before a draining member (an operator's explicit wish),
	 * and a draining member before a reset.
	 */
	for (int level = 2; level >= 0 && !s.found; level--) {
		s.strict = level;
		bpf_loop(n, scan_one, &s, 0);
		if (s.found && level < 2)
			count(st, RP_CNT_INELIGIBLE);
	}
	if (s.err)
		count(st, RP_CNT_SELECT_ERROR);
	return s.found ? (int)s.chosen : -1;
}

/* leastconn: fewest queued + active, ties to the first after start. */
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
	if (!slot->cookie || !usable(slot, s->min_gen, 2))
		return 0;
	load = slot->queued + slot->active;
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
	if (!slot->cookie || !usable(slot, s->min_gen, 2))
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
	} else if (md->eth_protocol == bpf_htons(ETH_P_IP)) {
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
				       struct rp_state *st, __u32 h, __u32 n,
				       int *err)
{
	__u32 step = mix32(h ^ 0x9e3779b9) | 1;
	__u32 min_gen = st->hdr.max_generation;

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
		if (!slot || !usable(slot, min_gen, 2))
			continue;
		if (try_select(md, slot, i, err))
			return (int)i;
	}
	return -1;
}

/* What pick_policy hands back besides the slot. */
struct pick {
	__u32 start; /* where the safety net begins */
	int err; /* last error of a select other than -ENOENT */
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
		h = client_hash(md, msk);
		slot = pick_sticky(md, st, h, n, err);
		*start = h % n;
		break;
	case RP_POLICY_CPU:
		s.cpu = (__s32)bpf_get_smp_processor_id();
		s.start = md->hash % n;
		s.strict = 2;
		s.want_cpu = 1;
		bpf_loop(n, scan_one, &s, 0);
		if (s.found)
			slot = (int)s.chosen;
		*err = s.err;
		*start = md->hash % n;
		break;
	case RP_POLICY_LEASTCONN:
		s.start = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
		if (n > RP_SCAN_MAX)
			pick_two(&s);
		else
			bpf_loop((n + RP_UNROLL - 1) / RP_UNROLL, least_some,
				 &s, 0);
		*start = s.start;
		if (s.found) {
			sl = slot_at(st, s.chosen);
			if (sl && try_select(md, sl, s.chosen, err))
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
				if (try_select(md, sl, s.chosen, err))
					slot = (int)s.chosen;
			}
			*start = s.chosen;
		}
		break;
	}
	return slot;
}

SEC("sk_reuseport/migrate")
int steer(struct sk_reuseport_md *md)
{
	struct bpf_sock *msk = md->migrating_sk;
	struct rp_state *st;
	struct rp_slot *sl;
	__u32 zero = 0, n, start, policy;
	int slot = -1, err = 0;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return SK_PASS;
	/* runs is not counted: user space sums the outcomes (one atomic less) */

	/*
	 * A member that could not be registered gets nothing from a map
	 * selection; the kernel hash over the whole group still reaches it.
	 */
	if ((st->hdr.unsteered || st->hdr.unregistered) && !msk) {
		count(st, RP_CNT_UNSTEERED);
		return SK_PASS;
	}

	n = st->hdr.nslots;
	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	if (n == 0)
		goto empty;

	policy = st->hdr.policy;
	if (policy == RP_POLICY_AUTO || policy >= RP_POLICY_MAX) {
		/* AUTO is resolved at creation; anything else is a newer
		 * tool's value: count it, and rotate rather than reset */
		count(st, RP_CNT_BAD_POLICY);
		policy = RP_POLICY_ROUNDROBIN;
	}
	if (policy == RP_POLICY_ROUNDROBIN || policy == RP_POLICY_HASH) {
		/*
		 * The common case, kept short (no loop, no scan state): the
		 * policy's choice itself, what pick_from would try first.
		 */
		if (policy == RP_POLICY_ROUNDROBIN)
			start = (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
		else
			start = md->hash % n;
		sl = slot_at(st, start);
		if (sl && usable(sl, st->hdr.max_generation, 2) &&
		    try_select(md, sl, start, &err))
			slot = (int)start;
	} else {
		struct pick out = { 0, 0 };

		slot = pick_policy(md, policy, n, &out);
		start = out.start;
		err = out.err;
	}
	if (err)
		count(st, RP_CNT_SELECT_ERROR);

	if (slot < 0) {
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
	if (sl) {
		__sync_fetch_and_add(&sl->selected, 1);
		if (msk)
			__sync_fetch_and_add(&sl->migrated, 1);
		/*
		 * TCP: a connection now waits in this slot's accept queue.
		 * The group's protocol, not md->ip_protocol: that reads the
		 * listener's struct sock, a cache miss that cost ~25 ns a run.
		 */
		if (st->hdr.proto == IPPROTO_TCP)
			__sync_fetch_and_add(&sl->queued, 1);
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

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

/*
 * UDP flow table (REUSEPORT_UDP_FLOWS): flow -> member, so that a flow
 * stays on a draining or older member until that member is gone. Sets
 * of entries (struct rp_flow_set); max_entries, the number of sets, is
 * set per group before load (1 when off).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct rp_flow_set);
} flows SEC(".maps");

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

/*
 * A uniform 32-bit value (a hash) scaled into [0, n): one multiply where
 * h % n is a division (the kernel's reciprocal_scale()).
 */
static __always_inline __u32 scale32(__u32 h, __u32 n)
{
	return (__u32)(((__u64)h * n) >> 32);
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
	int strict; /* enum level */
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

/* What a slot must be to be chosen; a search lowers it step by step. */
enum level {
	LVL_LIVE, /* any live member */
	LVL_NOT_DRAINING,
	LVL_NEWEST, /* and of the newest generation */
	LVL_RUNNING, /* and not stalled */
	LVL_PRIMARY, /* and not standby: what the policies choose from */
};

/*
 * Stall guard (TCP): a member with stall_limit (stall_queue) selections
 * since the program's last note of its accepts (stall_seen: user space's
 * dequeued then) gets this closer look. Its accepts moved: a note, not
 * stalled; the note has the time at most every stall_queue selections
 * (stall_next), else no time (0). They did not move: at least that many
 * connections wait that nobody took; the time when that was first seen is
 * noted, and the member is stalled once that is stall_ms old. A member
 * whose accepts are not seen (neither the shim's hooks nor the kernel
 * truth's correction: a server that bypasses both) is never stalled: its
 * note is its selections, so it is looked at again stall_queue later.
 * A healthy member costs one look (a call and a clock read) every
 * stall_queue selections.
 */
static __noinline int stall_look(struct rp_state *st, struct rp_slot *slot)
{
	__u64 d, sel, now;

	if (!st || !slot)
		return 0;
	d = slot->dequeued;
	sel = slot->selected;
	if (!slot->accepted && !(slot->flags & RP_SLOT_KQUEUE)) {
		slot->stall_seen = sel;
		slot->stall_ns = 0;
		return 0;
	}
	if (d != slot->stall_seen) {
		slot->stall_seen = d;
		slot->stall_ns = 0;
		if ((__s64)(sel - slot->stall_next) >= 0) {
			slot->stall_ns = bpf_ktime_get_coarse_ns() | 1;
			slot->stall_next = sel + st->hdr.stall_queue;
		}
		return 0;
	}
	now = bpf_ktime_get_coarse_ns();
	if (!slot->stall_ns) {
		slot->stall_ns = now | 1;
		return 0;
	}
	return now - slot->stall_ns >= (__u64)st->hdr.stall_ms * 1000000;
}

/*
 * The stall guard's test: one comparison on the program's own line. With
 * the guard off (or UDP) stall_limit is RP_STALL_NEVER: it never passes.
 */
static __always_inline int stalled(struct rp_state *st, struct rp_slot *slot)
{
	if ((__s64)(slot->selected - slot->stall_seen) < st->hdr.stall_limit)
		return 0;
	return stall_look(st, slot);
}

static __always_inline int slot_ok(struct rp_state *st, struct rp_slot *slot,
				   __u32 min_gen, int strict)
{
	if (slot->cookie && slot->dead_cookie == slot->cookie)
		return 0;
	if (strict >= LVL_NOT_DRAINING && (slot->flags & RP_SLOT_DRAINING))
		return 0;
	if (strict >= LVL_NEWEST && slot->generation < min_gen)
		return 0;
	if (strict >= LVL_PRIMARY && (slot->flags & RP_SLOT_STANDBY))
		return 0;
	if (strict >= LVL_RUNNING && stalled(st, slot)) {
		if (strict == LVL_PRIMARY)
			count(st, RP_CNT_STALL_SKIPS);
		return 0;
	}
	return 1;
}

/*
 * The same as a global function: the verifier checks it once, not in
 * every state of every bpf_loop callback that asks (that multiplied the
 * load time). The common path inlines slot_ok instead (a call costs).
 */
__noinline int rp_usable(struct rp_state *st, struct rp_slot *slot,
			 __u32 min_gen, int strict)
{
	if (!st || !slot)
		return 0;
	return slot_ok(st, slot, min_gen, strict);
}

static __always_inline int usable(struct scan *s, struct rp_slot *slot,
				  int strict)
{
	return rp_usable(s->st, slot, s->min_gen, strict);
}

/*
 * Select slot i; on an empty slot remember that its socket is gone (and
 * take it out of leastconn's choice until the slot is claimed again).
 */
static __always_inline int try_select(struct sk_reuseport_md *md,
				      struct rp_state *st, struct rp_slot *slot,
				      __u32 i, int *err)
{
	__u64 cookie = slot->cookie;
	long ret = bpf_sk_select_reuseport(md, &socks, &i, 0);

	if (ret == 0)
		return 1;
	if (ret == -ENOENT) {
		if (cookie && slot->dead_cookie != cookie) {
			slot->dead_cookie = cookie;
			if (i < RP_MAX_SLOTS)
				st->load[i] = RP_LOAD_AWAY;
		}
	} else {
		*err = (int)ret;
	}
	return 0;
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

#include "policy.bpf.h"
#include "flows.bpf.h"

/* The choice of roundrobin or hash: the slot the policy itself names. */
static __always_inline __u32 common_pick(struct sk_reuseport_md *md,
					 struct rp_state *st, __u32 policy,
					 __u32 n)
{
	if (policy == RP_POLICY_ROUNDROBIN)
		return (__u32)__sync_fetch_and_add(&st->hdr.rr, 1) % n;
	return scale32(md->hash, n);
}

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

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

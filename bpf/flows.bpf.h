/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The UDP flow table (REUSEPORT_UDP_FLOWS): the flow of a datagram, its
 * member if it is still there, and placing a new flow. Part of the
 * steering program, see steer_common.bpf.h.
 */
#ifndef RP_FLOWS_BPF_H
#define RP_FLOWS_BPF_H

#include "scan.bpf.h"
#include "slot.bpf.h"
#include "steer_common.bpf.h"

/*
 * The flow of a UDP datagram: the kernel's hash of its 4-tuple and its
 * source port, read in place (md->data starts at the UDP header, which
 * the kernel has pulled). 0, or -1 when unreadable.
 */
static __always_inline int flow_key(struct sk_reuseport_md *md,
				    struct rp_flow_key *k)
{
	void *data = (void *)(long)md->data;
	__u16 *sport = data;

	if ((void *)(sport + 1) > (void *)(long)md->data_end)
		return -1;
	k->hash = md->hash;
	k->port = *sport;
	return 0;
}

/* The set of flow k (the map is sized to hdr.flow_sets sets). */
static __always_inline struct rp_flow_set *flow_set(struct rp_state *st,
						    struct rp_flow_key *k)
{
	__u32 i = scale32(k->hash, st->hdr.flow_sets);

	return bpf_map_lookup_elem(&flows, &i);
}

/* Entry f is (or was, if not used) flow k's. */
static __always_inline int flow_is(struct rp_flow *f, struct rp_flow_key *k)
{
	return f->hash == k->hash && f->port == k->port;
}

/* The entry of flow k in its set, or 0. */
static __always_inline struct rp_flow *flow_find(struct rp_flow_set *fs,
						 struct rp_flow_key *k)
{
#pragma unroll
	for (int w = 0; w < RP_FLOW_WAYS; w++)
		if (flow_is(&fs->e[w], k) && fs->e[w].used)
			return &fs->e[w];
	return 0;
}

/*
 * The member of flow entry f, selected, if it is still there (same
 * socket in the slot), even draining or of an older generation (level
 * "live": only the dead-socket test); -1 if it is gone. A hit refreshes
 * the entry's time about every second (a write to a shared line, rarely).
 */
static __always_inline int flow_member(struct sk_reuseport_md *md,
				       struct rp_state *st, __u32 n,
				       struct rp_flow *f, int *err)
{
	__u32 i = f->slot, now;
	struct rp_slot *slot = i < n ? slot_at(st, i) : 0;

	if (!slot || (__u32)slot->cookie != f->cookie ||
	    !slot_ok(st, slot, 0, LVL_LIVE) ||
	    !try_select(md, st, slot, i, err))
		return -1;
	now = (__u32)bpf_jiffies64() | 1;
	if (now - f->used > 256)
		f->used = now;
	return (int)i;
}

/*
 * The common case of a flow table: a datagram of a known flow whose
 * member is still there: that member, selected, or -1 for steer_general
 * (unknown flow, member gone, no room to read).
 */
static __always_inline int flow_hit(struct sk_reuseport_md *md,
				    struct rp_state *st, __u32 n)
{
	struct rp_flow_set *fs;
	struct rp_flow_key k;
	struct rp_flow *f;
	int err = 0;

	if (flow_key(md, &k))
		return -1;
	fs = flow_set(st, &k);
	f = fs ? flow_find(fs, &k) : 0;
	return f ? flow_member(md, st, n, f, &err) : -1;
}

/*
 * steer_general's look at the table, counted: the flow's member (a hit),
 * or -1 (a new flow, or one whose member is gone).
 */
static __always_inline int flow_lookup(struct sk_reuseport_md *md,
				       struct scan *s, struct rp_flow_key *k)
{
	struct rp_flow_set *fs = flow_set(s->st, k);
	struct rp_flow *f = fs ? flow_find(fs, k) : 0;
	int slot;

	if (!f) {
		count(s->st, RP_CNT_FLOW_NEW);
		return -1;
	}
	slot = flow_member(md, s->st, s->n, f, &s->err);
	count(s->st, slot >= 0 ? RP_CNT_FLOW_HITS : RP_CNT_FLOW_STALE);
	return slot;
}

/*
 * Flow k now goes to slot (whose socket has cookie): its entry again, a
 * free one, or the one of its set used longest ago. Two CPUs placing
 * flows in one set at once may overwrite each other's entry: that flow
 * is placed again at its next datagram.
 */
static __always_inline void
flow_place(struct rp_state *st, struct rp_flow_key *k, __u32 slot, __u64 cookie)
{
	struct rp_flow_set *fs = flow_set(st, k);
	__u32 now = (__u32)bpf_jiffies64() | 1, w = 0;
	__s32 age, oldest = -1;
	struct rp_flow *f;

	if (!fs)
		return;
#pragma unroll
	for (__u32 v = 0; v < RP_FLOW_WAYS; v++) {
		f = &fs->e[v];
		if (!f->used || flow_is(f, k)) {
			w = v;
			break;
		}
		age = (__s32)(now - f->used);
		if (age > oldest) {
			oldest = age;
			w = v;
		}
	}
	if (w >= RP_FLOW_WAYS)
		return;
	f = &fs->e[w];
	f->used = 0;
	f->hash = k->hash;
	f->port = (__u16)k->port;
	f->slot = (__u16)slot;
	f->cookie = (__u32)cookie;
	f->used = now;
}

#endif

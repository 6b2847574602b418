/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The UDP flow table (REUSEPORT_UDP_FLOWS): a flow -> its member, so that
 * a flow stays on a draining or older member until that member is gone.
 * The group's table is in the outer map flows at the group's index, an
 * array of sets (struct rp_flow_set). Part of the steering program, see
 * steer_common.bpf.h.
 */
#ifndef RP_FLOWS_BPF_H
#define RP_FLOWS_BPF_H

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

static __always_inline struct rp_flow_set *flow_set(struct grp *gr,
						    struct rp_flow_key *k)
{
	void *fl = bpf_map_lookup_elem(&flows, &gr->g);
	__u32 i = scale32(k->hash, gr->hot->flow_sets);

	return fl ? bpf_map_lookup_elem(fl, &i) : 0;
}

static __always_inline int flow_is(struct rp_flow *f, struct rp_flow_key *k)
{
	return f->hash == k->hash && f->port == k->port;
}

static __always_inline struct rp_flow *flow_find(struct rp_flow_set *fs,
						 struct rp_flow_key *k)
{
#pragma unroll
	for (int w = 0; w < RP_FLOW_WAYS; w++)
		if (flow_is(&fs->e[w], k) && fs->e[w].used)
			return &fs->e[w];
	return 0;
}

static __always_inline int flow_member(struct sk_reuseport_md *md,
				       struct grp *gr, __u32 n,
				       struct rp_flow *f, int *err)
{
	__u32 i = f->slot, now;
	struct rp_slot_run *slot = i < n ? slot_at(gr, i) : 0;

	if (!slot || (__u32)slot->cookie != f->cookie ||
	    !slot_ok(gr, slot, i, 0, LVL_LIVE) ||
	    !try_select(md, gr, slot, i, err))
		return -1;
	now = (__u32)bpf_jiffies64() | 1;
	if (now - f->used > 256)
		f->used = now;
	return (int)i;
}

static __always_inline int flow_hit(struct sk_reuseport_md *md, struct grp *gr,
				    __u32 n)
{
	struct rp_flow_set *fs;
	struct rp_flow_key k;
	struct rp_flow *f;
	int err = 0;

	if (flow_key(md, &k))
		return -1;
	fs = flow_set(gr, &k);
	f = fs ? flow_find(fs, &k) : 0;
	return f ? flow_member(md, gr, n, f, &err) : -1;
}

static __always_inline int flow_lookup(struct sk_reuseport_md *md,
				       struct grp *gr, __u32 n,
				       struct rp_flow_key *k, int *err)
{
	struct rp_flow_set *fs = flow_set(gr, k);
	struct rp_flow *f = fs ? flow_find(fs, k) : 0;
	int slot;

	if (!f) {
		count(gr, RP_CNT_FLOW_NEW);
		return -1;
	}
	slot = flow_member(md, gr, n, f, err);
	count(gr, slot >= 0 ? RP_CNT_FLOW_HITS : RP_CNT_FLOW_STALE);
	return slot;
}

static __always_inline void flow_place(struct grp *gr, struct rp_flow_key *k,
				       __u32 slot, __u64 cookie)
{
	struct rp_flow_set *fs = flow_set(gr, k);
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

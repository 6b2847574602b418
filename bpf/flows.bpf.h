/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The UDP flow table (REUSEPORT_UDP_FLOWS). Part of steer.bpf.c (one translation
 * unit): included after the scan helpers it uses.
 */
#ifndef RP_FLOWS_BPF_H
#define RP_FLOWS_BPF_H

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

/*
 * The member of flow entry f, selected, if it is still there (same
 * socket in the slot), even draining or of an older generation (level
 * "live": only the dead-socket test); -1 if it is gone.
 */
static __always_inline int flow_member(struct sk_reuseport_md *md,
				       struct rp_state *st, __u32 n,
				       struct rp_flow *f, int *err)
{
	struct rp_slot *slot = f->slot < n ? slot_at(st, f->slot) : 0;

	if (slot && slot->cookie == f->cookie &&
	    slot_ok(st, slot, 0, LVL_LIVE, 0) &&
	    try_select(md, st, slot, f->slot, err))
		return (int)f->slot;
	return -1;
}

/*
 * The common case of a flow table: a datagram of a known flow whose
 * member is still there: that member, selected, or -1 for steer_general
 * (unknown flow, member gone, no room to read).
 */
static __always_inline int flow_hit(struct sk_reuseport_md *md,
				    struct rp_state *st, __u32 n)
{
	struct rp_flow_key k;
	struct rp_flow *f;
	int err = 0;

	if (flow_key(md, &k))
		return -1;
	f = bpf_map_lookup_elem(&flows, &k);
	return f ? flow_member(md, st, n, f, &err) : -1;
}

/*
 * steer_general's look at the table, counted: the flow's member (a hit),
 * or -1 (a new flow, or one whose member is gone).
 */
static __always_inline int flow_lookup(struct sk_reuseport_md *md,
				       struct scan *s, struct rp_flow_key *k)
{
	struct rp_flow *f = bpf_map_lookup_elem(&flows, k);
	int slot;

	if (!f) {
		count(s->st, RP_CNT_FLOW_NEW);
		return -1;
	}
	slot = flow_member(md, s->st, s->n, f, &s->err);
	count(s->st, slot >= 0 ? RP_CNT_FLOW_HITS : RP_CNT_FLOW_STALE);
	return slot;
}

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every part of the steering program uses: its maps, the group of a
 * run (found from the listener the kernel's lookup hit), the group's
 * elements by index, the hashes, the counters and the levels of
 * eligibility. The program is one translation unit (bpf/steer.bpf.c); its
 * parts are headers that each include what they use:
 *
 *   steer_common.bpf.h  this
 *   slot.bpf.h          one slot: the stall guard, eligible, selecting it
 *   scan.bpf.h          the scans over slots and the safety net (pick_from)
 *   policy.bpf.h        the policies' first choices and their scans
 *   flows.bpf.h         the UDP flow table
 *   steer.bpf.c         the entry point and everything but its common case
 *
 * One object, loaded once per network namespace for each protocol
 * (rp_proto, set before load: the verifier drops the other protocol's
 * code), serves every group of that namespace: each group's maps sit in
 * the outer maps at the group's index.
 */
#ifndef RP_STEER_COMMON_BPF_H
#define RP_STEER_COMMON_BPF_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "groups.bpf.h"
#include "steer.h"

#define ENOENT 2
/* sys/socket.h's values: the headers a BPF program can include have none */
#define AF_INET 2
#define AF_INET6 10

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* IPPROTO_TCP or IPPROTO_UDP: set before load, one program each */
const volatile __u32 rp_proto = IPPROTO_TCP;
#define TCP (rp_proto == IPPROTO_TCP)
#define UDP (rp_proto == IPPROTO_UDP)

struct rp_sockarray {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 8);
};

/* every group's sockarray and (UDP) flow table, at its index (groups.bpf.h: state) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, RP_GROUPS);
	__type(key, __u32);
	__array(values, struct rp_sockarray);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, RP_GROUPS);
	__type(key, __u32);
	__array(values, struct rp_elems);
} flows SEC(".maps");

static __always_inline __u32 mix32(__u32 h)
{
	return rp_mix32(h);
}

/* h uniform in [0, 2^32) scaled to [0, n): a multiply, not a division */
static __always_inline __u32 scale32(__u32 h, __u32 n)
{
	return (__u32)(((__u64)h * n) >> 32);
}

/* element e of a group's state map st (0 if out of the map) */
/*
 * The group a run is for: its state map, its element 0 and its index in
 * the outer maps. Global subprograms get the index and look again (a map
 * pointer cannot be passed to them).
 */
struct grp {
	void *st;
	struct rp_hot *hot;
	__u32 g;
};

/* What md->sk says the group is (the fields rp_hot's line 1 starts with). */
struct ident {
	__u32 addr[4];
	__u32 port_family; /* port << 16 | family */
	__u32 ifindex;
};

/*
 * md->sk is the listener the kernel's lookup hit, a member of the group:
 * its port, family, address and device name the group. The fields are in
 * the part of the socket that lookup has just read (no cache miss), unlike
 * its protocol: hence one program per protocol.
 */
static __always_inline __u32 ident_read(struct sk_reuseport_md *md,
					struct ident *id)
{
	struct bpf_sock *sk = md->sk, *msk = md->migrating_sk;
	__u32 family = sk->family, port;

	/*
	 * A migration's md->sk is the closing listener, whose port the
	 * kernel has already cleared: the connection being migrated has it.
	 * (Two loads clang must not merge: the verifier refuses one insn
	 * reading through two kinds of pointer.)
	 */
	if (unlikely(msk)) {
		port = msk->src_port;
		asm volatile("" : "+r"(port));
	} else {
		port = sk->src_port;
		asm volatile("" : "+r"(port));
	}
	/* a load each: a shared address would be arithmetic on a socket
	 * pointer, which the verifier refuses */
	id->port_family = port << 16 | family;
	id->ifindex = sk->bound_dev_if;
	if (family == AF_INET) {
		id->addr[0] = sk->src_ip4;
		id->addr[1] = id->addr[2] = id->addr[3] = 0;
	} else {
		id->addr[0] = sk->src_ip6[0];
		asm volatile("" ::: "memory");
		id->addr[1] = sk->src_ip6[1];
		asm volatile("" ::: "memory");
		id->addr[2] = sk->src_ip6[2];
		asm volatile("" ::: "memory");
		id->addr[3] = sk->src_ip6[3];
	}
	return rp_ident_hash(id->port_family, id->addr, id->ifindex);
}

static __always_inline int ident_is(const struct rp_hot *h,
				    const struct ident *id)
{
	return ((__u32)h->port << 16 | h->family) == id->port_family &&
	       h->ifindex == id->ifindex && h->addr[0] == id->addr[0] &&
	       h->addr[1] == id->addr[1] && h->addr[2] == id->addr[2] &&
	       h->addr[3] == id->addr[3];
}

static __always_inline int grp_get(__u32 g, struct grp *gr)
{
	gr->g = g & (RP_GROUPS - 1);
	gr->st = bpf_map_lookup_elem(&groups, &gr->g);
	if (!gr->st)
		return 0;
	gr->hot = elem(gr->st, RP_E_HOT);
	return gr->hot != 0;
}

/*
 * The group's index past the first of its probe sequence (user space puts
 * a group at the first free index from its hash): a global subprogram,
 * off the common path.
 */
__noinline int rp_grp_probe(struct sk_reuseport_md *md)
{
	struct ident id;
	struct grp gr;
	__u32 h;

	if (!md)
		return -1;
	h = ident_read(md, &id);
	for (__u32 k = 1; k < RP_GROUP_PROBES; k++)
		if (grp_get(h + k, &gr) && ident_is(gr.hot, &id))
			return (int)gr.g;
	return -1;
}

static __always_inline int grp_find(struct sk_reuseport_md *md, struct grp *gr)
{
	struct ident id;
	__u32 h = ident_read(md, &id);
	int g;

	if (likely(grp_get(h, gr) && ident_is(gr->hot, &id)))
		return 1;
	g = rp_grp_probe(md);
	return g >= 0 && grp_get((__u32)g, gr);
}

static __always_inline void count(struct grp *gr, enum rp_counter c)
{
	struct rp_counters *k = elem(gr->st, RP_E_COUNTERS + c / 16);

	if (k)
		__sync_fetch_and_add(&k->c[c & 15], 1);
}

static __always_inline struct rp_slot_run *slot_at(struct grp *gr, __u32 i)
{
	/* i is often x % n: clang knows the bound, the verifier does not */
	asm volatile("" : "+r"(i));
	if (i >= RP_MAX_SLOTS)
		return 0;
	return elem(gr->st, gr->hot->off_slots + RP_SLOT_ELEMS * i);
}

static __always_inline struct rp_slot_acct *slot_acct(struct grp *gr, __u32 i)
{
	if (i >= RP_MAX_SLOTS)
		return 0;
	return elem(gr->st, gr->hot->off_slots + RP_SLOT_ELEMS * i + 1);
}

static __always_inline __s64 *load_at(struct grp *gr, __u32 i)
{
	struct rp_loads *l;

	asm volatile("" : "+r"(i));
	if (i >= RP_MAX_SLOTS)
		return 0;
	l = elem(gr->st, gr->hot->off_load + i / RP_LOADS_PER_ELEM);
	return l ? &l->l[i % RP_LOADS_PER_ELEM] : 0;
}

/* entry k of the table of u16 at element off (sticky, weighted): -1 if none */
static __always_inline int u16_at(struct grp *gr, __u32 off, __u32 k)
{
	struct rp_u16s *t = elem(gr->st, off + k / RP_U16_PER_ELEM);

	return t ? t->v[k % RP_U16_PER_ELEM] : -1;
}

/* What a slot must be to be chosen; a search lowers it step by step. */
enum level {
	LVL_LIVE, /* any live member */
	LVL_NOT_DRAINING,
	LVL_NEWEST, /* and of the newest generation */
	LVL_RUNNING, /* and not stalled */
	LVL_PRIMARY, /* and not standby: what the policies choose from */
};

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every part of the steering program uses: its maps, the group's
 * counters, the hashes, a slot by index and the levels of eligibility.
 * The program is one translation unit (bpf/steer.bpf.c); its parts are
 * headers that each include what they use:
 *
 *   steer_common.bpf.h  this
 *   slot.bpf.h          one slot: the stall guard's notes, eligible,
 *                       selecting it (the guard's decision: stall.h,
 *                       shared with user space like steer.h)
 *   scan.bpf.h          the scan over slots and the safety net (pick_from)
 *   policy.bpf.h        the policies' first choices and their scans
 *   flows.bpf.h         the UDP flow table
 *   steer.bpf.c         the entry point and everything but its common case
 */
#ifndef RP_STEER_COMMON_BPF_H
#define RP_STEER_COMMON_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

#define ENOENT 2
/* sys/socket.h's value: the headers a BPF program can include have none */
#define AF_INET 2

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

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

#endif

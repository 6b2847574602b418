/* SPDX-License-Identifier: MIT */
/*
 * A group's state map as user space sees it. The map is an array of
 * RP_ELEM-byte elements (bpf/steer.h) mapped whole; its regions' places
 * follow from the group's slots and CPUs alone (rp_layout()), so user
 * space computes them itself, once, when it maps a group whose map has
 * exactly that many elements, and never takes a place from the shared
 * header (a member may write garbage there; the program reads the places
 * from the header, bounded by the map). libc only.
 */
#ifndef RP_STATE_H
#define RP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "steer.h"

/* Where a group's regions are, in elements, and how large they are. */
struct rp_layout {
	uint32_t max_slots; /* the sockarray's max_entries */
	uint32_t ncpu; /* entries of the cpu table */
	uint32_t sticky_size; /* buckets of the Maglev table (a prime) */
	uint32_t wsched_cap; /* turns the weighted cycle may have */
	uint32_t off_slots, off_load, off_sticky, off_wsched, off_cpu;
	uint32_t elems; /* the map's max_entries */
};

/*
 * The layout of a group of max_slots slots (1..RP_MAX_SLOTS) on a machine
 * of ncpu possible CPUs (1..RP_CPU_MAX): 0, or -EINVAL.
 */
int rp_layout(uint32_t max_slots, uint32_t ncpu, struct rp_layout *l);
/* The smallest prime at least RP_STICKY_PER_SLOT * max_slots (bounded). */
uint32_t rp_sticky_size(uint32_t max_slots);

/* A group's state, mapped (rp_state_view() fills it). */
struct rp_state {
	void *base; /* the mapping: lay.elems * RP_ELEM bytes */
	size_t len;
	struct rp_layout lay;
	struct rp_hot *hot; /* element 0: the program's */
	struct rp_meta *meta; /* element 1: user space's description */
	struct rp_outside *outside; /* element 2 */
	__u64 *counters; /* elements 3-4: RP_NCOUNTERS */
	struct rp_slot *slots; /* lay.max_slots */
	__s64 *load; /* leastconn: lay.max_slots */
	__u16 *sticky; /* lay.sticky_size */
	__u16 *wsched; /* lay.wsched_cap */
	struct rp_cpu_members *cpu; /* lay.ncpu */
};

/*
 * st as a view of the len bytes at base laid out as l: 0, or -EINVAL if
 * they are too few.
 */
int rp_state_view(struct rp_state *st, void *base, size_t len,
		  const struct rp_layout *l);

/* The slot i, or NULL beyond the group's slots. */
static inline struct rp_slot *rp_slot_of(const struct rp_state *st, uint32_t i)
{
	return i < st->lay.max_slots ? &st->slots[i] : (struct rp_slot *)0;
}

/*
 * Slots in use: 1 + the highest ever claimed, as the header says (a member
 * may write anything there), never beyond the group's slots.
 */
static inline uint32_t rp_nslots(const struct rp_state *st)
{
	uint32_t n = __atomic_load_n(&st->hot->nslots, __ATOMIC_RELAXED);

	return n < st->lay.max_slots ? n : st->lay.max_slots;
}

/*
 * The program leaves every choice to the kernel hash while user space
 * knows members outside the map (meta's unsteered and unregistered):
 * publish their sum in rp_hot.kernel_hash, keeping the program's own bit.
 */
static inline void rp_state_kernel_hash(struct rp_state *st)
{
	uint32_t want =
		(__atomic_load_n(&st->meta->unsteered, __ATOMIC_RELAXED) +
		 __atomic_load_n(&st->meta->unregistered, __ATOMIC_RELAXED)) &
		~RP_KH_OUTSIDER;
	uint32_t cur = __atomic_load_n(&st->hot->kernel_hash, __ATOMIC_RELAXED);

	while ((cur & ~RP_KH_OUTSIDER) != want &&
	       !__atomic_compare_exchange_n(&st->hot->kernel_hash, &cur,
					    (cur & RP_KH_OUTSIDER) | want,
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/*
 * Checksum of what the creator wrote once (the identity, the layout, the
 * stall guard's and the flow table's settings): a group whose sum does not
 * match is ours but damaged.
 */
uint32_t rp_state_sum(const struct rp_state *st);

#endif

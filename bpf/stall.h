/* SPDX-License-Identifier: MIT */
/*
 * The stall guard's decision (TCP), written once: the program decides with
 * it (stalled() and stall_look() in bpf/slot.bpf.h, which also write the
 * slot's notes), user space shows it (rp_slot_stalled(): status and
 * metrics, which only read). Pure: the slot and header in, the finding
 * out; no helper call, no write. The caller reads the clock, and only when
 * a finding needs it (a look costs a call and a clock read).
 * One test vector runs it in both compilations: tests/unit/stall_cases.h.
 *
 * A member with stall_limit (stall_queue) selections since the program's
 * last note of its accepts (stall_seen: dequeued then) gets a closer look.
 * Its accepts moved: a note, not stalled. They did not move: at least that
 * many connections wait that nobody took; the time that was first seen is
 * noted (stall_ns), and the member is stalled once that is stall_ms old. A
 * member whose accepts are not seen (neither the shim's hooks nor the
 * kernel truth's correction: a server that bypasses both) is never
 * stalled. With the guard off (or UDP) stall_limit is RP_STALL_NEVER: no
 * look is ever due.
 */
#ifndef RP_STALL_H
#define RP_STALL_H

#include <linux/types.h>

#include "steer.h"

/*
 * The program reads plainly (clang 14's BPF backend has no atomic loads;
 * an aligned load is single-copy atomic there anyway); user space reads
 * lines that the program and the hooks write meanwhile.
 */
#ifdef __bpf__
#define RP_STALL_READ(x) (x)
#else
#define RP_STALL_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#endif

/* What the guard finds at a slot; only RP_STALL_STALLED passes it over. */
enum rp_stall {
	RP_STALL_NOT_DUE, /* fewer than stall_limit selections since the note */
	RP_STALL_UNSEEN, /* its accepts are not seen: never stalled */
	RP_STALL_MOVED, /* its accepts moved since the note */
	RP_STALL_STILL, /* they stood still, not timed yet (no stall_ns) */
	RP_STALL_WAITING, /* they stood still since stall_ns, not stall_ms */
	RP_STALL_STALLED, /* they stood still stall_ms or longer */
};

/* The common path's one comparison: is a look due? */
static inline __attribute__((always_inline)) int
rp_stall_due(const struct rp_hot *h, const struct rp_slot_run *s)
{
	return (__s64)(RP_STALL_READ(s->selected) -
		       RP_STALL_READ(s->stall_seen)) >=
	       RP_STALL_READ(h->stall_limit);
}

/*
 * Its accepts are not seen (neither hooks nor kernel truth, or adopted: its
 * holder has no shim, whatever was seen before): never stalled.
 */
static inline __attribute__((always_inline)) int
rp_stall_unseen(const struct rp_slot_run *s, const struct rp_slot_acct *a)
{
	__u32 f = RP_STALL_READ(s->flags);

	return (f & RP_SLOT_ADOPTED) ||
	       (!RP_STALL_READ(a->accepted) && !(f & RP_SLOT_KQUEUE));
}

/* Its accepts moved since the last note. */
static inline __attribute__((always_inline)) int
rp_stall_moved(const struct rp_slot_run *s, const struct rp_slot_acct *a)
{
	return RP_STALL_READ(a->dequeued) != RP_STALL_READ(s->stall_seen);
}

/*
 * Standing still since the note since (not 0), at now: stall_ms or longer.
 * Signed: a note is the coarse clock | 1, so a look in the same tick can
 * find now one below it, and user space may read its clock a tick before
 * the program's note; neither has stood still for 2^64 - 1 ns.
 */
static inline __attribute__((always_inline)) int
rp_stall_over(const struct rp_hot *h, __u64 since, __u64 now)
{
	return (__s64)(now - since) >=
	       (__s64)RP_STALL_READ(h->stall_ms) * 1000000;
}

/*
 * The whole decision at now, for those who only read (user space, tests);
 * the program's stall_look() takes the same steps in this order and
 * writes its notes on the way.
 */
static inline __attribute__((always_inline)) enum rp_stall
rp_stall_decide(const struct rp_hot *h, const struct rp_slot_run *s,
		const struct rp_slot_acct *a, __u64 now)
{
	__u64 since;

	if (!rp_stall_due(h, s))
		return RP_STALL_NOT_DUE;
	if (rp_stall_unseen(s, a))
		return RP_STALL_UNSEEN;
	if (rp_stall_moved(s, a))
		return RP_STALL_MOVED;
	since = RP_STALL_READ(s->stall_ns);
	if (!since)
		return RP_STALL_STILL;
	return rp_stall_over(h, since, now) ? RP_STALL_STALLED :
					      RP_STALL_WAITING;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The stall guard's test vector (bpf/stall.h), written once and run
 * twice: against user space's rp_slot_stalled() (tests/unit/test_stall.c,
 * ASan/UBSan) and, built as the program is built (clang -target bpf), in
 * the kernel (tests/lib/stall_vector.bpf.c through BPF_PROG_TEST_RUN,
 * driven by tests/lib/stall_vector.c in steering/stall_vector).
 *
 * A case: a slot and the header's guard as the program and the hooks
 * left them, the time of asking, and what the guard finds there.
 */
#ifndef RP_STALL_CASES_H
#define RP_STALL_CASES_H

#include <linux/types.h>

#include "stall.h"
#include "steer.h"

/* One run of the kernel's copy: its context in, the finding out. */
struct rp_stall_run {
	struct rp_hot hdr;
	struct rp_slot slot;
	__u64 now;
};

#ifndef __bpf__
#include <stdint.h>
#include <string.h>

struct rp_stall_case {
	const char *name;
	/* the slot's counters and the program's notes */
	__u64 selected, dequeued, accepted, stall_seen, stall_ns;
	__u32 flags;
	/* the header: stall_queue, or RP_STALL_NEVER with the guard off/UDP */
	__s64 stall_limit;
	__u32 stall_ms;
	__u64 now;
	enum rp_stall want;
};

#define SC_Q 16 /* REUSEPORT_STALL=16,1000 */
#define SC_MS 1000
#define SC_SEC 1000000000ull
/* a note: the coarse clock | 1 */
#define SC_T 7000000001ull

/* clang-format off */
static const struct rp_stall_case rp_stall_cases[] = {
	{ "healthy: fewer than stall_queue selections since the note",
	  .selected = 1000, .dequeued = 995, .accepted = 995, .stall_seen = 990,
	  .stall_limit = SC_Q, .stall_ms = SC_MS, .now = SC_T,
	  .want = RP_STALL_NOT_DUE },
	{ "one selection short of a look, however long it stood still",
	  .selected = 1015, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 60 * SC_SEC, .want = RP_STALL_NOT_DUE },
	{ "a look at stall_queue selections: accepts moved",
	  .selected = 1016, .dequeued = 1010, .accepted = 1010, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 60 * SC_SEC, .want = RP_STALL_MOVED },
	{ "accepts moved back (the kernel truth lowered dequeued)",
	  .selected = 1016, .dequeued = 990, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 60 * SC_SEC, .want = RP_STALL_MOVED },
	{ "no accept ever seen (a server past the hooks and the kernel truth)",
	  .selected = 500, .stall_ns = SC_T, .stall_limit = SC_Q,
	  .stall_ms = SC_MS, .now = SC_T + 60 * SC_SEC, .want = RP_STALL_UNSEEN },
	{ "draining and standby are no sign of seen accepts",
	  .selected = 500, .stall_ns = SC_T,
	  .flags = RP_SLOT_DRAINING | RP_SLOT_STANDBY, .stall_limit = SC_Q,
	  .stall_ms = SC_MS, .now = SC_T + 60 * SC_SEC, .want = RP_STALL_UNSEEN },
	{ "adopted: its holder has no shim, accepts seen before do not count",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .flags = RP_SLOT_ADOPTED | RP_SLOT_KQUEUE,
	  .stall_limit = SC_Q, .stall_ms = SC_MS, .now = SC_T + 60 * SC_SEC,
	  .want = RP_STALL_UNSEEN },
	{ "no accept by the hooks, queued corrected by the kernel truth",
	  .selected = 200, .dequeued = 100, .stall_seen = 100, .stall_ns = SC_T,
	  .flags = RP_SLOT_KQUEUE, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 2 * SC_SEC, .want = RP_STALL_STALLED },
	{ "stood still, first look: no time noted yet",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_limit = SC_Q, .stall_ms = SC_MS, .now = SC_T + 60 * SC_SEC,
	  .want = RP_STALL_STILL },
	{ "stood still 1 ns less than stall_ms",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + SC_SEC - 1, .want = RP_STALL_WAITING },
	{ "stood still exactly stall_ms",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + SC_SEC, .want = RP_STALL_STALLED },
	{ "stood still past stall_ms, far more queued",
	  .selected = 5000, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 5 * SC_SEC, .want = RP_STALL_STALLED },
	{ "the clock equal to the note",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS, .now = SC_T,
	  .want = RP_STALL_WAITING },
	{ "the clock 1 ns below the note (its | 1, in the same coarse tick)",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T - 1, .want = RP_STALL_WAITING },
	{ "user space's clock read a tick (4 ms) before the program's note",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T - 4000000, .want = RP_STALL_WAITING },
	{ "guard off: stall_ms 0, stall_limit RP_STALL_NEVER",
	  .selected = 1000000, .accepted = 5, .stall_ns = SC_T,
	  .stall_limit = RP_STALL_NEVER, .stall_ms = 0, .now = SC_T + 60 * SC_SEC,
	  .want = RP_STALL_NOT_DUE },
	{ "UDP: stall_ms set, stall_limit RP_STALL_NEVER",
	  .selected = 1000000, .accepted = 5, .stall_ns = SC_T,
	  .stall_limit = RP_STALL_NEVER, .stall_ms = SC_MS,
	  .now = SC_T + 60 * SC_SEC, .want = RP_STALL_NOT_DUE },
	{ "selections wrapped past 2^64 since the note",
	  .selected = 10, .dequeued = UINT64_MAX - 5, .accepted = 1,
	  .stall_seen = UINT64_MAX - 5, .stall_ns = SC_T, .stall_limit = SC_Q,
	  .stall_ms = SC_MS, .now = SC_T + 2 * SC_SEC, .want = RP_STALL_STALLED },
	{ "the note ahead of the selections",
	  .selected = 10, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = SC_MS,
	  .now = SC_T + 60 * SC_SEC, .want = RP_STALL_NOT_DUE },
	{ "stall_queue 1: a look at every selection",
	  .selected = 1001, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = 1, .stall_ms = SC_MS,
	  .now = SC_T + 2 * SC_SEC, .want = RP_STALL_STALLED },
	{ "the largest stall_ms, 1 ns short",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = UINT32_MAX,
	  .now = SC_T + (__u64)UINT32_MAX * 1000000 - 1, .want = RP_STALL_WAITING },
	{ "the largest stall_ms, reached",
	  .selected = 1016, .dequeued = 1000, .accepted = 1000, .stall_seen = 1000,
	  .stall_ns = SC_T, .stall_limit = SC_Q, .stall_ms = UINT32_MAX,
	  .now = SC_T + (__u64)UINT32_MAX * 1000000, .want = RP_STALL_STALLED },
};
/* clang-format on */

#define RP_STALL_NCASES (sizeof(rp_stall_cases) / sizeof(rp_stall_cases[0]))

static const char *const rp_stall_names[] = {
	[RP_STALL_NOT_DUE] = "not_due", [RP_STALL_UNSEEN] = "unseen",
	[RP_STALL_MOVED] = "moved",	[RP_STALL_STILL] = "still",
	[RP_STALL_WAITING] = "waiting", [RP_STALL_STALLED] = "stalled",
};

static inline const char *rp_stall_name(int f)
{
	return f >= 0 && f <= RP_STALL_STALLED ? rp_stall_names[f] : "?";
}

/* The case's slot and header, the rest of them zero. */
static inline void rp_stall_case_fill(const struct rp_stall_case *c,
				      struct rp_hot *h, struct rp_slot *s)
{
	memset(h, 0, sizeof(*h));
	memset(s, 0, sizeof(*s));
	s->r.selected = c->selected;
	s->a.dequeued = c->dequeued;
	s->a.accepted = c->accepted;
	s->r.stall_seen = c->stall_seen;
	s->r.stall_ns = c->stall_ns;
	s->r.flags = c->flags;
	h->stall_limit = c->stall_limit;
	h->stall_ms = c->stall_ms;
}
#endif /* !__bpf__ */

#endif

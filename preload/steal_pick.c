// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_STEAL's victim choice: reads the group's slots only (no system
 * call, no write), so a unit test can run it on a state of its own.
 */
#include <stdbool.h>

#include "share.h"
#include "steal.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Slots whose connections this process can neither see nor count. */
#define NOT_STEALABLE (RP_SLOT_ADOPTED | RP_SLOT_KCOUNT)

int rp_steal_pick(const struct rp_state *st, const struct rp_slot *me,
		  uint32_t pidns, uint64_t now, uint64_t threshold)
{
	uint32_t n = LOAD(st->hot->nslots);
	int best = -1;
	int64_t best_q = 0;

	if (n > st->lay.max_slots)
		n = st->lay.max_slots;
	for (uint32_t i = 0; i < n; i++) {
		const struct rp_slot *s = &st->slots[i];
		uint64_t cookie = LOAD(s->r.cookie), last;
		int64_t q;

		if (s == me || !cookie || cookie == LOAD(s->r.dead_cookie) ||
		    !LOAD(s->r.pid) || LOAD(s->r.pidns) != pidns ||
		    (LOAD(s->r.flags) & NOT_STEALABLE) ||
		    LOAD(s->a.listen_fd1) <= 0 || LOAD(s->a.steal_lock))
			continue;
		q = rp_slot_queued(s);
		if (q <= best_q)
			continue;
		/* a member that never accepted: since it joined */
		last = LOAD(s->a.last_accept_ns);
		if (!last)
			last = LOAD(s->r.joined_ns);
		if (now < last || now - last < threshold)
			continue;
		best = (int)i;
		best_q = q;
	}
	return best;
}

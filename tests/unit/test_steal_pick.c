// SPDX-License-Identifier: MIT
/*
 * Unit tests of REUSEPORT_STEAL's victim choice (preload/steal_pick.c): a
 * live sibling of the same pid namespace with its listener known, nobody
 * stealing from it, connections waiting and no accept for the threshold;
 * of those the one with the most waiting; never the stealer itself.
 */
#include <stdint.h>
#include <stdlib.h>

#include "steal.h"
#include "steer.h"
#include "state_fixture.h"
#include "unit.h"

#define NSLOTS 8
#define NS 4026531836u
#define MS 1000000ull

/* slot i: live, pid 100 + i, listener fd 3, waiting q, last accept at */
static void member(struct rp_state *st, int i, int q, uint64_t at)
{
	struct rp_slot *s = &st->slots[i];

	s->r.cookie = 1000 + (uint64_t)i;
	s->r.dead_cookie = 0;
	s->r.pid = 100 + (uint32_t)i;
	s->r.pidns = NS;
	s->r.flags = 0;
	s->r.joined_ns = 1 * MS;
	s->r.selected = (uint64_t)q + 5;
	s->a.dequeued = 5;
	s->a.listen_fd1 = 4;
	s->a.steal_lock = 0;
	s->a.last_accept_ns = at;
	if (st->hot->nslots < (uint32_t)i + 1)
		st->hot->nslots = (uint32_t)i + 1;
}

static int pick(struct rp_state *st, int me, uint64_t now)
{
	return rp_steal_pick(st, &st->slots[me], NS, now, 10 * MS);
}

static void test_pick(struct rp_state *st)
{
	uint64_t now = 1000 * MS;

	member(st, 0, 0, now - 500 * MS); /* the stealer */
	member(st, 1, 0, now - 500 * MS);
	CHECK_EQ_INT(pick(st, 0, now), -1, "nothing waiting: no victim");
	member(st, 1, 1, now - 5 * MS);
	CHECK_EQ_INT(pick(st, 0, now), -1,
		     "waiting, but it accepted 5 ms ago (threshold 10 ms)");
	member(st, 1, 1, now - 20 * MS);
	CHECK_EQ_INT(pick(st, 0, now), 1, "waiting, no accept for 20 ms");
	member(st, 2, 3, now - 20 * MS);
	CHECK_EQ_INT(pick(st, 0, now), 2, "the one with the most waiting");
	member(st, 0, 9, now - 900 * MS);
	CHECK_EQ_INT(pick(st, 0, now), 2, "never the stealer's own slot");
	st->slots[2].a.steal_lock = 77;
	CHECK_EQ_INT(pick(st, 0, now), 1, "a slot another stealer holds");
	st->slots[2].a.steal_lock = 0;
	st->slots[2].r.dead_cookie = st->slots[2].r.cookie;
	CHECK_EQ_INT(pick(st, 0, now), 1, "a dead slot");
	member(st, 2, 3, now - 20 * MS);
	st->slots[2].r.pidns = NS + 1;
	CHECK_EQ_INT(pick(st, 0, now), 1, "another pid namespace");
	member(st, 2, 3, now - 20 * MS);
	st->slots[2].a.listen_fd1 = 0;
	CHECK_EQ_INT(pick(st, 0, now), 1, "its listener fd unknown");
	member(st, 2, 3, now - 20 * MS);
	st->slots[2].r.flags = RP_SLOT_ADOPTED;
	CHECK_EQ_INT(pick(st, 0, now), 1, "adopted: its holder has no shim");
	st->slots[2].r.flags = RP_SLOT_KCOUNT;
	CHECK_EQ_INT(pick(st, 0, now), 1, "counted by the kernel");
	member(st, 2, 3, 0);
	CHECK_EQ_INT(pick(st, 0, now), 2,
		     "never accepted: counted from when it joined");
	member(st, 2, 3, now + 5 * MS);
	CHECK_EQ_INT(pick(st, 0, now), 1, "an accept after now (another CPU)");
	member(st, 6, 5, now - 20 * MS);
	st->hot->nslots = 6;
	CHECK_EQ_INT(pick(st, 0, now), 1, "beyond nslots: not a member");
	st->hot->nslots = 1000;
	CHECK_EQ_INT(pick(st, 0, now), 6, "nslots beyond the state: clamped");
}

int main(void)
{
	struct rp_state view, *st = &view;
	void *base = unit_state(NSLOTS, st);

	if (!base)
		return 1;
	test_pick(st);
	free(base);
	return unit_done();
}

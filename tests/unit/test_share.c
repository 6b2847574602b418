// SPDX-License-Identifier: MIT
/*
 * Unit tests of the counts user space keeps beside the program's
 * (common/share.c): queued is selected - dequeued and never
 * negative; a correction of queued moves leastconn's load by the
 * difference; the load never drops below 0, nor below RP_LOAD_AWAY for a
 * slot away; a dead process's share leaves active and the load.
 */
#include <stdint.h>
#include <stdlib.h>

#include "share.h"
#include "steer.h"
#include "state_fixture.h"
#include "unit.h"

#define NSLOTS 16

static void test_queued(struct rp_state *st)
{
	struct rp_slot *s = &st->slots[3];

	s->r.selected = 10;
	CHECK_EQ_INT((int)rp_slot_queued(s), 10, "10 selected, none taken");
	rp_slot_dequeue(s);
	rp_slot_dequeue(s);
	CHECK_EQ_INT((int)rp_slot_queued(s), 8, "two accepts");
	rp_slot_set_queued(st, s, 0);
	CHECK_EQ_INT((int)rp_slot_queued(s), 0, "EAGAIN: the queue is empty");
	CHECK_EQ_INT((int)s->a.dequeued, 10, "dequeued realigned");
	rp_slot_dequeue(s);
	CHECK_EQ_INT((int)rp_slot_queued(s), 0,
		     "an accept the program did not place: never negative");
}

static void test_load(struct rp_state *st)
{
	struct rp_slot *s = &st->slots[5];

	st->hot->policy = RP_POLICY_LEASTCONN;
	s->r.selected = 6; /* the program: 6 selected, load 6 */
	st->load[5] = 6;
	rp_slot_set_queued(st, s, 2); /* the kernel: only 2 wait */
	CHECK_EQ_INT((int)st->load[5], 2, "a correction down moves the load");
	rp_slot_set_queued(st, s, 5);
	CHECK_EQ_INT((int)st->load[5], 5, "and up, under leastconn");
	rp_slot_unload(st, s, 9);
	CHECK_EQ_INT((int)st->load[5], 0, "never below 0");
	st->load[5] = RP_LOAD_AWAY + 1;
	rp_slot_unload(st, s, 4);
	CHECK(st->load[5] == RP_LOAD_AWAY, "a slot away stays away");
	st->load[NSLOTS - 1] = 3;
	rp_slot_unload(st, &st->slots[NSLOTS - 1] + 1, 1);
	CHECK_EQ_INT((int)st->load[NSLOTS - 1], 3,
		     "a slot pointer outside the state touches no load");
	st->hot->policy = RP_POLICY_ROUNDROBIN;
	st->load[6] = 0;
	st->slots[6].r.selected = 4;
	rp_slot_set_queued(st, &st->slots[6], 4);
	CHECK_EQ_INT((int)st->load[6], 0, "no load kept outside leastconn");
}

static void test_take_back(struct rp_state *st)
{
	struct rp_slot *s = &st->slots[7];

	st->hot->policy = RP_POLICY_LEASTCONN;
	s->a.active = 5;
	st->load[7] = 5;
	s->o.acct_pid[2] = 4242;
	s->a.acct_active[2] = 3;
	rp_share_take_back(st, s, 2, 4243);
	CHECK_EQ_INT((int)s->a.active, 5, "another pid's entry is left alone");
	rp_share_take_back(st, s, 2, 4242);
	CHECK_EQ_INT((int)s->a.active, 2, "the dead process's 3 leave active");
	CHECK_EQ_INT((int)st->load[7], 2, "and the load");
	CHECK_EQ_INT((int)s->o.acct_pid[2], 0, "the entry is free");
}

static void test_load_move(struct rp_state *st)
{
	st->hot->policy = RP_POLICY_LEASTCONN;
	st->load[8] = 3;
	st->load[9] = 1;
	rp_slot_load_move(st, &st->slots[8], &st->slots[9]);
	CHECK_EQ_INT((int)st->load[8], 2,
		     "a stolen connection leaves its load");
	CHECK_EQ_INT((int)st->load[9], 2, "and counts where it lives");
	rp_slot_load_move(st, &st->slots[9], &st->slots[9]);
	CHECK_EQ_INT((int)st->load[9], 2, "from itself: nothing moves");
	st->hot->policy = RP_POLICY_ROUNDROBIN;
	rp_slot_load_move(st, &st->slots[8], &st->slots[9]);
	CHECK_EQ_INT((int)st->load[9], 2, "no load kept outside leastconn");
}

int main(void)
{
	struct rp_state view, *st = &view;
	/* a group of NSLOTS slots as a state map holds it */
	void *base = unit_state(NSLOTS, st);

	if (!base)
		return 1;
	test_queued(st);
	test_load(st);
	test_take_back(st);
	test_load_move(st);
	free(base);
	return unit_done();
}

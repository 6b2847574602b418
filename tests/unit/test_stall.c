// SPDX-License-Identifier: MIT
/*
 * The stall guard's decision from user space: rp_slot_stalled()
 * (group/features.c, what status and metrics show) and the finding
 * behind it (bpf/stall.h) against the test vector (stall_cases.h), which
 * t_97_stall_vector also runs in the kernel, built as the program is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "group.h"
#include "stall.h"
#include "stall_cases.h"
#include "sys.h"
#include "state_fixture.h"
#include "unit.h"

static uint64_t clock_now;

/* The clock rp_slot_stalled() asks: the case's time of asking. */
uint64_t rp_now_ns(void)
{
	return clock_now;
}

/* features.c's flow table count opens pins: not what is tested here. */
int rp_pins_get(const char *dir, const char *name)
{
	(void)dir;
	(void)name;
	errno = ENOENT;
	return -1;
}

static void test_cases(struct rp_state *st)
{
	struct rp_slot *s = &st->slots[st->lay.max_slots - 1];

	for (size_t i = 0; i < RP_STALL_NCASES; i++) {
		const struct rp_stall_case *c = &rp_stall_cases[i];
		enum rp_stall got;

		rp_stall_case_fill(c, st->hot, s);
		clock_now = c->now;
		got = rp_stall_decide(st->hot, &s->r, &s->a, c->now);
		CHECK_STR(rp_stall_name(got), rp_stall_name(c->want),
			  unit_name("finding: %s", c->name));
		CHECK_EQ_INT(rp_slot_stalled(st, s),
			     c->want == RP_STALL_STALLED,
			     unit_name("rp_slot_stalled: %s", c->name));
	}
}

/* The vector names every finding, each at least once. */
static void test_coverage(void)
{
	for (int f = RP_STALL_NOT_DUE; f <= RP_STALL_STALLED; f++) {
		int n = 0;

		for (size_t i = 0; i < RP_STALL_NCASES; i++)
			n += rp_stall_cases[i].want == (enum rp_stall)f;
		CHECK(n > 0, unit_name("a case finds %s", rp_stall_name(f)));
	}
}

int main(void)
{
	struct rp_state st;
	/* a group of 16 slots, as a state map of that layout is */
	void *base = unit_state(16, &st);

	if (!base)
		return 2;
	test_cases(&st);
	test_coverage();
	free(base);
	return unit_done();
}

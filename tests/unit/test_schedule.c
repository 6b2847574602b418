// SPDX-License-Identifier: MIT
/*
 * Unit tests of the tables that spare the program a scan
 * (group/schedule.c): the weighted policy's schedule gives each
 * member exactly its weight's turns per cycle, spread evenly; weights too
 * large for the table are scaled, never to 0; the cpu policy's table.
 */
#include <errno.h>
#include <stdint.h>

#include "schedule.h"
#include "steer.h"
#include "unit.h"

static uint16_t out[RP_WSCHED_MAX];

static uint32_t turns(int len, uint32_t slot)
{
	uint32_t c = 0;

	for (int i = 0; i < len; i++)
		c += out[i] == slot;
	return c;
}

/* the longest run of one member's turns back to back */
static int longest_run(int len)
{
	int best = 1, run = 1;

	for (int i = 1; i < len; i++) {
		run = out[i] == out[i - 1] ? run + 1 : 1;
		if (run > best)
			best = run;
	}
	return best;
}

static void test_exact_shares(void)
{
	uint32_t slot[] = { 0, 3, 7 }, w[] = { 1, 3, 0 };
	int len = rp_wsched_build(slot, w, 3, out, RP_WSCHED_MAX);

	CHECK_EQ_INT(len, 5, "1 + 3 + (0 counts as 1) turns");
	CHECK_EQ_INT((int)turns(len, 0), 1, "weight 1: one turn");
	CHECK_EQ_INT((int)turns(len, 3), 3, "weight 3: three turns");
	CHECK_EQ_INT((int)turns(len, 7), 1, "weight 0: one turn");
	CHECK(longest_run(len) <= 2, "turns of weight 3 in 5 are spread");
}

static void test_canary(void)
{
	/* a canary at 1 of 100 beside three members of 33 */
	uint32_t slot[] = { 0, 1, 2, 3 }, w[] = { 33, 33, 33, 1 };
	int len = rp_wsched_build(slot, w, 4, out, RP_WSCHED_MAX);

	CHECK_EQ_INT(len, 100, "a cycle of 100");
	CHECK_EQ_INT((int)turns(len, 3), 1, "the canary's one turn");
	CHECK(longest_run(len) == 1, "no member twice in a row");
}

static void test_scaled(void)
{
	uint32_t slot[] = { 1, 2 }, w[] = { 10000, 1 };
	int len = rp_wsched_build(slot, w, 2, out, 64);

	CHECK(len > 0 && len <= 64, unit_name("scaled into 64: %d", len));
	CHECK_EQ_INT((int)turns(len, 2), 1, "a weight of 1 keeps one turn");
	CHECK(turns(len, 1) >= 61, "the heavy member keeps its share");
}

static void test_bad_input(void)
{
	uint32_t big = 0xffff, one = 1, w = 1;

	CHECK_EQ_INT(rp_wsched_build(&one, &w, 0, out, 8), 0, "no members");
	CHECK_EQ_INT(rp_wsched_build(&big, &w, 1, out, 8), -EINVAL,
		     "slot 0xffff");
	CHECK_EQ_INT(rp_wsched_build(&one, &w, 5, out, 8), -EINVAL,
		     "more members than half the table");
}

static void test_cpu_table(void)
{
	static struct rp_cpu_members t[4];
	uint32_t slot[RP_CPU_WAYS + 5];
	int32_t cpu[RP_CPU_WAYS + 5];

	for (int j = 0; j < RP_CPU_WAYS + 5; j++) {
		slot[j] = (uint32_t)j;
		cpu[j] = 2; /* all on CPU 2 from j = 4 on */
	}
	cpu[0] = 1;
	cpu[1] = -1;
	cpu[2] = 3;
	cpu[3] = 3;
	rp_cpu_table_build(slot, cpu, 4 + RP_CPU_WAYS, t, 4);
	CHECK_EQ_INT(t[0].n, 0, "cpu 0: nobody pinned");
	CHECK_EQ_INT(t[1].n, 1, "cpu 1: one member");
	CHECK_EQ_INT(t[1].slot[0], 0, "cpu 1: slot 0");
	CHECK_EQ_INT(t[3].n, 2, "cpu 3: two members");
	CHECK_EQ_INT(t[3].slot[1], 3, "cpu 3: slots 2 and 3");
	CHECK_EQ_INT(t[2].n, RP_CPU_WAYS, "cpu 2: a full line of members");
	CHECK_EQ_INT(t[2].slot[RP_CPU_WAYS - 1], 3 + RP_CPU_WAYS,
		     "cpu 2: the last that fits");
	rp_cpu_table_build(slot, cpu, 5 + RP_CPU_WAYS, t, 4);
	CHECK_EQ_INT(t[2].n, RP_CPU_MANY, "cpu 2: one more does not fit");
	CHECK(sizeof(struct rp_cpu_members) == 128, "two cache lines a CPU");
}

int main(void)
{
	test_exact_shares();
	test_canary();
	test_scaled();
	test_bad_input();
	test_cpu_table();
	return unit_done();
}

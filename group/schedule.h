/* SPDX-License-Identifier: MIT */
/*
 * Tables that spare the program a scan of every slot, built by user space
 * when a member joins or a weight changes (pure functions; unit-tested in
 * tests/unit/test_schedule.c):
 * - the weighted policy's schedule: each member's turns spread evenly
 *   over one cycle, the program walks it with the round robin cursor;
 * - the cpu policy's member per CPU.
 */
#ifndef RP_SCHEDULE_H
#define RP_SCHEDULE_H

#include <stdint.h>

#include "steer.h" /* struct rp_cpu_members */

/*
 * Fill out[0..len) with slot[j] weight[j] times each (a weight of 0
 * counts as 1), interleaved: member j's k-th turn sits at (k + 1/2) /
 * weight[j] of the cycle. When the weights add up to more than cap - n,
 * they are scaled down (never below 1). Returns len (0 when n is 0), or
 * -EINVAL (a slot of 0xffff or more, n over cap / 2).
 */
int rp_wsched_build(const uint32_t *slot, const uint32_t *weight, uint32_t n,
		    uint16_t *out, uint32_t cap);

/*
 * out[c] for c < ncpu: the slots of the members pinned to CPU c (cpu[j],
 * -1 for none), n = RP_CPU_MANY when more than RP_CPU_WAYS are.
 */
void rp_cpu_table_build(const uint32_t *slot, const int32_t *cpu, uint32_t n,
			struct rp_cpu_members *out, uint32_t ncpu);

#endif

// SPDX-License-Identifier: MIT
/*
 * The program's counters as status and metrics show them: the header's
 * counters[], and the counters the program keeps on the slots (a run
 * writes no header line) summed with them.
 */
#include <stdint.h>

#include "group_impl.h"

/*
 * The counters the program keeps on the slots, not in the header's
 * counters[] (a run writes no header line): a slot's share of each.
 * Handed over to counters[] when the slot is claimed again.
 */
static const enum rp_counter slot_counters[] = { RP_CNT_STEERED,
						 RP_CNT_FLOW_HITS };

static uint64_t slot_count(const struct rp_slot *s, enum rp_counter c)
{
	if (c == RP_CNT_FLOW_HITS)
		return __atomic_load_n(&s->r.flow_hits, __ATOMIC_RELAXED);
	/* steered: the selections that were no migration */
	return __atomic_load_n(&s->r.selected, __ATOMIC_RELAXED) -
	       __atomic_load_n(&s->r.migrated, __ATOMIC_RELAXED);
}

void rp_counters_hand_over(struct rp_state *st, const struct rp_slot *s)
{
	for (size_t k = 0; k < sizeof(slot_counters) / sizeof(slot_counters[0]);
	     k++)
		__atomic_fetch_add(&st->counters[slot_counters[k]],
				   slot_count(s, slot_counters[k]),
				   __ATOMIC_RELAXED);
}

static uint64_t one(const struct rp_state *st, enum rp_counter c)
{
	uint64_t sum;
	uint32_t n;

	if (c != RP_CNT_STEERED && c != RP_CNT_FLOW_HITS)
		return __atomic_load_n(&st->counters[c], __ATOMIC_RELAXED);
	/* the slots' shares, and those of slots claimed again */
	n = rp_nslots(st);
	sum = __atomic_load_n(&st->counters[c], __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < n; i++)
		sum += slot_count(&st->slots[i], c);
	return sum;
}

void rp_group_counters(const struct rp_state *st, uint64_t out[RP_CNT_MAX])
{
	/* runs from the very values shown: they add up in every snapshot */
	out[RP_CNT_RUNS] = 0;
	for (int c = 0; c < RP_CNT_MAX; c++) {
		if (c == RP_CNT_RUNS)
			continue;
		out[c] = one(st, (enum rp_counter)c);
		if (RP_CNT_IS_OUTCOME(c))
			out[RP_CNT_RUNS] += out[c];
	}
}

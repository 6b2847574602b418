// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "group_impl.h"
#include "maglev.h"
#include "schedule.h"

/*
 * The tables the policies read instead of scanning, over the slots live
 * now: sticky's Maglev table (maglev.c), weighted's schedule and cpu's
 * member per CPU (schedule.c). A member that leaves stays in them until
 * the next rebuild; the program passes over it.
 */
void rp_group_rebuild_tables(struct rp_state *st, int socks_fd)
{
	uint32_t n = rp_nslots(st), nlive = 0;
	uint32_t sticky = st->lay.sticky_size, cap = st->lay.wsched_cap;
	uint32_t *live, *weight;
	int32_t *cpu;
	uint16_t *table;
	int len;

	live = calloc((size_t)n + 1, sizeof(*live));
	weight = calloc((size_t)n + 1, sizeof(*weight));
	cpu = calloc((size_t)n + 1, sizeof(*cpu));
	table = malloc((sticky > cap ? sticky : cap) * sizeof(*table));
	if (!live || !weight || !cpu || !table)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
		weight[nlive] = __atomic_load_n(&st->slots[i].r.weight,
						__ATOMIC_RELAXED);
		cpu[nlive] =
			__atomic_load_n(&st->slots[i].r.cpu, __ATOMIC_RELAXED);
		live[nlive++] = i;
	}
	if (!nlive)
		goto out;
	if (rp_maglev_build(live, nlive, table, sticky) == 0)
		memcpy(st->sticky, table, sticky * sizeof(*table));
	len = rp_wsched_build(live, weight, nlive, table, cap);
	if (len > 0) {
		/* a cycle shorter than before: shrink first, then fill */
		if ((uint32_t)len <
		    __atomic_load_n(&st->hot->wsched_len, __ATOMIC_RELAXED))
			__atomic_store_n(&st->hot->wsched_len, (uint32_t)len,
					 __ATOMIC_RELAXED);
		memcpy(st->wsched, table, (size_t)len * sizeof(*table));
		__atomic_store_n(&st->hot->wsched_len, (uint32_t)len,
				 __ATOMIC_RELEASE);
	}
	rp_cpu_table_build(live, cpu, nlive, st->cpu, st->lay.ncpu);
out:
	free(live);
	free(weight);
	free(cpu);
	free(table);
}

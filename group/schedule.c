// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "schedule.h"

struct turn {
	uint64_t at; /* position in the cycle, scaled */
	uint32_t slot;
};

static int by_position(const void *a, const void *b)
{
	const struct turn *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

int rp_wsched_build(const uint32_t *slot, const uint32_t *weight, uint32_t n,
		    uint16_t *out, uint32_t cap)
{
	uint64_t total = 0, room = cap - n;
	uint32_t len = 0;
	struct turn *t;

	if (!n)
		return 0;
	if (n > cap / 2)
		return -EINVAL;
	for (uint32_t j = 0; j < n; j++) {
		if (slot[j] >= 0xffff)
			return -EINVAL;
		total += weight[j] ? weight[j] : 1;
	}
	t = calloc(total < cap ? total : cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (uint32_t j = 0; j < n; j++) {
		uint64_t w = weight[j] ? weight[j] : 1;

		if (total > room) {
			w = w * room / total;
			if (!w)
				w = 1;
		}
		/* turn k at (2k + 1) / 2w of the cycle, on a common scale */
		for (uint64_t k = 0; k < w && len < cap; k++)
			t[len++] = (struct turn){ ((2 * k + 1) << 32) / (2 * w),
						  slot[j] };
	}
	qsort(t, len, sizeof(*t), by_position);
	for (uint32_t i = 0; i < len; i++)
		out[i] = (uint16_t)t[i].slot;
	free(t);
	return (int)len;
}

void rp_cpu_table_build(const uint32_t *slot, const int32_t *cpu, uint32_t n,
			struct rp_cpu_members *out, uint32_t ncpu)
{
	for (uint32_t c = 0; c < ncpu; c++)
		out[c].n = 0;
	for (uint32_t j = 0; j < n; j++) {
		struct rp_cpu_members *e;

		if (cpu[j] < 0 || (uint32_t)cpu[j] >= ncpu || slot[j] >= 0xffff)
			continue;
		e = &out[cpu[j]];
		if (e->n < RP_CPU_WAYS)
			e->slot[e->n++] = (uint16_t)slot[j];
		else
			e->n = RP_CPU_MANY;
	}
}

// SPDX-License-Identifier: MIT
/*
 * Every live slot fills table buckets in its own permutation order, round
 * robin, until the table is full. A slot joining or leaving changes about
 * 1/N of the buckets; the program probes past a dead slot, so until the
 * next rebuild only that slot's own clients move.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

#define EMPTY 0xffff

int rp_maglev_build(const uint32_t *live, uint32_t nlive, uint16_t *table,
		    uint32_t m)
{
	uint32_t *off, *skip, *next, filled = 0;

	if (!nlive || m < 2 || nlive >= m || nlive >= EMPTY)
		return -EINVAL;
	off = calloc(3 * (size_t)nlive, sizeof(*off));
	if (!off)
		return -ENOMEM;
	skip = off + nlive;
	next = skip + nlive;
	for (uint32_t j = 0; j < nlive; j++) {
		uint32_t h = live[j] * 0x9e3779b1u + 0x7f4a7c15u;

		if (live[j] >= EMPTY) {
			free(off);
			return -EINVAL;
		}
		h ^= h >> 15;
		h *= 0x2c1b3c6du;
		h ^= h >> 12;
		off[j] = h % m;
		skip[j] = (h * 0x297a2d39u ^ (h >> 16)) % (m - 1) + 1;
	}
	memset(table, 0xff, m * sizeof(*table));
	while (filled < m) {
		for (uint32_t j = 0; j < nlive && filled < m; j++) {
			uint32_t c;

			do {
				c = (uint32_t)((off[j] +
						(uint64_t)next[j] * skip[j]) %
					       m);
				next[j]++;
			} while (table[c] != EMPTY);
			table[c] = (uint16_t)live[j];
			filled++;
		}
	}
	free(off);
	return 0;
}

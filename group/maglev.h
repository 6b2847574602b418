/* SPDX-License-Identifier: MIT */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016), pure: the sticky
 * policy's lookup table. Unit-tested in tests/unit/test_maglev.c.
 */
#ifndef RP_MAGLEV_H
#define RP_MAGLEV_H

#include <stdint.h>

/*
 * Fill table[0..m) with members of live[0..nlive) (slot indexes < 0xffff),
 * m prime and > nlive. A member's buckets depend only on its own index, so
 * adding or removing one member moves about 1/N of the buckets.
 * Returns 0, -EINVAL for bad arguments, -ENOMEM.
 */
int rp_maglev_build(const uint32_t *live, uint32_t nlive, uint16_t *table,
		    uint32_t m);

#endif

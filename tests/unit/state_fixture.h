/* SPDX-License-Identifier: MIT */
/*
 * A group's state map for the unit tests: zeroed, aligned as the kernel's
 * map is (RP_ELEM), laid out for nslots slots on 2 CPUs and viewed in *st.
 * Its memory (free() it), or NULL.
 */
#ifndef RP_UNIT_STATE_FIXTURE_H
#define RP_UNIT_STATE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static inline void *unit_state(uint32_t nslots, struct rp_state *st)
{
	struct rp_layout l;
	void *base = NULL;

	if (rp_layout(nslots, 2, &l) ||
	    posix_memalign(&base, RP_ELEM, (size_t)l.elems * RP_ELEM))
		return NULL;
	memset(base, 0, (size_t)l.elems * RP_ELEM);
	if (rp_state_view(st, base, (size_t)l.elems * RP_ELEM, &l)) {
		free(base);
		return NULL;
	}
	return base;
}

#endif

// SPDX-License-Identifier: MIT
#include "share.h"

void rp_dec_positive(__s64 *p)
{
	__s64 cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur > 0 &&
	       !__atomic_compare_exchange_n(p, &cur, cur - 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void rp_dec_positive_s32(__s32 *p)
{
	__s32 cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur > 0 &&
	       !__atomic_compare_exchange_n(p, &cur, cur - 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void rp_share_take_back(struct rp_slot *s, int k, uint32_t pid)
{
	int32_t mine;
	__s64 cur;

	if (!pid || __atomic_load_n(&s->acct_pid[k], __ATOMIC_RELAXED) != pid)
		return;
	mine = __atomic_exchange_n(&s->acct_active[k], 0, __ATOMIC_RELAXED);
	cur = __atomic_load_n(&s->active, __ATOMIC_RELAXED);
	while (mine > 0 &&
	       !__atomic_compare_exchange_n(&s->active, &cur,
					    cur > mine ? cur - mine : 0, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	__atomic_compare_exchange_n(&s->acct_pid[k], &pid, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

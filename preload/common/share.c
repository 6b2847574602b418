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

int64_t rp_slot_queued(const struct rp_slot *s)
{
	uint64_t d = __atomic_load_n(&s->dequeued, __ATOMIC_RELAXED);
	int64_t q =
		(int64_t)(__atomic_load_n(&s->selected, __ATOMIC_RELAXED) - d);

	return q > 0 ? q : 0;
}

void rp_slot_set_queued(struct rp_slot *s, int64_t q)
{
	uint64_t d = __atomic_load_n(&s->selected, __ATOMIC_RELAXED) -
		     (uint64_t)(q > 0 ? q : 0);

	/* no store when nothing changes: the line stays shared */
	if (__atomic_load_n(&s->dequeued, __ATOMIC_RELAXED) != d)
		__atomic_store_n(&s->dequeued, d, __ATOMIC_RELAXED);
}

void rp_slot_dequeue(struct rp_slot *s)
{
	uint64_t d = __atomic_load_n(&s->dequeued, __ATOMIC_RELAXED);

	while (d < __atomic_load_n(&s->selected, __ATOMIC_RELAXED) &&
	       !__atomic_compare_exchange_n(&s->dequeued, &d, d + 1, false,
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

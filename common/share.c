// SPDX-License-Identifier: MIT
#include <stddef.h>

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
	uint64_t d = __atomic_load_n(&s->a.dequeued, __ATOMIC_RELAXED);
	int64_t q =
		(int64_t)(__atomic_load_n(&s->r.selected, __ATOMIC_RELAXED) -
			  d);

	return q > 0 ? q : 0;
}

static __s64 *load_of(struct rp_state *st, struct rp_slot *s)
{
	if (!st || s < st->slots || s >= st->slots + st->lay.max_slots)
		return NULL;
	return &st->load[s - st->slots];
}

void rp_slot_unload(struct rp_state *st, struct rp_slot *s, int64_t k)
{
	__s64 *p = load_of(st, s), cur, floor;

	if (!p || k <= 0)
		return;
	cur = __atomic_load_n(p, __ATOMIC_RELAXED);
	do {
		floor = cur >= RP_LOAD_AWAY ? RP_LOAD_AWAY : 0;
		/* 0 outside leastconn: no write, the line stays shared */
		if (cur <= floor)
			return;
	} while (!__atomic_compare_exchange_n(
		p, &cur, cur - k > floor ? cur - k : floor, false,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

void rp_slot_set_queued(struct rp_state *st, struct rp_slot *s, int64_t q)
{
	int64_t was = rp_slot_queued(s);
	uint64_t d = __atomic_load_n(&s->r.selected, __ATOMIC_RELAXED) -
		     (uint64_t)(q > 0 ? q : 0);
	__s64 *p = load_of(st, s);

	/* no store when nothing changes: the line stays shared */
	if (__atomic_load_n(&s->a.dequeued, __ATOMIC_RELAXED) != d)
		__atomic_store_n(&s->a.dequeued, d, __ATOMIC_RELAXED);
	/* the kernel takes each close off the load itself */
	if (__atomic_load_n(&s->r.flags, __ATOMIC_RELAXED) & RP_SLOT_KCOUNT)
		return;
	if (was > q)
		rp_slot_unload(st, s, was - q);
	else if (q > was && p &&
		 __atomic_load_n(&st->hot->policy, __ATOMIC_RELAXED) ==
			 RP_POLICY_LEASTCONN)
		__atomic_fetch_add(p, q - was, __ATOMIC_RELAXED);
}

void rp_slot_load_move(struct rp_state *st, struct rp_slot *from,
		       struct rp_slot *to)
{
	__s64 *p = load_of(st, to);

	if (from == to || __atomic_load_n(&st->hot->policy, __ATOMIC_RELAXED) !=
				  RP_POLICY_LEASTCONN)
		return;
	rp_slot_unload(st, from, 1);
	if (p)
		__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

void rp_slot_dequeue(struct rp_slot *s)
{
	/*
	 * Not even a read of selected: that would share the program's line
	 * with this CPU, and its next write would wait for it. A count that
	 * runs ahead (accepts of connections the kernel hash placed) reads
	 * as an empty queue until the next realignment.
	 */
	__atomic_fetch_add(&s->a.dequeued, 1, __ATOMIC_RELAXED);
}

void rp_share_take_back(struct rp_state *st, struct rp_slot *s, int k,
			uint32_t pid)
{
	int32_t mine;
	__s64 cur;

	if (!pid || __atomic_load_n(&s->o.acct_pid[k], __ATOMIC_RELAXED) != pid)
		return;
	mine = __atomic_exchange_n(&s->a.acct_active[k], 0, __ATOMIC_RELAXED);
	cur = __atomic_load_n(&s->a.active, __ATOMIC_RELAXED);
	while (mine > 0 &&
	       !__atomic_compare_exchange_n(&s->a.active, &cur,
					    cur > mine ? cur - mine : 0, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	rp_slot_unload(st, s, mine);
	__atomic_compare_exchange_n(&s->o.acct_pid[k], &pid, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

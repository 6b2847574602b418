// SPDX-License-Identifier: MIT
/* The layout of a group's state map, and user space's view of it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "state.h"

static uint32_t elems_for(uint64_t bytes)
{
	return (uint32_t)((bytes + RP_ELEM - 1) / RP_ELEM);
}

static bool is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

uint32_t rp_sticky_size(uint32_t max_slots)
{
	uint32_t want = max_slots * RP_STICKY_PER_SLOT;

	if (want < RP_STICKY_MIN)
		want = RP_STICKY_MIN;
	if (want >= RP_STICKY_MAX)
		return RP_STICKY_MAX;
	while (!is_prime(want))
		want++;
	return want;
}

int rp_layout(uint32_t max_slots, uint32_t ncpu, struct rp_layout *l)
{
	if (!max_slots || max_slots > RP_MAX_SLOTS || !ncpu ||
	    ncpu > RP_CPU_MAX)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->max_slots = max_slots;
	l->ncpu = ncpu;
	l->sticky_size = rp_sticky_size(max_slots);
	l->wsched_cap = RP_WSCHED_PER_SLOT * max_slots;
	if (l->wsched_cap < RP_WSCHED_MIN)
		l->wsched_cap = RP_WSCHED_MIN;
	if (l->wsched_cap > RP_WSCHED_MAX)
		l->wsched_cap = RP_WSCHED_MAX;
	l->off_slots = RP_E_SLOTS;
	l->off_load = l->off_slots + RP_SLOT_ELEMS * max_slots;
	l->off_sticky = l->off_load + elems_for((uint64_t)max_slots * 8);
	l->off_wsched = l->off_sticky + elems_for((uint64_t)l->sticky_size * 2);
	l->off_cpu = l->off_wsched + elems_for((uint64_t)l->wsched_cap * 2);
	l->elems = l->off_cpu + ncpu;
	return 0;
}

int rp_state_view(struct rp_state *st, void *base, size_t len,
		  const struct rp_layout *l)
{
	char *b = base;

	if (!base || len < (size_t)l->elems * RP_ELEM)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->base = base;
	st->len = len;
	st->lay = *l;
	st->hot = (struct rp_hot *)(b + RP_E_HOT * RP_ELEM);
	st->meta = (struct rp_meta *)(b + RP_E_META * RP_ELEM);
	st->outside = (struct rp_outside *)(b + RP_E_OUTSIDE * RP_ELEM);
	st->counters = (__u64 *)(b + RP_E_COUNTERS * RP_ELEM);
	st->slots = (struct rp_slot *)(b + (size_t)l->off_slots * RP_ELEM);
	st->load = (__s64 *)(b + (size_t)l->off_load * RP_ELEM);
	st->sticky = (__u16 *)(b + (size_t)l->off_sticky * RP_ELEM);
	st->wsched = (__u16 *)(b + (size_t)l->off_wsched * RP_ELEM);
	st->cpu = (struct rp_cpu_members *)(b + (size_t)l->off_cpu * RP_ELEM);
	return 0;
}

/* FNV-1a over a run of bytes */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 16777619u;
	}
	return h;
}

#define SUM(h, field) fnv(h, &(field), sizeof(field))

uint32_t rp_state_sum(const struct rp_state *st)
{
	const struct rp_meta *m = st->meta;
	const struct rp_hot *t = st->hot;
	uint32_t h = 2166136261u;

	h = SUM(h, m->magic);
	h = SUM(h, m->layout);
	h = SUM(h, m->proto);
	h = SUM(h, m->family);
	h = SUM(h, m->port);
	h = SUM(h, m->max_slots);
	h = SUM(h, m->addr);
	h = SUM(h, m->ifindex);
	h = SUM(h, m->addr_flags);
	h = SUM(h, m->created_ns);
	h = SUM(h, m->index);
	h = SUM(h, m->elems);
	h = SUM(h, m->ncpu);
	h = SUM(h, t->addr);
	h = SUM(h, t->port);
	h = SUM(h, t->family);
	h = SUM(h, t->ifindex);
	h = SUM(h, t->stall_limit);
	h = SUM(h, t->stall_ms);
	h = SUM(h, t->stall_queue);
	h = SUM(h, t->flow_sets);
	h = SUM(h, t->max_slots);
	h = SUM(h, t->sticky_size);
	h = SUM(h, t->ncpu);
	h = SUM(h, t->off_slots);
	h = SUM(h, t->off_load);
	h = SUM(h, t->off_sticky);
	h = SUM(h, t->off_wsched);
	h = SUM(h, t->off_cpu);
	return h;
}

/* SPDX-License-Identifier: MIT */
/*
 * A process's share of a slot's active connections (acct_pid/acct_active
 * in struct rp_slot): counted by the accept/close hooks, given back when
 * the process exits (its exit handler) or is found dead (group GC).
 */
#ifndef RP_SHARE_H
#define RP_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

/* Decrement *p unless it is already 0 (counts never go negative). */
void rp_dec_positive(__s64 *p);
void rp_dec_positive_s32(__s32 *p);
/*
 * TCP: connections waiting in slot s's accept queue, selected - dequeued
 * (the program writes one, user space the other: see struct rp_slot).
 */
int64_t rp_slot_queued(const struct rp_slot *s);
/* The queue is known to hold q (the kernel's number, 0 on EAGAIN). */
void rp_slot_set_queued(struct rp_state *st, struct rp_slot *s, int64_t q);
/*
 * k connections of slot s left (closed, or gone from the queue): off its
 * leastconn load, never below 0 (or RP_LOAD_AWAY for a slot away).
 */
void rp_slot_unload(struct rp_state *st, struct rp_slot *s, int64_t k);
/*
 * A connection waiting at slot from was accepted by the member of slot to
 * (REUSEPORT_STEAL): its leastconn load moves with it.
 */
void rp_slot_load_move(struct rp_state *st, struct rp_slot *from,
		       struct rp_slot *to);
/* An accept took one out of the queue. */
void rp_slot_dequeue(struct rp_slot *s);
/*
 * Give back entry k of slot s if it still belongs to pid: its connections
 * leave s->a.active and the entry is freed.
 */
void rp_share_take_back(struct rp_state *st, struct rp_slot *s, int k,
			uint32_t pid);

#endif

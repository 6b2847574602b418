/* SPDX-License-Identifier: MIT */
/*
 * REUSEPORT_STEAL: a member blocked in accept() with an empty queue takes
 * one connection from a sibling that has some waiting and stopped
 * accepting (steal.c). The victim choice is pure (steal_pick.c,
 * unit-tested).
 */
#ifndef RP_STEAL_H
#define RP_STEAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "state.h"

/*
 * The slot of st to take from, for a stealer at slot me in pid namespace
 * pidns, at now (CLOCK_MONOTONIC ns): a live TCP member of the same pid
 * namespace whose listener fd is known, that nobody is stealing from,
 * with connections waiting and no accept for threshold ns; of those the
 * one with the most waiting. -1 for none.
 */
int rp_steal_pick(const struct rp_state *st, const struct rp_slot *me,
		  uint32_t pidns, uint64_t now, uint64_t threshold);

/*
 * The accept hook for a blocking accept on member lfd with stealing on:
 * waits for its own queue, stealing meanwhile. Returns what accept4()
 * returns (and sets errno as it would); rp_accepted() does the accounting
 * of an own connection, this does that of a stolen one.
 */
int rp_steal_accept(int lfd, struct sockaddr *sa, socklen_t *len, int flags,
		    bool is_accept4);

/* Whether the accept hook should go through rp_steal_accept(). */
bool rp_steal_wanted(int lfd);

/* register.c: the member's listener fd, for its stealers */
void rp_steal_note_listener(struct rp_slot *s, int fd);

#endif

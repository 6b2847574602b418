/* SPDX-License-Identifier: MIT */
/* reuseport run: the event loop. */
#ifndef RP_RUN_LOOP_H
#define RP_RUN_LOOP_H

/*
 * The event loop's one step: wait up to ms for a signal, handle what came,
 * reap, and run due restarts (unless stopping).
 */
void run_tick(int ms);

#endif

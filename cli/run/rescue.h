/* SPDX-License-Identifier: MIT */
/* reuseport run --rescue: a hung instance's queue moved, the instance restarted. */
#ifndef RP_RUN_RESCUE_H
#define RP_RUN_RESCUE_H

/*
 * From run_tick(), outside rolls and stops: an instance one of whose
 * listeners has had connections waiting in its accept queue, and accepted
 * none, for --rescue seconds is evacuated (its queue migrated to the other
 * instances through the steering program) and killed; the restart path
 * starts it again.
 */
void run_rescue_tick(void);

#endif

/* SPDX-License-Identifier: MIT */
/* reuseport run: rolling restart and graceful stop. */
#ifndef RP_RUN_ROLL_H
#define RP_RUN_ROLL_H

/* SIGHUP: every instance replaced, in order, by one of the next generation. */
void run_rolling_restart(void);
/* SIGTERM/SIGINT: drain, wait, stop everything; the supervisor's exit status. */
int run_stop_all(void);

#endif

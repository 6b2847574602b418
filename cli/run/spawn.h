/* SPDX-License-Identifier: MIT */
/* reuseport run: starting an instance and signalling it. */
#ifndef RP_RUN_SPAWN_H
#define RP_RUN_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Start instance i (1-based) of generation gen: its pid, or -errno when
 * CMD cannot be executed.
 */
pid_t run_spawn(int i, uint32_t gen);
/* sig to an instance's process group (or to it, if it left the group). */
void run_signal_tree(pid_t pid, int sig);
/* sig to every instance, the replacement and the one it replaces. */
void run_signal_all(int sig);

#endif

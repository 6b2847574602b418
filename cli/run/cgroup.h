/* SPDX-License-Identifier: MIT */
/*
 * reuseport run's cgroup mode (cgroup.c): the instances' cgroup v2
 * directory, its bind hooks and counting programs, and the adoption of
 * the listeners the shim did not register.
 */
#ifndef RP_RUN_CGROUP_H
#define RP_RUN_CGROUP_H

#include <stddef.h>

/*
 * Create the cgroup, load and attach the programs: 0, or -errno with the
 * reason in why (nothing left behind), as key=value: reason="...", with
 * path= before it for a group's failure (rp_group_last_error()).
 */
int run_cgroup_setup(char *why, size_t len);
/* The cgroup's directory, NULL when the mode is off. */
const char *run_cgroup_dir(void);
/* In an instance between fork and exec: move into the cgroup. */
void run_cgroup_enter(void);
/* From the event loop: adopt what nobody registered (every 100 ms). */
void run_cgroup_tick(void);
/* Detach, unload, remove the cgroup (once its processes are gone). */
void run_cgroup_close(void);

#endif

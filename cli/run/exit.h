/* SPDX-License-Identifier: MIT */
/* reuseport run: how instances end, and the deaths it gives up on. */
#ifndef RP_RUN_EXIT_H
#define RP_RUN_EXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A wait status for the log: "status=1", "signal=SEGV core=1". */
void run_describe_exit(int status, char *buf, size_t len);
/* A wait status in words: "status 1", "signal SEGV". */
const char *run_exit_words(int status, char *buf, size_t len);
/* The supervisor's live children (instances and adopted orphans). */
int run_children(pid_t *out, int max);
/*
 * Did pid (instance i of generation gen, started at started_ms) exit 0
 * leaving processes behind? Then *adopted is the one that takes its place
 * (--adopt), or 0: the supervisor is stopping.
 */
bool run_went_background(int i, uint32_t gen, pid_t pid, int status,
			 uint64_t started_ms, pid_t *adopted);
/* Did instance i die too often (--restart-limit)? Then the supervisor stops. */
bool run_limit_reached(int i, int status);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * reuseport run: ports shared with no group (steering off: the kernel
 * hash), said in the log and in systemd's STATUS=, with the cause the
 * supervisor can find.
 */
#ifndef RP_RUN_UNSTEERED_H
#define RP_RUN_UNSTEERED_H

#include <stddef.h>

/*
 * The ports of this network namespace shared with no group ("tcp
 * 0.0.0.0:8080 (2 listeners), ...") into ports, the cause the supervisor
 * finds into why; how many.
 */
int run_unsteered(char *ports, size_t plen, char *why, size_t wlen);
/* At most every few seconds: a changed set logged, STATUS= sent again. */
void run_unsteered_check(void);

#endif

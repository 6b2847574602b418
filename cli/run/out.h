/* SPDX-License-Identifier: MIT */
/* reuseport run --prefix: the instances' output, each line tagged [i]. */
#ifndef RP_RUN_OUT_H
#define RP_RUN_OUT_H

#include <poll.h>

/* Output pipes --prefix relays at most (two an instance, and leftovers). */
#define RUN_MAX_STREAMS 1024

/* Before the fork: stdout (fds[0..1]) and stderr (fds[2..3]) pipes. */
int run_out_pipes(int i, int fds[4]);
/* After it: relay the read ends, close the write ends (-1: none). */
void run_out_adopt(int i, int fds[4]);
/* The pipes to poll, at most max; how many. */
int run_out_pollfds(struct pollfd *p, int max);
/* Relay what the polled pipes hold (p as run_out_pollfds() filled it). */
void run_out_service(const struct pollfd *p, int n);
/* At exit: what the pipes still hold, partial lines included. */
void run_out_flush(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Per-fd state of the interposer, indexed by fd number. Lock-free: hooks
 * read and write entries with relaxed atomics; an fd the shim never saw
 * costs one load of an empty chunk pointer.
 */
#ifndef RP_FDTAB_H
#define RP_FDTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "steer.h"

/* kinds (low byte of flags) */
#define RP_FD_TCP 0x01 /* AF_INET/AF_INET6 SOCK_STREAM, TCP */
#define RP_FD_UDP 0x02 /* AF_INET/AF_INET6 SOCK_DGRAM, UDP */
#define RP_FD_KNOWN 0x04 /* socket() hook classified it (maybe as other) */
/* states */
#define RP_FD_SWALLOWED 0x10 /* app asked SO_REUSEPORT=0, not applied */
#define RP_FD_MEMBER 0x20 /* registered in a group (slot valid) */
#define RP_FD_UNSTEERED 0x40 /* in a group, could not be registered */
#define RP_FD_ACCEPTED 0x80 /* connection accepted from a member */
/* socket facts (bits 16..): kept across dup */
#define RP_FD_EPHEMERAL 0x10000 /* bound to port 0: private, never a group */
#define RP_FD_APP_RP 0x20000 /* the application set SO_REUSEPORT=1 */
#define RP_FD_APP_PROG 0x40000 /* the application attached its own program */
#define RP_FD_HELD \
	0x80000 /* the shim's own fd: a group pin held from bind to listen */
#define RP_FD_HOLDING 0x100000 /* a bound socket whose group is held open */
/* accepted from while not a member: whether its socket is one was asked */
#define RP_FD_ASKED 0x200000
#define RP_FD_SOCKET_FACTS                                       \
	(RP_FD_TCP | RP_FD_UDP | RP_FD_KNOWN | RP_FD_SWALLOWED | \
	 RP_FD_MEMBER | RP_FD_EPHEMERAL | RP_FD_APP_RP | RP_FD_APP_PROG)
/* bits 8..15: 1 + index of this process's acct entry in the slot, or 0 */
#define RP_FD_ACCT_SHIFT 8
#define RP_FD_ACCT_MASK 0xff00

struct rp_fdent {
	uint32_t flags;
	uint32_t forkgen; /* fork generation that created the entry */
	struct rp_slot *slot; /* member / accepted: the group slot */
	struct rp_state *state;
};

#define RP_FDTAB_MAX (1 << 24)

/* Returns false (and a zeroed *e) when nothing is recorded for fd. */
bool rp_fd_get(int fd, struct rp_fdent *e);
void rp_fd_set(int fd, const struct rp_fdent *e);
void rp_fd_clear(int fd);
/* The lowest fd >= fd with an entry, or -1. */
int rp_fd_next(int fd);

/* Bumped in the child after fork: accepted fds copied by fork belong to
 * the parent's accounting. */
extern uint32_t rp_forkgen;

#endif

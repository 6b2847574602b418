/* SPDX-License-Identifier: MIT */
/* The interposer's logic, called by the exported one-liners in hooks.c. */
#ifndef RP_SHIM_H
#define RP_SHIM_H

#include <stdbool.h>
#include <sys/socket.h>

void rp_init(void);
int rp_socket(int domain, int type, int protocol);
int rp_bind(int fd, const struct sockaddr *sa, socklen_t len);
int rp_listen(int fd, int backlog);
int rp_connect(int fd, const struct sockaddr *sa, socklen_t len);
int rp_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int rp_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/* After a real accept/accept4 on lfd returned fd (or -1). */
int rp_accepted(int lfd, int fd);
/*
 * The same for a connection that waited at slot from, another member's
 * (REUSEPORT_STEAL): from's queue gave it, lfd's slot holds it.
 */
struct rp_slot;
int rp_accepted_from(int lfd, int fd, struct rp_slot *from);
/* close(fd), close_range(): the bookkeeping and the real call. */
int rp_close(int fd);
int rp_close_range(unsigned int first, unsigned int last, int flags);
/* syscall(2) made through libc: the same bookkeeping as the wrappers. */
long rp_syscall(long n, const long a[6]);
/* After a real dup-like call made newfd a copy of oldfd; replaced: dup2/3
 * closed whatever newfd was. */
int rp_duped(int oldfd, int newfd, bool replaced);
/* Before a real dup2/dup3 onto newfd: a held pin fd there moves away. */
void rp_hold_dup_onto(int newfd);

#endif

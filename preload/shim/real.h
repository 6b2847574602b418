/* SPDX-License-Identifier: MIT */
/*
 * The next definition of every interposed symbol, resolved once with
 * dlsym(RTLD_NEXT). A symbol that cannot be found falls back to the raw
 * system call (and is reported), so the host never calls a NULL pointer.
 */
#ifndef RP_REAL_H
#define RP_REAL_H

#include <sys/socket.h>

struct rp_libc {
	int (*socket)(int, int, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	long (*syscall)(long, ...);
	int (*close_range)(unsigned int, unsigned int, int);
};

extern struct rp_libc libc;

/* Idempotent; safe to call from any hook at any time. */
void rp_real_init(void);

#endif

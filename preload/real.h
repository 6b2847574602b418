/* SPDX-License-Identifier: MIT */
/*
 * The next definition of every interposed symbol, resolved once with
 * dlsym(RTLD_NEXT). A symbol that cannot be found falls back to the raw
 * system call (and is reported), so the host never calls a NULL pointer.
 */
#ifndef RP_REAL_H
#define RP_REAL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * Variadic arguments of an interposed function, read in that function
 * (last: its last named parameter). RP_VA_ARG: the one argument of type
 * type, as an expression; RP_VA_LONGS: as many longs as the array a holds.
 */
#define RP_VA_ARG(last, type)           \
	({                              \
		va_list ap_;            \
		type v_;                \
		va_start(ap_, last);    \
		v_ = va_arg(ap_, type); \
		va_end(ap_);            \
		v_;                     \
	})
#define RP_VA_LONGS(a, last)                                               \
	do {                                                               \
		va_list ap_;                                               \
		va_start(ap_, last);                                       \
		for (size_t i_ = 0; i_ < sizeof(a) / sizeof((a)[0]); i_++) \
			(a)[i_] = va_arg(ap_, long);                       \
		va_end(ap_);                                               \
	} while (0)

struct rp_libc {
	int (*socket)(int, int, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
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

/*
 * The next definition of each call, as socket_wrapper names it: libc_bind()
 * is the real bind, rp_bind() the shim's logic, bind() the exported hook.
 */
#define libc_socket (*libc.socket)
#define libc_setsockopt (*libc.setsockopt)
#define libc_getsockopt (*libc.getsockopt)
#define libc_bind (*libc.bind)
#define libc_listen (*libc.listen)
#define libc_connect (*libc.connect)
#define libc_accept (*libc.accept)
#define libc_accept4 (*libc.accept4)
#define libc_close (*libc.close)
#define libc_dup (*libc.dup)
#define libc_dup2 (*libc.dup2)
#define libc_dup3 (*libc.dup3)
#define libc_fcntl (*libc.fcntl)
#define libc_syscall (*libc.syscall)
#define libc_close_range (*libc.close_range)

/* Idempotent; safe to call from any hook at any time. */
void rp_real_init(void);

#endif

// SPDX-License-Identifier: MIT
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "rawsys.h"
#include "real.h"

/* The raw system call (rawsys.h), with syscall()'s variadic arguments. */
static long raw_syscall(long n, ...)
{
	long a[6];

	RP_VA_LONGS(a, n);
	return rp_raw_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int sys_socket(int d, int t, int p)
{
	return (int)rp_raw_syscall(SYS_socket, d, t, p, 0, 0, 0);
}

static int sys_setsockopt(int fd, int l, int n, const void *v, socklen_t len)
{
	return (int)rp_raw_syscall(SYS_setsockopt, fd, l, n, (long)v, (long)len,
				   0);
}

static int sys_getsockopt(int fd, int l, int n, void *v, socklen_t *len)
{
	return (int)rp_raw_syscall(SYS_getsockopt, fd, l, n, (long)v, (long)len,
				   0);
}

static int sys_bind(int fd, const struct sockaddr *a, socklen_t len)
{
	return (int)rp_raw_syscall(SYS_bind, fd, (long)a, len, 0, 0, 0);
}

static int sys_listen(int fd, int backlog)
{
	return (int)rp_raw_syscall(SYS_listen, fd, backlog, 0, 0, 0, 0);
}

static int sys_connect(int fd, const struct sockaddr *a, socklen_t len)
{
	return (int)rp_raw_syscall(SYS_connect, fd, (long)a, len, 0, 0, 0);
}

static int sys_accept(int fd, struct sockaddr *a, socklen_t *len)
{
	return (int)rp_raw_syscall(SYS_accept4, fd, (long)a, (long)len, 0, 0,
				   0);
}

static int sys_accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	return (int)rp_raw_syscall(SYS_accept4, fd, (long)a, (long)len, flags,
				   0, 0);
}

static int sys_close(int fd)
{
	return (int)rp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
}

static int sys_dup(int fd)
{
	return (int)rp_raw_syscall(SYS_dup, fd, 0, 0, 0, 0, 0);
}

static int sys_fcntl(int fd, int cmd, ...)
{
	return (int)rp_raw_syscall(SYS_fcntl, fd, cmd,
				   (long)RP_VA_ARG(cmd, unsigned long), 0, 0,
				   0);
}

static int sys_dup2(int a, int b)
{
#ifdef SYS_dup2
	return (int)rp_raw_syscall(SYS_dup2, a, b, 0, 0, 0, 0);
#else
	/* arm64, riscv64: dup3, which refuses a == b that dup2 allows */
	if (a == b)
		return sys_fcntl(a, F_GETFD, 0) < 0 ? -1 : b;
	return (int)rp_raw_syscall(SYS_dup3, a, b, 0, 0, 0, 0);
#endif
}

static int sys_dup3(int a, int b, int flags)
{
	return (int)rp_raw_syscall(SYS_dup3, a, b, flags, 0, 0, 0);
}

static int sys_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)rp_raw_syscall(SYS_close_range, first, last, flags, 0, 0,
				   0);
}

struct rp_libc libc = {
	.socket = sys_socket,
	.setsockopt = sys_setsockopt,
	.getsockopt = sys_getsockopt,
	.bind = sys_bind,
	.listen = sys_listen,
	.connect = sys_connect,
	.accept = sys_accept,
	.accept4 = sys_accept4,
	.close = sys_close,
	.dup = sys_dup,
	.dup2 = sys_dup2,
	.dup3 = sys_dup3,
	.fcntl = sys_fcntl,
	.fcntl64 = sys_fcntl,
	.syscall = raw_syscall,
	.close_range = sys_close_range,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define RESOLVE(name, required)                                  \
	do {                                                     \
		void *p = dlsym(RTLD_NEXT, #name);               \
		if (p)                                           \
			__atomic_store_n((void **)&libc.name, p, \
					 __ATOMIC_RELEASE);      \
		else if (required)                               \
			missing = #name;                         \
	} while (0)

static void resolve(void)
{
	const char *missing = NULL;

	RESOLVE(socket, 1);
	RESOLVE(setsockopt, 1);
	RESOLVE(getsockopt, 1);
	RESOLVE(bind, 1);
	RESOLVE(listen, 1);
	RESOLVE(connect, 1);
	RESOLVE(accept, 1);
	RESOLVE(accept4, 1);
	RESOLVE(close, 1);
	RESOLVE(dup, 1);
	RESOLVE(dup2, 1);
	RESOLVE(dup3, 1);
	RESOLVE(fcntl, 1);
	RESOLVE(fcntl64, 0);
	RESOLVE(syscall, 1);
	RESOLVE(close_range, 0);
	if (libc.fcntl64 == sys_fcntl)
		libc.fcntl64 = libc.fcntl;
	if (missing)
		pr_err("event=error reason=\"symbol %s not found after libreuseport.so; using the raw system call\"",
		       missing);
}

void rp_real_init(void)
{
	pthread_once(&once, resolve);
}

// SPDX-License-Identifier: MIT
/*
 * The exported symbols: one line each. The fast path for an fd the shim
 * does not track is a table read inside rp_*; everything else is in shim.c.
 */
#include <fcntl.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"
#include "steal.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int socket(int domain, int type, int protocol)
{
	return rp_socket(domain, type, protocol);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	return rp_setsockopt(fd, level, name, val, len);
}

EXPORT int getsockopt(int fd, int level, int name, void *__restrict val,
		      socklen_t *__restrict len)
{
	return rp_getsockopt(fd, level, name, val, len);
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG sa, socklen_t len)
{
	return rp_bind(fd, sa.__sockaddr__, len);
}

EXPORT int listen(int fd, int backlog)
{
	return rp_listen(fd, backlog);
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG sa, socklen_t len)
{
	return rp_connect(fd, sa.__sockaddr__, len);
}

EXPORT int accept(int fd, __SOCKADDR_ARG sa, socklen_t *__restrict len)
{
	rp_init();
	if (rp_steal_wanted(fd))
		return rp_steal_accept(fd, sa.__sockaddr__, len, 0, false);
	return rp_accepted(fd, libc_accept(fd, sa.__sockaddr__, len));
}

EXPORT int accept4(int fd, __SOCKADDR_ARG sa, socklen_t *__restrict len,
		   int flags)
{
	rp_init();
	/* flags the kernel refuses: its EINVAL at once, not after a wait */
	if (!(flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) && rp_steal_wanted(fd))
		return rp_steal_accept(fd, sa.__sockaddr__, len, flags, true);
	return rp_accepted(fd, libc_accept4(fd, sa.__sockaddr__, len, flags));
}

EXPORT int close(int fd)
{
	return rp_close(fd);
}

EXPORT int dup(int fd)
{
	rp_init();
	return rp_duped(fd, libc_dup(fd), false);
}

EXPORT int dup2(int fd, int newfd)
{
	rp_init();
	rp_hold_dup_onto(newfd);
	return rp_duped(fd, libc_dup2(fd, newfd), true);
}

EXPORT int dup3(int fd, int newfd, int flags)
{
	rp_init();
	rp_hold_dup_onto(newfd);
	return rp_duped(fd, libc_dup3(fd, newfd, flags), true);
}

/*
 * fcntl's third argument is an int or a pointer; both fit a long here.
 * real: the libc field, read after rp_init() resolved it.
 */
static int do_fcntl(int (*const *real)(int, int, ...), int fd, int cmd,
		    unsigned long arg)
{
	int ret;

	rp_init();
	ret = (*real)(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return rp_duped(fd, ret, false);
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	return do_fcntl(&libc.fcntl, fd, cmd, RP_VA_ARG(cmd, unsigned long));
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	return do_fcntl(&libc.fcntl64, fd, cmd, RP_VA_ARG(cmd, unsigned long));
}

/* libuv (node) closes and accepts through syscall(2). */
EXPORT long syscall(long n, ...)
{
	long a[6];

	RP_VA_LONGS(a, n);
	return rp_syscall(n, a);
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	return rp_close_range(first, last, flags);
}

/* closefrom() is close_range(low, ~0U, 0) in glibc */
EXPORT void closefrom(int low)
{
	if (low >= 0)
		rp_close_range((unsigned int)low, ~0u, 0);
}

/* SPDX-License-Identifier: MIT */
/*
 * System calls that reach the kernel without passing through any symbol
 * another library may interpose. In a process where libreuseport.so is
 * preloaded, libc's syscall(), close(), socket(), setsockopt()... are the
 * shim's own hooks: code below the shim (common/, group/) and the shim's
 * bookkeeping make their calls here, so that no lower room calls up into
 * the shim and the shim never sees its own calls. libc only.
 *
 * Every function returns what libc's wrapper would (the result, or -1 with
 * errno set), but rp_raw_close(), which never touches errno.
 */
#ifndef RP_RAWSYS_H
#define RP_RAWSYS_H

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Options and calls newer than some C libraries' headers. */
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* syscall(2) itself: n and up to six arguments. */
long rp_raw_syscall(long n, long a, long b, long c, long d, long e, long f);

/* close(fd) with errno kept: 0, or -errno (EBADF for a closed number). */
int rp_raw_close(int fd);

int rp_raw_socket(int domain, int type, int protocol);
int rp_raw_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len);
int rp_raw_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int rp_raw_connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t rp_raw_sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *sa, socklen_t salen);

#endif

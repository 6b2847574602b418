// SPDX-License-Identifier: MIT
/*
 * The raw system call, per architecture: the kernel's own calling
 * convention in a few instructions of assembly (what libc's syscall()
 * does), so that nothing here is a symbol anybody can interpose. An
 * architecture without it fails to build, with the place to add it: a
 * fallback through libc's syscall() would be the shim's own hook again.
 */
#include <errno.h>

#include "rawsys.h"

long rp_raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;

#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	ret = x0;
#elif defined(__riscv) && __riscv_xlen == 64
	register long a7 __asm__("a7") = n;
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a4 __asm__("a4") = e;
	register long a5 __asm__("a5") = f;

	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5)
			 : "memory");
	ret = a0;
#else
#error "no raw system call for this architecture: add its calling convention to common/rawsys.c"
#endif
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

int rp_raw_close(int fd)
{
	int saved = errno, ret = 0;

	if (fd >= 0 && rp_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0) != 0)
		ret = -errno;
	errno = saved;
	return fd < 0 ? -EBADF : ret;
}

int rp_raw_socket(int domain, int type, int protocol)
{
	return (int)rp_raw_syscall(SYS_socket, domain, type, protocol, 0, 0, 0);
}

int rp_raw_setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	return (int)rp_raw_syscall(SYS_setsockopt, fd, level, name, (long)val,
				   (long)len, 0);
}

int rp_raw_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return (int)rp_raw_syscall(SYS_getsockopt, fd, level, name, (long)val,
				   (long)len, 0);
}

int rp_raw_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	return (int)rp_raw_syscall(SYS_connect, fd, (long)sa, (long)len, 0, 0,
				   0);
}

ssize_t rp_raw_sendto(int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *sa, socklen_t salen)
{
	return rp_raw_syscall(SYS_sendto, fd, (long)buf, (long)len, flags,
			      (long)sa, (long)salen);
}

// SPDX-License-Identifier: MIT
/*
 * The raw system calls of the machine it is built for (common/rawsys.c:
 * x86-64, aarch64, riscv64) and the shim's own calls made with them before
 * libc's are resolved (preload/real.c: dup2 on machines without SYS_dup2):
 * each returns what libc's wrapper returns, with errno as libc sets it.
 * make cross-arm64-check runs it for aarch64 under qemu-user.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "rawsys.h"
#include "real.h"
#include "unit.h"

/* real.c reports a symbol dlsym cannot find; this test never resolves */
void rp_log(enum rp_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void test_results_and_errno(void)
{
	int fd;

	CHECK_EQ_INT(rp_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), getpid(),
		     "getpid");
	errno = 0;
	CHECK_EQ_INT(rp_raw_syscall(SYS_close, 1 << 20, 0, 0, 0, 0, 0), -1,
		     "close of a closed number fails");
	CHECK_EQ_INT(errno, EBADF, "with EBADF in errno");
	errno = EINTR;
	CHECK_EQ_INT(rp_raw_close(1 << 20), -EBADF, "rp_raw_close: -EBADF");
	CHECK_EQ_INT(errno, EINTR, "rp_raw_close keeps errno");

	fd = rp_raw_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!CHECK(fd >= 0, "socket"))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC,
		     "the socket's flags as asked");
	CHECK_EQ_INT(rp_raw_close(fd), 0, "close");
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF, "closed for libc");
}

/* sendto: all six arguments reach the kernel in their registers */
static void test_six_arguments(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(to);
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[16] = { 0 };

	if (!CHECK(rx >= 0 && tx >= 0, "sockets") ||
	    !CHECK(bind(rx, (struct sockaddr *)&to, sizeof(to)) == 0 &&
			   getsockname(rx, (struct sockaddr *)&to, &len) == 0,
		   "bound on loopback"))
		goto out;
	CHECK_EQ_INT(rp_raw_sendto(tx, "raw", 3, 0, (struct sockaddr *)&to,
				   sizeof(to)),
		     3, "sendto: bytes sent");
	CHECK_EQ_INT(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), 3,
		     "received at the address");
	CHECK(memcmp(buf, "raw", 3) == 0, "the bytes sent");
out:
	close(rx);
	close(tx);
}

/* libc before rp_real_init(): the raw calls of real.c */
static void test_shim_dup2(void)
{
	int a = socket(AF_INET, SOCK_STREAM, 0), b = dup(a), spare = 1 << 20;

	if (!CHECK(a >= 0 && b >= 0, "sockets"))
		return;
	close(b);
	CHECK_EQ_INT(libc.dup2(a, b), b, "dup2 onto a free number");
	CHECK(same_file(a, b), "the same socket");
	CHECK_EQ_INT(libc.dup2(a, a), a, "dup2 onto itself: the number");
	errno = 0;
	CHECK_EQ_INT(libc.dup3(a, a, 0), -1, "dup3 onto itself fails");
	CHECK_EQ_INT(errno, EINVAL, "with EINVAL");
	errno = 0;
	CHECK_EQ_INT(libc.dup2(spare, spare), -1,
		     "dup2 of a closed number onto itself fails");
	CHECK_EQ_INT(errno, EBADF, "with EBADF");
	CHECK_EQ_INT(libc.close(b), 0, "close");
	CHECK_EQ_INT(libc.syscall(SYS_fcntl, (long)a, (long)F_GETFD, 0L, 0L, 0L,
				  0L),
		     0, "syscall(): fcntl");
	CHECK_EQ_INT(libc.fcntl(a, F_SETFD, FD_CLOEXEC), 0, "fcntl F_SETFD");
	CHECK_EQ_INT(fcntl(a, F_GETFD), FD_CLOEXEC, "seen by libc");
	close(a);
}

int main(void)
{
	test_results_and_errno();
	test_six_arguments();
	test_shim_dup2();
	return unit_done();
}

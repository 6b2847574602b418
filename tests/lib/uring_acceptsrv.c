// SPDX-License-Identifier: MIT
/*
 * uring_acceptsrv PORT COUNT: like acceptsrv, but every accept, read,
 * write and close goes through io_uring, so no libc socket call after
 * listen() is ever seen by an LD_PRELOAD hook. Writes "ready", serves COUNT
 * connections ("ok <pid>"), writes "done", then waits for a signal.
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int run(struct io_uring *ring, struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int res;

	(void)sqe;
	if (io_uring_submit(ring) < 0 || io_uring_wait_cqe(ring, &cqe) < 0)
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	char buf[256], reply[64];
	int fd, c, count, len;

	if (argc != 3 || io_uring_queue_init(8, &ring, 0) < 0)
		return 2;
	count = atoi(argv[2]);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 128)) {
		perror("uring_acceptsrv");
		return 1;
	}
	len = snprintf(reply, sizeof(reply), "ok %d\n", getpid());
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (int i = 0; i < count; i++) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_accept(sqe, fd, NULL, NULL, 0);
		c = run(&ring, sqe);
		if (c < 0)
			return 1;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, c, buf, sizeof(buf), 0);
		run(&ring, sqe);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, c, reply, (size_t)len, 0);
		run(&ring, sqe);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_close(sqe, c);
		run(&ring, sqe);
	}
	if (write(1, "done\n", 5) != 5)
		return 1;
	for (;;)
		pause();
}

// SPDX-License-Identifier: MIT
/*
 * acceptsrv PORT COUNT: listen on 127.0.0.1:PORT (with SO_REUSEPORT set by
 * itself when ACCEPTSRV_REUSEPORT=1), write "ready" on stdout,
 * accept COUNT connections (read a line, answer "ok <pid>", close), exit.
 * A fixed sequence of system calls, so strace can compare the accept path
 * with and without the shim.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[256];
	int fd, c, n, count, len;

	if (argc != 3)
		return 2;
	count = atoi(argv[2]);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && getenv("ACCEPTSRV_REUSEPORT"))
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 },
			   sizeof(int));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 128)) {
		perror("acceptsrv");
		return 1;
	}
	if (write(1, "ready\n", 6) != 6)
		return 1;
	len = snprintf(buf, sizeof(buf), "ok %d\n", getpid());
	for (int i = 0; i < count; i++) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			return 1;
		n = (int)read(c, buf + 64, sizeof(buf) - 64);
		if (n > 0 && write(c, buf, (size_t)len) != len)
			return 1;
		close(c);
	}
	close(fd);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * static_srv tcp|udp PORT ID: a server the shim cannot reach once built
 * with -static (the tests build it so): it binds 127.0.0.1:PORT without
 * setting SO_REUSEPORT itself, writes "ready", then answers every HTTP
 * request with ID (one request a connection) or every datagram with ID.
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
	char buf[4096], out[512];
	int udp, fd, c, len;

	if (argc != 4)
		return 2;
	udp = !strcmp(argv[1], "udp");
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (!udp && listen(fd, 128))) {
		perror("static_srv");
		return 1;
	}
	if (write(1, "ready\n", 6) != 6)
		return 1;
	if (udp) {
		for (;;) {
			struct sockaddr_in peer;
			socklen_t pl = sizeof(peer);

			if (recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&peer, &pl) >= 0)
				sendto(fd, argv[3], strlen(argv[3]), 0,
				       (struct sockaddr *)&peer, pl);
		}
	}
	len = snprintf(out, sizeof(out),
		       "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
		       strlen(argv[3]), argv[3]);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, buf, sizeof(buf)) > 0 &&
		    write(c, out, (size_t)len) != len) {
			/* the client went away: nothing to do */
		}
		close(c);
	}
}

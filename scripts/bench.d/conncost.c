// SPDX-License-Identifier: MIT
/*
 * conncost: the wall-clock cost of a connection to a server, for
 * scripts/bench (section kcount). One client, one connection at a time:
 * connect, send a request, read the answer to EOF, close; the server's
 * accept and close (and whatever counts them: the shim's hooks or the
 * kernel's cgroup programs) are inside the time.
 *
 *   conncost ROUNDS CHUNK NAME:PORT...
 *       ROUNDS times, each variant in turn: CHUNK connections to
 *       127.0.0.1:PORT. Prints a line per round and variant:
 *       NAME ROUND ns_per_connection errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXV 16

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* one connection; 0 when the server answered */
static int one(int port)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET };
	char buf[512];
	ssize_t n;
	int got = 0, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got = 1;
	close(fd);
	return got && n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char *name[MAXV];
	int port[MAXV], nv = argc - 3, rounds, chunk;

	if (argc < 4 || nv > MAXV) {
		fprintf(stderr, "usage: conncost ROUNDS CHUNK NAME:PORT...\n");
		return 2;
	}
	rounds = atoi(argv[1]);
	chunk = atoi(argv[2]);
	for (int v = 0; v < nv; v++) {
		char *c = strchr(argv[v + 3], ':');

		if (!c || rounds < 1 || chunk < 1) {
			fprintf(stderr, "conncost: bad argument %s\n",
				argv[v + 3]);
			return 2;
		}
		*c = '\0';
		name[v] = argv[v + 3];
		port[v] = atoi(c + 1);
	}
	for (int r = 0; r < rounds; r++)
		for (int v = 0; v < nv; v++) {
			long long t0 = now_ns();
			int errors = 0;

			for (int i = 0; i < chunk; i++)
				errors += one(port[v]) != 0;
			printf("%s %d %lld %d\n", name[v], r,
			       (now_ns() - t0) / chunk, errors);
		}
	return 0;
}

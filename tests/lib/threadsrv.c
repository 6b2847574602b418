// SPDX-License-Identifier: MIT
/*
 * threadsrv PORT THREADS CONNS: every thread opens its own listener on
 * 127.0.0.1:PORT (sharing works only through the shim's SO_REUSEPORT),
 * then all threads accept until CONNS connections were served in total;
 * threads also dup and close fds concurrently. Exercises the shim's
 * locking and fd table from many threads (run under helgrind / TSan).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, conns;
static int served;
static pthread_barrier_t ready;

static void *worker(void *arg)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct pollfd p;
	char buf[128];
	int fd, c, d;

	(void)arg;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 64)) {
		perror("threadsrv: listener");
		exit(1);
	}
	pthread_barrier_wait(&ready);
	p.fd = fd;
	p.events = POLLIN;
	while (__atomic_load_n(&served, __ATOMIC_RELAXED) < conns) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		d = fcntl(c, F_DUPFD_CLOEXEC, 0);
		if (read(c, buf, sizeof(buf)) > 0 && write(d, "ok\n", 3) != 3)
			perror("threadsrv: write");
		close(d);
		close(c);
		__atomic_fetch_add(&served, 1, __ATOMIC_RELAXED);
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	int n;

	if (argc != 4)
		return 2;
	port = atoi(argv[1]);
	n = atoi(argv[2]);
	conns = atoi(argv[3]);
	if (n < 1 || n > 64)
		return 2;
	pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	pthread_barrier_wait(&ready);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("served %d\n", served);
	return 0;
}

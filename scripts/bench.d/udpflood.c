// SPDX-License-Identifier: MIT
/*
 * udpflood: the datagram-rate microbenchmark of scripts/bench (dgram).
 *
 *   udpflood serve PORT reuseport|plain   count datagrams (recvmmsg, 64 a
 *                                         call) until SIGTERM, then print
 *                                         the count
 *   udpflood send PORT SECONDS FLOWS      send 64-byte datagrams (sendmmsg,
 *                                         64 a call) from FLOWS sockets in
 *                                         turn for SECONDS; print the count
 *
 * plain: bind without SO_REUSEPORT (an unmodified server: run it under the
 * shim); reuseport: set it (the kernel hash).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXFLOWS 1024

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int serve(int port, int reuse)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	static char bufs[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct timeval tv = { 0, 100000 };
	struct sigaction act = { .sa_handler = on_term };
	unsigned long long n = 0;
	int one = 1, rcv = 8 << 20, s = socket(AF_INET, SOCK_DGRAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigaction(SIGTERM, &act, NULL);
	if (s < 0 ||
	    (reuse &&
	     setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("udpflood serve");
		return 1;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (!stop) {
		int k = recvmmsg(s, m, BATCH, 0, NULL);

		if (k > 0)
			n += (unsigned long long)k;
	}
	printf("received %llu\n", n);
	return 0;
}

static int send_flood(int port, double secs, int flows)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	static char payload[64];
	struct mmsghdr m[BATCH];
	struct iovec iov = { payload, sizeof(payload) };
	static int s[MAXFLOWS];
	unsigned long long n = 0;
	double end;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	for (int f = 0; f < flows; f++) {
		s[f] = socket(AF_INET, SOCK_DGRAM, 0);
		if (s[f] < 0 ||
		    connect(s[f], (struct sockaddr *)&sa, sizeof(sa))) {
			perror("udpflood send");
			return 1;
		}
	}
	end = now() + secs;
	for (int f = 0; now() < end; f = (f + 1) % flows) {
		int k = sendmmsg(s[f], m, BATCH, 0);

		if (k > 0)
			n += (unsigned long long)k;
	}
	printf("sent %llu\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), !strcmp(argv[3], "reuseport"));
	if (argc == 5 && !strcmp(argv[1], "send")) {
		int flows = atoi(argv[4]);

		if (flows < 1 || flows > MAXFLOWS)
			return 2;
		return send_flood(atoi(argv[2]), atof(argv[3]), flows);
	}
	fprintf(stderr,
		"usage: udpflood serve PORT reuseport|plain | send PORT SECONDS FLOWS\n");
	return 2;
}

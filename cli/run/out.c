// SPDX-License-Identifier: MIT
/*
 * reuseport run --prefix: each instance's stdout and stderr come through
 * pipes and are relayed line by line to the supervisor's stdout and
 * stderr, each line tagged "[i] ". Partial lines are completed at EOF;
 * a line longer than the buffer is cut into several.
 *
 * The supervisor never waits for its output: a slow terminal or a full
 * pipe makes it drop lines (and say how many once it can write again),
 * never stall its event loop. Pipes and terminals are written through a
 * non-blocking open file description of their own (/proc/self/fd/N), so
 * the shell's shared one keeps its flags; sockets (journald) with
 * MSG_DONTWAIT; regular files as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"
#include "state.h"

#define LINE_MAX_BYTES 4000

struct stream {
	int fd; /* read end of an instance's pipe */
	int inst;
	int dest; /* 0: stdout, 1: stderr */
	size_t len;
	char buf[LINE_MAX_BYTES];
};

static struct stream *streams[RUN_MAX_STREAMS];
static int nstreams;

/* Where lines go: fd, how to write it, lines dropped since the last write. */
static struct {
	int fd;
	bool sock;
	bool opened;
	unsigned long dropped;
} dests[2];

static void open_dest(int k)
{
	int fd = k + 1; /* STDOUT_FILENO, STDERR_FILENO */
	char path[32];
	struct stat st;
	int nfd;

	dests[k].opened = true;
	dests[k].fd = fd;
	if (fstat(fd, &st) != 0)
		return;
	dests[k].sock = S_ISSOCK(st.st_mode);
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0)
		dests[k].fd = nfd;
}

/* Everything of p, or nothing more once the destination would block. */
static bool put(int k, const char *p, size_t n)
{
	while (n) {
		ssize_t w = dests[k].sock ? send(dests[k].fd, p, n,
						 MSG_DONTWAIT | MSG_NOSIGNAL) :
					    write(dests[k].fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void emit(int k, int inst, const char *line, size_t n)
{
	char out[LINE_MAX_BYTES + 64];
	int head;

	if (!dests[k].opened)
		open_dest(k);
	if (dests[k].dropped) {
		head = snprintf(
			out, sizeof(out),
			"reuseport run: %lu lines of output dropped (%s too slow)\n",
			dests[k].dropped, k ? "stderr" : "stdout");
		if (!put(k, out, (size_t)head)) {
			dests[k].dropped++;
			return;
		}
		dests[k].dropped = 0;
	}
	head = snprintf(out, sizeof(out), "[%d] ", inst);
	memcpy(out + head, line, n);
	out[head + (int)n] = '\n';
	if (put(k, out, (size_t)head + n + 1))
		return;
	/* the log says it once a streak, the destination when it can */
	if (!dests[k].dropped++)
		run_warn("event=output_slow dest=%s action=drop",
			 k ? "stderr" : "stdout");
}

int run_out_pipes(int i, int fds[4])
{
	(void)i;
	if (nstreams + 2 > RUN_MAX_STREAMS) {
		errno = EMFILE;
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(fds + 2, O_CLOEXEC) != 0) {
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}

void run_out_adopt(int i, int fds[4])
{
	for (int k = 0; k < 2; k++) {
		struct stream *s;

		if (fds[2 * k] < 0)
			continue;
		close(fds[2 * k + 1]);
		s = malloc(sizeof(*s));
		if (!s) {
			close(fds[2 * k]);
			continue;
		}
		*s = (struct stream){ .fd = fds[2 * k], .inst = i, .dest = k };
		fcntl(s->fd, F_SETFL, O_NONBLOCK);
		streams[nstreams++] = s;
	}
}

int run_out_pollfds(struct pollfd *p, int max)
{
	int n = 0;

	for (; n < nstreams && n < max; n++)
		p[n] = (struct pollfd){ .fd = streams[n]->fd,
					.events = POLLIN };
	return n;
}

/* Emit the complete lines of s (all of it at EOF); false when it ended. */
static bool pump(struct stream *s)
{
	ssize_t r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
	bool eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
	char *start = s->buf, *nl;

	if (r > 0)
		s->len += (size_t)r;
	while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->buf)))) {
		emit(s->dest, s->inst, start, (size_t)(nl - start));
		start = nl + 1;
	}
	s->len -= (size_t)(start - s->buf);
	memmove(s->buf, start, s->len);
	if (s->len && (eof || s->len == sizeof(s->buf))) {
		emit(s->dest, s->inst, s->buf, s->len);
		s->len = 0;
	}
	return !eof;
}

static void drop_stream(int k)
{
	close(streams[k]->fd);
	free(streams[k]);
	streams[k] = streams[--nstreams];
}

void run_out_service(const struct pollfd *p, int n)
{
	/* backwards: dropping k moves the last one, already seen, into k */
	for (int k = n - 1; k >= 0; k--)
		if (p[k].revents && !pump(streams[k]))
			drop_stream(k);
}

/* At exit: what the pipes still hold, partial lines included. */
void run_out_flush(void)
{
	for (int k = nstreams - 1; k >= 0; k--) {
		int rounds = 0;

		while (pump(streams[k]) && rounds++ < 64) {
			struct pollfd p = { .fd = streams[k]->fd,
					    .events = POLLIN };

			if (poll(&p, 1, 0) <= 0)
				break;
		}
		if (streams[k]->len)
			emit(streams[k]->dest, streams[k]->inst,
			     streams[k]->buf, streams[k]->len);
		drop_stream(k);
	}
}

// SPDX-License-Identifier: MIT
/*
 * Groups opened at a TCP bind, for the listen that follows: a server that
 * drops privileges in between (varnish's jail, squid) could not open root's
 * pins any more. The fds are O_CLOEXEC and marked in the fd table: an
 * application's close-all loop leaves them open (close() of one is a no-op,
 * close_range() is split around them, dup2() onto one moves it away), and
 * whatever still replaces them is noticed and checked by id before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "group.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "shim_impl.h"

#define MAX_HELD 32
static struct {
	int sock; /* -1: free */
	struct rp_handle h;
} held[MAX_HELD] = { [0 ... MAX_HELD - 1] = { .sock = -1 } };

static void mark_held(int fd, bool on)
{
	struct rp_fdent e = { .flags = RP_FD_HELD | RP_FD_KNOWN };

	if (on)
		rp_fd_set(fd, &e);
	else
		rp_fd_clear(fd);
}

void rp_hold_release(struct rp_handle *h)
{
	mark_held(h->socks_fd, false);
	mark_held(h->prog_fd, false);
	rp_steer->close_handle(h);
}

/* Locked. The handle held for socket sock, if any (taken out). */
static bool take_held(int sock, struct rp_handle *h)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i].sock == sock) {
			*h = held[i].h;
			held[i].sock = -1;
			return true;
		}
	return false;
}

/* Open or create the group before the kernel state changes. Locked. */
int rp_hold_prepare(int fd, const struct rp_group_key *key, struct rp_handle *h)
{
	memset(h, 0, sizeof(*h));
	h->socks_fd = h->prog_fd = -1;
	if (!rp_load_steer())
		return -ELIBACC;
	if (take_held(fd, h)) {
		/* attach() checks the ids too: numbers reused behind us */
		if (h->socks_fd >= 0 && h->prog_fd >= 0)
			return 0;
		rp_hold_release(h);
	}
	return rp_steer->open(&rp_cfg, key, h);
}

void rp_hold_open(int fd, uint32_t kind, const struct sockaddr *sa)
{
	struct rp_group_key key;
	struct rp_handle h;
	struct rp_fdent e;
	int i;

	pthread_mutex_lock(&rp_reg_lock);
	if (rp_make_key(fd, kind, sa, &key) || rp_app_group(key.name) ||
	    !rp_load_steer())
		goto out;
	/* a number we never saw closed: what it held is stale */
	if (take_held(fd, &h))
		rp_hold_release(&h);
	for (i = 0; i < MAX_HELD && held[i].sock >= 0; i++)
		;
	if (i == MAX_HELD)
		goto out;
	/* a failure here is retried, and reported, at listen */
	if (rp_steer->open(&rp_cfg, &key, &h))
		goto out;
	held[i].sock = fd;
	held[i].h = h;
	mark_held(h.socks_fd, true);
	mark_held(h.prog_fd, true);
	if (rp_fd_get(fd, &e)) {
		e.flags |= RP_FD_HOLDING;
		rp_fd_set(fd, &e);
	}
out:
	pthread_mutex_unlock(&rp_reg_lock);
}

void rp_hold_forget_sock(int sock)
{
	pthread_mutex_lock(&rp_reg_lock);
	rp_hold_drop(sock);
	pthread_mutex_unlock(&rp_reg_lock);
}

/* Locked. Every held handle that uses fd now uses to (-1: gone). */
static void renumber(int fd, int to)
{
	for (int i = 0; i < MAX_HELD; i++) {
		if (held[i].sock < 0)
			continue;
		if (held[i].h.socks_fd == fd)
			held[i].h.socks_fd = to;
		if (held[i].h.prog_fd == fd)
			held[i].h.prog_fd = to;
	}
}

void rp_hold_drop(int sock)
{
	struct rp_handle h;

	if (take_held(sock, &h))
		rp_hold_release(&h);
}

/*
 * The application is about to dup2() onto a number that holds one of the
 * shim's fds (a daemon pointing every fd at /dev/null): move ours out of
 * the way first, high up, so its group is still open at listen.
 */
#define HELD_FD_FLOOR 512
void rp_hold_dup_onto(int newfd)
{
	struct rp_fdent e;
	int moved;

	if (rp_in_shim || !rp_fd_get(newfd, &e) || !(e.flags & RP_FD_HELD))
		return;
	pthread_mutex_lock(&rp_reg_lock);
	moved = libc_fcntl(newfd, F_DUPFD_CLOEXEC, HELD_FD_FLOOR);
	if (moved >= 0) {
		mark_held(moved, true);
		renumber(newfd, moved);
		/* the number is the application's now */
		rp_fd_clear(newfd);
	}
	pthread_mutex_unlock(&rp_reg_lock);
}

void rp_hold_fd_closed(int fd)
{
	pthread_mutex_lock(&rp_reg_lock);
	renumber(fd, -1);
	pthread_mutex_unlock(&rp_reg_lock);
}

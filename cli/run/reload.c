// SPDX-License-Identifier: MIT
/*
 * reuseport run: the answers to reuseport reload (reload.h has the
 * protocol). Each request is held as a pidfd of the requester, taken when
 * its SIGHUP is read, and only if it blocks the answer signal: that is the
 * requester waiting, not a process that took over its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rawsys.h"
#include "reload.h"
#include "state.h"
#include "sys.h"

#define RELOAD_MAX 16

struct waiter {
	pid_t pid;
	int pidfd;
};
/* cur: those the roll under way answers; next: those after it */
static struct waiter cur[2 * RELOAD_MAX], next[RELOAD_MAX];
static int ncur, nnext;

static const char *const result_names[] = { "done", "failed", "stopping",
					    "refused", "busy" };

/* Does pid block the answer signal (its SigBlk in /proc)? */
static bool blocks_answer(pid_t pid)
{
	char v[32];

	return rp_proc_status(pid, "SigBlk", v, sizeof(v)) &&
	       (strtoull(v, NULL, 16) >> (RP_RELOAD_ANSWER - 1) & 1);
}

static void answer(struct waiter *w, enum rp_reload_result r)
{
	siginfo_t si = { 0 };

	si.si_signo = RP_RELOAD_ANSWER;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = (int)r;
	if (syscall(SYS_pidfd_send_signal, w->pidfd, RP_RELOAD_ANSWER, &si,
		    0) != 0 &&
	    errno != ESRCH)
		run_warn("event=warning reason=\"reload answer to pid %d: %s\"",
			 (int)w->pid, strerror(errno));
	else
		run_info("event=reload_answer pid=%d result=%s", (int)w->pid,
			 result_names[r]);
	close(w->pidfd);
}

void run_reload_wait(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct waiter w = { .pid = pid, .pidfd = fd };

	if (fd < 0) {
		run_warn(
			"event=warning reason=\"reload request of pid %d: pidfd_open: %s; it gets no answer\"",
			(int)pid, strerror(errno));
		return;
	}
	/* pidfd_open's fd is close-on-exec: no instance inherits it */
	if (!blocks_answer(pid)) {
		run_info(
			"event=reload_request pid=%d answer=none reason=\"the requester does not wait for an answer\"",
			(int)pid);
		close(fd);
		return;
	}
	run_info("event=reload_request pid=%d", (int)pid);
	if (nnext == RELOAD_MAX) {
		answer(&w, RP_RELOAD_BUSY);
		return;
	}
	next[nnext++] = w;
}

void run_reload_begin(void)
{
	/* a roll in progress cannot start another: cur is empty here */
	memcpy(cur + ncur, next, (size_t)nnext * sizeof(next[0]));
	ncur += nnext;
	nnext = 0;
}

void run_reload_end(enum rp_reload_result r)
{
	for (int i = 0; i < ncur; i++)
		answer(&cur[i], r);
	ncur = 0;
}

void run_reload_answer_all(enum rp_reload_result r)
{
	run_reload_begin();
	run_reload_end(r);
}

/* SPDX-License-Identifier: MIT */
/*
 * A reload that waits (reuseport reload, for systemd's ExecReload= where
 * Type=notify-reload is missing, systemd < 253): the command queues
 * SIGHUP to the supervisor with RP_RELOAD_MAGIC as its value
 * (sigqueue), blocks RP_RELOAD_ANSWER and waits; the supervisor queues
 * that signal back, through a pidfd of the requester (never to a reused
 * pid), with one of enum rp_reload_result as its value, once the roll
 * the request asked for is done, failed, or will not come. A plain
 * kill -HUP gets no answer, as before.
 */
#ifndef RP_RUN_RELOAD_H
#define RP_RUN_RELOAD_H

#include <signal.h>
#include <sys/types.h>

#define RP_RELOAD_MAGIC 0x52504844 /* "RPHD" */
#define RP_RELOAD_ANSWER SIGRTMIN

enum rp_reload_result {
	RP_RELOAD_DONE, /* every instance replaced, or HUP forwarded */
	RP_RELOAD_FAILED, /* a replacement failed; the others keep serving */
	RP_RELOAD_STOPPING, /* the supervisor stops: no roll */
	RP_RELOAD_REFUSED, /* the generation is at its maximum */
	RP_RELOAD_BUSY, /* too many reload commands waiting */
};

/* A request from pid: answered at the end of the next roll to start. */
void run_reload_wait(pid_t pid);
/* A roll starts: the requests so far wait for this one. */
void run_reload_begin(void);
/* It ended: answer those it was for. */
void run_reload_end(enum rp_reload_result r);
/* Answer every request (forwarded HUP, stop). */
void run_reload_answer_all(enum rp_reload_result r);

#endif

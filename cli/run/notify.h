/* SPDX-License-Identifier: MIT */
/* reuseport run: readiness, sd_notify (NOTIFY_SOCKET) and --ready-file. */
#ifndef RP_RUN_NOTIFY_H
#define RP_RUN_NOTIFY_H

/* At start: take NOTIFY_SOCKET out of the instances' way, clear the file. */
void run_notify_setup(void);
/* One datagram to NOTIFY_SOCKET, if set ("READY=1\nSTATUS=..."). */
void run_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every instance registered: READY=1, the ready file written. */
void run_announce_ready(void);
/*
 * READY=1 and STATUS= "N instances serving, generation G", with the ports
 * nobody steers (unsteered.h).
 */
void run_notify_serving(void);
/* STOPPING=1, the ready file removed. */
void run_notify_stop(void);

#endif

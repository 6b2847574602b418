/* SPDX-License-Identifier: MIT */
/*
 * Facts the kernel tells about processes, namespaces and filesystems,
 * asked the same way by the interposer, the group library and the command.
 * libc only.
 */
#ifndef RP_SYS_H
#define RP_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Inode of this process's pid / network namespace (0 if unknown). */
uint32_t rp_pidns(void);
int rp_netns(uint64_t *ino);
/* Exited, or a zombie its parent has not reaped yet. */
bool rp_pid_gone(pid_t pid);
/*
 * /proc/PID/WHAT read at once (one read: stat, cmdline, environ) into buf,
 * 0-terminated, without stdio, closed raw (rawsys.h): the bytes read, or
 * -1 (gone, unreadable, empty).
 */
ssize_t rp_proc_read(pid_t pid, const char *what, char *buf, size_t len);
/*
 * The value after "key:" in /proc/PID/status (SigBlk, Seccomp...), blanks
 * skipped, into val: false if pid or the key is not there.
 */
bool rp_proc_status(pid_t pid, const char *key, char *val, size_t len);
/*
 * /proc/PID/stat into buf: the fields after the command name (from the
 * state letter on), NULL if pid is gone or the line is cut; the name in
 * comm if comm is given.
 */
const char *rp_proc_stat_fields(pid_t pid, char *buf, size_t len, char *comm,
				size_t clen);
/* ppid, process group and state letter of pid; false if it is gone. */
bool rp_proc_stat(pid_t pid, pid_t *ppid, pid_t *pgrp, char *state);
/*
 * Every socket pid holds (/proc/PID/fd/N -> socket:[inode]): fn(inode, N,
 * arg) for each until it returns false. 0, or -errno when the process's
 * fds cannot be read.
 */
int rp_proc_sockets(pid_t pid, bool (*fn)(unsigned long ino, int fd, void *arg),
		    void *arg);
/* Does pid have libreuseport.so mapped? false when it cannot tell. */
bool rp_pid_maps_shim(pid_t pid);
/* Is path on a bpf filesystem? -errno of statfs, 0 no, 1 yes. */
int rp_is_bpffs(const char *path);
/*
 * The kernel's range of ephemeral ports in this network namespace
 * (/proc/sys/net/ipv4/ip_local_port_range): false if unreadable.
 */
bool rp_ephemeral_ports(uint16_t *lo, uint16_t *hi);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rp_now_ns(void);

#endif

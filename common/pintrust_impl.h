/* SPDX-License-Identifier: MIT */
/* Shared by pintrust.c, pinremove.c and logfile.c; not an interface. */
#ifndef RP_PINTRUST_IMPL_H
#define RP_PINTRUST_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NO_GID ((gid_t)-1)
/* The reasons of a refused symbolic link. */
#define NOFOLLOW "links are never followed here"
#define LOG_NOFOLLOW "the log file is never opened through a link"

/*
 * One line into why: control characters (a newline in a planted file name)
 * become '?', so the line cannot forge another log line.
 */
__attribute__((format(printf, 3, 0))) void pt_vsay(char *why, size_t whylen,
						   const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) void pt_say(char *why, size_t whylen,
						  const char *fmt, ...);
/* A refusal: the reason into why, fd closed (when >= 0), err returned. */
__attribute__((format(printf, 5, 6))) int
pt_refuse(int err, int fd, char *why, size_t whylen, const char *fmt, ...);
/* An open of path (plen bytes of it) failed with err: why says so; err. */
int pt_open_failed(int err, const char *path, int plen, const char *link_rule,
		   char *why, size_t whylen);
/* fd when its check passed (err 0), else err and fd closed. */
int pt_checked(int fd, int err);
const char *pt_type_name(mode_t mode);
/* One path component: not empty, not "." or "..", no '/'. */
bool pt_valid_name(const char *name);
/* openat without following a link (openat2 RESOLVE_NO_SYMLINKS if any). */
int pt_open_nofollow(int dirfd, const char *name, int flags, mode_t mode);
/* Owner and mode of an open fd against the trust rules: 0 or -errno. */
int pt_check_fd(int fd, bool strict, bool want_dir, uid_t euid,
		gid_t allowed_gid, const char *path, int plen, char *why,
		size_t whylen);
/* "DIR/NAME" as far as it can be told from dirfd, for messages. */
void pt_describe(int dirfd, const char *name, char *buf, size_t len);

#endif

// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_LOG_FILE, opened safely: an absolute path, a regular file with
 * one link, never through a symlink, never a FIFO or device that could
 * block the server.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pintrust.h"

#include "pintrust_impl.h"
#include "rawsys.h"

#define LOG_OPEN_FLAGS                                                         \
	(O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | \
	 O_NOCTTY)

/* The type rule of the log file, for both the lstat and the fstat. */
static int log_type_ok(const struct stat *st, const char *path, char *why,
		       size_t whylen)
{
	if (S_ISREG(st->st_mode)) {
		if (st->st_nlink <= 1)
			return 0;
		pt_say(why, whylen,
		       "path=%s reason=\"regular file with %lu hard links; a log file must have one (a planted link to another file is refused)\"",
		       path, (unsigned long)st->st_nlink);
		return -EMLINK;
	}
	if (S_ISLNK(st->st_mode)) {
		pt_say(why, whylen,
		       "path=%s reason=\"is a symbolic link; " LOG_NOFOLLOW
		       "\"",
		       path);
		return -ELOOP;
	}
	if (S_ISDIR(st->st_mode)) {
		pt_say(why, whylen,
		       "path=%s reason=\"is a directory, not a regular file\"",
		       path);
		return -EISDIR;
	}
	if (S_ISCHR(st->st_mode)) {
		pt_say(why, whylen,
		       "path=%s reason=\"is a character device, not a regular file (/dev/null and /dev/full are refused too; to log less leave REUSEPORT_LOG_FILE unset and set REUSEPORT_LOG=error)\"",
		       path);
		return -EINVAL;
	}
	pt_say(why, whylen, "path=%s reason=\"is a %s, not a regular file\"",
	       path, pt_type_name(st->st_mode));
	return -EINVAL;
}

int rp_open_log_file(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd, err;

	pt_say(why, whylen, "%s", "");
	if (!path || path[0] != '/') {
		pt_say(why, whylen,
		       "path=%s reason=\"not an absolute path; the log file must be named from /\"",
		       path ? path : "(null)");
		return -EINVAL;
	}
	/* before opening: a device is not even opened */
	if (lstat(path, &st) == 0) {
		err = log_type_ok(&st, path, why, whylen);
		if (err)
			return err;
	}
	fd = open(path, LOG_OPEN_FLAGS, 0640);
	if (fd < 0) {
		err = -errno;
		if (err == -EISDIR)
			pt_say(why, whylen,
			       "path=%s reason=\"is a directory, not a regular file\"",
			       path);
		else if (err == -ENXIO)
			pt_say(why, whylen,
			       "path=%s reason=\"is a FIFO without a reader or a socket, not a regular file\"",
			       path);
		else
			pt_open_failed(err, path, (int)strlen(path),
				       LOG_NOFOLLOW, why, whylen);
		return err;
	}
	/* after opening: what was opened is what counts */
	if (fstat(fd, &st) != 0) {
		err = -errno;
		return pt_refuse(err, fd, why, whylen,
				 "path=%s reason=\"cannot stat: %s\"", path,
				 strerror(-err));
	}
	return pt_checked(fd, log_type_ok(&st, path, why, whylen));
}

// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_LOG_FILE, opened safely: an absolute path, a regular file with
 * one link on an ordinary filesystem, never through a symlink, never a FIFO
 * or device that could block the server.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570 /* not in linux/magic.h */
#endif

/*
 * The filesystem rule: on these a "regular file" is a kernel interface
 * (/proc/sys/kernel/hostname would take the warning as the host's name,
 * /proc/self/mem swallows it), not a log.
 */
static int log_fs_ok(const struct statfs *sf, const char *path, char *why,
		     size_t whylen)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} kernel_fs[] = {
		{ PROC_SUPER_MAGIC, "procfs" },
		{ SYSFS_MAGIC, "sysfs" },
		{ DEBUGFS_MAGIC, "debugfs" },
		{ TRACEFS_MAGIC, "tracefs" },
		{ SECURITYFS_MAGIC, "securityfs" },
		{ CGROUP_SUPER_MAGIC, "cgroup" },
		{ CGROUP2_SUPER_MAGIC, "cgroup2" },
		{ BPF_FS_MAGIC, "bpffs" },
		{ DEVPTS_SUPER_MAGIC, "devpts" },
		{ CONFIGFS_MAGIC, "configfs" },
	};

	for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if ((unsigned long)sf->f_type == kernel_fs[i].magic) {
			pt_say(why, whylen,
			       "path=%s reason=\"is on %s, a kernel interface, not an ordinary filesystem\"",
			       path, kernel_fs[i].name);
			return -EINVAL;
		}
	return 0;
}

int rp_open_log_file(const char *path, char *why, size_t whylen)
{
	struct statfs sf;
	struct stat st;
	int fd, err;

	pt_say(why, whylen, "%s", "");
	if (!path || path[0] != '/') {
		pt_say(why, whylen,
		       "path=%s reason=\"not an absolute path; the log file must be named from /\"",
		       path ? path : "(null)");
		return -EINVAL;
	}
	/* before opening: a device or a kernel file is not even opened */
	if (lstat(path, &st) == 0) {
		err = log_type_ok(&st, path, why, whylen);
		if (!err && statfs(path, &sf) == 0)
			err = log_fs_ok(&sf, path, why, whylen);
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
	err = log_type_ok(&st, path, why, whylen);
	if (!err && fstatfs(fd, &sf) != 0) {
		err = -errno;
		return pt_refuse(err, fd, why, whylen,
				 "path=%s reason=\"cannot statfs: %s\"", path,
				 strerror(-err));
	}
	return pt_checked(fd, err ? err : log_fs_ok(&sf, path, why, whylen));
}

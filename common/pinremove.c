// SPDX-License-Identifier: MIT
/*
 * Removing a group directory for cleanup and reaping: only a real
 * directory of plain files on the same filesystem, through directory fds,
 * never following a link; and the unpredictable names groups are built
 * under before they are published.
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

#include "escape.h"
#include "pintrust.h"

#include "pintrust_impl.h"
#include "rawsys.h"

/* The mount id of an fd from /proc/self/fdinfo, or -1 when unknown. */
static long long mnt_id_of(int fd)
{
	char p[64], buf[512], *m;
	ssize_t n;
	int f;

	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	f = open(p, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	rp_raw_close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	m = strstr(buf, "\nmnt_id:");
	return m ? strtoll(m + 8, NULL, 10) : -1;
}

int rp_remove_group_dirat(int dirfd, const char *name, char *why, size_t whylen)
{
	char shown[PATH_MAX], entry[RP_ESC_SIZE(NAME_MAX)];
	struct stat pst, st, fst;
	long long pmnt, mnt;
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	pt_say(why, whylen, "%s", "");
	pt_describe(dirfd, name, shown, sizeof(shown));
	if (!pt_valid_name(name)) {
		pt_say(why, whylen,
		       "path=%s reason=\"not a single path component; nothing removed\"",
		       shown);
		return -EINVAL;
	}
	if (fstat(dirfd, &pst) != 0 ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		err = -errno;
		return pt_refuse(err, -1, why, whylen,
				 "path=%s reason=\"cannot stat: %s\"", shown,
				 strerror(-err));
	}
	if (S_ISLNK(st.st_mode))
		return pt_refuse(
			-ELOOP, -1, why, whylen,
			"path=%s reason=\"is a symbolic link; not followed, nothing removed\"",
			shown);
	if (!S_ISDIR(st.st_mode))
		return pt_refuse(
			-ENOTDIR, -1, why, whylen,
			"path=%s reason=\"is a %s, not a directory; nothing removed\"",
			shown, pt_type_name(st.st_mode));
	if (st.st_dev != pst.st_dev)
		return pt_refuse(
			-EXDEV, -1, why, whylen,
			"path=%s reason=\"on another filesystem than its parent (a mount point?); nothing removed\"",
			shown);
	fd = pt_open_nofollow(dirfd, name, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return pt_refuse(
			fd, -1, why, whylen,
			"path=%s reason=\"cannot open: %s; nothing removed\"",
			shown, strerror(-fd));
	if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino)
		return pt_refuse(
			-EAGAIN, fd, why, whylen,
			"path=%s reason=\"changed while being removed; nothing removed\"",
			shown);
	/* a bind mount of the same filesystem keeps st_dev */
	pmnt = mnt_id_of(dirfd);
	mnt = mnt_id_of(fd);
	if (pmnt >= 0 && mnt >= 0 && pmnt != mnt)
		return pt_refuse(
			-EXDEV, fd, why, whylen,
			"path=%s reason=\"is a mount point; nothing removed\"",
			shown);
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		return pt_refuse(err, fd, why, whylen,
				 "path=%s reason=\"cannot read: %s\"", shown,
				 strerror(-err));
	}

	/* first look at everything, so a refusal removes nothing */
	while ((errno = 0, de = readdir(d))) {
		struct stat est;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &est, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			pt_say(why, whylen,
			       "path=%s reason=\"cannot stat entry %s: %s; nothing removed\"",
			       shown,
			       rp_escape(entry, sizeof(entry), de->d_name,
					 NAME_MAX),
			       strerror(-err));
			goto out;
		}
		if (S_ISDIR(est.st_mode)) {
			pt_say(why, whylen,
			       "path=%s reason=\"contains the directory %s (a group holds only pinned objects); nothing removed\"",
			       shown,
			       rp_escape(entry, sizeof(entry), de->d_name,
					 NAME_MAX));
			err = -ENOTEMPTY;
			goto out;
		}
	}
	if (errno) {
		err = -errno;
		pt_say(why, whylen, "path=%s reason=\"cannot read: %s\"", shown,
		       strerror(-err));
		goto out;
	}

	/* flags 0: unlinkat never removes a directory, never follows */
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(fd, de->d_name, 0) != 0 && errno != ENOENT &&
		    !err) {
			err = -errno;
			pt_say(why, whylen,
			       "path=%s reason=\"cannot remove entry %s: %s\"",
			       shown,
			       rp_escape(entry, sizeof(entry), de->d_name,
					 NAME_MAX),
			       strerror(-err));
		}
	}
	if (!err && unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
		err = -errno;
		pt_say(why, whylen,
		       "path=%s reason=\"cannot remove the directory: %s\"",
		       shown, strerror(-err));
	}
out:
	closedir(d);
	return err;
}

int rp_tmp_name(char *buf, size_t len, const char *name)
{
	uint64_t r;
	ssize_t n;
	int m;

	if (!buf || !len || !pt_valid_name(name))
		return -EINVAL;
	do {
		n = getrandom(&r, sizeof(r), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(r))
		return -EIO;
	m = snprintf(buf, len, RP_TMP_NAME_PREFIX "%d-%016" PRIx64 "-%s",
		     (int)getpid(), r, name);
	if (m < 0)
		return -EINVAL;
	if ((size_t)m >= len || m > NAME_MAX) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

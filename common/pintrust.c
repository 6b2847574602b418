// SPDX-License-Identifier: MIT
/*
 * Trust rules for the pin tree and the log file: see pintrust.h.
 * libc only, no allocation besides fdopendir(), usable inside the preload.
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

/* Set once the kernel said ENOSYS: then openat(O_NOFOLLOW) only. */
static int no_openat2;

/*
 * One line into why: control characters (a newline in a planted file name)
 * become '?', so the line cannot forge another log line.
 */
__attribute__((format(printf, 3, 0))) void pt_vsay(char *why, size_t whylen,
						   const char *fmt, va_list ap)
{
	if (!why || !whylen)
		return;
	vsnprintf(why, whylen, fmt, ap);
	for (char *c = why; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
}

__attribute__((format(printf, 3, 4))) void pt_say(char *why, size_t whylen,
						  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pt_vsay(why, whylen, fmt, ap);
	va_end(ap);
}

/* A refusal: the reason into why, fd closed (when >= 0), err returned. */
__attribute__((format(printf, 5, 6))) int
pt_refuse(int err, int fd, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (fd >= 0)
		rp_raw_close(fd);
	va_start(ap, fmt);
	pt_vsay(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

/* An open of path (plen bytes of it) failed with err: why says so; err. */
int pt_open_failed(int err, const char *path, int plen, const char *link_rule,
		   char *why, size_t whylen)
{
	if (err == -ELOOP)
		pt_say(why, whylen,
		       "path=%.*s reason=\"is a symbolic link; %s\"", plen,
		       path, link_rule);
	else
		pt_say(why, whylen, "path=%.*s reason=\"cannot open: %s\"",
		       plen, path, strerror(-err));
	return err;
}

/* fd when its check passed (err 0), else err and fd closed. */
int pt_checked(int fd, int err)
{
	if (!err)
		return fd;
	rp_raw_close(fd);
	return err;
}

const char *pt_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFIFO:
		return "FIFO";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	}
	return "file of unknown type";
}

/* One component: not empty, no '/', not "." or "..", at most NAME_MAX. */
bool pt_valid_name(const char *name)
{
	size_t len;

	if (!name || !*name || strchr(name, '/'))
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	len = strlen(name);
	return len <= NAME_MAX;
}

/*
 * openat of one component that never follows a link: with O_PATH a final
 * symlink comes back as an fd of the link itself (fstat says S_IFLNK),
 * without O_PATH it is ELOOP. Returns fd or -errno.
 */
int pt_open_nofollow(int dirfd, const char *name, int flags, mode_t mode)
{
	int fd, tries = 0;

	flags |= O_NOFOLLOW | O_CLOEXEC;
	/* glibc's O_TMPFILE includes O_DIRECTORY: test all of its bits */
	if (!(flags & O_CREAT) && (flags & O_TMPFILE) != O_TMPFILE)
		mode = 0;
	while (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		struct open_how how = {
			.flags = (uint64_t)(unsigned int)flags,
			.mode = mode,
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH,
		};

		fd = (int)rp_raw_syscall(SYS_openat2, dirfd, (long)name,
					 (long)&how, sizeof(how), 0, 0);
		if (fd >= 0)
			return fd;
		/* a scoped lookup may ask for a retry after a rename */
		if (errno == EAGAIN && ++tries < 8)
			continue;
		if (errno != ENOSYS)
			return -errno;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	fd = openat(dirfd, name, flags, mode);
	return fd < 0 ? -errno : fd;
}

/*
 * The owner and mode rule. strict: at or below trust_from (and every
 * rp_trusted_openat entry); otherwise a directory above it.
 */
static int check_owner_mode(const struct stat *st, bool strict, uid_t euid,
			    gid_t allowed_gid, const char *path, int plen,
			    char *why, size_t whylen)
{
	unsigned int mode = st->st_mode & 07777;
	bool gid_ok = allowed_gid != NO_GID && st->st_gid == allowed_gid;

	if (st->st_uid != 0 && st->st_uid != euid) {
		pt_say(why, whylen,
		       "path=%.*s reason=\"owned by uid %u (not root or this process's uid %u): that user could replace what it holds\"",
		       plen, path, (unsigned int)st->st_uid,
		       (unsigned int)euid);
		return -EPERM;
	}
	if (!strict) {
		if (!(mode & (S_IWGRP | S_IWOTH)) || (mode & S_ISVTX))
			return 0;
		if (!(mode & S_IWOTH) && gid_ok)
			return 0;
		pt_say(why, whylen,
		       "path=%.*s reason=\"writable by %s (mode %04o, gid %u) and not sticky: another user could rename what is below it\"",
		       plen, path, mode & S_IWOTH ? "others" : "its group",
		       mode, (unsigned int)st->st_gid);
		return -EPERM;
	}
	if (mode & S_IWOTH) {
		pt_say(why, whylen,
		       "path=%.*s reason=\"writable by others (mode %04o); at or below the pin dir not even a sticky directory is accepted\"",
		       plen, path, mode);
		return -EPERM;
	}
	if ((mode & S_IWGRP) && !gid_ok) {
		if (allowed_gid == NO_GID)
			pt_say(why, whylen,
			       "path=%.*s reason=\"group-writable (mode %04o, gid %u) and no group is allowed (reuseport setup --group)\"",
			       plen, path, mode, (unsigned int)st->st_gid);
		else
			pt_say(why, whylen,
			       "path=%.*s reason=\"group-writable (mode %04o) by gid %u, not by the allowed gid %u\"",
			       plen, path, mode, (unsigned int)st->st_gid,
			       (unsigned int)allowed_gid);
		return -EPERM;
	}
	return 0;
}

/* fstat an fd from pt_open_nofollow() and apply the rules. */
int pt_check_fd(int fd, bool strict, bool want_dir, uid_t euid,
		gid_t allowed_gid, const char *path, int plen, char *why,
		size_t whylen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		int err = -errno;

		pt_say(why, whylen, "path=%.*s reason=\"cannot stat: %s\"",
		       plen, path, strerror(-err));
		return err;
	}
	if (S_ISLNK(st.st_mode)) {
		pt_say(why, whylen,
		       "path=%.*s reason=\"is a symbolic link; " NOFOLLOW "\"",
		       plen, path);
		return -ELOOP;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		pt_say(why, whylen,
		       "path=%.*s reason=\"is a %s, not a directory\"", plen,
		       path, pt_type_name(st.st_mode));
		return -ENOTDIR;
	}
	return check_owner_mode(&st, strict, euid, allowed_gid, path, plen, why,
				whylen);
}

/*
 * Copy an absolute path without repeated or trailing slashes. -EINVAL for
 * a "." or ".." component, -ENAMETOOLONG when it does not fit.
 */
static int normalize(const char *in, char *out, size_t outlen)
{
	const char *p = in, *e;
	size_t n = 0, len;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		len = (size_t)(e - p);
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (len > NAME_MAX || n + 1 + len + 1 > outlen)
			return -ENAMETOOLONG;
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		p = e;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

int rp_trusted_dir(const char *path, const char *trust_from, uid_t euid,
		   gid_t allowed_gid, bool create, char *why, size_t whylen)
{
	char p[PATH_MAX], tf[PATH_MAX], name[NAME_MAX + 1];
	size_t tf_len, depth = 0, i = 0, len;
	const char *c, *e;
	int fd, nfd, err;

	pt_say(why, whylen, "%s", "");
	if (!path || path[0] != '/') {
		pt_say(why, whylen, "path=%s reason=\"not an absolute path\"",
		       path ? path : "(null)");
		return -EINVAL;
	}
	err = normalize(path, p, sizeof(p));
	if (err) {
		pt_say(why, whylen, "path=%s reason=\"%s\"", path,
		       err == -EINVAL ? "has a '.' or '..' component" :
					"too long");
		return err;
	}
	if (!trust_from || !*trust_from)
		trust_from = "/";
	if (trust_from[0] != '/' || normalize(trust_from, tf, sizeof(tf))) {
		pt_say(why, whylen,
		       "path=%s reason=\"the trusted directory %s is not an absolute path without '.' or '..'\"",
		       p, trust_from);
		return -EINVAL;
	}
	tf_len = strlen(tf);
	if (tf_len > 1) {
		if (strncmp(p, tf, tf_len) != 0 ||
		    (p[tf_len] != '\0' && p[tf_len] != '/')) {
			pt_say(why, whylen,
			       "path=%s reason=\"not at or below the trusted directory %s\"",
			       p, tf);
			return -EINVAL;
		}
		for (c = tf; *c; c++)
			depth += *c == '/';
	}

	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pt_open_failed(-errno, "/", 1, NOFOLLOW, why, whylen);
	err = pt_check_fd(fd, depth == 0, true, euid, allowed_gid, "/", 1, why,
			  whylen);
	if (err)
		goto fail;

	for (c = p; c[0] == '/' && c[1]; c = e) {
		bool strict = ++i >= depth;
		int plen;

		c++;
		e = strchrnul(c, '/');
		len = (size_t)(e - c);
		memcpy(name, c, len);
		name[len] = '\0';
		plen = (int)(e - p);

		nfd = pt_open_nofollow(fd, name, O_PATH, 0);
		if (nfd == -ENOENT && create && strict) {
			if (mkdirat(fd, name, 0755) != 0 && errno != EEXIST) {
				err = -errno;
				pt_say(why, whylen,
				       "path=%.*s reason=\"cannot create: %s\"",
				       plen, p, strerror(-err));
				goto fail;
			}
			nfd = pt_open_nofollow(fd, name, O_PATH, 0);
		}
		if (nfd < 0) {
			err = nfd;
			if (err == -ENOENT && create)
				pt_say(why, whylen,
				       "path=%.*s reason=\"does not exist (only levels at or below %s are created)\"",
				       plen, p, tf);
			else if (err == -ENOENT)
				pt_say(why, whylen,
				       "path=%.*s reason=\"does not exist\"",
				       plen, p);
			else
				pt_open_failed(err, p, plen, NOFOLLOW, why,
					       whylen);
			goto fail;
		}
		rp_raw_close(fd);
		fd = nfd;
		err = pt_check_fd(fd, strict, true, euid, allowed_gid, p, plen,
				  why, whylen);
		if (err)
			goto fail;
	}
	return fd;
fail:
	rp_raw_close(fd);
	return err;
}

/* "<path of dirfd>/<name>" for messages only; best effort. */
void pt_describe(int dirfd, const char *name, char *buf, size_t len)
{
	char link[64], raw[PATH_MAX];
	ssize_t n = -1;

	if (dirfd != AT_FDCWD) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = readlink(link, raw, sizeof(raw) - 1);
	}
	if (n < 0 || (size_t)n >= sizeof(raw) - 1)
		n = snprintf(raw, sizeof(raw),
			     dirfd == AT_FDCWD ? "." : "fd:%d", dirfd);
	else
		raw[n] = '\0';
	if (n >= 0 && (size_t)n < sizeof(raw))
		snprintf(raw + n, sizeof(raw) - (size_t)n, "%s%s",
			 n > 0 && raw[n - 1] == '/' ? "" : "/",
			 name ? name : "(null)");
	/* for log lines: names below the pin dir are whoever made them */
	rp_escape(buf, len, raw, sizeof(raw));
}

int rp_trusted_openat(int dirfd, const char *name, int flags, uid_t euid,
		      gid_t allowed_gid, char *why, size_t whylen)
{
	char shown[PATH_MAX];
	int fd;

	pt_say(why, whylen, "%s", "");
	pt_describe(dirfd, name, shown, sizeof(shown));
	if (!pt_valid_name(name)) {
		pt_say(why, whylen,
		       "path=%s reason=\"not a single path component\"", shown);
		return -EINVAL;
	}
	fd = pt_open_nofollow(dirfd, name, flags, 0600);
	if (fd < 0)
		return pt_open_failed(fd, shown, (int)strlen(shown), NOFOLLOW,
				      why, whylen);
	return pt_checked(fd,
			  pt_check_fd(fd, true, false, euid, allowed_gid, shown,
				      (int)strlen(shown), why, whylen));
}

// SPDX-License-Identifier: MIT
/*
 * Trust rules of the pin tree and the log file (common/pintrust.c)
 * on a real scratch tree under /tmp: owners (chown to uid 65534), modes,
 * symlinks at every level, creation, group removal that must never follow a
 * link or cross a mount, temporary names, and the log file opener.
 *
 * Needs root for the ownership and mount cases; as another user only the
 * cases that need neither run. The directory cases run twice: with openat2
 * and in a child whose seccomp filter answers ENOSYS for openat2, so the
 * openat(O_NOFOLLOW) fallback is tested too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pintrust.h"
#include "unit.h"

#define OTHER 65534 /* nobody */
#define NOGID ((gid_t)-1)

static char base[64]; /* the mkdtemp scratch dir */
static char root[128]; /* base/<tag>: one tree per run */
static const char *tag = "openat2";
static bool is_root;
static bool can_mount;
static char why[512];

/* A check name tagged with the run (openat2 or fallback). */
#define N(s) unit_name("%s: %s", tag, (s))

/* Rotating path buffers: "%R" style helper, root-relative. */
__attribute__((format(printf, 1, 2))) static const char *P(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 8], rel[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", root, rel);
	return b;
}

static void die(const char *what, const char *path)
{
	printf("FAIL setup: %s %s: %s\n", what, path, strerror(errno));
	exit(2);
}

static void mkd(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) != 0)
		die("mkdir", path);
	if (chmod(path, mode) != 0)
		die("chmod", path);
	if (is_root && lchown(path, uid, gid) != 0)
		die("chown", path);
}

static void mkf(const char *path, mode_t mode, uid_t uid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		die("create", path);
	close(fd);
	if (chmod(path, mode) != 0)
		die("chmod", path);
	if (is_root && lchown(path, uid, (gid_t)-1) != 0)
		die("chown", path);
}

static void mkl(const char *target, const char *path)
{
	if (symlink(target, path) != 0)
		die("symlink", path);
}

static void set_mode(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (chmod(path, mode) != 0)
		die("chmod", path);
	if (is_root && lchown(path, uid, gid) != 0)
		die("chown", path);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int count_entries(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* A chain pin/v1/4026531840/g of root 0755 directories below dir. */
static void mk_chain(const char *dir)
{
	mkd(P("%s", dir), 0755, 0, 0);
	mkd(P("%s/pin", dir), 0755, 0, 0);
	mkd(P("%s/pin/v1", dir), 0755, 0, 0);
	mkd(P("%s/pin/v1/4026531840", dir), 0755, 0, 0);
	mkd(P("%s/pin/v1/4026531840/g", dir), 0755, 0, 0);
}

/* rp_trusted_dir on dir's chain; closes a returned fd */
static int chain(const char *dir, uid_t euid, gid_t gid)
{
	int fd = rp_trusted_dir(P("%s/pin/v1/4026531840/g", dir),
				P("%s/pin", dir), euid, gid, false, why,
				sizeof(why));

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

static void test_chain_ok(void)
{
	int fd;

	mk_chain("ok");
	fd = rp_trusted_dir(P("ok/pin/v1/4026531840/g"), P("ok/pin"), 0, NOGID,
			    false, why, sizeof(why));
	if (CHECK(fd >= 0, N("root 0755 chain accepted"))) {
		CHECK(same_file(fd, P("ok/pin/v1/4026531840/g")),
		      N("fd is the leaf directory"));
		CHECK((fcntl(fd, F_GETFL) & O_PATH) &&
			      (fcntl(fd, F_GETFD) & FD_CLOEXEC),
		      N("fd is O_PATH and close-on-exec"));
		close(fd);
	}
	CHECK_STR(why, "", N("why is empty on success"));

	fd = rp_trusted_dir(P("/ok//pin/v1/4026531840/g/"), P("ok/pin/"), 0,
			    NOGID, false, why, sizeof(why));
	CHECK(fd >= 0, N("repeated and trailing slashes are ignored"));
	if (fd >= 0)
		close(fd);

	fd = rp_trusted_dir(P("ok/pin"), P("ok/pin"), 0, NOGID, false, why,
			    sizeof(why));
	CHECK(fd >= 0, N("path equal to trust_from"));
	if (fd >= 0)
		close(fd);

	/* the world-writable sticky /tmp is fine above, not at trust_from */
	fd = rp_trusted_dir(P("ok/pin"), NULL, 0, NOGID, false, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("trust_from NULL: every level strict"));
	CHECK_CONTAINS(why, "path=/tmp reason=\"writable by others (mode 1777)",
		       N("sticky /tmp refused when strict"));

	fd = rp_trusted_dir(P("ok/pin/v1/4026531840/g"), P("ok/pin"), getuid(),
			    NOGID, false, NULL, 0);
	CHECK(fd >= 0, N("why may be NULL"));
	if (fd >= 0)
		close(fd);
}

static void test_owner(void)
{
	int err;

	mk_chain("own");
	set_mode(P("own/pin"), 0755, OTHER, 0);
	err = chain("own", 0, NOGID);
	CHECK_EQ_INT(err, -EPERM, N("pin dir owned by another uid refused"));
	CHECK_CONTAINS(
		why,
		P("own/pin reason=\"owned by uid 65534 (not root or this process's uid 0)"),
		N("line names the path and the uid"));
	CHECK_EQ_INT(chain("own", OTHER, NOGID), 0,
		     N("owned by this process's euid accepted"));
	set_mode(P("own/pin"), 0755, 0, 0);

	set_mode(P("own/pin/v1/4026531840"), 0755, OTHER, 0);
	CHECK_EQ_INT(chain("own", 0, NOGID), -EPERM,
		     N("deeper level owned by another uid refused"));
	CHECK_CONTAINS(why,
		       P("own/pin/v1/4026531840 reason=\"owned by uid 65534"),
		       N("line names the deeper level"));
	set_mode(P("own/pin/v1/4026531840"), 0755, 0, 0);

	set_mode(P("own/pin/v1/4026531840/g"), 0755, OTHER, 0);
	CHECK_EQ_INT(chain("own", 0, NOGID), -EPERM,
		     N("leaf owned by another uid refused"));
	set_mode(P("own/pin/v1/4026531840/g"), 0755, 0, 0);

	/* above trust_from the owner rule holds too */
	set_mode(P("own"), 0755, OTHER, 0);
	CHECK_EQ_INT(chain("own", 0, NOGID), -EPERM,
		     N("directory above owned by another uid refused"));
	CHECK_CONTAINS(why, P("own reason=\"owned by uid 65534"),
		       N("line names the directory above"));
	set_mode(P("own"), 0755, 0, 0);
	CHECK_EQ_INT(chain("own", 0, NOGID), 0, N("restored chain accepted"));
}

static void test_modes(void)
{
	mk_chain("mode");

	set_mode(P("mode/pin"), 0775, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("group-writable pin dir refused"));
	CHECK_CONTAINS(
		why,
		"reason=\"group-writable (mode 0775, gid 0) and no group is allowed",
		N("group-writable line"));
	CHECK_EQ_INT(chain("mode", 0, 0), 0,
		     N("group-writable accepted for the allowed gid"));
	CHECK_EQ_INT(chain("mode", 0, 1234), -EPERM,
		     N("group-writable refused for another allowed gid"));
	CHECK_CONTAINS(why, "by gid 0, not by the allowed gid 1234",
		       N("wrong-group line"));
	set_mode(P("mode/pin"), 0775, 0, OTHER);
	CHECK_EQ_INT(chain("mode", 0, OTHER), 0,
		     N("group-writable by group 65534 with --group 65534"));

	set_mode(P("mode/pin"), 0757, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, 0), -EPERM,
		     N("world-writable pin dir refused"));
	CHECK_CONTAINS(why, "reason=\"writable by others (mode 0757)",
		       N("world-writable line"));
	set_mode(P("mode/pin"), 0777, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, 0), -EPERM,
		     N("0777 pin dir refused even with an allowed gid"));
	set_mode(P("mode/pin"), 01777, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("sticky 1777 pin dir refused (at or below trust_from)"));
	set_mode(P("mode/pin"), 0755, 0, 0);
	set_mode(P("mode/pin/v1/4026531840/g"), 0777, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("world-writable leaf refused"));
	set_mode(P("mode/pin/v1/4026531840/g"), 0755, 0, 0);

	/* above trust_from: sticky is fine, non-sticky writable is not */
	set_mode(P("mode"), 0777, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("world-writable non-sticky dir above refused"));
	CHECK_CONTAINS(
		why,
		P("mode reason=\"writable by others (mode 0777, gid 0) and not sticky"),
		N("non-sticky above line"));
	set_mode(P("mode"), 01777, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), 0,
		     N("root-owned sticky 1777 dir above accepted"));
	set_mode(P("mode"), 01777, OTHER, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("sticky dir above owned by another uid refused"));
	set_mode(P("mode"), 0775, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), -EPERM,
		     N("group-writable non-sticky dir above refused"));
	CHECK_CONTAINS(why, "writable by its group", N("group above line"));
	CHECK_EQ_INT(chain("mode", 0, 0), 0,
		     N("group-writable dir above with the allowed gid"));
	set_mode(P("mode"), 0755, 0, 0);
	CHECK_EQ_INT(chain("mode", 0, NOGID), 0, N("restored chain accepted"));
}

static void test_symlinks(void)
{
	int fd;

	mk_chain("sym");
	mkd(P("sym/alt"), 0755, 0, 0);
	mkd(P("sym/alt/4026531840"), 0755, 0, 0);
	mkd(P("sym/alt/4026531840/g"), 0755, 0, 0);
	mkd(P("sym/empty"), 0755, 0, 0);

	/* a level below the pin dir replaced by a link to a lookalike */
	if (rename(P("sym/pin/v1"), P("sym/v1.real")) != 0)
		die("rename", P("sym/pin/v1"));
	mkl(P("sym/alt"), P("sym/pin/v1"));
	fd = rp_trusted_dir(P("sym/pin/v1/4026531840/g"), P("sym/pin"), 0,
			    NOGID, false, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("symlink below the pin dir refused"));
	CHECK_CONTAINS(why, P("sym/pin/v1 reason=\"is a symbolic link"),
		       N("symlink line names the link"));

	/* with create: nothing is made inside the link's target */
	unlink(P("sym/pin/v1"));
	mkl(P("sym/empty"), P("sym/pin/v1"));
	fd = rp_trusted_dir(P("sym/pin/v1/4026531840/g"), P("sym/pin"), 0,
			    NOGID, true, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("symlink refused with create"));
	CHECK_EQ_INT(count_entries(P("sym/empty")), 0,
		     N("nothing created through the link"));
	unlink(P("sym/pin/v1"));
	if (rename(P("sym/v1.real"), P("sym/pin/v1")) != 0)
		die("rename", P("sym/v1.real"));

	/* the leaf */
	mkl(P("sym/alt/4026531840/g"), P("sym/pin/v1/4026531840/h"));
	fd = rp_trusted_dir(P("sym/pin/v1/4026531840/h"), P("sym/pin"), 0,
			    NOGID, false, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("symlink as the leaf refused"));

	/* a dangling link with create: its target is not created */
	mkl(P("sym/nothere"), P("sym/pin/v1/dangling"));
	fd = rp_trusted_dir(P("sym/pin/v1/dangling/g"), P("sym/pin"), 0, NOGID,
			    true, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("dangling symlink refused with create"));
	CHECK(!exists(P("sym/nothere")), N("dangling link target not created"));

	/* the pin dir itself and a level above it */
	mkl(P("sym/pin"), P("sym/pinlink"));
	fd = rp_trusted_dir(P("sym/pinlink/v1"), P("sym/pinlink"), 0, NOGID,
			    false, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("pin dir that is a symlink refused"));
	mkl(P("sym"), P("sym/up"));
	fd = rp_trusted_dir(P("sym/up/pin/v1"), P("sym/up/pin"), 0, NOGID,
			    false, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("symlink above trust_from refused"));
	CHECK_CONTAINS(why, P("sym/up reason=\"is a symbolic link"),
		       N("line names the link above"));
	/* a link to / */
	mkl("/", P("sym/pin/v1/slash"));
	fd = rp_trusted_dir(P("sym/pin/v1/slash/tmp"), P("sym/pin"), 0, NOGID,
			    false, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("link to / refused"));

	/* not a directory */
	mkf(P("sym/pin/v1/file"), 0644, 0);
	fd = rp_trusted_dir(P("sym/pin/v1/file"), P("sym/pin"), 0, NOGID, true,
			    why, sizeof(why));
	CHECK_EQ_INT(fd, -ENOTDIR, N("regular file refused"));
	CHECK_CONTAINS(why, "is a regular file, not a directory",
		       N("not-a-directory line"));
}

static void test_create(void)
{
	struct stat st;
	const char *lv[] = { "cr/pin", "cr/pin/v1", "cr/pin/v1/77",
			     "cr/pin/v1/77/g" };
	int fd;
	bool ok = true;

	mkd(P("cr"), 0755, 0, 0);
	fd = rp_trusted_dir(P("cr/pin/v1/77/g"), P("cr/pin"), 0, NOGID, false,
			    why, sizeof(why));
	CHECK_EQ_INT(fd, -ENOENT, N("missing without create"));
	CHECK_CONTAINS(why, P("cr/pin reason=\"does not exist\""),
		       N("missing line"));

	fd = rp_trusted_dir(P("cr/pin/v1/77/g"), P("cr/pin"), 0, NOGID, true,
			    why, sizeof(why));
	if (CHECK(fd >= 0, N("create makes the missing levels"))) {
		CHECK(same_file(fd, P("cr/pin/v1/77/g")),
		      N("created leaf is the fd"));
		close(fd);
	}
	for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		if (stat(P("%s", lv[i]), &st) != 0 || !S_ISDIR(st.st_mode) ||
		    (st.st_mode & 07777) != 0755 || st.st_uid != geteuid())
			ok = false;
	}
	CHECK(ok, N("each created level is a 0755 directory of this uid"));
	fd = rp_trusted_dir(P("cr/pin/v1/77/g"), P("cr/pin"), 0, NOGID, true,
			    why, sizeof(why));
	CHECK(fd >= 0, N("create again: existing levels accepted"));
	if (fd >= 0)
		close(fd);

	/* levels above trust_from are never created */
	fd = rp_trusted_dir(P("cr/above/pin/v1"), P("cr/above/pin"), 0, NOGID,
			    true, why, sizeof(why));
	CHECK_EQ_INT(fd, -ENOENT, N("missing level above trust_from"));
	CHECK(!exists(P("cr/above")), N("level above trust_from not created"));
	CHECK_CONTAINS(why, "only levels at or below", N("above line"));

	/* created under a bad existing level: checked before creating */
	set_mode(P("cr/pin"), 0777, 0, 0);
	fd = rp_trusted_dir(P("cr/pin/new/x"), P("cr/pin"), 0, NOGID, true, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("no creation below a refused level"));
	CHECK(!exists(P("cr/pin/new")), N("nothing created below it"));
	set_mode(P("cr/pin"), 0755, 0, 0);
}

static void test_bad_args(void)
{
	int fd;

	fd = rp_trusted_dir("tmp/x", NULL, 0, NOGID, false, why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("relative path refused"));
	CHECK_CONTAINS(why, "path=tmp/x reason=\"not an absolute path\"",
		       N("relative line"));
	fd = rp_trusted_dir(NULL, NULL, 0, NOGID, false, why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("NULL path refused"));
	fd = rp_trusted_dir("/tmp/../etc", "/tmp", 0, NOGID, false, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("'..' refused"));
	fd = rp_trusted_dir("/tmp/./x", "/tmp", 0, NOGID, false, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("'.' refused"));
	fd = rp_trusted_dir(P("pinx/a"), P("pin"), 0, NOGID, false, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("trust_from must end on a component"));
	CHECK_CONTAINS(why, "not at or below the trusted directory",
		       N("not-below line"));
	fd = rp_trusted_dir("/tmp", "tmp", 0, NOGID, false, why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("relative trust_from refused"));
	fd = rp_trusted_dir("/", "/", 0, NOGID, false, why, sizeof(why));
	CHECK(fd >= 0, N("/ itself"));
	if (fd >= 0)
		close(fd);
}

static void test_openat(void)
{
	int dfd, fd;
	struct stat st;

	mkd(P("oa"), 0755, 0, 0);
	mkf(P("oa/ok"), 0600, 0);
	mkf(P("oa/other"), 0600, OTHER);
	mkf(P("oa/ww"), 0666, 0);
	mkf(P("oa/gw"), 0660, 0);
	mkl(P("oa/ok"), P("oa/lnk"));
	mkd(P("oa/sub"), 0755, 0, 0);
	dfd = rp_trusted_dir(P("oa"), P("oa"), 0, NOGID, false, why,
			     sizeof(why));
	if (!CHECK(dfd >= 0, N("openat: directory")))
		return;

	fd = rp_trusted_openat(dfd, "ok", O_PATH, 0, NOGID, why, sizeof(why));
	CHECK(fd >= 0 && same_file(fd, P("oa/ok")), N("openat: trusted file"));
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_openat(dfd, "ok", O_RDONLY, 0, NOGID, why, sizeof(why));
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      N("openat: O_RDONLY, close-on-exec"));
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_openat(dfd, "sub", O_PATH | O_DIRECTORY, 0, NOGID, why,
			       sizeof(why));
	if (!CHECK(fd >= 0, N("openat: trusted subdirectory")))
		printf("%d %s\n", fd, why);
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_openat(dfd, "other", O_PATH, 0, NOGID, why,
			       sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("openat: other owner refused"));
	CHECK_CONTAINS(why, P("oa/other reason=\"owned by uid 65534"),
		       N("openat: owner line has the full path"));
	fd = rp_trusted_openat(dfd, "other", O_PATH, OTHER, NOGID, why,
			       sizeof(why));
	CHECK(fd >= 0, N("openat: owner is euid"));
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_openat(dfd, "ww", O_PATH, 0, NOGID, why, sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("openat: world-writable refused"));
	fd = rp_trusted_openat(dfd, "gw", O_PATH, 0, NOGID, why, sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("openat: group-writable refused"));
	fd = rp_trusted_openat(dfd, "gw", O_PATH, 0, 0, why, sizeof(why));
	CHECK(fd >= 0, N("openat: group-writable with allowed gid"));
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_openat(dfd, "lnk", O_PATH, 0, NOGID, why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("openat: symlink refused (O_PATH)"));
	CHECK_CONTAINS(why, "is a symbolic link", N("openat: link line"));
	fd = rp_trusted_openat(dfd, "lnk", O_RDONLY, 0, NOGID, why,
			       sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, N("openat: symlink refused (O_RDONLY)"));
	fd = rp_trusted_openat(dfd, "sub/../ok", O_PATH, 0, NOGID, why,
			       sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("openat: name with '/' refused"));
	fd = rp_trusted_openat(dfd, "..", O_PATH, 0, NOGID, why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, N("openat: '..' refused"));
	fd = rp_trusted_openat(dfd, "missing", O_PATH, 0, NOGID, why,
			       sizeof(why));
	CHECK_EQ_INT(fd, -ENOENT, N("openat: missing entry"));
	fd = rp_trusted_openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0,
			       NOGID, why, sizeof(why));
	CHECK(fd >= 0 && stat(P("oa/new"), &st) == 0 &&
		      (st.st_mode & 07777) == 0600,
	      N("openat: O_CREAT makes a 0600 file"));
	if (fd >= 0)
		close(fd);
	close(dfd);
}

/* A group directory g with pinned-object lookalikes. */
static void mk_group(const char *g)
{
	mkd(P("%s", g), 0755, 0, 0);
	mkf(P("%s/prog", g), 0600, 0);
	mkf(P("%s/socks", g), 0600, 0);
	mkf(P("%s/state", g), 0600, 0);
}

static void test_remove(void)
{
	int dfd, err;

	mkd(P("rm"), 0755, 0, 0);
	mkd(P("rm/victim"), 0755, 0, 0);
	mkf(P("rm/victim/a"), 0644, 0);
	mkf(P("rm/victim/b"), 0644, 0);
	mkd(P("rm/ns"), 0755, 0, 0);
	dfd = rp_trusted_dir(P("rm/ns"), P("rm/ns"), 0, NOGID, false, why,
			     sizeof(why));
	if (!CHECK(dfd >= 0, N("remove: namespace directory")))
		return;

	mkl(P("rm/victim"), P("rm/ns/tmp-999999-1-x"));
	err = rp_remove_group_dirat(dfd, "tmp-999999-1-x", why, sizeof(why));
	CHECK_EQ_INT(err, -ELOOP, N("remove: symlink to a directory refused"));
	CHECK_CONTAINS(why, "is a symbolic link; not followed, nothing removed",
		       N("remove: link line"));
	CHECK(exists(P("rm/victim/a")) && exists(P("rm/victim/b")),
	      N("remove: files of the link target still exist"));
	CHECK(exists(P("rm/ns/tmp-999999-1-x")), N("remove: link left alone"));

	mkl(P("rm/victim/a"), P("rm/ns/filelink"));
	err = rp_remove_group_dirat(dfd, "filelink", why, sizeof(why));
	CHECK_EQ_INT(err, -ELOOP, N("remove: symlink to a file refused"));
	mkf(P("rm/ns/plain"), 0644, 0);
	err = rp_remove_group_dirat(dfd, "plain", why, sizeof(why));
	CHECK_EQ_INT(err, -ENOTDIR, N("remove: regular file refused"));
	CHECK(exists(P("rm/ns/plain")), N("remove: regular file left"));

	/* a real group with link entries: links lose their name only */
	mk_group("rm/ns/g1");
	mkl(P("rm/victim/a"), P("rm/ns/g1/evil"));
	mkl(P("rm/victim"), P("rm/ns/g1/evildir"));
	err = rp_remove_group_dirat(dfd, "g1", why, sizeof(why));
	CHECK_EQ_INT(err, 0, N("remove: real group removed"));
	CHECK(!exists(P("rm/ns/g1")), N("remove: group directory gone"));
	CHECK(exists(P("rm/victim/a")) && exists(P("rm/victim/b")),
	      N("remove: link entries' targets still exist"));

	mk_group("rm/ns/g2");
	mkd(P("rm/ns/g2/sub"), 0755, 0, 0);
	mkf(P("rm/ns/g2/sub/keep"), 0644, 0);
	err = rp_remove_group_dirat(dfd, "g2", why, sizeof(why));
	CHECK_EQ_INT(err, -ENOTEMPTY, N("remove: subdirectory refused"));
	CHECK_CONTAINS(why, "contains the directory sub",
		       N("remove: subdirectory line"));
	CHECK(exists(P("rm/ns/g2/prog")) && exists(P("rm/ns/g2/sub/keep")),
	      N("remove: nothing removed from a refused group"));

	err = rp_remove_group_dirat(dfd, "missing", why, sizeof(why));
	CHECK_EQ_INT(err, -ENOENT, N("remove: missing"));
	err = rp_remove_group_dirat(dfd, "../victim", why, sizeof(why));
	CHECK_EQ_INT(err, -EINVAL, N("remove: name with '/' refused"));
	err = rp_remove_group_dirat(dfd, "..", why, sizeof(why));
	CHECK_EQ_INT(err, -EINVAL, N("remove: '..' refused"));
	CHECK(exists(P("rm/victim/a")), N("remove: victim intact"));

	/* a control character in a name stays on one line */
	mkd(P("rm/ns/bad\nname"), 0755, 0, 0);
	mkd(P("rm/ns/bad\nname/sub"), 0755, 0, 0);
	err = rp_remove_group_dirat(dfd, "bad\nname", why, sizeof(why));
	CHECK(err == -ENOTEMPTY && !strchr(why, '\n'),
	      N("remove: the line has no newline"));

	if (can_mount) {
		mkd(P("rm/ns/mnt"), 0755, 0, 0);
		if (mount("none", P("rm/ns/mnt"), "tmpfs", 0, "mode=0755") ==
		    0) {
			mkf(P("rm/ns/mnt/f"), 0644, 0);
			err = rp_remove_group_dirat(dfd, "mnt", why,
						    sizeof(why));
			CHECK_EQ_INT(err, -EXDEV,
				     N("remove: tmpfs mount point refused"));
			CHECK(exists(P("rm/ns/mnt/f")),
			      N("remove: file in the mount kept"));
			umount2(P("rm/ns/mnt"), MNT_DETACH);
		}
		mkd(P("rm/ns/bind"), 0755, 0, 0);
		if (mount(P("rm/victim"), P("rm/ns/bind"), NULL, MS_BIND,
			  NULL) == 0) {
			err = rp_remove_group_dirat(dfd, "bind", why,
						    sizeof(why));
			CHECK_EQ_INT(
				err, -EXDEV,
				N("remove: bind mount of the same fs refused"));
			CHECK(exists(P("rm/victim/a")),
			      N("remove: bind-mounted files kept"));
			umount2(P("rm/ns/bind"), MNT_DETACH);
		}
	}
	close(dfd);
}

static void test_bpffs(void)
{
	int fd;

	mkd(P("bpf"), 0755, 0, 0);
	if (mount("none", P("bpf"), "bpf", 0, NULL) != 0) {
		printf("note: %s: no bpffs mount (%s), skipped\n", tag,
		       strerror(errno));
		return;
	}
	/* a fresh bpffs is root 1777: fine above the pin dir */
	fd = rp_trusted_dir(P("bpf/reuseport/v1/1/g"), P("bpf/reuseport"), 0,
			    NOGID, true, why, sizeof(why));
	CHECK(fd >= 0, N("bpffs: 1777 mount above, pin tree created"));
	if (fd >= 0)
		close(fd);
	fd = rp_trusted_dir(P("bpf/v1"), P("bpf"), 0, NOGID, true, why,
			    sizeof(why));
	CHECK_EQ_INT(fd, -EPERM, N("bpffs: the 1777 mount as pin dir refused"));
	umount2(P("bpf"), MNT_DETACH);
}

static void test_tmp_name(void)
{
	static char names[1000][96];
	char pre[32], big[300];
	bool ok = true, uniq = true;
	int n;

	n = snprintf(pre, sizeof(pre), "tmp-%d-", (int)getpid());
	for (int i = 0; i < 1000; i++) {
		const char *h;

		if (rp_tmp_name(names[i], sizeof(names[i]), "grp") != 0) {
			ok = false;
			break;
		}
		h = names[i] + n;
		if (strncmp(names[i], pre, (size_t)n) ||
		    strspn(h, "0123456789abcdef") != 16 ||
		    strcmp(h + 16, "-grp"))
			ok = false;
	}
	CHECK(ok, "tmp name: tmp-<pid>-<16 hex>-<name>");
	for (int i = 0; i < 1000 && uniq; i++)
		for (int j = i + 1; j < 1000; j++)
			if (!strcmp(names[i], names[j])) {
				uniq = false;
				break;
			}
	CHECK(uniq, "tmp name: 1000 names are distinct");
	CHECK_EQ_INT(rp_tmp_name(big, 20, "grp"), -ENAMETOOLONG,
		     "tmp name: small buffer");
	memset(big, 'a', 250);
	big[250] = '\0';
	{
		char out[400];

		CHECK_EQ_INT(rp_tmp_name(out, sizeof(out), big), -ENAMETOOLONG,
			     "tmp name: longer than NAME_MAX");
		CHECK_EQ_INT(rp_tmp_name(out, sizeof(out), "a/b"), -EINVAL,
			     "tmp name: '/' refused");
		CHECK_EQ_INT(rp_tmp_name(out, sizeof(out), ""), -EINVAL,
			     "tmp name: empty refused");
		CHECK_EQ_INT(rp_tmp_name(out, sizeof(out), ".."), -EINVAL,
			     "tmp name: '..' refused");
	}
}

static void on_alarm(int sig)
{
	static const char m[] = "FAIL log: blocked for 5 s\n";

	(void)sig;
	if (write(STDOUT_FILENO, m, sizeof(m) - 1) < 0)
		_exit(3);
	_exit(3);
}

static bool file_is(const char *path, const char *want)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, want);
}

static void test_log(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rfd, s;

	mkd(P("log"), 0755, 0, 0);
	signal(SIGALRM, on_alarm);
	alarm(5);

	fd = rp_open_log_file("rp.log", why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: relative path refused");
	CHECK_CONTAINS(why, "path=rp.log reason=\"not an absolute path",
		       "log: relative line");

	if (mkfifo(P("log/fifo"), 0644) != 0)
		die("mkfifo", P("log/fifo"));
	fd = rp_open_log_file(P("log/fifo"), why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: FIFO refused without blocking");
	CHECK_CONTAINS(why, "is a FIFO, not a regular file", "log: FIFO line");
	rfd = open(P("log/fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fd = rp_open_log_file(P("log/fifo"), why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: FIFO with a reader refused");
	if (rfd >= 0)
		close(rfd);

	fd = rp_open_log_file(P("log"), why, sizeof(why));
	CHECK_EQ_INT(fd, -EISDIR, "log: directory refused");
	CHECK_CONTAINS(why, "is a directory, not a regular file",
		       "log: directory line");

	mkf(P("log/target"), 0644, 0);
	mkl(P("log/target"), P("log/lnk"));
	fd = rp_open_log_file(P("log/lnk"), why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, "log: symlink refused");
	CHECK_CONTAINS(
		why,
		"is a symbolic link; the log file is never opened through a link",
		"log: symlink line");
	CHECK(stat(P("log/target"), &st) == 0 && st.st_size == 0,
	      "log: link target untouched");
	mkl(P("log/created-through-link"), P("log/dangling"));
	fd = rp_open_log_file(P("log/dangling"), why, sizeof(why));
	CHECK_EQ_INT(fd, -ELOOP, "log: dangling symlink refused");
	CHECK(!exists(P("log/created-through-link")),
	      "log: dangling link target not created");

	fd = rp_open_log_file("/dev/full", why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: /dev/full refused");
	CHECK_CONTAINS(
		why,
		"path=/dev/full reason=\"is a character device, not a regular file (/dev/null and /dev/full are refused",
		"log: /dev/full line");
	fd = rp_open_log_file("/dev/null", why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: /dev/null refused");
	/* regular files, but kernel interfaces: never written */
	fd = rp_open_log_file("/proc/self/mem", why, sizeof(why));
	CHECK_EQ_INT(fd, -EINVAL, "log: /proc/self/mem refused");
	CHECK_CONTAINS(why, "reason=\"is on procfs, a kernel interface",
		       "log: procfs line");
	if (exists("/sys/kernel/notes")) {
		fd = rp_open_log_file("/sys/kernel/notes", why, sizeof(why));
		CHECK_EQ_INT(fd, -EINVAL, "log: a sysfs file refused");
		CHECK_CONTAINS(why, "is on sysfs", "log: sysfs line");
	}

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", P("log/sock"));
	if (s >= 0 && strlen(P("log/sock")) < sizeof(sa.sun_path) &&
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fd = rp_open_log_file(P("log/sock"), why, sizeof(why));
		CHECK_EQ_INT(fd, -EINVAL, "log: socket refused");
		CHECK_CONTAINS(why, "is a socket", "log: socket line");
	}
	if (s >= 0)
		close(s);

	mkf(P("log/h1"), 0644, 0);
	if (link(P("log/h1"), P("log/h2")) != 0)
		die("link", P("log/h2"));
	fd = rp_open_log_file(P("log/h2"), why, sizeof(why));
	CHECK_EQ_INT(fd, -EMLINK, "log: hard-linked file refused");
	CHECK_CONTAINS(why, "with 2 hard links", "log: hard link line");

	fd = rp_open_log_file(P("log/app.log"), why, sizeof(why));
	if (CHECK(fd >= 0, "log: new regular file opened")) {
		CHECK_STR(why, "", "log: why empty on success");
		CHECK((fcntl(fd, F_GETFL) & O_APPEND) &&
			      (fcntl(fd, F_GETFD) & FD_CLOEXEC),
		      "log: O_APPEND and close-on-exec");
		CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0640,
		      "log: created 0640");
		CHECK_EQ_INT(write(fd, "one\n", 4), 4, "log: write");
		close(fd);
	}
	fd = rp_open_log_file(P("log/app.log"), why, sizeof(why));
	if (CHECK(fd >= 0, "log: existing regular file opened")) {
		CHECK_EQ_INT(write(fd, "two\n", 4), 4, "log: second write");
		close(fd);
	}
	CHECK(file_is(P("log/app.log"), "one\ntwo\n"), "log: appended");
	alarm(0);
	signal(SIGALRM, SIG_DFL);
}

/* The directory cases; run once per lookup flavour. */
static void dir_cases(void)
{
	if (mkdir(root, 0755) != 0)
		die("mkdir", root);
	test_bad_args();
	if (!is_root)
		return;
	test_chain_ok();
	test_owner();
	test_modes();
	test_symlinks();
	test_create();
	test_openat();
	test_remove();
	if (can_mount)
		test_bpffs();
}

/* The same cases in a child where openat2 answers ENOSYS. */
static void run_fallback(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };
	unsigned int counts[2] = { 0, 0 };
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe", "");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", "");
	if (pid == 0) {
		close(p[0]);
		unit_passed = unit_failed = 0;
		tag = "fallback";
		snprintf(root, sizeof(root), "%s/fallback", base);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
			printf("FAIL fallback: seccomp: %s\n", strerror(errno));
			unit_failed++;
		} else {
			errno = 0;
			CHECK(syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) ==
					      -1 &&
				      errno == ENOSYS,
			      N("openat2 is ENOSYS here"));
			dir_cases();
		}
		fflush(stdout);
		counts[0] = unit_passed;
		counts[1] = unit_failed;
		if (write(p[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], counts, sizeof(counts)) != sizeof(counts))
		counts[1]++;
	close(p[0]);
	waitpid(pid, &status, 0);
	unit_passed += counts[0];
	unit_failed += counts[1];
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "fallback child exited cleanly");
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int main(void)
{
	int fd0, fd1;

	umask(022);
	is_root = geteuid() == 0;
	snprintf(base, sizeof(base), "/tmp/pintrust.XXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) != 0)
		die("mkdtemp", base);
	/* mounts of this test stay in a private mount namespace */
	if (is_root && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		can_mount = true;
	if (!is_root)
		printf("note: not root: owner, mode and mount cases skipped\n");

	fd0 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(fd0);

	snprintf(root, sizeof(root), "%s/openat2", base);
	dir_cases();
	snprintf(root, sizeof(root), "%s", base);
	tag = "";
	test_tmp_name();
	test_log();
	if (is_root)
		run_fallback();

	fd1 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(fd1);
	CHECK_EQ_INT(fd1, fd0, "no fd leaked");

	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	CHECK(!exists(base), "scratch tree removed");
	return unit_done();
}

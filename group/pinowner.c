// SPDX-License-Identifier: MIT
/*
 * reuseport setup --user/--group: a group's pins handed to the user or
 * group whose servers join it without capabilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "group_impl.h"
#include "rawsys.h"

static const char *const group_pins[] = { "socks", "state", "flows" };

static int chmod_fd(int fd, mode_t mode)
{
	char p[64];

	/* O_PATH fds (bpffs pins cannot be opened otherwise) */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return chmod(p, mode);
}

/*
 * Hand the group in dir (a real directory in a trusted namespace dir) to
 * own: pins owned by uid, group gid, mode 0600, or 0660 with a gid; the
 * directory root:gid 0755. Nothing is followed, nothing world-writable.
 */
int rp_pins_hand_over(const char *dir, const struct pins_owner *own)
{
	mode_t pin_mode = own->gid != (gid_t)-1 ? 0660 : 0600;
	const char *what = dir;
	struct stat sb;
	int dfd, fd = -1, err = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(group_pins) / sizeof(group_pins[0]);
	     i++) {
		what = group_pins[i];
		fd = openat(dfd, group_pins[i],
			    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		/* flows: only a UDP group with the flow table has one */
		if (fd < 0 && errno == ENOENT && i == 2)
			continue;
		if (fd < 0 || fstat(fd, &sb) != 0) {
			err = -errno;
			goto fail;
		}
		if (!S_ISREG(sb.st_mode)) {
			err = -EPROTO;
			goto fail;
		}
		if (fchownat(fd, "", own->uid, own->gid, AT_EMPTY_PATH) != 0 ||
		    chmod_fd(fd, pin_mode) != 0) {
			err = -errno;
			goto fail;
		}
		rp_raw_close(fd);
		fd = -1;
	}
	what = dir;
	if (fchown(dfd, 0, own->gid) != 0 || fchmod(dfd, 0755) != 0) {
		err = -errno;
		goto fail;
	}
	rp_raw_close(dfd);
	return 0;
fail:
	rp_group_set_error(
		"path=%s%s%s reason=\"cannot hand the group over to uid %d gid %d: %s\"",
		dir, what == dir ? "" : "/", what == dir ? "" : what,
		(int)own->uid, (int)own->gid,
		err == -EPROTO ? "not a pinned object" : strerror(-err));
	rp_raw_close(fd);
	rp_raw_close(dfd);
	return err;
}

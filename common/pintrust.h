/* SPDX-License-Identifier: MIT */
/*
 * Trust rules for the pin tree and the log file (libc only).
 *
 * A fresh "mount -t bpf bpf DIR" is mode 1777: any local user can create
 * directories and symlinks there. The rules, like sshd's StrictModes:
 *
 *  - No symbolic link is ever followed, at any level. A symlink is refused
 *    with -ELOOP. "." and ".." components are refused with -EINVAL.
 *  - Every directory from trust_from (the pin dir) down to the end, and every
 *    entry opened with rp_trusted_openat(), must be owned by root or by the
 *    given euid, must not be writable by others (sticky or not), and may be
 *    writable by its group only when allowed_gid is not (gid_t)-1 and equals
 *    its group (reuseport setup --group G).
 *  - Every directory above trust_from ("/", "/sys", "/sys/fs",
 *    "/sys/fs/bpf") must be owned by root or euid too; it may additionally
 *    be writable by group or others when it is sticky (like /tmp or a fresh
 *    bpffs), because in a sticky directory nobody else can rename or remove
 *    the root-owned entry below it. A non-sticky world-writable directory
 *    above is refused: anyone could rename the pin dir away and plant
 *    another one.
 *
 * On refusal every function returns -errno and writes ONE line into why
 * (when why != NULL and whylen > 0) in the project's key=value form:
 *
 *   path=/sys/fs/bpf/reuseport reason="owned by uid 1000 (not root or this
 *   process's uid 0): another user could replace what is pinned below it"
 *
 * (one line; wrapped here). On success why is set to "".
 */
#ifndef RP_PINTRUST_H
#define RP_PINTRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* rp_tmp_name(): "tmp-" + pid + "-" + 16 hex + "-" + name */
#define RP_TMP_NAME_PREFIX "tmp-"

/*
 * Open the absolute directory path from "/" one component at a time,
 * never following a symlink (openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH)
 * per component, openat(O_NOFOLLOW) when the kernel has no openat2), and
 * check each component with the rules above. trust_from must be path itself
 * or a parent of it, on component boundaries; NULL or "" means "/" (every
 * level strict). Repeated and trailing slashes are ignored.
 *
 * With create, missing components at or below trust_from are made with
 * mkdirat(0755 & ~umask), then opened and checked like existing ones (a
 * concurrent creator is fine: EEXIST is not an error). A missing component
 * above trust_from is never created (-ENOENT).
 *
 * Returns an O_PATH | O_CLOEXEC directory fd the caller closes (usable as
 * the dirfd of openat/mkdirat/unlinkat/renameat2/fstatat), or -errno:
 * -EINVAL (bad path or trust_from), -ELOOP (a symlink), -ENOTDIR,
 * -ENOENT, -EPERM (an owner or mode rule), or an error of open/mkdir.
 */
int rp_trusted_dir(const char *path, const char *trust_from, uid_t euid,
		   gid_t allowed_gid, bool create, char *why, size_t whylen);

/*
 * Open the entry name (one component: no '/', not "." or "..") below dirfd
 * with flags | O_NOFOLLOW | O_CLOEXEC (openat2 RESOLVE_NO_SYMLINKS |
 * RESOLVE_BENEATH when available; O_CREAT creates with mode 0600), then
 * fstat it: a symlink (returned as such by O_PATH | O_NOFOLLOW) is -ELOOP,
 * and it must pass the strict owner and mode rule. Use O_PATH or O_NONBLOCK
 * for anything that might be a FIFO. Returns the fd or -errno.
 */
int rp_trusted_openat(int dirfd, const char *name, int flags, uid_t euid,
		      gid_t allowed_gid, char *why, size_t whylen);

/*
 * reuseport cleanup: remove the directory name (one component) below dirfd
 * together with its entries. Refused, and nothing removed, unless name is a
 * real directory (fstatat AT_SYMLINK_NOFOLLOW; a symlink is -ELOOP, anything
 * else -ENOTDIR) on the same filesystem and mount as dirfd (-EXDEV) whose
 * entries contain no directory (-ENOTEMPTY). Entries are unlinked with
 * unlinkat(dir_fd, entry, 0) relative to the directory opened with
 * O_NOFOLLOW, so a link entry loses only its own name; nothing is followed
 * and nothing is recursed into. dirfd should come from rp_trusted_dir().
 * Returns 0 or -errno.
 */
int rp_remove_group_dirat(int dirfd, const char *name, char *why,
			  size_t whylen);

/*
 * An unpredictable name to build a group under before publishing it with
 * renameat2(RENAME_NOREPLACE): "tmp-<pid>-<16 hex from getrandom()>-<name>".
 * name is one component. Returns 0, -EINVAL (bad name), -ENAMETOOLONG (does
 * not fit len or NAME_MAX) or the error of getrandom().
 */
int rp_tmp_name(char *buf, size_t len, const char *name);

/*
 * Open REUSEPORT_LOG_FILE for appending. path must be absolute (-EINVAL).
 * The final component is opened with O_WRONLY | O_APPEND | O_CREAT |
 * O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode 0640 & ~umask; links
 * in the directories above it are followed as usual.
 *
 * Only a regular file with at most one hard link is accepted. Refused with
 * one clear line: a symlink as the final component (-ELOOP), a directory
 * (-EISDIR), a FIFO, socket, character or block device (-EINVAL; this
 * includes /dev/null and /dev/full: to discard log lines leave the variable
 * unset and set REUSEPORT_LOG=error), a file with several hard links
 * (-EMLINK: a planted hard link to /etc/passwd would otherwise get our
 * lines appended). The type is checked with lstat before opening, so a
 * device is normally not even opened, and again with fstat after: O_NONBLOCK
 * keeps a FIFO that appears in between from blocking (no reader: ENXIO).
 * O_NONBLOCK stays set; it has no effect on regular files.
 * The owner is not checked (a root master and its non-root workers may
 * share one log file, created by whichever logs first), so a regular file
 * that another user pre-created in a world-writable directory is accepted
 * and receives our lines: keep the log file in a directory that only
 * trusted users can write.
 * Returns the fd (caller closes) or -errno.
 */
int rp_open_log_file(const char *path, char *why, size_t whylen);

#endif

// SPDX-License-Identifier: MIT
/*
 * The pins of a group: "$pin_dir/v<layout>/<netns>/<name>/{prog,socks,state}".
 * Check the filesystem, open and validate an existing group, create one,
 * remove one. A group is built complete in a private temporary directory
 * and published with one renameat2(RENAME_NOREPLACE), so concurrent first
 * starts never see half a group: the loser of the race removes its copy
 * and opens the winner's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rawsys.h"
#include "group_impl.h"
#include "pintrust.h"
#include "log.h"
#include "registry_names.h"
#include "steer.skel.h"
#include "sys.h"

/* Reason of the last failure, for the caller's single log line. */
static char last_error[512];

__attribute__((format(printf, 1, 2))) void rp_group_set_error(const char *fmt,
							      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *rp_group_last_error(void)
{
	return last_error;
}

size_t rp_state_map_len(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return (sizeof(struct rp_state) + (size_t)page - 1) &
	       ~((size_t)page - 1);
}

void rp_group_unmap(struct rp_state *state)
{
	if (state)
		munmap(state, rp_state_map_len());
}

int rp_group_ns_dir(const struct rp_config *cfg, char *buf, size_t len)
{
	uint64_t ino;
	int n, err = rp_netns(&ino);

	if (err) {
		rp_group_set_error(
			"reason=\"cannot identify the network namespace (stat /proc/self/ns/net: %s); is /proc mounted?\"",
			strerror(-err));
		return -ENOENT;
	}
	n = snprintf(buf, len, "%s/v%d/%llu", cfg->pin_dir, RP_LAYOUT,
		     (unsigned long long)ino);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The nearest existing ancestor of path must be on bpffs. */
int rp_pins_check_bpffs(const char *path)
{
	char p[PATH_MAX];
	char *slash;
	int fs;

	snprintf(p, sizeof(p), "%s", path);
	while ((fs = rp_is_bpffs(p)) == -ENOENT) {
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return -ENOMEDIUM;
		*slash = '\0';
	}
	if (fs < 0) {
		rp_group_set_error(
			"path=%s reason=\"cannot inspect the pin directory: %s\"",
			p, strerror(-fs));
		return fs == -EACCES ? -EACCES : -ENOMEDIUM;
	}
	if (!fs) {
		rp_group_set_error(
			"path=%s reason=\"REUSEPORT_PIN_DIR %s is not on a bpf filesystem (mount one: mount -t bpf bpf /sys/fs/bpf, or run: reuseport setup)\"",
			p, path);
		return -ENOMEDIUM;
	}
	return 0;
}

/*
 * dir (at or below the pin dir) passes the trust rules; create if missing.
 * Without create, a missing level is -ENOENT (nothing else was refused).
 */
int rp_pins_trust_dir(const struct rp_config *cfg, const char *dir, bool create)
{
	char why[512];
	int fd = rp_trusted_dir(dir, cfg->pin_dir, geteuid(), (gid_t)-1, create,
				why, sizeof(why));
	const char *base = strrchr(cfg->pin_dir, '/');

	if (fd >= 0) {
		rp_raw_close(fd);
		return 0;
	}
	if (fd == -ENOENT && !create) {
		rp_group_set_error("%s", why);
		return -ENOENT;
	}
	/* bpffs refuses names with a '.' (reserved by the kernel) */
	if (fd == -EPERM && create && base && strchr(base, '.'))
		rp_group_set_error(
			"path=%s reason=\"bpffs does not allow '.' in file names; choose a REUSEPORT_PIN_DIR without dots below the mount\"",
			cfg->pin_dir);
	else
		rp_group_set_error("%s", why);
	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOMEM)
		return fd;
	return -EACCES;
}

int rp_pins_get(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

/* The program must be ours and use exactly these two maps. */
static bool prog_matches(int prog_fd, __u32 socks_id, __u32 state_id)
{
	struct bpf_prog_info info;
	__u32 ids[8] = { 0 };
	__u32 len = sizeof(info);
	bool s = false, t = false;
	__u32 i;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
		return false;
	if (info.type != BPF_PROG_TYPE_SK_REUSEPORT)
		return false;
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		s |= ids[i] == socks_id;
		t |= ids[i] == state_id;
	}
	return s && t;
}

void *rp_pins_map_state(int fd)
{
	void *p = mmap(NULL, rp_state_map_len(), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int rp_group_open_dir(const char *dir, struct rp_state **state, int *socks_fd,
		      int *prog_fd)
{
	int sfd = -1, tfd = -1, pfd = -1, err;
	struct bpf_map_info si, ti;
	struct rp_state *st = NULL;
	const char *what = "";
	struct stat sb;

	/* No directory: no group yet. A directory missing a pin is foreign. */
	if (lstat(dir, &sb) != 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	if (!S_ISDIR(sb.st_mode)) {
		rp_group_set_error(
			"path=%s reason=\"not a directory (links are never followed); remove it (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
			dir);
		return -EPROTO;
	}
	sfd = rp_pins_get(dir, "socks");
	if (sfd < 0) {
		what = "socks";
		goto fail_errno;
	}
	tfd = rp_pins_get(dir, "state");
	if (tfd < 0) {
		what = "state";
		goto fail_errno;
	}
	pfd = rp_pins_get(dir, "prog");
	if (pfd < 0) {
		what = "prog";
		goto fail_errno;
	}
	if (map_info(sfd, &si) || si.type != BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ||
	    si.key_size != 4 || si.value_size != 8) {
		what = "socks is not a REUSEPORT_SOCKARRAY with 8-byte values";
		goto foreign;
	}
	if (map_info(tfd, &ti) || ti.type != BPF_MAP_TYPE_ARRAY ||
	    ti.value_size != sizeof(struct rp_state) || ti.max_entries != 1 ||
	    !(ti.map_flags & BPF_F_MMAPABLE)) {
		what = "state is not a state map of this layout";
		goto foreign;
	}
	if (!prog_matches(pfd, si.id, ti.id)) {
		what = "prog is not the steering program of these maps";
		goto foreign;
	}
	st = rp_pins_map_state(tfd);
	if (!st) {
		what = "state";
		goto fail_errno;
	}
	if (st->hdr.magic != RP_MAGIC || st->hdr.layout != RP_LAYOUT ||
	    st->hdr.max_slots != si.max_entries) {
		what = "state header has a foreign magic or layout";
		goto foreign;
	}
	rp_raw_close(tfd);
	*state = st;
	if (socks_fd)
		*socks_fd = sfd;
	else
		rp_raw_close(sfd);
	if (prog_fd)
		*prog_fd = pfd;
	else
		rp_raw_close(pfd);
	return 0;

fail_errno:
	err = errno;
	rp_raw_close(sfd);
	rp_raw_close(tfd);
	rp_raw_close(pfd);
	if (err == ENOENT) {
		rp_group_set_error(
			"path=%s reason=\"pins are not a libreuseport v%d group: %s is missing; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
			dir, RP_LAYOUT, what);
		return -EPROTO;
	}
	rp_group_set_error("path=%s/%s reason=\"cannot open pin: %s\"", dir,
			   what, strerror(err));
	if (err == EACCES || err == EPERM)
		return -EACCES;
	/* out of fds or memory: say so, it is not a foreign pin */
	if (err == EMFILE || err == ENFILE || err == ENOMEM)
		return -err;
	return -EPROTO;
foreign:
	rp_group_set_error(
		"path=%s reason=\"pins are not a libreuseport v%d group: %s; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
		dir, RP_LAYOUT, what);
	rp_group_unmap(st);
	rp_raw_close(sfd);
	rp_raw_close(tfd);
	rp_raw_close(pfd);
	return -EPROTO;
}

int rp_pins_remove(const char *dir)
{
	static const char *const names[] = { "prog", "socks", "state",
					     "flows" };
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	return rmdir(dir) ? -errno : 0;
}

int rp_pins_group_dir(const struct rp_config *cfg,
		      const struct rp_group_key *key, char *buf, size_t len)
{
	char ns[PATH_MAX];
	int err = rp_group_ns_dir(cfg, ns, sizeof(ns));
	int n;

	if (err)
		return err;
	n = snprintf(buf, len, "%s/%s", ns, key->name);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

uint32_t rp_pins_map_id(const char *dir, const char *name)
{
	struct bpf_map_info info;
	int fd = rp_pins_get(dir, name);
	uint32_t id = 0;

	if (fd < 0)
		return 0;
	if (map_info(fd, &info) == 0)
		id = info.id;
	rp_raw_close(fd);
	return id;
}

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
#include <stdlib.h>
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

void rp_group_unmap(struct rp_state *st)
{
	if (!st)
		return;
	munmap(st->base, st->len);
	free(st);
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
		return fs;
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

struct rp_state *rp_pins_map_state(int fd, const struct rp_layout *l)
{
	size_t len = (size_t)l->elems * RP_ELEM;
	struct rp_state *st = calloc(1, sizeof(*st));
	void *p;

	if (!st)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		free(st);
		return NULL;
	}
	rp_state_view(st, p, len, l);
	return st;
}

/* The state map of a group: an array of elements made for it. */
static bool state_map_ok(const struct bpf_map_info *ti)
{
	return ti->type == BPF_MAP_TYPE_ARRAY && ti->key_size == 4 &&
	       ti->value_size == RP_ELEM && (ti->map_flags & BPF_F_MMAPABLE) &&
	       (ti->map_flags & BPF_F_INNER_MAP);
}

/*
 * The header's checks: ours (magic, layout), of these maps (slots, size),
 * and undamaged (the creator's checksum). 0, or the reason.
 */
static const char *header_wrong(const struct rp_state *st,
				const struct bpf_map_info *si)
{
	const struct rp_meta *m = st->meta;

	if (m->magic != RP_MAGIC || m->layout != RP_LAYOUT)
		return "state header has a foreign magic or layout";
	if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
		return "DAMAGED: the header's protocol is neither TCP nor UDP";
	if (m->max_slots != si->max_entries || m->elems != st->lay.elems)
		return "state header does not describe these maps";
	if (m->checksum != rp_state_sum(st))
		return "DAMAGED: the header's fixed fields do not match their checksum";
	return NULL;
}

/*
 * A group's maps are in the namespace's outer maps at its index (the
 * program finds them there): is the entry at index the map of id?
 */
bool rp_pins_outer_has(int outer_fd, uint32_t index, uint32_t id)
{
	__u32 inner = 0;

	return index < RP_GROUPS &&
	       bpf_map_lookup_elem(outer_fd, &index, &inner) == 0 &&
	       inner == id;
}

/*
 * Maps of our types whose header is not ours: a member may have written
 * over all of it (the state map is writable by every member). The
 * namespace's owners map, which only its creator can write, still names
 * the state map of a published group: then the group is ours, damaged.
 */
int rp_pins_owner_index(const char *dir, uint32_t state_id)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	const char *name = strrchr(dir, '/') + 1;
	struct rp_owner o;
	char p[PATH_MAX];
	int fd, found = -1;

	/* the group's name starts with its protocol's directory */
	snprintf(p, sizeof(p), "%.*s/%.3s/owners", (int)(name - 1 - dir), dir,
		 name);
	fd = state_id ? bpf_obj_get_opts(p, &ro) : -1;
	for (__u32 i = 0; fd >= 0 && found < 0 && i < RP_GROUPS; i++)
		if (bpf_map_lookup_elem(fd, &i, &o) == 0 &&
		    o.state_id == state_id)
			found = (int)i;
	rp_raw_close(fd);
	return found;
}

static bool owned_by_namespace(const char *dir, uint32_t state_id)
{
	return rp_pins_owner_index(dir, state_id) >= 0;
}

int rp_group_open_dir(const char *dir, struct rp_state **state, int *socks_fd,
		      int *prog_fd)
{
	int sfd = -1, tfd = -1, pfd = -1, err;
	struct bpf_map_info si, ti;
	struct rp_state *st = NULL;
	struct rp_layout lay;
	const char *what = "";
	struct rp_meta meta;
	struct stat sb;
	bool damaged = false;

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
	if (map_info(sfd, &si) || si.type != BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ||
	    si.key_size != 4 || si.value_size != 8 || !si.max_entries ||
	    si.max_entries > RP_MAX_SLOTS) {
		what = "socks is not a REUSEPORT_SOCKARRAY with 8-byte values";
		goto foreign;
	}
	if (map_info(tfd, &ti) || !state_map_ok(&ti)) {
		what = "state is not a state map of this layout";
		goto foreign;
	}
	/*
	 * The places of the regions follow from the slots (the sockarray's
	 * size, the kernel's word) and the CPUs (the header's, checked
	 * against the map's size): never from the header alone.
	 */
	if (ti.max_entries < RP_E_SLOTS ||
	    bpf_map_lookup_elem(tfd, &(__u32){ RP_E_META }, &meta) != 0 ||
	    rp_layout(si.max_entries, meta.ncpu, &lay) != 0 ||
	    lay.elems != ti.max_entries) {
		what = "state is not sized for its sockarray";
		damaged = owned_by_namespace(dir, ti.id);
		goto foreign;
	}
	st = rp_pins_map_state(tfd, &lay);
	if (!st) {
		what = "state";
		goto fail_errno;
	}
	what = header_wrong(st, &si);
	if (what) {
		damaged = !strncmp(what, "DAMAGED", 7) ||
			  owned_by_namespace(dir, ti.id);
		goto foreign;
	}
	if (prog_fd) {
		char ns[PATH_MAX];

		snprintf(ns, sizeof(ns), "%s", dir);
		*strrchr(ns, '/') = '\0';
		snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns), "/%s",
			 rp_netns_proto_dir((int)st->meta->proto));
		pfd = rp_pins_get(ns, "prog");
		if (pfd < 0) {
			what = "the namespace's prog";
			goto fail_errno;
		}
	}
	rp_raw_close(tfd);
	*state = st;
	if (socks_fd)
		*socks_fd = sfd;
	else
		rp_raw_close(sfd);
	if (prog_fd)
		*prog_fd = pfd;
	return 0;

fail_errno:
	err = errno;
	rp_group_unmap(st);
	rp_raw_close(sfd);
	rp_raw_close(tfd);
	rp_raw_close(pfd);
	if (err == ENOENT) {
		rp_group_set_error(
			"path=%s reason=\"pins are not a libreuseport v%d group: %s is missing; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
			dir, RP_LAYOUT, what);
		return -EPROTO;
	}
	/* errno= is what the reason names (a seccomp profile's ENOSYS too) */
	rp_group_set_error("path=%s/%s reason=\"cannot open pin: %s\"", dir,
			   what, strerror(err));
	return -err;
foreign:
	if (damaged)
		rp_group_set_error(
			"path=%s reason=\"the group's state is damaged (a member wrote into the fields its creator writes once); it is replaced once it has no live member (reuseport cleanup does it now)\"",
			dir);
	else
		rp_group_set_error(
			"path=%s reason=\"pins are not a libreuseport v%d group: %s; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
			dir, RP_LAYOUT, what);
	rp_group_unmap(st);
	rp_raw_close(sfd);
	rp_raw_close(tfd);
	rp_raw_close(pfd);
	return damaged ? -EBADMSG : -EPROTO;
}

int rp_pins_remove(const char *dir)
{
	static const char *const names[] = { "prog", "groups", "socks", "state",
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

// SPDX-License-Identifier: MIT
/*
 * Creating a group: load the program with the group's sockarray size,
 * write the header, pin the three objects in a directory with an
 * unpredictable temporary name, hand them to a user or group if asked
 * (reuseport setup), and publish with one renameat2(RENAME_NOREPLACE), so
 * concurrent first starts never see half a group.
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

/*
 * reuseport setup --user/--group: who gets a group's pins. The group
 * directory stays root's: a user who owned it could replace the pins with
 * links to another group's pins, and bpf_obj_get() follows links.
 */
struct pins_owner {
	uid_t uid; /* owner of the pins; (uid_t)-1: keep (root) */
	gid_t gid; /* group of the pins and the directory; (gid_t)-1: keep */
};

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
static int pins_hand_over(const char *dir, const struct pins_owner *own)
{
	/* flows: missing in groups made before the flow table existed */
	static const char *const names[] = { "prog", "socks", "state",
					     "flows" };
	mode_t pin_mode = own->gid != (gid_t)-1 ? 0660 : 0600;
	const char *what = dir;
	struct stat sb;
	int dfd, fd = -1, err = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		goto fail;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		what = names[i];
		fd = openat(dfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && i == 3)
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

/*
 * Build the group complete in a temporary directory, hand it to own (when
 * not NULL) and publish it. make_ns: the namespace directory (and the
 * levels from the pin dir down to it) is missing; create it, but only once
 * the program and maps are loaded: a process that cannot create a group
 * (no capabilities, or privileges already dropped) never creates
 * directories, so none is left owned by a uid that root's servers refuse.
 * 0 when published, 1 when another process won the race, or -errno.
 */
static int pins_create(const struct rp_config *cfg,
		       const struct rp_group_key *key, const char *dir,
		       const struct pins_owner *own, bool make_ns)
{
	char tmp[PATH_MAX], p[PATH_MAX];
	struct steer_bpf *skel;
	/* the creator decides, as for the policy: see docs/DESIGN.md */
	uint32_t flows = key->proto == IPPROTO_UDP ? cfg->udp_flows : 0;
	/* whole sets of entries (see struct rp_flow_set) */
	uint32_t sets = (flows + RP_FLOW_WAYS - 1) / RP_FLOW_WAYS;
	struct rp_state *st;
	const char *slash;
	int err;

	skel = steer_bpf__open();
	if (!skel) {
		err = -errno;
		rp_group_set_error(
			"reason=\"cannot open the embedded BPF object: %s\"",
			strerror(-err));
		return err;
	}
	bpf_map__set_max_entries(skel->maps.socks, cfg->max_slots);
	bpf_map__set_max_entries(skel->maps.flows, sets ? sets : 1);
	err = steer_bpf__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES) {
			rp_group_set_error(
				"reason=\"creating the group's BPF maps and program needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); start one instance with them, or prepare the group as root: reuseport setup --user USER\"");
			err = -EPERM;
		} else {
			rp_group_set_error(
				"reason=\"cannot load the steering program: %s\"",
				strerror(-err));
		}
		goto out;
	}

	st = rp_pins_map_state(bpf_map__fd(skel->maps.state));
	if (!st) {
		err = -errno;
		goto out;
	}
	st->hdr.magic = RP_MAGIC;
	st->hdr.layout = RP_LAYOUT;
	st->hdr.policy = rp_policy_resolve(cfg->policy, key->proto);
	st->hdr.max_slots = cfg->max_slots;
	st->hdr.proto = (uint32_t)key->proto;
	st->hdr.family = (uint32_t)key->family;
	st->hdr.port = key->port;
	if (key->family == AF_INET)
		memcpy(st->hdr.addr,
		       &((const struct sockaddr_in *)&key->addr)->sin_addr, 4);
	else
		memcpy(st->hdr.addr,
		       &((const struct sockaddr_in6 *)&key->addr)->sin6_addr,
		       16);
	st->hdr.ifindex = key->ifindex;
	st->hdr.addr_flags = RP_ADDR_KNOWN | (key->v6only ? RP_ADDR_V6ONLY : 0);
	st->hdr.max_generation = cfg->generation;
	st->hdr.created_ns = rp_now_ns();
	st->hdr.flow_sets = sets;
	st->hdr.flags = flows ? RP_HDR_FLOWS : 0;
	st->hdr.stall_queue = cfg->stall_queue;
	st->hdr.stall_ms = cfg->stall_ms;
	st->hdr.stall_limit = cfg->stall_ms && key->proto == IPPROTO_TCP ?
				      (int64_t)cfg->stall_queue :
				      RP_STALL_NEVER;
	/* no slot is in use yet: nothing for leastconn or cpu to choose */
	for (uint32_t i = 0; i < RP_MAX_SLOTS; i++)
		st->load[i] = RP_LOAD_AWAY;
	rp_group_unmap(st);

	slash = strrchr(dir, '/');
	if (make_ns) {
		snprintf(p, sizeof(p), "%.*s", (int)(slash - dir), dir);
		err = rp_pins_trust_dir(cfg, p, true);
		if (err)
			goto out;
	}
	/* "tmp-" never starts a group name; bpffs forbids a leading dot. */
	/* unpredictable: nobody can plant the directory we are about to fill */
	err = rp_tmp_name(p, sizeof(p), slash + 1);
	if (err) {
		rp_group_set_error(
			"reason=\"cannot name a temporary directory: %s\"",
			strerror(-err));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(slash - dir), dir, p);
	if (mkdir(tmp, 0755) != 0) {
		err = -errno;
		rp_group_set_error(
			"path=%s reason=\"cannot create directory: %s\"", tmp,
			strerror(-err));
		goto out;
	}
	snprintf(p, sizeof(p), "%s/socks", tmp);
	err = bpf_map__pin(skel->maps.socks, p);
	if (!err) {
		snprintf(p, sizeof(p), "%s/state", tmp);
		err = bpf_map__pin(skel->maps.state, p);
	}
	if (!err) {
		snprintf(p, sizeof(p), "%s/flows", tmp);
		err = bpf_map__pin(skel->maps.flows, p);
	}
	if (!err) {
		snprintf(p, sizeof(p), "%s/prog", tmp);
		err = bpf_program__pin(skel->progs.steer, p);
	}
	if (err) {
		rp_group_set_error(
			"path=%s reason=\"cannot pin the group's objects: %s\"",
			tmp, strerror(-err));
		rp_pins_remove(tmp);
		goto out;
	}
	/* before publishing: no server ever sees the group still root's */
	if (own) {
		err = pins_hand_over(tmp, own);
		if (err) {
			rp_pins_remove(tmp);
			goto out;
		}
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
		err = -errno;
		rp_pins_remove(tmp);
		if (err == -EEXIST || err == -ENOTEMPTY) {
			err = 1;
		} else {
			rp_group_set_error(
				"path=%s reason=\"cannot publish the group: %s\"",
				dir, strerror(-err));
		}
		goto out;
	}
	pr_info("event=create group=%s policy=%s slots=%u udp_flows=%u stall=%u,%u",
		key->name,
		rp_policy_name(rp_policy_resolve(cfg->policy, key->proto)),
		cfg->max_slots, sets * RP_FLOW_WAYS, cfg->stall_queue,
		cfg->stall_ms);
	err = 0;
out:
	steer_bpf__destroy(skel);
	return err;
}

/*
 * Open the group of key in dir, creating it when missing (handed to own
 * when not NULL): bpffs checked, every level from the pin dir down to the
 * namespace dir trusted (created if missing, by pins_create() once it could
 * load the program: never by a process that only joins), a few tries against
 * concurrent creators and removers. reap: clear away the dead groups of
 * the namespace before creating one. open_new: open a group this call
 * created; without it, return 1 at once. 0 and *st mapped, 1, or -errno.
 */
static int pins_open_or_create(const struct rp_config *cfg,
			       const struct rp_group_key *key, const char *dir,
			       const struct pins_owner *own, bool reap,
			       bool open_new, struct rp_state **st)
{
	char ns[PATH_MAX];
	bool make_ns;
	int err, tries;

	err = rp_pins_check_bpffs(cfg->pin_dir);
	if (err)
		return err;
	snprintf(ns, sizeof(ns), "%s", dir);
	*strrchr(ns, '/') = '\0';
	err = rp_pins_trust_dir(cfg, ns, false);
	if (err && err != -ENOENT)
		return err;
	make_ns = err == -ENOENT;
	for (tries = 0; tries < 3; tries++) {
		err = rp_group_open_dir(dir, st, NULL, NULL);
		if (err != -ENOENT)
			return err;
		/* a new group: first clear away the dead ones of this netns */
		if (reap && tries == 0 && !make_ns)
			rp_group_reap(cfg, ns);
		err = pins_create(cfg, key, dir, own, make_ns);
		make_ns = false;
		if (err < 0)
			return err;
		if (err == 0 && !open_new)
			return 1;
		/* published, or another process published it first: open it */
	}
	rp_group_set_error(
		"path=%s reason=\"the group directory keeps disappearing while it is opened\"",
		dir);
	return -EPROTO;
}

int rp_pins_open(const struct rp_config *cfg, const struct rp_group_key *key,
		 const char *dir, struct rp_state **st)
{
	return pins_open_or_create(cfg, key, dir, NULL, true, true, st);
}

int rp_group_setup(const struct rp_config *cfg, const struct rp_group_key *key,
		   uid_t uid, gid_t gid, char *dir, size_t dirlen)
{
	const struct pins_owner own = { .uid = uid, .gid = gid };
	bool hand = uid != (uid_t)-1 || gid != (gid_t)-1;
	struct rp_state *st = NULL;
	int err;

	err = rp_pins_group_dir(cfg, key, dir, dirlen);
	if (err)
		return err;
	err = pins_open_or_create(cfg, key, dir, hand ? &own : NULL, false,
				  false, &st);
	if (err < 0)
		return err;
	/* 1: created (and handed over before it was published) */
	if (err == 1 && rp_group_open_dir(dir, &st, NULL, NULL) != 0)
		return 0;
	/* servers that cannot create it again rely on it: keep it */
	__atomic_fetch_or(&st->hdr.flags, RP_HDR_PREPARED, __ATOMIC_RELAXED);
	if (cfg->policy_explicit)
		__atomic_store_n(&st->hdr.policy,
				 rp_policy_resolve(cfg->policy, key->proto),
				 __ATOMIC_RELAXED);
	rp_group_unmap(st);
	if (err == 1)
		return 0;
	/* it existed (or another process published it first) */
	if (hand) {
		err = pins_hand_over(dir, &own);
		if (err)
			return err;
	}
	return 1;
}

int rp_pins_probe_load(const struct rp_config *cfg)
{
	struct steer_bpf *skel = steer_bpf__open();
	int err;

	if (!skel)
		return -errno;
	bpf_map__set_max_entries(skel->maps.socks, cfg->max_slots);
	err = steer_bpf__load(skel);
	steer_bpf__destroy(skel);
	return err;
}

// SPDX-License-Identifier: MIT
/*
 * The steering program of a network namespace: one per protocol, loaded
 * and verified once (by reuseport setup, or by the first process that
 * creates a group of that protocol in the namespace) and shared by every
 * group, with the outer maps that hold each group's maps at its index.
 * Pinned, complete, in "<ns dir>/<tcp|udp>/{prog,groups,socks,flows}",
 * built in a temporary directory and published with one renameat2, as a
 * group is.
 *
 * Loading charges the verifier's working memory to the loading process's
 * memory cgroup: the headroom is asked first (memcg.h), and too little is
 * the usual fallback, never an OOM kill.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "group_impl.h"
#include "log.h"
#include "memcg.h"
#include "pintrust.h"
#include "rawsys.h"
#include "steer.skel.h"

static const char *const obj_names[] = { "prog", "groups", "socks", "flows",
					 "owners" };
#define NOBJS 5

const char *rp_netns_proto_dir(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void rp_netns_close(struct rp_netns *n)
{
	rp_raw_close(n->prog_fd);
	rp_raw_close(n->groups_fd);
	rp_raw_close(n->socks_fd);
	rp_raw_close(n->flows_fd);
	rp_raw_close(n->owners_fd);
	n->prog_fd = n->groups_fd = n->socks_fd = n->flows_fd = -1;
	n->owners_fd = -1;
}

static bool outer_ok(int fd, uint32_t *id)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS || info.key_size != 4 ||
	    info.value_size != 4)
		return false;
	*id = info.id;
	return true;
}

/* The program must be an SK_REUSEPORT program that uses these maps. */
static bool prog_ok(int fd, const uint32_t *ids, int nids)
{
	struct bpf_prog_info info;
	__u32 map_ids[8] = { 0 };
	__u32 len = sizeof(info);
	int found = 0;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_PROG_TYPE_SK_REUSEPORT)
		return false;
	for (int k = 0; k < nids; k++)
		for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++)
			if (map_ids[i] == ids[k]) {
				found++;
				break;
			}
	return found == nids;
}

/*
 * Open the pins of dir (a namespace's tcp/ or udp/): 0, -ENOENT (none
 * there), -EPROTO (not ours), or the -errno of the open that failed (the
 * last error says which).
 */
static int open_pins(const char *dir, int proto, struct rp_netns *n)
{
	uint32_t ids[3];
	int *fds[] = { &n->prog_fd, &n->groups_fd, &n->socks_fd, &n->flows_fd,
		       &n->owners_fd };
	struct bpf_map_info oi;
	__u32 olen = sizeof(oi);
	struct stat sb;

	n->prog_fd = n->groups_fd = n->socks_fd = n->flows_fd = -1;
	n->owners_fd = -1;
	if (lstat(dir, &sb) != 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	for (size_t i = 0; i < NOBJS; i++) {
		*fds[i] = rp_pins_get(dir, obj_names[i]);
		if (*fds[i] < 0) {
			int err = errno;

			rp_netns_close(n);
			if (err != ENOENT) {
				rp_group_set_error(
					"path=%s/%s reason=\"cannot open the namespace's steering program or maps: %s\"",
					dir, obj_names[i], strerror(err));
				return -err;
			}
			rp_group_set_error(
				"path=%s reason=\"not the steering program of libreuseport layout %d: %s is missing; remove it (reuseport cleanup --all)\"",
				dir, RP_LAYOUT, obj_names[i]);
			return -EPROTO;
		}
	}
	memset(&oi, 0, sizeof(oi));
	if (!outer_ok(n->groups_fd, &ids[0]) ||
	    !outer_ok(n->socks_fd, &ids[1]) ||
	    !outer_ok(n->flows_fd, &ids[2]) ||
	    !prog_ok(n->prog_fd, ids, proto == IPPROTO_UDP ? 3 : 2) ||
	    bpf_obj_get_info_by_fd(n->owners_fd, &oi, &olen) ||
	    oi.type != BPF_MAP_TYPE_ARRAY ||
	    oi.value_size != sizeof(struct rp_owner) ||
	    oi.max_entries != RP_GROUPS) {
		rp_netns_close(n);
		rp_group_set_error(
			"path=%s reason=\"not the steering program of libreuseport layout %d and its maps; remove it (reuseport cleanup --all)\"",
			dir, RP_LAYOUT);
		return -EPROTO;
	}
	return 0;
}

/* Load the program of proto with its outer maps. 0 or -errno. */
static struct steer_bpf *load(int proto, int *err)
{
	struct steer_bpf *skel = steer_bpf__open();

	if (!skel) {
		*err = -errno;
		rp_group_set_error(
			"reason=\"cannot open the embedded BPF object: %s\"",
			strerror(-*err));
		return NULL;
	}
	skel->rodata->rp_proto = (__u32)proto;
	/* TCP has no flow table: its outer map for them stays minimal */
	if (proto != IPPROTO_UDP)
		bpf_map__set_max_entries(skel->maps.flows, 1);
	*err = steer_bpf__load(skel);
	if (!*err)
		return skel;
	if (*err == -EPERM || *err == -EACCES) {
		rp_group_set_error(
			"reason=\"loading the steering program needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); start one instance with them, or prepare the namespace as root: reuseport setup\"");
		*err = -EPERM;
	} else {
		rp_group_set_error(
			"reason=\"cannot load the steering program: %s\"",
			strerror(-*err));
	}
	steer_bpf__destroy(skel);
	return NULL;
}

int rp_netns_room(uint64_t need, const char *what)
{
	struct rp_memcg m;

	rp_memcg_read(&m);
	if (!m.known || m.headroom == UINT64_MAX || m.headroom >= need)
		return 0;
	rp_group_set_error(
		"cgroup=%s reason=\"%s charges about %.1f MiB to this process's memory cgroup, which has %.1f MiB left of its %.1f MiB limit (%.1f MiB used): the kernel would kill the server; prepare it outside the server's cgroup (reuseport setup) or raise the limit\"",
		m.cgroup, what, (double)need / 1048576.0,
		(double)m.headroom / 1048576.0, (double)m.limit / 1048576.0,
		(double)m.usage / 1048576.0);
	return -ENOMEM;
}

/*
 * Build the namespace's pins of proto in a temporary directory beside dir
 * and publish them as dir. 0, 1 (another process published first), -errno.
 */
static int create(const char *dir, int proto, mode_t prog_mode)
{
	char tmp[PATH_MAX], p[PATH_MAX];
	const char *slash = strrchr(dir, '/');
	struct bpf_map *maps[3];
	struct steer_bpf *skel;
	int err, owners = -1;

	err = rp_netns_room(RP_LOAD_CHARGE, "loading the steering program");
	if (err)
		return err;
	skel = load(proto, &err);
	if (!skel)
		return err;
	maps[0] = skel->maps.groups;
	maps[1] = skel->maps.socks;
	maps[2] = skel->maps.flows;
	err = rp_tmp_name(p, sizeof(p), slash + 1);
	if (!err) {
		snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(slash - dir), dir,
			 p);
		if (mkdir(tmp, 0755) != 0)
			err = -errno;
	}
	if (err) {
		rp_group_set_error(
			"path=%s reason=\"cannot create a directory for the steering program: %s\"",
			dir, strerror(-err));
		goto out;
	}
	snprintf(p, sizeof(p), "%s/prog", tmp);
	err = bpf_program__pin(skel->progs.steer, p);
	for (int i = 0; !err && i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, obj_names[i + 1]);
		err = bpf_map__pin(maps[i], p);
	}
	/*
	 * owners: the state map id of the group at each index, user space's
	 * own (the program never reads it): an entry of the outer maps that
	 * no owner claims is stale (a creator died before publishing).
	 */
	if (!err) {
		owners = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rp_owners", 4,
					sizeof(struct rp_owner), RP_GROUPS,
					NULL);
		snprintf(p, sizeof(p), "%s/owners", tmp);
		err = owners < 0 ? -errno : bpf_obj_pin(owners, p) ? -errno : 0;
		rp_raw_close(owners);
	}
	/*
	 * A program fd lets its holder attach it to its own reuseport
	 * sockets, nothing more: every member may open it. The outer maps,
	 * which say which maps are whose group, stay the creator's.
	 */
	if (!err) {
		snprintf(p, sizeof(p), "%s/prog", tmp);
		if (chmod(p, prog_mode) != 0)
			err = -errno;
	}
	for (int i = 1; !err && i < NOBJS; i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, obj_names[i]);
		if (chmod(p, 0644) != 0)
			err = -errno;
	}
	if (err) {
		rp_group_set_error(
			"path=%s reason=\"cannot pin the steering program: %s\"",
			tmp, strerror(-err));
		rp_pins_remove(tmp);
		goto out;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
		err = -errno;
		rp_pins_remove(tmp);
		if (err == -EEXIST || err == -ENOTEMPTY) {
			err = 1;
		} else {
			rp_group_set_error(
				"path=%s reason=\"cannot publish the steering program: %s\"",
				dir, strerror(-err));
		}
		goto out;
	}
	pr_info("event=load program=%s path=%s", rp_netns_proto_dir(proto),
		dir);
	err = 0;
out:
	steer_bpf__destroy(skel);
	return err;
}

int rp_netns_open(const struct rp_config *cfg, const char *ns_dir, int proto,
		  bool create_it, mode_t prog_mode, struct rp_netns *out)
{
	char dir[PATH_MAX];
	int err, lock;

	(void)cfg;
	snprintf(dir, sizeof(dir), "%s/%s", ns_dir, rp_netns_proto_dir(proto));
	for (int tries = 0; tries < 3; tries++) {
		err = open_pins(dir, proto, out);
		if (err != -ENOENT || !create_it)
			return err;
		/*
		 * One loader: servers that start together wait for it (the
		 * lock) instead of each verifying the program and charging
		 * its memory to their cgroups.
		 */
		lock = rp_netns_lock(ns_dir);
		if (lock < 0)
			return lock;
		err = open_pins(dir, proto, out);
		if (err == -ENOENT)
			err = create(dir, proto, prog_mode);
		else if (!err) {
			rp_netns_unlock(lock);
			return 0;
		}
		rp_netns_unlock(lock);
		if (err < 0)
			return err;
	}
	rp_group_set_error(
		"path=%s reason=\"the steering program keeps disappearing while it is opened\"",
		dir);
	return -EPROTO;
}

int rp_netns_check(const char *dir, int prog_fd, uint32_t index,
		   uint32_t state_id)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char p[PATH_MAX];
	uint32_t id = 0;
	bool ok;
	int fd;

	/* read only: members are not the outer maps' owners */
	snprintf(p, sizeof(p), "%s/groups", dir);
	fd = bpf_obj_get_opts(p, &ro);
	if (fd < 0) {
		int err = errno;

		rp_group_set_error(
			"path=%s reason=\"cannot open the namespace's map of groups: %s\"",
			p, strerror(err));
		return -err;
	}
	ok = outer_ok(fd, &id) && prog_ok(prog_fd, &id, 1) &&
	     rp_pins_outer_has(fd, index, state_id);
	rp_raw_close(fd);
	if (ok)
		return 0;
	rp_group_set_error(
		"path=%s reason=\"the namespace's steering program and maps do not hold this group at its index %u (they were removed and made again?): the program would not find it; remove the group once it has no member (reuseport cleanup)\"",
		dir, index);
	return -EPROTO;
}

int rp_netns_probe_load(void)
{
	struct steer_bpf *skel;
	int err;

	err = rp_netns_room(RP_LOAD_CHARGE, "loading the steering program");
	if (err)
		return err;
	skel = load(IPPROTO_TCP, &err);
	steer_bpf__destroy(skel);
	return err;
}

int rp_netns_lock(const char *ns_dir)
{
	int fd = open(ns_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* creators only, and briefly: a group's maps are made in it */
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			int err = -errno;

			rp_raw_close(fd);
			return err;
		}
	return fd;
}

void rp_netns_unlock(int fd)
{
	rp_raw_close(fd); /* the lock goes with the fd */
}

/* This namespace's pins of proto, created when missing: 0 or -errno. */
static int netns_here(const struct rp_config *cfg, int proto, char *ns,
		      size_t len, struct rp_netns *n)
{
	int err = rp_pins_check_bpffs(cfg->pin_dir);

	if (!err)
		err = rp_group_ns_dir(cfg, ns, len);
	if (!err)
		err = rp_pins_trust_dir(cfg, ns, true);
	if (!err)
		err = rp_netns_open(cfg, ns, proto, true, 0666, n);
	return err;
}

int rp_netns_groups_fd(const struct rp_config *cfg, int proto)
{
	char ns[PATH_MAX];
	struct rp_netns n;
	int err = netns_here(cfg, proto, ns, sizeof(ns), &n), fd;

	if (err)
		return err;
	fd = fcntl(n.groups_fd, F_DUPFD_CLOEXEC, 0);
	err = fd < 0 ? -errno : fd;
	rp_netns_close(&n);
	return err;
}

int rp_netns_setup(const struct rp_config *cfg, int proto)
{
	char ns[PATH_MAX];
	struct rp_netns n;
	int err = netns_here(cfg, proto, ns, sizeof(ns), &n);

	if (!err) {
		char mark[PATH_MAX];

		rp_netns_close(&n);
		/* kept by reuseport cleanup without --all */
		snprintf(mark, sizeof(mark), "%s/%s/prepared", ns,
			 rp_netns_proto_dir(proto));
		if (mkdir(mark, 0755) != 0 && errno != EEXIST)
			err = -errno;
	}
	return err;
}

int rp_pins_probe_load(const struct rp_config *cfg)
{
	int err, fd;

	(void)cfg;
	/* what creating needs: a sockarray and (once a namespace) a program */
	fd = bpf_map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, "rp_probe", 4, 8,
			    1, NULL);
	if (fd < 0)
		return -errno;
	rp_raw_close(fd);
	err = rp_netns_probe_load();
	return err;
}

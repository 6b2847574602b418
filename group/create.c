// SPDX-License-Identifier: MIT
/*
 * Creating a group: its maps (the sockarray and the state, sized by its
 * slots; the UDP flow table when asked), the header, its place in the
 * outer maps (outer.c), pins in a directory with an unpredictable name,
 * handed to a user or group if asked (reuseport setup), published with one
 * renameat2(RENAME_NOREPLACE). No program is loaded: the namespace's one
 * program (netns.c) serves every group. Creators hold the namespace's lock
 * from the outer maps to the publication; joiners never take it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "group_impl.h"
#include "log.h"
#include "pintrust.h"
#include "rawsys.h"
#include "registry_names.h"
#include "sys.h"

/* The identity the program reads from md->sk, and where it hashes to. */
static uint32_t key_hash(const struct rp_group_key *key, struct rp_hot *h)
{
	memset(h->addr, 0, sizeof(h->addr));
	if (key->family == AF_INET)
		memcpy(h->addr,
		       &((const struct sockaddr_in *)&key->addr)->sin_addr, 4);
	else
		memcpy(h->addr,
		       &((const struct sockaddr_in6 *)&key->addr)->sin6_addr,
		       16);
	h->port = key->port;
	h->family = (__u16)key->family;
	h->ifindex = (__u32)key->ifindex;
	return rp_ident_hash((__u32)h->port << 16 | h->family, h->addr,
			     h->ifindex);
}

/* The header of a new group: everything its creator decides. */
static void init_state(const struct rp_config *cfg,
		       const struct rp_group_key *key, struct rp_state *st,
		       uint32_t sets)
{
	const struct rp_layout *l = &st->lay;
	struct rp_hot *h = st->hot;
	struct rp_meta *m = st->meta;

	key_hash(key, h);
	h->policy = rp_policy_resolve(cfg->policy, key->proto);
	h->max_generation = cfg->generation;
	h->stall_queue = cfg->stall_queue;
	h->stall_ms = cfg->stall_ms;
	h->stall_limit = cfg->stall_ms && key->proto == IPPROTO_TCP ?
				 (int64_t)cfg->stall_queue :
				 RP_STALL_NEVER;
	h->flow_sets = sets;
	h->flags = sets ? RP_HDR_FLOWS : 0;
	h->max_slots = l->max_slots;
	h->sticky_size = l->sticky_size;
	h->ncpu = l->ncpu;
	h->off_slots = l->off_slots;
	h->off_load = l->off_load;
	h->off_sticky = l->off_sticky;
	h->off_wsched = l->off_wsched;
	h->off_cpu = l->off_cpu;

	m->magic = RP_MAGIC;
	m->layout = RP_LAYOUT;
	m->proto = (uint32_t)key->proto;
	m->family = (uint32_t)key->family;
	m->port = key->port;
	m->max_slots = l->max_slots;
	memcpy(m->addr, h->addr, sizeof(m->addr));
	m->ifindex = key->ifindex;
	m->addr_flags = key->v6only ? RP_ADDR_V6ONLY : 0;
	m->created_ns = rp_now_ns();
	m->elems = l->elems;
	m->ncpu = l->ncpu;
	/* no slot is in use yet: nothing for leastconn or cpu to choose */
	for (uint32_t i = 0; i < l->max_slots; i++)
		st->load[i] = RP_LOAD_AWAY;
}

static int map_create(enum bpf_map_type type, const char *name,
		      uint32_t value_size, uint32_t entries, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, name, 4, value_size, entries, &o);

	return fd < 0 ? -errno : fd;
}

struct new_group {
	int socks, state, flows; /* fds, -1 none */
	struct rp_state *st;
};

static void new_group_free(struct new_group *ng)
{
	rp_group_unmap(ng->st);
	rp_raw_close(ng->socks);
	rp_raw_close(ng->state);
	rp_raw_close(ng->flows);
}

/*
 * The arguments of reuseport setup that prepare this group (its GROUP-SPEC,
 * --v6only first when it is one): the advice names the exact command.
 */
static void setup_args(const struct rp_group_key *key, char *buf, size_t len)
{
	const struct sockaddr_in6 *in6 = (const void *)&key->addr;
	const struct sockaddr_in *in = (const void *)&key->addr;
	char a[INET6_ADDRSTRLEN] = "?";
	bool v6 = key->family == AF_INET6;

	inet_ntop(key->family,
		  v6 ? (const void *)&in6->sin6_addr :
		       (const void *)&in->sin_addr,
		  a, sizeof(a));
	snprintf(buf, len, "%s%s:%s%s%s:%u", key->v6only ? "--v6only " : "",
		 key->proto == IPPROTO_UDP ? "udp" : "tcp", v6 ? "[" : "", a,
		 v6 ? "]" : "", (unsigned int)key->port);
}

/*
 * bpf() said EPERM, yet the capabilities it needs are effective and a
 * seccomp filter is on: the filter refused, not the kernel (a container
 * runtime's default profile). The capabilities from capget, the filter
 * from /proc/self/status; an error path only.
 */
static bool bpf_caps_but_filtered(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2] = { { 0 } };
	char mode[16];
	uint64_t eff;

	if (rp_raw_syscall(SYS_capget, (long)&hdr, (long)data, 0, 0, 0, 0))
		return false;
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	if (!(eff >> 21 & 1) /* CAP_SYS_ADMIN */ &&
	    !((eff >> 39 & 1) && (eff >> 38 & 1))) /* CAP_BPF, CAP_PERFMON */
		return false;
	return rp_proc_status(getpid(), "Seccomp", mode, sizeof(mode)) &&
	       !strcmp(mode, "2");
}

/* Its maps, and its header written. 0 or -errno. */
static int make_maps(const struct rp_config *cfg,
		     const struct rp_group_key *key, struct new_group *ng)
{
	/* the creator decides, as for the policy: see docs/DESIGN.md */
	uint32_t flows = key->proto == IPPROTO_UDP ? cfg->udp_flows : 0;
	/* whole sets of entries (see struct rp_flow_set) */
	uint32_t sets = (flows + RP_FLOW_WAYS - 1) / RP_FLOW_WAYS;
	int ncpu = libbpf_num_possible_cpus();
	struct rp_layout lay;
	int err;

	ng->socks = ng->state = ng->flows = -1;
	if (rp_layout(cfg->max_slots, ncpu > 0 ? (uint32_t)ncpu : 1, &lay)) {
		rp_group_set_error("reason=\"bad group size\"");
		return -EINVAL;
	}
	err = rp_netns_room((uint64_t)lay.elems * RP_ELEM + cfg->max_slots * 8 +
				    (uint64_t)sets * RP_ELEM + RP_MAP_CHARGE,
			    "creating the group's maps");
	if (err)
		return err;
	ng->socks = map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, "rp_socks", 8,
			       cfg->max_slots, 0);
	if (ng->socks < 0) {
		err = ng->socks;
		goto fail;
	}
	ng->state = map_create(BPF_MAP_TYPE_ARRAY, "rp_state", RP_ELEM,
			       lay.elems, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	if (ng->state < 0) {
		err = ng->state;
		goto fail;
	}
	if (sets) {
		ng->flows = map_create(BPF_MAP_TYPE_ARRAY, "rp_flows", RP_ELEM,
				       sets, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
		if (ng->flows < 0) {
			err = ng->flows;
			goto fail;
		}
	}
	ng->st = rp_pins_map_state(ng->state, &lay);
	if (!ng->st) {
		err = -errno;
		goto fail;
	}
	init_state(cfg, key, ng->st, sets);
	return 0;
fail:
	if (err == -EPERM || err == -EACCES) {
		char user[32] = "", spec[80];

		/* root without the capability needs no --user: pins are root's */
		if (geteuid() != 0)
			snprintf(user, sizeof(user), "--user %u ",
				 (unsigned int)geteuid());
		setup_args(key, spec, sizeof(spec));
		if (bpf_caps_but_filtered())
			rp_group_set_error(
				"reason=\"bpf() is refused although this process has CAP_BPF and CAP_PERFMON: a seccomp filter (podman's and CRI-O's default profiles allow bpf() only with CAP_SYS_ADMIN); add CAP_SYS_ADMIN or a profile that allows bpf(), or prepare the group as root: reuseport setup %s%s\"",
				user, spec);
		else
			rp_group_set_error(
				"reason=\"creating the group's BPF maps needs CAP_BPF (or CAP_SYS_ADMIN); start one instance with it, or prepare the group as root: reuseport setup %s%s\"",
				user, spec);
		err = -EPERM;
	} else {
		rp_group_set_error(
			"reason=\"cannot create the group's BPF maps: %s\"",
			strerror(-err));
	}
	return err;
}

/*
 * Build the group complete in a temporary directory, hand it to own (when
 * not NULL) and publish it, with its maps in the namespace's outer maps.
 * make_ns: the namespace directory (and the levels from the pin dir down
 * to it) is missing; create it, but only once the maps exist: a process
 * that cannot create a group never creates directories. 0 when
 * published, 1 when another process won the race, or -errno.
 */
static int pins_create(const struct rp_config *cfg,
		       const struct rp_group_key *key, const char *dir,
		       const struct pins_owner *own, bool make_ns,
		       struct rp_state **made)
{
	char tmp[PATH_MAX], p[PATH_MAX], ns[PATH_MAX];
	struct new_group ng = { .socks = -1, .state = -1, .flows = -1 };
	struct rp_netns n = { -1, -1, -1, -1, -1 };
	const char *slash = strrchr(dir, '/');
	int lock = -1, index = -1, err;
	struct stat sb;

	err = make_maps(cfg, key, &ng);
	if (err)
		goto out;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - dir), dir);
	if (make_ns) {
		err = rp_pins_trust_dir(cfg, ns, true);
		if (err)
			goto out;
	}
	/* loaded if missing (its loader takes the lock itself) */
	err = rp_netns_open(cfg, ns, key->proto, true, 0666, &n);
	if (err < 0)
		goto out;
	rp_netns_close(&n);
	lock = rp_netns_lock(ns);
	if (lock < 0) {
		err = lock;
		rp_group_set_error("path=%s reason=\"cannot lock: %s\"", ns,
				   strerror(-err));
		goto out;
	}
	/* the program and maps as they are now that nobody removes them */
	err = rp_netns_open(cfg, ns, key->proto, false, 0, &n);
	if (err == -ENOENT)
		rp_group_set_error(
			"path=%s reason=\"the namespace's steering program was removed while the group was being created (reuseport cleanup); start the server again\"",
			ns);
	if (err < 0)
		goto out;
	/* published while we waited for the lock */
	if (lstat(dir, &sb) == 0) {
		err = 1;
		goto out;
	}
	index = rp_outer_claim(dir, key, &n, ng.st);
	if (index < 0) {
		err = index;
		goto out;
	}
	ng.st->meta->index = (uint32_t)index;
	ng.st->meta->checksum = rp_state_sum(ng.st);
	/* "tmp-" never starts a group name; bpffs forbids a leading dot. */
	/* unpredictable: nobody can plant the directory we are about to fill */
	err = rp_tmp_name(p, sizeof(p), slash + 1);
	if (err) {
		rp_group_set_error(
			"reason=\"cannot name a temporary directory: %s\"",
			strerror(-err));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/%s", ns, p);
	if (mkdir(tmp, 0755) != 0) {
		err = -errno;
		rp_group_set_error(
			"path=%s reason=\"cannot create directory: %s\"", tmp,
			strerror(-err));
		goto out;
	}
	snprintf(p, sizeof(p), "%s/socks", tmp);
	err = bpf_obj_pin(ng.socks, p);
	if (!err) {
		snprintf(p, sizeof(p), "%s/state", tmp);
		err = bpf_obj_pin(ng.state, p);
	}
	if (!err && ng.flows >= 0) {
		snprintf(p, sizeof(p), "%s/flows", tmp);
		err = bpf_obj_pin(ng.flows, p);
	}
	if (err) {
		err = -errno;
		rp_group_set_error(
			"path=%s reason=\"cannot pin the group's maps: %s\"",
			tmp, strerror(-err));
		rp_pins_remove(tmp);
		goto out;
	}
	/* before publishing: no server ever sees the group still root's */
	if (own) {
		err = rp_pins_hand_over(tmp, own);
		if (err) {
			rp_pins_remove(tmp);
			goto out;
		}
	}
	err = rp_outer_publish(&n, ng.socks, ng.flows, ng.state, ng.st->hot,
			       (uint32_t)index);
	if (err) {
		rp_pins_remove(tmp);
		goto out;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
		err = -errno;
		rp_outer_clear(&n, (uint32_t)index);
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
	pr_info("event=create group=%s policy=%s slots=%u udp_flows=%u stall=%u,%u index=%d bytes=%zu",
		key->name,
		rp_policy_name(rp_policy_resolve(cfg->policy, key->proto)),
		cfg->max_slots, ng.st->hot->flow_sets * RP_FLOW_WAYS,
		cfg->stall_queue, cfg->stall_ms, index, ng.st->len);
	err = 0;
	/* the caller takes the mapping: no second map of the same state */
	if (made) {
		*made = ng.st;
		ng.st = NULL;
	}
out:
	if (lock >= 0)
		rp_netns_unlock(lock);
	rp_netns_close(&n);
	new_group_free(&ng);
	return err;
}

/*
 * Open the group of key in dir, creating it when missing (handed to own
 * when not NULL): bpffs checked, every level from the pin dir down to the
 * namespace dir trusted (created if missing, by pins_create() once it
 * could create the maps: never by a process that only joins), a few tries
 * against concurrent creators and removers. A damaged group (its creator's
 * fields do not match their checksum) with no live member is replaced.
 * reap: clear away the dead groups of the namespace before creating one.
 * open_new: open a group this call created; without it, return 1 at once.
 * 0 and *st mapped, 1, or -errno.
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
		if (err == -EBADMSG && rp_group_idle(dir)) {
			/* ours, damaged, and nobody in it: a new one */
			pr_warn("event=replace group=%s reason=\"the group's state was damaged (a member wrote into its creator's fields) and it has no live member\"",
				key->name);
			if (rp_group_unpublish(cfg, ns, strrchr(dir, '/') + 1,
					       false) == 0)
				err = -ENOENT;
		}
		if (err != -ENOENT)
			return err;
		/* a new group: first clear away the dead ones of this netns */
		if (reap && tries == 0 && !make_ns)
			rp_group_reap(cfg, ns);
		err = pins_create(cfg, key, dir, own, make_ns,
				  open_new ? st : NULL);
		make_ns = false;
		if (err < 0)
			return err;
		if (err == 0)
			return open_new ? 0 : 1;
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
	__atomic_fetch_or(&st->meta->flags, RP_META_PREPARED, __ATOMIC_RELAXED);
	if (cfg->policy_explicit)
		__atomic_store_n(&st->hot->policy,
				 rp_policy_resolve(cfg->policy, key->proto),
				 __ATOMIC_RELAXED);
	rp_group_unmap(st);
	if (err == 1)
		return 0;
	/* it existed (or another process published it first) */
	if (hand) {
		err = rp_pins_hand_over(dir, &own);
		if (err)
			return err;
	}
	return 1;
}

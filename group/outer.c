// SPDX-License-Identifier: MIT
/*
 * A group's place in its namespace's outer maps, where the namespace's
 * program finds it: the index its identity hashes to (the owners map says
 * which entries are published groups), publication (the state last, so
 * the program never finds half a group), and taking it out again before
 * its pins go. Callers hold the namespace's lock.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "group_impl.h"
#include "pintrust.h"
#include "rawsys.h"

/* The namespace's outer maps hold no group at index now. */
void rp_outer_clear(const struct rp_netns *n, uint32_t index)
{
	/* the state first: the program stops finding the group there */
	bpf_map_delete_elem(n->groups_fd, &index);
	bpf_map_delete_elem(n->socks_fd, &index);
	bpf_map_delete_elem(n->flows_fd, &index);
	bpf_map_update_elem(n->owners_fd, &index, &(struct rp_owner){ 0 }, 0);
}

static bool owner_is(const struct rp_owner *o, const struct rp_hot *h)
{
	return o->port_family == ((__u32)h->port << 16 | h->family) &&
	       o->ifindex == h->ifindex &&
	       !memcmp(o->addr, h->addr, sizeof(o->addr));
}

static uint32_t fd_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * The index of a new group: the first of its probe sequence that holds no
 * published group (the owners map says whose each entry is; an entry no
 * owner claims is stale, left by a creator that died, and is cleared).
 * Locked, O(RP_GROUP_PROBES). The index, or -errno.
 */
int rp_outer_claim(const char *dir, const struct rp_group_key *key,
		   const struct rp_netns *n, struct rp_state *st)
{
	char twin[PATH_MAX];
	uint32_t h = rp_ident_hash((__u32)st->hot->port << 16 | st->hot->family,
				   st->hot->addr, st->hot->ifindex);
	struct stat sb;
	size_t len;

	/*
	 * [::]:80 and [::]:80_v6only are two kernel groups that md->sk shows
	 * alike: the program could not tell which one a run is for.
	 */
	snprintf(twin, sizeof(twin), "%s", dir);
	len = strlen(twin);
	if (key->family == AF_INET6) {
		char *v6 = strstr(strrchr(twin, '/'), "_v6only");

		if (v6)
			memmove(v6, v6 + 7, strlen(v6 + 7) + 1);
		else if (!key->ifindex && len + 7 < sizeof(twin))
			strcat(twin, "_v6only");
		if (strcmp(twin, dir) && lstat(twin, &sb) == 0) {
			rp_group_set_error(
				"path=%s reason=\"another group has the same port, address and device and differs only in IPV6_V6ONLY (%s); the steering program cannot tell the two apart\"",
				dir, twin);
			return -EEXIST;
		}
	}
	for (uint32_t k = 0; k < RP_GROUP_PROBES; k++) {
		uint32_t g = (h + k) & (RP_GROUPS - 1), inner = 0;
		struct rp_owner o = { 0 };

		/*
		 * A published group's, unless it has this group's identity:
		 * its directory is gone (this one is being created), and the
		 * program must not find it before the new one.
		 */
		if (bpf_map_lookup_elem(n->groups_fd, &g, &inner) == 0 &&
		    bpf_map_lookup_elem(n->owners_fd, &g, &o) == 0 &&
		    inner == o.state_id && !owner_is(&o, st->hot))
			continue;
		rp_outer_clear(n, g);
		return (int)g;
	}
	rp_group_set_error(
		"reason=\"the %d places this group may take in its namespace are all taken by other groups (%d groups a protocol at most)\"",
		RP_GROUP_PROBES, RP_GROUPS);
	return -ENOSPC;
}

/* Into the namespace's outer maps at index: the state last. */
int rp_outer_publish(const struct rp_netns *n, int socks, int flows, int state,
		     const struct rp_hot *hot, uint32_t index)
{
	int err = bpf_map_update_elem(n->socks_fd, &index, &socks, 0);

	if (!err && flows >= 0)
		err = bpf_map_update_elem(n->flows_fd, &index, &flows, 0);
	if (!err)
		err = bpf_map_update_elem(n->groups_fd, &index, &state, 0);
	if (!err) {
		struct rp_owner o = {
			.state_id = fd_id(state),
			.port_family = (__u32)hot->port << 16 | hot->family,
			.ifindex = hot->ifindex,
		};

		memcpy(o.addr, hot->addr, sizeof(o.addr));
		err = bpf_map_update_elem(n->owners_fd, &index, &o, 0);
	}
	if (err) {
		err = -errno;
		rp_outer_clear(n, index);
		rp_group_set_error(
			"reason=\"cannot put the group in its namespace's maps: %s\"",
			strerror(-err));
	}
	return err;
}

/* Is every slot of the group in dir empty (its sockarray, the kernel's)? */
bool rp_group_idle(const char *dir)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = rp_pins_get(dir, "socks");
	bool idle = fd >= 0;

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		for (__u32 i = 0; idle && i < info.max_entries; i++)
			idle = !rp_group_slot_live(fd, i, NULL);
	else
		idle = false;
	rp_raw_close(fd);
	return idle;
}

int rp_group_unpublish(const struct rp_config *cfg, const char *ns_dir,
		       const char *name, bool locked)
{
	char dir[PATH_MAX], why[512];
	struct rp_netns n = { -1, -1, -1, -1, -1 };
	struct rp_meta meta;
	uint32_t id;
	int nsfd, lock = -1, tfd, err;

	snprintf(dir, sizeof(dir), "%s/%s", ns_dir, name);
	if (!locked) {
		lock = rp_netns_lock(ns_dir);
		if (lock < 0)
			return lock;
	}
	/*
	 * out of the outer maps first: the program stops finding it (the
	 * protocol from the name, the index from the header or, when a
	 * member wrote over it, from the owners map)
	 */
	tfd = rp_pins_get(dir, "state");
	id = rp_pins_map_id(dir, "state");
	if (tfd < 0 ||
	    bpf_map_lookup_elem(tfd, &(__u32){ RP_E_META }, &meta) != 0)
		meta.index = RP_GROUPS;
	if (id && rp_netns_open(cfg, ns_dir,
				name[0] == 'u' ? IPPROTO_UDP : IPPROTO_TCP,
				false, 0, &n) == 0) {
		if (!rp_pins_outer_has(n.groups_fd, meta.index, id)) {
			int i = rp_pins_owner_index(dir, id);

			meta.index = i < 0 ? RP_GROUPS : (uint32_t)i;
		}
		if (rp_pins_outer_has(n.groups_fd, meta.index, id))
			rp_outer_clear(&n, meta.index);
	}
	rp_raw_close(tfd);
	rp_netns_close(&n);
	nsfd = rp_trusted_dir(ns_dir, cfg->pin_dir, geteuid(), (gid_t)-1, false,
			      why, sizeof(why));
	if (nsfd < 0) {
		err = nsfd;
		rp_group_set_error("%s", why);
	} else {
		err = rp_remove_group_dirat(nsfd, name, why, sizeof(why));
		if (err)
			rp_group_set_error("%s", why);
		rp_raw_close(nsfd);
	}
	if (lock >= 0)
		rp_netns_unlock(lock);
	return err;
}

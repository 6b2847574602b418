/* SPDX-License-Identifier: MIT */
/* Shared by the files of the group library; not part of its API. */
#ifndef RP_GROUP_IMPL_H
#define RP_GROUP_IMPL_H

#include "group.h"

/* Record the reason of a failure for rp_group_last_error(). */
__attribute__((format(printf, 1, 2))) void rp_group_set_error(const char *fmt,
							      ...);

/* pins.c */
/*
 * dir (at or below the pin dir) passes the trust rules; create if missing.
 * Without create, a missing level is -ENOENT (nothing else was refused).
 */
int rp_pins_trust_dir(const struct rp_config *cfg, const char *dir,
		      bool create);
int rp_pins_check_bpffs(const char *path);
int rp_pins_get(const char *dir, const char *name);
/* Map the state map fd laid out as l: a view to rp_group_unmap(), NULL. */
struct rp_state *rp_pins_map_state(int fd, const struct rp_layout *l);
/* Is the entry index of outer map outer_fd the map of id? */
bool rp_pins_outer_has(int outer_fd, uint32_t index, uint32_t id);
/*
 * The group of key in dir, mapped into *st; created when missing (the dead
 * groups of its namespace cleared away first). 0 or -errno.
 */
int rp_pins_open(const struct rp_config *cfg, const struct rp_group_key *key,
		 const char *dir, struct rp_state **st);
int rp_pins_group_dir(const struct rp_config *cfg,
		      const struct rp_group_key *key, char *buf, size_t len);
uint32_t rp_pins_map_id(const char *dir, const char *name);

/* members.c */
void rp_members_reconcile(const struct rp_config *cfg,
			  const struct rp_group_key *key, struct rp_state *st,
			  int socks_fd);
int rp_members_find_own(int socks_fd, struct rp_state *st, uint64_t cookie);
int rp_members_claim(struct rp_state *st, int socks_fd, int fd, uint64_t cookie,
		     bool *already);
void rp_members_init_slot(const struct rp_config *cfg, struct rp_state *st,
			  uint32_t i, uint64_t cookie);
/* A slot registered again by this process: it follows when its own is gone. */
void rp_members_follow(struct rp_state *st, uint32_t i);
void rp_members_note_join(const struct rp_config *cfg, struct rp_state *st,
			  uint32_t slot);

/*
 * counters.c: the slot's share of the counters the program keeps on the
 * slots goes to the header's before the slot is claimed again
 */
void rp_counters_hand_over(struct rp_state *st, const struct rp_slot *s);

/* netns.c: the namespace's program of a protocol and its outer maps */
struct rp_netns {
	int prog_fd;
	int groups_fd, socks_fd, flows_fd; /* the outer maps */
	int owners_fd; /* the state map id of the group at each index */
};
/*
 * What loading the program may charge to the memory cgroup at its peak
 * (the verifier's working memory: the server's peak grew by ~7.4 MiB on
 * the first load here, TCP and UDP alike), and creating a group's maps
 * beyond their size.
 */
#define RP_LOAD_CHARGE (12ull << 20)
#define RP_MAP_CHARGE (256ull << 10)
/* "tcp" or "udp": the namespace's directory of the protocol's program */
const char *rp_netns_proto_dir(int proto);
/*
 * The index of the namespace's owners map (dir's protocol) whose entry
 * names state map state_id, or -1: a published group is ours even when
 * its header is not readable any more.
 */
int rp_pins_owner_index(const char *dir, uint32_t state_id);
/*
 * Open ns_dir's program of proto and its outer maps; with create_it, load
 * and pin them (program pin mode prog_mode) when missing. 0 or -errno.
 */
int rp_netns_open(const struct rp_config *cfg, const char *ns_dir, int proto,
		  bool create_it, mode_t prog_mode, struct rp_netns *out);
void rp_netns_close(struct rp_netns *n);
/* 0 if the memory cgroup has room for need bytes, else -ENOMEM (said). */
int rp_netns_room(uint64_t need, const char *what);
/*
 * The program prog_fd is an SK_REUSEPORT program of the outer map pinned
 * in dir (a namespace's tcp/ or udp/), whose entry index is the state map
 * of id state_id: 0, -EPROTO, or the -errno of opening the outer map (said).
 */
int rp_netns_check(const char *dir, int prog_fd, uint32_t index,
		   uint32_t state_id);
/* Load the TCP program and free it: 0 or -errno. */
int rp_netns_probe_load(void);

/* outer.c: a group's place in the namespace's outer maps (locked) */
/* The namespace's outer maps hold no group at index now. */
void rp_outer_clear(const struct rp_netns *n, uint32_t index);
/* The index a new group of key in dir takes (its state st), or -errno. */
int rp_outer_claim(const char *dir, const struct rp_group_key *key,
		   const struct rp_netns *n, struct rp_state *st);
/* Put the group's maps (fds; flows -1: none) at index, the state last. */
int rp_outer_publish(const struct rp_netns *n, int socks, int flows, int state,
		     const struct rp_hot *hot, uint32_t index);

/* reap.c */
/* Remove the dead groups of ns_dir: how many, or -errno. */
int rp_group_reap(const struct rp_config *cfg, const char *ns_dir);
/* At exit: remove dir if every live member is this process's (and no
 * child may hold them). */
void rp_group_release(const struct rp_config *cfg, const char *dir);

/*
 * reuseport setup --user/--group: who gets a group's pins. The group
 * directory stays root's: a user who owned it could replace the pins with
 * links to another group's pins, and bpf_obj_get() follows links.
 */
struct pins_owner {
	uid_t uid; /* owner of the pins; (uid_t)-1: keep (root) */
	gid_t gid; /* group of the pins and the directory; (gid_t)-1: keep */
};

/*
 * Hand the group in dir to own (group/pinowner.c): pins owned by uid,
 * group gid, mode 0600 (0660 with a gid), the directory root:gid 0755.
 * 0 or -errno (the error said).
 */
int rp_pins_hand_over(const char *dir, const struct pins_owner *own);

#endif

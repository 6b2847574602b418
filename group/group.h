/* SPDX-License-Identifier: MIT */
/*
 * The pinned BPF objects of reuseport groups: open or create a group's
 * directory (socks, state, flows), claim a slot for a socket, attach the
 * namespace's program. Links libbpf; loaded lazily by the preload
 * (libreuseport-steer.so) and linked into the reuseport command.
 *
 * Functions return 0 or a negative errno and say the reason in
 * rp_group_last_error():
 *   -EINVAL     bad arguments
 *   -EPERM      creating maps/programs needs CAP_BPF (or CAP_SYS_ADMIN)
 *   -EACCES     no permission on the pin directory or pins
 *   -ENOMEDIUM  REUSEPORT_PIN_DIR is not on a bpf filesystem
 *   -EPROTO     the pins at the group's path are not a libreuseport group
 *               of this layout (foreign or stale)
 *   -EBADMSG    the group is ours but its creator's fields are damaged
 *   -ENOMEM     the memory cgroup has too little room for the step
 *   -ENOSPC     the group's sockarray is full
 * or, when a system call the reason names failed otherwise (a seccomp
 * profile's ENOSYS, EPERM on opening a pin), its own errno: errno= and
 * reason= of a fallback line never disagree.
 * Callers serialise calls (the preload holds its registration lock).
 */
#ifndef RP_GROUP_H
#define RP_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "pintrust.h"
#include "state.h"
#include "steer.h"

/* Directories being built before publication: "tmp-<pid>-<random>-<name>". */
#define RP_TMP_PREFIX RP_TMP_NAME_PREFIX /* rp_tmp_name() makes them */

struct rp_group_key {
	int proto; /* IPPROTO_TCP / IPPROTO_UDP */
	int family; /* AF_INET / AF_INET6 */
	uint16_t port; /* host order */
	char name[96]; /* rp_group_name() */
	struct sockaddr_storage addr; /* the bound address */
	int ifindex; /* bound device, 0 for none */
	bool v6only;
};

struct rp_member {
	int slot;
	uint64_t cookie;
	bool already; /* the socket was registered before (fork/dup) */
	struct rp_state *state; /* mapped for the life of the process */
	struct rp_slot *slotp;
};

/*
 * At exit of a process that registered sockets: remove the pins of groups
 * whose only live members are this process's sockets (they die with it).
 */
void rp_group_at_exit(void);

/* Route libbpf's output into our logger; set the log level. */
void rp_group_lib_init(const struct rp_config *cfg);

/*
 * Open or create the group's pins; *state is its mapped state, *state_id
 * (if not NULL) the id of its state map.
 */
int rp_group_prepare(const struct rp_config *cfg,
		     const struct rp_group_key *key, struct rp_state **state,
		     uint32_t *state_id);

/*
 * A group opened for a registration: its state mapped, its sockarray and
 * its namespace's program open (O_CLOEXEC). Opened while the process may
 * still be privileged (at bind), used at listen, then closed.
 */
struct rp_handle {
	struct rp_state *st;
	int socks_fd, prog_fd;
	uint32_t socks_id, prog_id; /* to tell our fds from reused numbers */
};
int rp_group_open(const struct rp_config *cfg, const struct rp_group_key *key,
		  struct rp_handle *h);
/* Claim a slot for the listening (TCP) / bound (UDP) socket fd, attach. */
int rp_group_attach(const struct rp_config *cfg, const struct rp_group_key *key,
		    int fd, struct rp_handle *h, struct rp_member *out);
/* Are both fds still the objects opened (not closed or reused)? */
bool rp_group_handle_valid(const struct rp_handle *h);
/* Close what open() opened, unless the numbers now mean something else. */
void rp_group_close(struct rp_handle *h);

/*
 * The slot that already holds the socket fd (a listener inherited across
 * exec), without claiming one or creating the group; -ENOENT if none.
 */
int rp_group_find(const struct rp_config *cfg, const struct rp_group_key *key,
		  int fd, struct rp_member *out);

/*
 * The group key of socket fd (bound, TCP or UDP), from the kernel: 0 or
 * -errno.
 */
int rp_group_key_of(int fd, struct rp_group_key *key);
/*
 * Register socket fd, a copy of a listener of process owner, in its group
 * (created when missing) and attach the program through it: the slot
 * names owner and is marked RP_SLOT_ADOPTED. *key and *out say where. 0 or
 * -errno (rp_group_last_error() says why).
 */
int rp_group_adopt(const struct rp_config *cfg, int fd, pid_t owner,
		   struct rp_group_key *key, struct rp_member *out);

/*
 * A registered UDP socket connected: it is a client's, not a server's
 * member of the group whose state (this process's mapping) is state. Its slot is emptied; a group left without any live member (and
 * not prepared by reuseport setup) is removed. 0 or -errno.
 */
int rp_group_leave(const struct rp_config *cfg, struct rp_state *state, int fd);

/* "$pin_dir/v<layout>/<netns inode>" of the calling process's netns. */
int rp_group_ns_dir(const struct rp_config *cfg, char *buf, size_t len);

/*
 * Open an existing group directory, validate it and map its state.
 * On success *state is mapped (rp_group_unmap() unmaps and frees it) and,
 * when the pointers are non-NULL, *socks_fd and *prog_fd (its namespace's
 * program) are open (caller closes).
 */
int rp_group_open_dir(const char *dir, struct rp_state **state, int *socks_fd,
		      int *prog_fd);
void rp_group_unmap(struct rp_state *state);

/*
 * Take back the connection counts of processes that died without closing
 * (kill -9, forked workers): entries of acct_pid that no longer exist.
 * Only for slots of this process's pid namespace.
 */
void rp_group_gc(struct rp_state *st);

/*
 * A member socket of this process could not be registered (on=true) or is
 * gone (on=false): keep hdr.unsteered, which makes the program leave every
 * choice to the kernel hash, equal to the number of such processes.
 */
void rp_group_unsteered(struct rp_state *st, uint32_t pid, bool on);

/* Rebuild the tables of sticky, weighted and cpu over the live slots. */
void rp_group_rebuild_tables(struct rp_state *st, int socks_fd);

/* Entries of the group's UDP flow table (pin dir/flows), -1 without one. */
long rp_group_flow_entries(const char *dir);
/* The stall guard passes this slot over now (TCP; see bpf/stall.h). */
bool rp_slot_stalled(const struct rp_state *st, const struct rp_slot *s);

/* key=value text of the last failure ("path=... reason=\"...\""). */
const char *rp_group_last_error(void);

/* One entry of a netns directory of groups, as the walker found it. */
struct rp_group_view {
	const char *name; /* directory name: the group name, or tmp-... */
	const char *dir; /* its path */
	bool tmp; /* a group being created (not opened: st NULL) */
	int err; /* 0, or why rp_group_open_dir() refused it */
	struct rp_state *st; /* mapped while fn runs, when err == 0 */
	int socks_fd; /* open while fn runs, when err == 0 */
};
typedef void (*rp_group_fn)(const struct rp_group_view *g, void *arg);
typedef void (*rp_ns_fn)(const char *ns_dir, void *arg);

/*
 * Call fn for every entry of ns_dir (tmp-... ones only if with_tmp).
 * Returns the number of entries, or -errno if ns_dir cannot be read.
 */
int rp_walk_groups(const char *ns_dir, bool with_tmp, rp_group_fn fn,
		   void *arg);
/* Call fn for every netns directory under $pin_dir/v<layout>. */
int rp_walk_namespaces(const struct rp_config *cfg, rp_ns_fn fn, void *arg);

/*
 * reuseport setup: create the group of key in this process's network
 * namespace (the pin dir and the levels below it created and checked as
 * the shim does) with cfg's policy and max_slots, or take the existing one,
 * and hand it to uid / gid ((uid_t)-1 / (gid_t)-1: keep root's): pins
 * owned by uid, group gid, mode 0600, or 0660 with a gid; the group
 * directory stays root's (root:gid 0755), so nobody but root can replace
 * a pin. A new group is handed over before it is published. dir gets the
 * group's path. Returns 0 created, 1 it existed, or -errno (the reason in
 * rp_group_last_error()).
 */
int rp_group_setup(const struct rp_config *cfg, const struct rp_group_key *key,
		   uid_t uid, gid_t gid, char *dir, size_t dirlen);

/*
 * reuseport setup: the namespace's steering program of proto (and its
 * outer maps), loaded and pinned if missing. 0 or -errno.
 */
int rp_netns_setup(const struct rp_config *cfg, int proto);
/*
 * A new fd (O_CLOEXEC) of this namespace's outer map of state maps for
 * proto (its program loaded when missing), for programs that reach the
 * groups too (reuseport run's cgroup programs), or -errno.
 */
int rp_netns_groups_fd(const struct rp_config *cfg, int proto);

/*
 * Remove the group name of ns_dir: out of its namespace's outer maps, then
 * its pins and directory (with the namespace's lock, unless locked: the
 * caller holds it). 0 or -errno.
 */
int rp_group_unpublish(const struct rp_config *cfg, const char *ns_dir,
		       const char *name, bool locked);

/*
 * Create a sockarray and load the steering program as creating a group in
 * a new namespace would, then free them: 0 or the -errno. What creating a
 * group needs, asked of the kernel rather than assumed.
 */
int rp_pins_probe_load(const struct rp_config *cfg);

/*
 * The program counters of the group (enum rp_counter), as status and metrics
 * show them. runs is not counted by the program (one atomic less a run): every
 * run ends in exactly one outcome (RP_CNT_OUTCOMES), so it is their sum (also
 * for a group whose older program still counts it), taken from the values
 * rp_group_counters returns with it.
 */
void rp_group_counters(const struct rp_state *st, uint64_t out[RP_CNT_MAX]);

/* Live slots of a group, those of process except (0: none) left out. */
unsigned int rp_group_live_slots(const struct rp_state *st, int socks_fd,
				 pid_t except);
/*
 * Nobody uses this walker entry: a temporary directory whose creator is
 * gone, or a group at least min_age_ns old with no live slot.
 */
bool rp_group_dead(const struct rp_group_view *g, uint64_t min_age_ns);

/* Is every slot of the group in dir empty (its sockarray says)? */
bool rp_group_idle(const char *dir);
/* The namespace's lock (creators and removers): an fd, or -errno. */
int rp_netns_lock(const char *ns_dir);
void rp_netns_unlock(int fd);

/* Remove a group directory's pins and the directory: 0 or -errno. */
int rp_pins_remove(const char *dir);

/*
 * Kernel truth: listeners the kernel has in the group but the sockarray
 * does not. rp_group_unregistered() counts them (their socket inodes in
 * inodes[0..max)), -ENODATA for a group that does not know its address;
 * rp_group_check_kernel() also publishes the count in hdr.unregistered
 * (the program then uses the kernel hash) and logs a change.
 */
int rp_group_unregistered(struct rp_state *st, int socks_fd, uint32_t *inodes,
			  int max_inodes);
int rp_group_check_kernel(struct rp_state *st, int socks_fd, const char *name);

/*
 * Around the listen() (UDP: bind()) of a socket that joins the group:
 * rp_group_joining() notes it (rp_slot.joining), so that the kernel truth of
 * a member starting at the same time does not call it unregistered before
 * it registers; the socket's cookie, or 0 (no room: every entry of its
 * bucket is fresh, or no cookie). rp_group_joined() takes the note of the
 * socket of cookie back (at its slot claim, and after a call that failed).
 * errno is kept.
 */
uint64_t rp_group_joining(struct rp_state *st, int fd);
void rp_group_joined(struct rp_state *st, uint64_t cookie);

/* The kernel's cookie of socket fd: 0 or -errno. */
int rp_socket_cookie(int fd, uint64_t *cookie);

/*
 * The listeners the kernel would put in the group's kernel reuseport group
 * (kdiag.h rp_kernel_listeners() on the group's address): their count (may
 * exceed max), out[0..max-1] filled; -ENODATA if the group does not know
 * its address. Reads only.
 */
struct rp_kmember;
int rp_group_kernel_listeners(const struct rp_state *st, struct rp_kmember *out,
			      size_t max);

/* Is slot i of the group live (a socket is in the sockarray there)? */
bool rp_group_slot_live(int socks_fd, uint32_t i, uint64_t *cookie);

/* The interface libreuseport.so finds with dlsym() in libreuseport-steer.so */
#define RP_STEER_ABI 7
struct rp_steer_api {
	unsigned int abi;
	unsigned int state_size; /* sizeof(struct rp_state), the view */
	void (*init)(const struct rp_config *cfg);
	int (*open)(const struct rp_config *cfg, const struct rp_group_key *key,
		    struct rp_handle *h);
	int (*attach)(const struct rp_config *cfg,
		      const struct rp_group_key *key, int fd,
		      struct rp_handle *h, struct rp_member *out);
	void (*close_handle)(struct rp_handle *h);
	const char *(*last_error)(void);
	void (*unsteered)(struct rp_state *st, uint32_t pid, bool on);
	void (*at_exit)(void);
	int (*find)(const struct rp_config *cfg, const struct rp_group_key *key,
		    int fd, struct rp_member *out);
	uint64_t (*joining)(struct rp_state *st, int fd);
	void (*joined)(struct rp_state *st, uint64_t cookie);
	int (*leave)(const struct rp_config *cfg, struct rp_state *state,
		     int fd);
};
#define RP_STEER_API_SYMBOL "rp_steer_api"

#endif

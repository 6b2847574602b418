/* SPDX-License-Identifier: MIT */
/*
 * One read-only snapshot of the groups of this network namespace: a single
 * walk (rp_walk_groups), every group's header and live slots copied, and
 * the kernel's view (sock_diag) of every member listener: the real accept
 * queue and backlog, and the listeners of the kernel group that are not
 * registered. Nothing in shared state is written: counts that dead
 * processes left behind are subtracted in the copy, not in the map.
 * The renderers (render_text.c, render_json.c, render_prom.c), top and
 * the metrics server all work from it.
 */
#ifndef RP_SNAPSHOT_H
#define RP_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "steer.h"

/* Kernel listeners of a group not registered that are listed (all counted). */
#define SNAP_UNREG_MAX 16

struct snap_proc {
	uint32_t pid;
	int32_t active;
};

struct snap_slot {
	uint32_t slot, pid, instance, generation, weight;
	int32_t cpu; /* -1: not pinned to one CPU */
	uint64_t cookie, joined_ns;
	const char *
		state; /* "live", "draining", "old-gen", "stalled", "standby" */
	bool draining;
	bool standby; /* REUSEPORT_ROLE=standby */
	bool stalled; /* the stall guard passes it over now */
	bool adopted; /* registered by a supervisor for its owner */
	uint64_t selected, migrated, accepted;
	int64_t active, queued; /* queued: the hooks' count */
	bool kernel; /* the kernel reported the listener: the next two hold */
	uint32_t kqueue; /* TCP: accept queue now; UDP: bytes waiting */
	uint32_t kbacklog; /* TCP: accept queue limit; UDP: 0 */
	double selected_rate, accepted_rate; /* per second; < 0: unknown */
	int nprocs;
	struct snap_proc procs[RP_ACCT_PIDS];
};

struct snap_unreg {
	uint32_t inode, kqueue, kbacklog;
};

/* Listeners of the same port outside the group, one entry an endpoint. */
#define SNAP_OTHER_MAX 8
struct snap_other {
	const char *family; /* "ipv4" / "ipv6" */
	char addr[48];
	bool v6only;
	int ifindex;
	uint32_t listeners, kqueue; /* how many, their accept queues' sum */
	char group[256]; /* the snapshot's group of that endpoint, "" none */
	const char *receives; /* what the kernel's lookup gives it */
	bool warn; /* a listener the lookup never chooses for some traffic */
};

struct snap_group {
	char name[256];
	const char *proto; /* "tcp" / "udp" */
	const char *family; /* "ipv4" / "ipv6" */
	char addr[48]; /* "" when the group does not know it */
	uint16_t port;
	int ifindex;
	bool v6only;
	const char *policy;
	uint32_t max_slots, max_generation, unsteered;
	bool flows; /* REUSEPORT_UDP_FLOWS: the flow table is on */
	uint32_t flow_max; /* its size */
	long flow_entries; /* entries now, -1: unknown */
	uint32_t stall_queue, stall_ms; /* REUSEPORT_STALL, 0 ms: off */
	int unregistered; /* kernel listeners not registered, -1: unknown */
	/*
	 * What the program does now: every choice the kernel hash's
	 * (kernel_hash) because of members that could not register
	 * (kh_unsteered), listeners a check found outside the map
	 * (kh_unregistered, as last published) or one the program itself saw
	 * (kh_outsider: md->sk's cookie not registered, outsider_cookie).
	 */
	bool kernel_hash, kh_outsider;
	uint32_t kh_unsteered, kh_unregistered;
	uint64_t outsider_cookie;
	int kernel_err; /* 0, or the -errno of asking the kernel */
	int nother; /* entries of other[] */
	struct snap_other other[SNAP_OTHER_MAX];
	int nunreg; /* entries of unreg[] */
	struct snap_unreg unreg[SNAP_UNREG_MAX];
	uint64_t counters[RP_CNT_MAX];
	uint32_t live; /* entries of slots[] */
	struct snap_slot *slots;
	double selected_rate; /* sum of the slots'; < 0: unknown */
};

struct snapshot {
	uint64_t mono_ns; /* CLOCK_MONOTONIC when taken */
	double wall; /* seconds since the epoch when taken */
	double interval_s; /* the rates' interval, 0: no rates */
	char pin_dir[RP_PIN_DIR_MAX + 1];
	char ns_dir[4096];
	int ngroups;
	struct snap_group *groups;
	int errors; /* groups that could not be read */
	/*
	 * The pin dir is not on a bpffs: no group read, but the ports shared
	 * with no group below were (snap_take() returned -1).
	 */
	bool no_bpffs;
	/*
	 * Ports several listeners share with no group of this snapshot: the
	 * kernel hash, nobody steering (snap_neighbours).
	 */
	int nunsteered;
	struct snap_port {
		const char *proto; /* "tcp" / "udp" */
		const char *family; /* "ipv4" / "ipv6" */
		char addr[48];
		uint16_t port;
		uint32_t listeners;
	} unsteered[SNAP_OTHER_MAX];
};

/*
 * Take a snapshot of the groups matching spec (NULL: all). Failures to
 * read a group are counted in s->errors and reported on errf (unless
 * NULL). Returns 0, or -1 if the namespace directory cannot be found
 * (reported on errf); a missing directory means no groups (0).
 */
int snap_take(struct snapshot *s, const struct rp_config *cfg, const char *spec,
	      FILE *errf);
/*
 * Every group's neighbours: the kernel's listeners on its port outside it
 * (another family, another address, a dual-stack socket), and what the
 * kernel's lookup gives them (neighbours.c).
 */
void snap_neighbours(struct snapshot *s);
/* Rates of s from the counters of prev, an earlier snapshot. */
void snap_rates(struct snapshot *s, const struct snapshot *prev);
void snap_free(struct snapshot *s);

/* "ADDR:PORT" or "[ADDR]:PORT" of a group, into buf. */
const char *snap_endpoint(const struct snap_group *g, char *buf, size_t len);

/* Renderers: 0, or -1 on a write error. */
int render_text(FILE *f, const struct snapshot *s);
int render_json(FILE *f, const struct snapshot *s);
int render_prom(FILE *f, const struct snapshot *s);

#endif

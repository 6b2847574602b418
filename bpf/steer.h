/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by the steering programs (bpf/) and user space (common/,
 * group/, preload/, cli/). Everything a network namespace and its groups
 * keep in bpffs is described here; the pin path carries RP_LAYOUT so a
 * shim with another layout never misreads it.
 *
 * One program per protocol serves every group of a network namespace.
 * Each group has two maps of its own, sized by its slots: its
 * REUSEPORT_SOCKARRAY and its state, an array of 128-byte elements (a pair
 * of cache lines each; CPUs fetch lines in aligned pairs) that user space
 * maps whole and the program reads an element at a time. The namespace's
 * outer maps (ARRAY_OF_MAPS) hold every group's two maps at the group's
 * index, which the program finds from the listener the kernel's lookup hit
 * (md->sk: port, family, address, device).
 */
#ifndef RP_STEER_H
#define RP_STEER_H

#include <linux/types.h>

#define RP_LAYOUT 3
#define RP_MAGIC 0x52505354u /* "RPST" */

/* Upper bound of REUSEPORT_MAX_SLOTS. */
#define RP_MAX_SLOTS 4096
#define RP_DEFAULT_SLOTS 256

/* An element of a group's state map: a pair of cache lines. */
#define RP_ELEM 128

/*
 * A network namespace's groups of one protocol: the size of the outer
 * maps, and how many indexes after its hash a group may sit at (open
 * addressing; the program tries them in turn).
 */
#define RP_GROUPS 8192
#define RP_GROUP_PROBES 8

/*
 * leastconn compares the loads of every slot up to this many (exact: one
 * cache line of loads); beyond, the lighter of two random slots (power of
 * two choices).
 */
#define RP_SCAN_MAX 8
/* when that choice cannot be taken: exact over eligible slots up to this */
#define RP_SCAN_EXACT 64
/* the load of a slot nobody may be given: unused, gone, standby */
#define RP_LOAD_AWAY (1ll << 40)

/*
 * The sticky policy's Maglev table: a prime at least RP_STICKY_PER_SLOT
 * times the group's slots (about 3 % of imbalance between members), at
 * most RP_STICKY_MAX buckets.
 */
#define RP_STICKY_PER_SLOT 32
#define RP_STICKY_MIN 257
#define RP_STICKY_MAX 65537
/*
 * The weighted policy's cycle: RP_WSCHED_MIN turns, or RP_WSCHED_PER_SLOT
 * a slot in a larger group, at most RP_WSCHED_MAX. Weights whose sum is
 * larger are scaled into it; ten members of the default weight (100), or
 * a canary of weight 1 beside them, keep their exact shares.
 */
#define RP_WSCHED_MIN 1024
#define RP_WSCHED_PER_SLOT 4
#define RP_WSCHED_MAX 8192
/* the cpu policy: members per CPU (the hash picks one); an element a CPU */
#define RP_CPU_WAYS 63
#define RP_CPU_MANY 0xffffu
#define RP_CPU_MAX 4096

/* enum rp_policy and enum rp_counter: the registry generates them. */
#include "registry.h"

#define RP_SLOT_DRAINING 0x1u
/* REUSEPORT_ROLE=standby: used only when no primary member is eligible */
#define RP_SLOT_STANDBY 0x2u
/* the kernel truth has corrected queued: the stall guard may trust it */
#define RP_SLOT_KQUEUE 0x4u
/*
 * Registered by a supervisor for its owner (a binary the shim does not
 * reach): the kernel's cgroup programs count its connections.
 */
#define RP_SLOT_ADOPTED 0x8u
/*
 * The kernel counts its connections (a supervisor tagged the listener for
 * its cgroup programs): the hooks leave active and the load alone.
 */
#define RP_SLOT_KCOUNT 0x10u

/* rp_hot.flags */
/* UDP: keep each flow on its member (REUSEPORT_UDP_FLOWS) */
#define RP_HDR_FLOWS 0x2u
/* rp_meta.flags */
/* prepared by reuseport setup: kept when empty, its policy too */
#define RP_META_PREPARED 0x1u
#define RP_ADDR_V6ONLY 0x2u

#define RP_UNSTEERED_PIDS 16
/* Processes whose accepted connections are counted per slot. */
#define RP_ACCT_PIDS 16
#define RP_STALL_NEVER (1ll << 62)
/*
 * Notes of sockets between their listen() (UDP: bind()) and their
 * registration: a bucket's entries and how long a note holds.
 */
#define RP_JOINING 8
#define RP_JOINING_SECS 5

/*
 * Element 0: the program's pair. Line 1 is all a run of the common path
 * reads of the group (and the rotation it writes); line 2 what some runs
 * read. Written by user space when the group is created and by the
 * command (policy), never on an accept.
 */
struct __attribute__((aligned(128))) rp_hot {
	/* line 1: the group's identity, as md->sk shows it */
	__u32 addr[4]; /* bound address, network order; IPv4 in addr[0] */
	__u16 port; /* host order */
	__u16 family; /* AF_INET / AF_INET6 */
	__u32 ifindex; /* bound device, 0 for none */
	__u32 policy; /* enum rp_policy, never AUTO once created */
	__u32 nslots; /* 1 + highest slot index ever claimed */
	__u32 max_generation; /* newest generation that registered */
	/*
	 * Nonzero: every choice is the kernel hash's, which reaches every
	 * member. The sum of what user space saw (members it could not
	 * register, listeners outside the map) and what the program saw
	 * (RP_KH_OUTSIDER: md->sk is not registered).
	 */
	__u32 kernel_hash;
	__u64 rr; /* round robin cursor (roundrobin, weighted, leastconn) */
	/*
	 * stall_queue while the stall guard is on (TCP), else
	 * RP_STALL_NEVER: the common path's one comparison.
	 */
	__s64 stall_limit;
	__u32 flags; /* RP_HDR_* */
	__u32 looked; /* jiffies (low 32 bits) of the last look at md->sk */
	/* line 2 */
	__u32 stall_ms;
	__u32 stall_queue;
	__u32 wsched_len; /* turns of the weighted cycle, 0: none built */
	__u32 flow_sets; /* sets of the flow table (RP_HDR_FLOWS) */
	__u32 max_slots; /* the sockarray's max_entries */
	__u32 sticky_size; /* buckets of the Maglev table (a prime) */
	__u32 ncpu; /* elements of the cpu table */
	/* where the regions start, in elements (see rp_layout()) */
	__u32 off_slots;
	__u32 off_load;
	__u32 off_sticky;
	__u32 off_wsched;
	__u32 off_cpu;
	/*
	 * The program's own finding (kernel truth without user space):
	 * the cookie of a listener the kernel's lookup hit that is not
	 * registered, and of the last one found registered.
	 */
	__u64 outsider;
	__u64 insider;
};
/* rp_hot.kernel_hash: the program's part */
#define RP_KH_OUTSIDER 0x80000000u

/*
 * Element 1: user space's description of the group, written once when it
 * is created (covered by the checksum) and then its mutable fields.
 */
struct __attribute__((aligned(128))) rp_meta {
	__u32 magic;
	__u32 layout;
	__u32 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u32 family;
	__u32 port;
	__u32 max_slots;
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
	__s32 ifindex;
	__u32 addr_flags; /* RP_ADDR_V6ONLY */
	__u64 created_ns;
	__u32 index; /* in the namespace's outer maps */
	__u32 elems; /* the state map's max_entries */
	__u32 ncpu; /* entries of the cpu table */
	__u32 checksum; /* of what the creator wrote once (rp_state_sum) */
	/* mutable */
	__u32 flags; /* RP_META_* */
	__u32 unsteered; /* members outside the map: nonzero unsteered_pid */
	__u32 unregistered; /* listeners of the kernel group outside the map */
	__u32 pidns; /* pid namespace of unsteered_pid */
	__u32 pad1[4];
};

/* Element 2: processes whose member socket could not be registered. */
struct __attribute__((aligned(128))) rp_outside {
	__u32 unsteered_pid[RP_UNSTEERED_PIDS];
	__u32 pad[32 - RP_UNSTEERED_PIDS];
};

/* Elements 3-4: the program's counters, written at rarer events. */
#define RP_NCOUNTERS 32
struct __attribute__((aligned(128))) rp_counters {
	__u64 c[RP_NCOUNTERS / 2];
};

/*
 * A slot: three elements. A slot is live only while the sockarray holds a
 * socket at its index: the kernel empties it when the socket dies, the
 * rest stays until the slot is claimed again.
 */
struct __attribute__((aligned(128))) rp_slot_run {
	/*
	 * line 1: what the program reads at every choice (set when the slot
	 * is claimed, flags by the command) and writes then
	 */
	__u64 cookie; /* SO_COOKIE of the registered socket */
	/*
	 * The program found the sockarray slot empty while cookie had this
	 * value: skip the slot until a new socket (new cookie) claims it.
	 */
	__u64 dead_cookie;
	__u32 flags; /* RP_SLOT_* */
	__u32 generation; /* REUSEPORT_GENERATION */
	__s32 cpu; /* the single CPU the process is pinned to, or -1 */
	__u32 pad0;
	__u64 selected; /* program chose this slot (incl. migrations) */
	/*
	 * Stall guard (TCP), the program's notes: dequeued at its last look
	 * (stall_seen, a look at most every stall_queue selections:
	 * stall_next) and when (stall_ns). See bpf/stall.h.
	 */
	__u64 stall_seen;
	__u64 stall_next;
	__u64 stall_ns;
	/* line 2: the rest of the metadata, and the program's rarer writes */
	__u32 pid; /* process that registered it */
	__u32 pidns; /* pid namespace inode of pid (and of acct_pid) */
	__u64 joined_ns; /* CLOCK_MONOTONIC at registration */
	__u32 instance; /* REUSEPORT_INSTANCE (reuseport run), 0 = none */
	__u32 weight; /* REUSEPORT_WEIGHT */
	__u64 migrated; /* of the selections, migrations into this slot */
	__s64 current; /* weighted: smooth weighted round robin state */
	__u64 flow_hits; /* UDP datagrams of known flows, common path */
	__u64 pad2[2];
};

/* The second element: written by the accept and close hooks. */
struct __attribute__((aligned(128))) rp_slot_acct {
	/* TCP: queued (waiting in the accept queue) is selected - dequeued */
	__u64 dequeued; /* accepts seen, and the kernel truth's corrections */
	__s64 active; /* accepted, not yet closed */
	__u64 accepted; /* accept() returns seen by the shim */
	/* an adopted member's connections closed (cgroup/sock_release) */
	__u64 released;
	/*
	 * REUSEPORT_STEAL (preload/steal.c), written by the owner's hooks:
	 * CLOCK_MONOTONIC of its last accept, its listener's fd number + 1
	 * (0: unknown), and the lock a stealer holds while it takes from
	 * this slot (the pid of the stealer, 0 free)
	 */
	__u64 last_accept_ns;
	__s32 listen_fd1;
	__u32 steal_lock;
	__u64 pad3[2];
	/*
	 * each process's share of active, so the share of a process that
	 * died without closing (kill -9, a forked worker) can be taken back
	 */
	__s32 acct_active[RP_ACCT_PIDS];
};

/* The third element: the owners of acct_active, and a bucket of notes. */
struct __attribute__((aligned(128))) rp_slot_own {
	__u32 acct_pid[RP_ACCT_PIDS];
	/*
	 * Not this slot's own: a bucket of the group's notes of sockets on
	 * their way in (rp_group_joining()). An entry: the low 32 bits of
	 * the socket's cookie << 32 | the CLOCK_MONOTONIC second of the note
	 * + 1; 0, or older than RP_JOINING_SECS: free.
	 */
	__u64 joining[RP_JOINING];
};

struct rp_slot {
	struct rp_slot_run r;
	struct rp_slot_acct a;
	struct rp_slot_own o;
};

/* The cpu policy's members pinned to one CPU (an element). */
struct __attribute__((aligned(128))) rp_cpu_members {
	__u16 n; /* members pinned to this CPU, 0 for none, or RP_CPU_MANY */
	__u16 slot[RP_CPU_WAYS];
};

/* 16 leastconn loads, 64 sticky buckets, 64 weighted turns an element. */
#define RP_LOADS_PER_ELEM (RP_ELEM / 8)
#define RP_U16_PER_ELEM (RP_ELEM / 2)
struct rp_loads {
	__s64 l[RP_LOADS_PER_ELEM];
};
struct rp_u16s {
	__u16 v[RP_U16_PER_ELEM];
};

/* The fixed elements before the slots. */
#define RP_E_HOT 0
#define RP_E_META 1
#define RP_E_OUTSIDE 2
#define RP_E_COUNTERS 3
#define RP_E_SLOTS 5
#define RP_SLOT_ELEMS 3

/*
 * UDP flow table: a flow -> its member. A flow is the kernel's hash of
 * the datagram's 4-tuple (md->hash) and its source port. The table is an
 * array of sets of RP_FLOW_WAYS entries, 128 bytes each: the hash picks
 * the set, a new flow takes a free entry or the one used longest ago.
 */
#define RP_FLOW_WAYS 8

struct rp_flow_key {
	__u32 hash; /* md->hash */
	__u32 port; /* network order, in the low 16 bits */
};

struct rp_flow {
	__u32 hash; /* md->hash */
	__u16 port; /* source port, network order */
	__u16 slot;
	__u32 cookie; /* low 32 bits of the member's SO_COOKIE when placed */
	__u32 used; /* jiffies | 1 when placed or last refreshed; 0: free */
};

struct __attribute__((aligned(128))) rp_flow_set {
	struct rp_flow e[RP_FLOW_WAYS];
};

#define RP_FLOWS_DEFAULT 65536
#define RP_FLOWS_MIN 64
#define RP_FLOWS_MAX 4194304

/*
 * A namespace's owners map (user space's alone, beside the outer maps):
 * whose group is at each index. An outer entry whose state map is not its
 * owner's is stale (a creator died before publishing); an owner with the
 * identity of a group being created lost its directory (removed by hand)
 * and is replaced.
 */
/*
 * An adopted listener's tag in the supervisor's socket storage, copied into
 * every connection the kernel makes from it: where its slot is.
 */
struct rp_tag {
	__u32 group; /* index in the namespace's outer maps */
	__u32 slot;
	__u64 cookie; /* the listener's: the slot still holds it */
};

struct rp_owner {
	__u32 state_id; /* the state map's id, 0 for none */
	__u32 port_family; /* as rp_hot: port << 16 | family */
	__u32 addr[4];
	__u32 ifindex;
};

/* A 32-bit finaliser (murmur3's): the program's hashes of a hash. */
static inline __attribute__((always_inline)) __u32 rp_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/*
 * Where a group's maps sit in its namespace's outer maps: the first free
 * index from this hash of what md->sk shows of a member (port << 16 |
 * family, the bound address in network order, the device), modulo
 * RP_GROUPS. The program and user space both compute it here.
 */
static inline __attribute__((always_inline)) __u32
rp_ident_hash(__u32 port_family, const __u32 addr[4], __u32 ifindex)
{
	return rp_mix32(port_family ^ rp_mix32(addr[0] ^ addr[1] ^ addr[2] ^
					       addr[3] ^ ifindex));
}

#define RP_OFF(t, f) __builtin_offsetof(struct t, f)
_Static_assert(sizeof(struct rp_hot) == RP_ELEM, "the hot header: a pair");
_Static_assert(RP_OFF(rp_hot, looked) + 4 <= 64, "hot line 1: all a run reads");
_Static_assert(sizeof(struct rp_meta) == RP_ELEM, "meta: an element");
_Static_assert(sizeof(struct rp_outside) == RP_ELEM, "an element");
_Static_assert(sizeof(struct rp_counters) == RP_ELEM, "an element");
_Static_assert(RP_CNT_MAX <= RP_NCOUNTERS, "counters fit two elements");
_Static_assert(sizeof(struct rp_slot_run) == RP_ELEM, "slot: the program's");
_Static_assert(RP_OFF(rp_slot_run, stall_ns) + 8 <= 64,
	       "slot line 1: all a run reads and writes");
_Static_assert(sizeof(struct rp_slot_acct) == RP_ELEM, "slot: the hooks'");
_Static_assert(sizeof(struct rp_slot_own) == RP_ELEM, "slot: owners");
_Static_assert(sizeof(struct rp_slot) == RP_SLOT_ELEMS * RP_ELEM, "a slot");
_Static_assert(sizeof(struct rp_cpu_members) == RP_ELEM, "a CPU: an element");
_Static_assert(sizeof(struct rp_flow_set) == RP_ELEM, "a flow set: a pair");
#undef RP_OFF

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by the steering program (bpf/steer.bpf.c) and user space
 * (common/, group/, preload/, cli/). Everything a group keeps in bpffs is described here; the pin
 * path carries RP_LAYOUT so a shim with another layout never misreads it.
 */
#ifndef RP_STEER_H
#define RP_STEER_H

#include <linux/types.h>

#define RP_LAYOUT 2
#define RP_MAGIC 0x52505354u /* "RPST" */

/* Upper bound of REUSEPORT_MAX_SLOTS; the state map always has room for it. */
#define RP_MAX_SLOTS 4096
#define RP_DEFAULT_SLOTS 256

/*
 * leastconn compares the loads of every slot up to this many (exact: one
 * cache line of rp_state.load); beyond, the lighter of two random slots
 * (power of two choices).
 */
#define RP_SCAN_MAX 8
/* when that choice cannot be taken: exact over eligible slots up to this */
#define RP_SCAN_EXACT 64
/* rp_state.load of a slot nobody may be given: unused, gone, standby */
#define RP_LOAD_AWAY (1ll << 40)

/* Maglev lookup table of the sticky policy: a prime well above RP_MAX_SLOTS. */
#define RP_STICKY_SIZE 65537
/* The weighted policy's schedule (group/schedule.c): 2 * RP_MAX_SLOTS */
#define RP_WSCHED_SIZE 8192
/*
 * The cpu policy's members per CPU, up to RP_CPU_WAYS each (the hash
 * picks one; two cache lines a CPU); CPUs beyond RP_CPU_SLOTS, or with more
 * members, scan.
 */
#define RP_CPU_SLOTS 1024
#define RP_CPU_WAYS 63
/* struct rp_cpu_members.n of a CPU with more than RP_CPU_WAYS members */
#define RP_CPU_MANY 0xffffu

/* enum rp_policy and enum rp_counter: the registry generates them. */
#include "registry.h"

#define RP_SLOT_DRAINING 0x1u
/* REUSEPORT_ROLE=standby: used only when no primary member is eligible */
#define RP_SLOT_STANDBY 0x2u
/* kernel truth (truth.c) has corrected queued: the stall guard may trust it */
#define RP_SLOT_KQUEUE 0x4u
/* prepared by reuseport setup: kept when empty, its policy too */
#define RP_HDR_PREPARED 0x1u
/* UDP: keep each flow on its member (the flows map, REUSEPORT_UDP_FLOWS) */
#define RP_HDR_FLOWS 0x2u
#define RP_ADDR_KNOWN 0x1u
#define RP_ADDR_V6ONLY 0x2u
#define RP_UNSTEERED_PIDS 16

/* Processes whose accepted connections are counted per slot (leastconn). */
#define RP_ACCT_PIDS 16
#define RP_STALL_NEVER (1ll << 62)
/*
 * Notes of sockets between their listen() (UDP: bind()) and their
 * registration, that the kernel truth does not call unregistered: a
 * bucket's entries (rp_slot.joining) and how long a note holds.
 */
#define RP_JOINING 8
#define RP_JOINING_SECS 5

/*
 * Per-slot metadata (written by the process that claimed the slot and by the
 * CLI) and counters (written by the program and the accept/close hooks).
 * A slot is live only while the sockarray holds a socket at that index: the
 * kernel empties it when the socket dies, the metadata stays until reused.
 *
 * A run of the program is cold in the caches, so its cost follows the
 * lines it touches: the common path reads and writes line 1 of its slot
 * only. User space writes lines 3-4, 128 bytes away: CPUs fetch lines in
 * aligned pairs, so a hook's write would otherwise steal the program's.
 */
struct __attribute__((aligned(128))) rp_slot {
	/*
	 * line 1: what the program reads at every choice (set when the slot
	 * is claimed, flags by the CLI) and what it writes then (reset when
	 * the slot is claimed)
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
	 * Stall guard (TCP), the program's: dequeued at its last note
	 * (stall_seen, a note at most every stall_queue selections:
	 * stall_next) and when (stall_ns). See stall_look().
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
	/*
	 * lines 3-4: written by user space (the accept and close hooks, the
	 * kernel truth). TCP: the connections waiting in the accept queue
	 * (queued) are selected - dequeued, see rp_slot_queued().
	 */
	__u64 dequeued; /* accepts seen, and the kernel truth's corrections */
	__s64 active; /* accepted, not yet closed */
	__u64 accepted; /* accept() returns seen by the shim */
	__u64 pad3[5];
	/*
	 * each process's share of active, so the share of a process that
	 * died without closing (kill -9, a forked worker) can be taken back
	 * (group.c rp_group_gc, and the shim's exit handler); line 5 holds
	 * the owners, written once per process.
	 */
	__s32 acct_active[RP_ACCT_PIDS];
	__u32 acct_pid[RP_ACCT_PIDS];
	/*
	 * line 6, not this slot's own: a bucket of the group's notes of
	 * sockets on their way in. Members that start together are in the
	 * kernel group from their listen() on, before their registration;
	 * each shim notes its socket first, in the bucket of slot (cookie %
	 * max_slots) (group/truth.c rp_group_joining), so that the
	 * kernel truth does not call it unregistered meanwhile. An entry:
	 * the low 32 bits of the socket's cookie << 32 | the CLOCK_MONOTONIC
	 * second of the note + 1; 0, or older than RP_JOINING_SECS (its
	 * process died in between): free.
	 */
	__u64 joining[RP_JOINING];
};

/*
 * The common path of the program reads line 1 and nothing else of the
 * header, and writes the round robin cursor there: a run is cold in the
 * caches, so every line it touches costs.
 */
struct __attribute__((aligned(128))) rp_hdr {
	/* line 1: what the program reads at every run */
	__u32 policy; /* enum rp_policy, never AUTO once created */
	__u32 nslots; /* 1 + highest slot index ever claimed */
	__u32 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u32 max_generation; /* newest generation that registered */
	__u32 unsteered; /* members outside the map: nonzero unsteered_pid */
	/*
	 * Listeners the kernel has in this group that are not in the map
	 * (kernel truth, see group/truth.c): while nonzero the
	 * program leaves every choice to the kernel hash.
	 */
	__u32 unregistered;
	__u32 flags; /* RP_HDR_* */
	/*
	 * Stall guard: a TCP member with at least stall_queue connections
	 * waiting and no accept for stall_ms gets no new connection while
	 * another is eligible. stall_ms 0: off.
	 */
	__u32 stall_ms;
	__u32 stall_queue;
	__u32 wsched_len; /* entries of wsched (weighted), 0: none built */
	__u64 rr; /* round robin cursor (roundrobin, weighted, leastconn) */
	__u32 flow_sets; /* sets of the flows map (RP_HDR_FLOWS) */
	__u32 pad1;
	/*
	 * stall_queue while the guard is on (TCP, stall_ms), else
	 * RP_STALL_NEVER: the common path's one comparison (first_ok()).
	 */
	__s64 stall_limit;
	/* line 2: user space's */
	__u32 magic;
	__u32 layout;
	__u32 max_slots; /* sockarray max_entries */
	__u32 family; /* AF_INET / AF_INET6 */
	__u32 port; /* host order */
	__u32 pad_version; /* unused (layout 2 keeps its place) */
	__u32 pidns; /* pid namespace of unsteered_pid */
	__u32 pad2;
	__u64 created_ns;
	/* the group's address, for asking the kernel */
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
	__s32 ifindex; /* bound device, 0 for none */
	__u32 addr_flags; /* RP_ADDR_* */
	/* line 3: processes whose member socket could not be registered */
	__u32 unsteered_pid[RP_UNSTEERED_PIDS];
	/* lines 4-5: written by the program, at rarer events */
	__u64 counters[RP_CNT_MAX];
	__u64 pad3[16 - RP_CNT_MAX];
};

/*
 * UDP flow table: a flow -> its member. A flow is the kernel's hash of
 * the datagram's 4-tuple (md->hash) and its source port: no helper call
 * to read the address, and two flows share an entry only if both their
 * 32-bit hashes and their ports are equal. The table is an array of sets
 * of RP_FLOW_WAYS entries, 128 bytes each (a pair of lines): the hash
 * picks the set, a new flow takes a free entry or the one used longest
 * ago (used: jiffies), so a flow is displaced only when RP_FLOW_WAYS
 * newer flows share its set. No call: an array lookup is inlined.
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

/*
 * REUSEPORT_UDP_FLOWS=1: entries of the table; the bounds of a number
 * (rounded up to whole sets)
 */
#define RP_FLOWS_DEFAULT 65536
#define RP_FLOWS_MIN 64
#define RP_FLOWS_MAX 4194304

struct __attribute__((aligned(64))) rp_cpu_members {
	__u16 n; /* members pinned to this CPU, 0 for none, or RP_CPU_MANY */
	__u16 slot[RP_CPU_WAYS];
};

struct rp_state {
	struct rp_hdr hdr;
	struct rp_slot slots[RP_MAX_SLOTS];
	/*
	 * leastconn: each slot's connections in flight (queued + active),
	 * side by side so that a scan reads one line for 8 slots. Kept only
	 * under leastconn: the program adds one for each connection it hands
	 * a slot, the close hook and the corrections of queued and active
	 * take off (share.c). RP_LOAD_AWAY on top: a slot not in use, a
	 * standby member, a member the program found gone.
	 */
	__s64 load[RP_MAX_SLOTS];
	__u16 sticky[RP_STICKY_SIZE]; /* slot per Maglev bucket (sticky policy) */
	__u16 wsched[RP_WSCHED_SIZE]; /* weighted: a cycle of slots */
	/* cpu: the members pinned to each CPU */
	struct rp_cpu_members cpu_slot[RP_CPU_SLOTS];
};

/*
 * The lines a run touches (docs/DESIGN.md 4.2): a change that moves a
 * field across them fails to build, here and in the program.
 */
#define RP_OFF(t, f) __builtin_offsetof(struct t, f)
_Static_assert(sizeof(struct rp_slot) == 384, "a slot is 3 line pairs");
_Static_assert(RP_OFF(rp_slot, stall_ns) + 8 <= 64,
	       "slot line 1: all a run reads and writes");
_Static_assert(RP_OFF(rp_slot, pid) == 64, "slot line 2: metadata");
_Static_assert(RP_OFF(rp_slot, dequeued) == 128,
	       "user space's lines start a pair of their own");
_Static_assert(RP_OFF(rp_hdr, stall_limit) + 8 <= 64,
	       "header line 1: all a run reads");
_Static_assert(RP_OFF(rp_hdr, magic) == 64, "header line 2: user space's");
_Static_assert(RP_OFF(rp_slot, joining) == 320,
	       "the notes take the slot's free line 6: layout 2 unchanged");
_Static_assert(sizeof(struct rp_flow_set) == 128,
	       "a flow set is one line pair");
#undef RP_OFF

#endif

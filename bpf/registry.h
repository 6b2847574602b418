/* SPDX-License-Identifier: MIT */
/*
 * The one list of policies and program counters. Everything that names
 * them is generated from these tables: the enums in steer.h, the names and
 * help texts in user space (common/registry_names.c), the accepted values
 * of REUSEPORT_POLICY and `reuseport policy`, the status/metrics labels.
 * The BPF program has one case per policy and counts an unknown value.
 *
 * RP_REGISTRY(POLICY, COUNTER) expands POLICY(ENUM, name, help) for each
 * policy and COUNTER(ENUM, name, help) for each counter; pass RP_X_SKIP for
 * the kind not wanted. Order is ABI: the values are stored in the pinned
 * state map, so new entries go at the end of their kind.
 */
#ifndef RP_REGISTRY_H
#define RP_REGISTRY_H

/* clang-format off */
#define RP_REGISTRY(POLICY, COUNTER) \
	POLICY(AUTO, auto, "roundrobin for TCP, hash for UDP (resolved when the group is created)") \
	POLICY(ROUNDROBIN, roundrobin, "exact rotation over live, non-draining members") \
	POLICY(HASH, hash, "the kernel's flow hash over live members; stable per flow") \
	POLICY(LEASTCONN, leastconn, "fewest queued + active connections") \
	POLICY(WEIGHTED, weighted, "smooth weighted rotation by REUSEPORT_WEIGHT") \
	POLICY(CPU, cpu, "the member pinned to the CPU that received the packet, else hash") \
	POLICY(STICKY, sticky, "consistent hashing (Maglev) of the client address") \
	COUNTER(RUNS, runs, "program invocations") \
	COUNTER(STEERED, steered, "selected a registered socket for a new connection or datagram") \
	COUNTER(INELIGIBLE, ineligible, "only draining or older-generation members were live: used one") \
	COUNTER(EMPTY, empty, "no registered socket was live: kernel hash") \
	COUNTER(UNSTEERED, unsteered, "the group has members outside the map: kernel hash") \
	COUNTER(MIGRATED, migrated, "a closing listener's connection handed to a live member") \
	COUNTER(MIGRATE_EMPTY, migrate_empty, "migration with no live member: kernel pick") \
	COUNTER(SELECT_ERROR, select_error, "bpf_sk_select_reuseport failed other than ENOENT") \
	COUNTER(BAD_POLICY, bad_policy, "the group's policy is unknown to this program: roundrobin used") \
	COUNTER(FLOW_HITS, flow_hits, "UDP datagram of a known flow sent to its member") \
	COUNTER(FLOW_NEW, flow_new, "UDP flow not in the table: placed by the policy and inserted") \
	COUNTER(FLOW_STALE, flow_stale, "UDP flow whose member is gone: placed again") \
	COUNTER(STALL_SKIPS, stall_skips, "a stalled member (queue growing, no accept) was passed over")
/* clang-format on */

#define RP_X_SKIP(e, n, h)
#define RP_X_ENUM_POLICY(e, n, h) RP_POLICY_##e,
#define RP_X_ENUM_COUNTER(e, n, h) RP_CNT_##e,

enum rp_policy { RP_REGISTRY(RP_X_ENUM_POLICY, RP_X_SKIP) RP_POLICY_MAX };
enum rp_counter { RP_REGISTRY(RP_X_SKIP, RP_X_ENUM_COUNTER) RP_CNT_MAX };

/*
 * The outcomes of a run: each run of the program for a group ends in
 * exactly one of them (steer.bpf.c: unsteered, empty and migrate_empty
 * where it returns them, migrated for a migration that took a slot,
 * steered for any other run that took one; the program counts steered
 * only as the slot's selected - migrated, see group/counters.c), so runs
 * is their sum. The other counters tell more about some runs: ineligible
 * is part of steered or migrated, select_error and stall_skips can count
 * more than once in a run, bad_policy and the flow table's count in runs of
 * any outcome. A run the program cannot place in a group (a listener of no
 * group of this namespace's) is no group's and not counted.
 */
#define RP_CNT_OUTCOMES                                                       \
	(1u << RP_CNT_STEERED | 1u << RP_CNT_UNSTEERED | 1u << RP_CNT_EMPTY | \
	 1u << RP_CNT_MIGRATED | 1u << RP_CNT_MIGRATE_EMPTY)
#define RP_CNT_IS_OUTCOME(c) ((RP_CNT_OUTCOMES >> (c)) & 1u)

#endif

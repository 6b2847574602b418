/* SPDX-License-Identifier: MIT */
/*
 * The one list of policies and program counters. Everything that names
 * them is generated from these tables: the enums in steer.h, the names and
 * help texts in user space (preload/common/registry.c), the accepted values
 * of REUSEPORT_POLICY and `reuseport policy`, the status/metrics labels.
 * The BPF program has one case per policy and counts an unknown value.
 *
 * X(ENUM, name, help). Order is ABI: the values are stored in the pinned
 * state map, so new entries go at the end.
 */
#ifndef RP_REGISTRY_H
#define RP_REGISTRY_H

/* clang-format off */
#define RP_POLICIES(X)                                                        \
	X(AUTO, auto, "roundrobin for TCP, hash for UDP (resolved when the group is created)") \
	X(ROUNDROBIN, roundrobin, "exact rotation over live, non-draining members") \
	X(HASH, hash, "the kernel's flow hash over live members; stable per flow") \
	X(LEASTCONN, leastconn, "fewest queued + active connections")            \
	X(WEIGHTED, weighted, "smooth weighted rotation by REUSEPORT_WEIGHT")    \
	X(CPU, cpu, "the member pinned to the CPU that received the packet, else hash") \
	X(STICKY, sticky, "consistent hashing (Maglev) of the client address")

#define RP_COUNTERS(X)                                                        \
	X(RUNS, runs, "program invocations")                                      \
	X(STEERED, steered, "selected an eligible registered socket")            \
	X(INELIGIBLE, ineligible, "only draining or older-generation members were live: used one") \
	X(EMPTY, empty, "no registered socket was live: kernel hash")            \
	X(UNSTEERED, unsteered, "the group has members outside the map: kernel hash") \
	X(MIGRATED, migrated, "a closing listener's connection handed to a live member") \
	X(MIGRATE_EMPTY, migrate_empty, "migration with no live member: kernel pick") \
	X(SELECT_ERROR, select_error, "bpf_sk_select_reuseport failed other than ENOENT") \
	X(BAD_POLICY, bad_policy, "the group's policy is unknown to this program: roundrobin used")
/* clang-format on */

#define RP_X_ENUM_POLICY(e, n, h) RP_POLICY_##e,
#define RP_X_ENUM_COUNTER(e, n, h) RP_CNT_##e,

enum rp_policy { RP_POLICIES(RP_X_ENUM_POLICY) RP_POLICY_MAX };
enum rp_counter { RP_COUNTERS(RP_X_ENUM_COUNTER) RP_CNT_MAX };

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A network namespace's outer map of the groups' state maps, as both
 * programs that read a group's state declare it: the steering program
 * (steer_common.bpf.h) and the cgroup programs (cgroup.bpf.c, which reuse
 * the TCP program's pin). One definition, so the two cannot disagree on
 * the inner map the kernel checks at load.
 */
#ifndef RP_GROUPS_BPF_H
#define RP_GROUPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

/* a group's state map: RP_ELEM-byte elements, user space maps it whole */
struct rp_elems {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(key_size, 4);
	__uint(value_size, RP_ELEM);
};

/* every group's state map, at the group's index */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, RP_GROUPS);
	__type(key, __u32);
	__array(values, struct rp_elems);
} groups SEC(".maps");

/* element e of a state map */
static __always_inline void *elem(void *st, __u32 e)
{
	return bpf_map_lookup_elem(st, &e);
}

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The baseline of the steering cost benchmark (scripts/bench --only
 * progcost): one bpf_sk_select_reuseport() into a full sockarray and
 * nothing else, no counter, no check. The index comes from one shared
 * round robin counter, or with -DBY_HASH from the packet's hash; the member
 * count is a constant (-DMEMBERS=N), the sockarray is sized at load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 4); /* set to the member count before load */
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cursor SEC(".maps");

#ifndef MEMBERS
#define MEMBERS 4
#endif

SEC("sk_reuseport")
int bare(struct sk_reuseport_md *md)
{
	__u32 i;
#ifdef BY_HASH
	i = md->hash % MEMBERS;
#else
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&cursor, &zero);

	if (!c)
		return SK_PASS;
	i = __sync_fetch_and_add(c, 1) % MEMBERS;
#endif
	bpf_sk_select_reuseport(md, &socks, &i, 0);
	return SK_PASS;
}

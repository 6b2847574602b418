// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * reuseport run's programs for what LD_PRELOAD cannot reach (static and Go
 * binaries, raw system calls, io_uring), attached to the cgroup v2
 * directory its instances run in:
 *
 *   cgroup/bind4, cgroup/bind6  set SO_REUSEPORT on a socket bound to a
 *       port in scope, before the kernel takes the port, as the shim's
 *       bind() hook does (port 0 stays private; other ports behave as
 *       without the tool).
 *   sockops  a connection of an adopted listener is established: one
 *       more active in its slot (the kernel cannot see accept(): active
 *       counts from the handshake, queued ones included).
 *   cgroup/sock_release  such a connection is closed: out of its slot's
 *       active count and leastconn's load, as the shim's close hook does.
 * The supervisor tags an adopted listener in the tags socket storage;
 * BPF_F_CLONE copies the tag into every connection the kernel creates
 * from it.
 *
 * Loaded by the supervisor (cli/run/cgroup.c), never by a server.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "groups.bpf.h"
#include "steer.h"

#define SOL_SOCKET 1
#define SO_REUSEPORT 15
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define TCP_LISTEN 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* the ports in scope: bit port % 32 of word port / 32, set before load */
const volatile __u32 tcp_scope[65536 / 32];
const volatile __u32 udp_scope[65536 / 32];

static __always_inline int in_scope(const volatile __u32 *scope, __u32 port)
{
	port &= 0xffff;
	return (scope[port / 32] >> (port % 32)) & 1;
}

static __always_inline int force_reuseport(struct bpf_sock_addr *ctx)
{
	__u32 port = bpf_ntohs((__u16)ctx->user_port);
	int one = 1;

	if (!port)
		return 1;
	if (ctx->type == SOCK_STREAM && ctx->protocol == IPPROTO_TCP) {
		if (!in_scope(tcp_scope, port))
			return 1;
	} else if (ctx->type == SOCK_DGRAM && ctx->protocol == IPPROTO_UDP) {
		if (!in_scope(udp_scope, port))
			return 1;
	} else {
		return 1;
	}
	/* never fails the bind: a refusal here is the kernel's own later */
	bpf_setsockopt(ctx, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	return 1;
}

SEC("cgroup/bind4")
int rp_bind4(struct bpf_sock_addr *ctx)
{
	return force_reuseport(ctx);
}

SEC("cgroup/bind6")
int rp_bind6(struct bpf_sock_addr *ctx)
{
	return force_reuseport(ctx);
}

/* An adopted listener's slot: written by the supervisor, cloned into
 * every connection the kernel makes from it. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct rp_tag);
} tags SEC(".maps");

/* n off *p, never below floor */
static __always_inline void take_off(__s64 *p, __s64 floor)
{
	if (__sync_fetch_and_add(p, -1) <= floor)
		__sync_fetch_and_add(p, 1);
}

/* The slot of a tagged connection: its state, hot element and accounting. */
struct where {
	void *st;
	struct rp_hot *hot;
	struct rp_slot_acct *acct;
	__u32 slot;
};

static __always_inline int slot_of(struct bpf_sock *sk, struct where *w)
{
	struct rp_slot_run *run;
	struct rp_tag *tag;
	__u32 g, e;

	if (!sk || sk->protocol != IPPROTO_TCP || sk->state == TCP_LISTEN)
		return 0;
	tag = bpf_sk_storage_get(&tags, sk, 0, 0);
	if (!tag || tag->slot >= RP_MAX_SLOTS)
		return 0;
	g = tag->group & (RP_GROUPS - 1);
	w->st = bpf_map_lookup_elem(&groups, &g);
	if (!w->st)
		return 0;
	w->hot = elem(w->st, RP_E_HOT);
	if (!w->hot)
		return 0;
	w->slot = tag->slot;
	e = w->hot->off_slots + RP_SLOT_ELEMS * tag->slot;
	run = elem(w->st, e);
	w->acct = elem(w->st, e + 1);
	/* the slot still holds the listener the tag was written for */
	return run && w->acct && run->cookie == tag->cookie;
}

SEC("sockops")
int rp_sockops(struct bpf_sock_ops *ops)
{
	struct where w;

	if (ops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    slot_of(ops->sk, &w))
		__sync_fetch_and_add(&w.acct->active, 1);
	return 1;
}

SEC("cgroup/sock_release")
int rp_release(struct bpf_sock *sk)
{
	struct rp_loads *loads;
	struct where w;

	if (!slot_of(sk, &w))
		return 1;
	take_off(&w.acct->active, 0);
	__sync_fetch_and_add(&w.acct->released, 1);
	if (w.hot->policy == RP_POLICY_LEASTCONN) {
		loads = elem(w.st,
			     w.hot->off_load + w.slot / RP_LOADS_PER_ELEM);
		if (loads)
			take_off(&loads->l[w.slot % RP_LOADS_PER_ELEM], 0);
	}
	return 1;
}

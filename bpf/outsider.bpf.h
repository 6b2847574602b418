/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Members outside the map, found by the program itself: a listener that
 * set SO_REUSEPORT without registering (a static binary, a Go server,
 * REUSEPORT_DISABLE=1) gets nothing from a map selection, and may join
 * with no process of ours there to notice. The kernel's lookup hands the
 * program the first member of its list (md->sk): for IPv4 the newest
 * listener, for IPv6 the oldest. Once a jiffy a group's run looks at
 * md->sk's cookie: registered (or noted on its way in), the program
 * steers; not, it sets RP_KH_OUTSIDER and every choice is the kernel
 * hash's, which reaches every member, until a later look finds md->sk
 * registered again. User space finds the others (an IPv6 member that
 * joined last, an IPv4 one that joined first) by its kernel truth at
 * every registration, every second under reuseport run, and in status.
 * Part of the steering program, see steer_common.bpf.h.
 */
#ifndef RP_OUTSIDER_BPF_H
#define RP_OUTSIDER_BPF_H

#include "steer_common.bpf.h"

struct look {
	struct grp gr; /* pointers spilled here for the callback */
	__u64 cookie;
	__u32 n;
	int found;
};

static int look_one(__u32 i, struct look *l)
{
	struct rp_slot_run *sl = slot_at(&l->gr, i);

	if (!sl)
		return 1;
	if (sl->cookie == l->cookie) {
		l->found = 1;
		return 1;
	}
	return 0;
}

/* noted by a member between its kernel call and its claim of a slot */
static __always_inline int look_noted(struct grp *gr, __u64 cookie)
{
	struct rp_slot_own *o;
	__u32 ms = gr->hot->max_slots;

	if (!ms || ms > RP_MAX_SLOTS)
		return 0;
	o = elem(gr->st,
		 gr->hot->off_slots + RP_SLOT_ELEMS * ((__u32)cookie % ms) + 2);
	if (!o)
		return 0;
	for (int k = 0; k < RP_JOINING; k++)
		if (o->joining[k] && o->joining[k] >> 32 == (__u32)cookie)
			return 1;
	return 0;
}

/*
 * Is md->sk registered? Sets or clears RP_KH_OUTSIDER. A global
 * subprogram, run at most once a jiffy a group.
 */
__noinline int rp_look(struct sk_reuseport_md *md, __u32 g)
{
	struct look l = { 0 };
	struct bpf_sock *sk;

	if (!md || !grp_get(g, &l.gr))
		return 0;
	sk = md->sk;
	if (!sk)
		return 0;
	l.cookie = bpf_get_socket_cookie(sk);
	if (l.cookie != l.gr.hot->insider) {
		l.n = l.gr.hot->nslots;
		if (l.n > RP_MAX_SLOTS)
			l.n = RP_MAX_SLOTS;
		bpf_loop(l.n, look_one, &l, 0);
		if (!l.found && !look_noted(&l.gr, l.cookie)) {
			l.gr.hot->outsider = l.cookie;
			if (!(l.gr.hot->kernel_hash & RP_KH_OUTSIDER))
				__sync_fetch_and_or(&l.gr.hot->kernel_hash,
						    RP_KH_OUTSIDER);
			return 1;
		}
		if (!l.found)
			return 0;
		l.gr.hot->insider = l.cookie;
	}
	if (l.gr.hot->kernel_hash & RP_KH_OUTSIDER)
		__sync_fetch_and_and(&l.gr.hot->kernel_hash, ~RP_KH_OUTSIDER);
	return 0;
}

#endif

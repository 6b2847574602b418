// SPDX-License-Identifier: MIT
/*
 * What status and metrics show of the UDP flow table and the stall guard
 * (bpf/steer.bpf.c decides; this only reads).
 */
#include <netinet/in.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "group_impl.h"
#include "sys.h"

long rp_group_flow_entries(const char *dir)
{
	struct rp_flow_key k, next;
	int fd = rp_pins_get(dir, "flows");
	long n = 0;

	if (fd < 0)
		return -1;
	if (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		do {
			k = next;
			n++;
		} while (bpf_map_get_next_key(fd, &k, &next) == 0);
	}
	syscall(SYS_close, fd);
	return n;
}

/* The program's test (stalled() in bpf/steer.bpf.c), from user space. */
bool rp_slot_stalled(const struct rp_state *st, const struct rp_slot *s)
{
	const struct rp_hdr *h = &st->hdr;
	uint64_t seen = __atomic_load_n(&s->stall_seen, __ATOMIC_RELAXED);
	uint64_t since = __atomic_load_n(&s->stall_ns, __ATOMIC_RELAXED);

	/* a look saw it stand still (since), and nothing moved after it */
	if (!h->stall_ms || h->proto != IPPROTO_TCP || !since)
		return false;
	if (__atomic_load_n(&s->dequeued, __ATOMIC_RELAXED) != seen)
		return false;
	if ((int64_t)(__atomic_load_n(&s->selected, __ATOMIC_RELAXED) - seen) <
	    (int64_t)h->stall_queue)
		return false;
	if (!s->accepted && !(s->flags & RP_SLOT_KQUEUE))
		return false;
	return rp_now_ns() - since >= (uint64_t)h->stall_ms * 1000000;
}

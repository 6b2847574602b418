// SPDX-License-Identifier: MIT
/*
 * The kernel is the truth about who is in a reuseport group. A listener
 * the kernel has in the group but the sockarray does not (a static
 * binary, a raw listen(2), REUSEPORT_DISABLE=1, another pin dir, pins that
 * were removed and recreated) would get no connection from a program that
 * selects registered sockets only. Their number is published in
 * hdr.unregistered; while it is nonzero the program leaves every choice to
 * the kernel hash, which reaches every member. Checked at every join, by
 * the supervisor every second, and shown by status.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "group_impl.h"
#include "kdiag.h"
#include "log.h"
#include "share.h"

#define MAX_LISTENERS 1024

/* The group's address as a sockaddr, from the header. */
static bool group_addr(const struct rp_meta *h, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (h->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)h->port);
		memcpy(&in->sin_addr, h->addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)h->port);
		memcpy(&in6->sin6_addr, h->addr, 16);
	}
	return true;
}

int rp_group_kernel_listeners(const struct rp_state *st, struct rp_kmember *out,
			      size_t max)
{
	const struct rp_meta *h = st->meta;
	struct sockaddr_storage ss;

	if (!group_addr(h, &ss))
		return -ENODATA;
	return rp_kernel_listeners((int)h->proto, (struct sockaddr *)&ss,
				   h->ifindex,
				   (h->addr_flags & RP_ADDR_V6ONLY) != 0, out,
				   max);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * queued := the kernel's accept queue; the stall guard may trust it now,
 * unless the member was adopted: its accepts are never seen between two
 * checks, so its accounting never moves on its own (never stalled)
 */
static void fix_slot_queued(struct rp_state *st, struct rp_slot *slot,
			    uint32_t rqueue)
{
	uint32_t f = __atomic_load_n(&slot->r.flags, __ATOMIC_RELAXED);

	rp_slot_set_queued(st, slot, (int64_t)rqueue);
	if (!(f & (RP_SLOT_KQUEUE | RP_SLOT_ADOPTED)))
		__atomic_fetch_or(&slot->r.flags, RP_SLOT_KQUEUE,
				  __ATOMIC_RELAXED);
}

/* CLOCK_MONOTONIC seconds + 1 (never 0: a free entry) */
static uint32_t joining_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_sec + 1;
}

static bool joining_fresh(uint64_t e, uint32_t now)
{
	return e && now - (uint32_t)e <= RP_JOINING_SECS;
}

/* entry e notes the socket of cookie */
static bool joining_is(uint64_t e, uint64_t cookie)
{
	return e && e >> 32 == (uint32_t)cookie;
}

/* the bucket of notes of the socket whose cookie's low 32 bits are c */
static __u64 *joining_bucket(struct rp_state *st, uint32_t c)
{
	return st->slots[c % st->lay.max_slots].o.joining;
}

uint64_t rp_group_joining(struct rp_state *st, int fd)
{
	int saved = errno;
	uint32_t now = joining_now();
	uint64_t cookie;
	__u64 e, *b;

	if (!st || rp_socket_cookie(fd, &cookie)) {
		errno = saved;
		return 0;
	}
	b = joining_bucket(st, (uint32_t)cookie);
	for (int k = 0; k < RP_JOINING; k++) {
		e = __atomic_load_n(&b[k], __ATOMIC_RELAXED);
		if (!joining_fresh(e, now) &&
		    __atomic_compare_exchange_n(&b[k], &e, cookie << 32 | now,
						false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			errno = saved;
			return cookie;
		}
	}
	errno = saved;
	return 0;
}

void rp_group_joined(struct rp_state *st, uint64_t cookie)
{
	__u64 *b = joining_bucket(st, (uint32_t)cookie);

	for (int k = 0; k < RP_JOINING; k++) {
		__u64 e = __atomic_load_n(&b[k], __ATOMIC_RELAXED);

		if (joining_is(e, cookie))
			__atomic_compare_exchange_n(&b[k], &e, 0, false,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
	}
}

/* a listener that a member starting now noted (rp_group_joining) */
static bool joining(struct rp_state *st, uint64_t cookie, uint32_t now)
{
	__u64 *b = joining_bucket(st, (uint32_t)cookie);

	for (int k = 0; k < RP_JOINING; k++) {
		uint64_t e = __atomic_load_n(&b[k], __ATOMIC_ACQUIRE);

		if (joining_fresh(e, now) && joining_is(e, cookie))
			return true;
	}
	return false;
}

static int unregistered(struct rp_state *st, int socks_fd, uint32_t *inodes,
			int max_inodes, bool fix_queued)
{
	const struct rp_meta *h = st->meta;
	struct rp_kmember *km;
	uint64_t *mapped;
	uint32_t n = rp_nslots(st), nm = 0, now;
	int count, unreg = 0;

	km = calloc(MAX_LISTENERS, sizeof(*km));
	mapped = calloc((size_t)n + 1, sizeof(*mapped));
	if (!km || !mapped) {
		count = -ENOMEM;
		goto out;
	}
	count = rp_group_kernel_listeners(st, km, MAX_LISTENERS);
	if (count < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (!rp_group_slot_live(socks_fd, i, &mapped[nm]))
			continue;
		/*
		 * TCP: the listener's real accept queue is what "queued"
		 * stands for; accepts the hooks never saw (io_uring, a
		 * process that inherited the listener) leave the count
		 * high, so the kernel's number replaces it.
		 */
		if (fix_queued && h->proto == IPPROTO_TCP &&
		    st->slots[i].r.cookie == mapped[nm])
			for (int k = 0; k < count && k < MAX_LISTENERS; k++)
				if (km[k].cookie == mapped[nm])
					fix_slot_queued(st, &st->slots[i],
							km[k].rqueue);
		nm++;
	}
	qsort(mapped, nm, sizeof(*mapped), cmp_u64);
	now = joining_now();
	for (int k = 0; k < count && k < MAX_LISTENERS; k++) {
		if (bsearch(&km[k].cookie, mapped, nm, sizeof(*mapped),
			    cmp_u64) ||
		    joining(st, km[k].cookie, now))
			continue;
		if (unreg < max_inodes)
			inodes[unreg] = km[k].inode;
		unreg++;
	}
	count = unreg;
out:
	free(km);
	free(mapped);
	return count;
}

int rp_group_unregistered(struct rp_state *st, int socks_fd, uint32_t *inodes,
			  int max_inodes)
{
	return unregistered(st, socks_fd, inodes, max_inodes, false);
}

int rp_group_check_kernel(struct rp_state *st, int socks_fd, const char *name)
{
	uint32_t inodes[8];
	char list[8 * 12] = "";
	int n = unregistered(st, socks_fd, inodes, 8, true);
	uint32_t before;

	/*
	 * Members that start together are in the kernel group for the
	 * moment between their listen() and their registration: their shims
	 * note them (rp_group_joining), but an older shim does not and the
	 * notes may all be taken: look again before calling anyone
	 * unregistered.
	 */
	if (n > 0 && (uint32_t)n != st->meta->unregistered) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		n = unregistered(st, socks_fd, inodes, 8, true);
	}

	if (n < 0)
		return n;
	before = __atomic_exchange_n(&st->meta->unregistered, (uint32_t)n,
				     __ATOMIC_RELAXED);
	rp_state_kernel_hash(st);
	if ((uint32_t)n == before)
		return n;
	for (int i = 0; i < n && i < 8; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%u", i ? "," : "", inodes[i]);
	if (n)
		pr_warn("event=unregistered group=%s listeners=%d socket_inodes=%s action=\"kernel hash for the whole group until they leave (they are in the kernel group but not registered: a static binary, a raw listen, REUSEPORT_DISABLE=1 or another REUSEPORT_PIN_DIR)\"",
			name, n, list);
	else
		pr_warn("event=steered group=%s reason=\"every listener of the kernel group is registered again\"",
			name);
	return n;
}

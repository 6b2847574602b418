// SPDX-License-Identifier: MIT
/* The interposer's per-fd table: set/get/clear across chunk boundaries,
 * out-of-range fds, zero entries, and concurrent writers of distinct fds. */
#include <pthread.h>
#include <stdio.h>

#include "fdtab.h"
#include "unit.h"

static struct rp_slot slot_a, slot_b;

static void test_basic(void)
{
	static const int fds[] = { 0,	 1,	4095,	 4096,
				   4097, 65535, 1 << 20, RP_FDTAB_MAX - 1 };
	struct rp_fdent e = { 0 }, g;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		CHECK(!rp_fd_get(fds[i], &g) && g.flags == 0,
		      unit_name("fd %d empty at start", fds[i]));
		e.flags = RP_FD_TCP | RP_FD_KNOWN | RP_FD_MEMBER;
		e.forkgen = (uint32_t)i + 7;
		e.slot = &slot_a;
		rp_fd_set(fds[i], &e);
		CHECK(rp_fd_get(fds[i], &g) && g.flags == e.flags &&
			      g.forkgen == e.forkgen && g.slot == &slot_a,
		      unit_name("fd %d round trip", fds[i]));
	}
	CHECK(!rp_fd_get(5000, &g) && !rp_fd_get(4098, &g),
	      "other fds of allocated chunks stay empty");
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		rp_fd_clear(fds[i]);
		CHECK(!rp_fd_get(fds[i], &g),
		      unit_name("fd %d cleared", fds[i]));
	}
}

static void test_edges(void)
{
	struct rp_fdent e = { .flags = RP_FD_UDP, .slot = &slot_b }, g;

	rp_fd_set(-1, &e);
	CHECK(!rp_fd_get(-1, &g), "negative fd ignored");
	rp_fd_set(RP_FDTAB_MAX, &e);
	CHECK(!rp_fd_get(RP_FDTAB_MAX, &g), "fd beyond the table ignored");
	/* flags 0 with a fork generation must read as "nothing recorded" */
	e.flags = 0;
	e.forkgen = 3;
	rp_fd_set(10, &e);
	CHECK(!rp_fd_get(10, &g), "zero flags store nothing");
	/* a clear of a never-allocated chunk is harmless */
	rp_fd_clear(9 << 20);
	CHECK(!rp_fd_get(9 << 20, &g), "clear of an untouched chunk");
}

#define NTHREADS 8
#define PER 5000

static void *writer(void *arg)
{
	int base = (int)(long)arg * PER;
	struct rp_fdent e = { .flags = RP_FD_TCP | RP_FD_ACCEPTED };

	for (int i = 0; i < PER; i++) {
		e.forkgen = (uint32_t)(base + i);
		rp_fd_set(100000 + base + i, &e);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[NTHREADS];
	struct rp_fdent g;
	int bad = 0;

	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, writer, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS * PER; i++)
		if (!rp_fd_get(100000 + i, &g) || g.forkgen != (uint32_t)i)
			bad++;
	CHECK_EQ_INT(
		bad, 0,
		"concurrent writers of distinct fds (chunks allocated racing)");
}

int main(void)
{
	test_basic();
	test_edges();
	test_threads();
	return unit_done();
}

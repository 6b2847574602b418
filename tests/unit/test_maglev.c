// SPDX-License-Identifier: MIT
/*
 * Unit tests of the sticky policy's Maglev table (group/maglev.c):
 * every bucket filled with a live member, near-equal shares, and minimal
 * movement when one member joins or leaves.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "maglev.h"
#include "steer.h"
#include "unit.h"

/* a 256-slot group's table: rp_sticky_size(256), the prime after 32 * 256 */
#define M 8209

static uint16_t a[M], b[M];

/* Largest share over the mean, in percent, of members live[0..n). */
static unsigned int max_share_pct(const uint16_t *t, const uint32_t *live,
				  uint32_t n)
{
	unsigned int max = 0;

	for (uint32_t j = 0; j < n; j++) {
		unsigned int c = 0;

		for (uint32_t k = 0; k < M; k++)
			c += t[k] == live[j];
		if (c > max)
			max = c;
	}
	return (unsigned int)((uint64_t)max * n * 100 / M);
}

static unsigned int moved(void)
{
	unsigned int c = 0;

	for (uint32_t k = 0; k < M; k++)
		c += a[k] != b[k];
	return c;
}

static void test_fill_and_balance(void)
{
	static const uint32_t counts[] = { 1, 2, 3, 4, 7, 16, 64, 256 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		uint32_t n = counts[c], live[256];
		bool all_live = true;

		for (uint32_t j = 0; j < n; j++)
			live[j] = j * 3 + 1; /* sparse slot indexes */
		CHECK_EQ_INT(rp_maglev_build(live, n, a, M), 0,
			     unit_name("build with %u members", n));
		for (uint32_t k = 0; k < M && all_live; k++)
			all_live = a[k] % 3 == 1 && a[k] < n * 3;
		CHECK(all_live, unit_name("%u members: every bucket holds one "
					  "of them",
					  n));
		/* Maglev's guarantee: shares within a few percent */
		CHECK(max_share_pct(a, live, n) <= 103,
		      unit_name(
			      "%u members: largest share %u%% of mean <= 103%%",
			      n, max_share_pct(a, live, n)));
	}
}

static void test_minimal_movement(void)
{
	uint32_t live[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, fewer[7];
	unsigned int m, own = 0;

	CHECK_EQ_INT(rp_maglev_build(live, 8, a, M), 0, "8 members");
	/* member 5 leaves */
	for (uint32_t j = 0, k = 0; j < 8; j++)
		if (live[j] != 5)
			fewer[k++] = live[j];
	CHECK_EQ_INT(rp_maglev_build(fewer, 7, b, M), 0, "7 members");
	for (uint32_t k = 0; k < M; k++)
		own += a[k] == 5;
	m = moved();
	/* its own buckets must move; others only a little (paper: ~1/N) */
	CHECK(m >= own,
	      unit_name("removal moves the leaver's %u buckets", own));
	CHECK(m <= own + M / 8 / 4,
	      unit_name(
		      "removal moves %u buckets, at most %u + 1/32 of the table",
		      m, own));
	/* member 9 joins: it takes about 1/9, the rest mostly stay */
	CHECK_EQ_INT(rp_maglev_build(fewer, 7, a, M), 0, "7 members again");
	{
		uint32_t more[8] = { 0, 1, 2, 3, 4, 6, 7, 9 };

		CHECK_EQ_INT(rp_maglev_build(more, 8, b, M), 0,
			     "8 with a joiner");
	}
	m = moved();
	CHECK(m >= M / 9 - M / 100 && m <= M / 9 + M / 32,
	      unit_name("a joiner moves %u buckets, about 1/9 of %u", m, M));
	/* same input, same table: rebuilds by different processes agree */
	CHECK_EQ_INT(rp_maglev_build(fewer, 7, b, M), 0, "rebuild");
	CHECK_EQ_INT(moved(), 0, "deterministic");
}

static void test_bad_input(void)
{
	uint32_t big = 0xffff, one = 1;

	CHECK_EQ_INT(rp_maglev_build(&one, 0, a, M), -EINVAL, "no members");
	CHECK_EQ_INT(rp_maglev_build(&big, 1, a, M), -EINVAL,
		     "slot 0xffff is the empty marker");
	CHECK_EQ_INT(rp_maglev_build(&one, 1, a, 1), -EINVAL, "table of 1");
}

int main(void)
{
	test_fill_and_balance();
	test_minimal_movement();
	test_bad_input();
	return unit_done();
}

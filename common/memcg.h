/* SPDX-License-Identifier: MIT */
/*
 * The memory this process may still charge to its memory cgroup before the
 * kernel's OOM killer acts (memcg.c). libc only.
 */
#ifndef RP_MEMCG_H
#define RP_MEMCG_H

#include <stdbool.h>
#include <stdint.h>

struct rp_memcg {
	bool known; /* some hierarchy has the memory controller */
	uint64_t headroom; /* the smallest limit - usage; UINT64_MAX: none */
	uint64_t limit, usage; /* of the level with the least headroom */
	char cgroup[512]; /* that level: "/a/b" (v2) or "memory:/a/b" (v1) */
};

/* The cgroup v2 tree and the v1 memory tree (hybrid hosts: both). */
void rp_memcg_read(struct rp_memcg *out);
/* Is want one of the comma-separated options of opts? */
bool rp_memcg_has_option(const char *opts, const char *want);

#endif

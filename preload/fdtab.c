// SPDX-License-Identifier: MIT
#include <string.h>
#include <sys/mman.h>

#include "fdtab.h"

#define CHUNK_SHIFT 12
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define NCHUNKS (RP_FDTAB_MAX >> CHUNK_SHIFT)

/* Each field is accessed atomically: threads race on fds they share. */
struct slot_ent {
	uint64_t word; /* flags | forkgen << 32 */
	struct rp_slot *slot;
	struct rp_state *state;
};

static struct slot_ent *chunks[NCHUNKS];
uint32_t rp_forkgen;

static struct slot_ent *chunk_of(int fd, bool create)
{
	struct slot_ent *c, *fresh = NULL;
	unsigned int idx;

	if (fd < 0 || fd >= RP_FDTAB_MAX)
		return NULL;
	idx = (unsigned int)fd >> CHUNK_SHIFT;
	c = __atomic_load_n(&chunks[idx], __ATOMIC_ACQUIRE);
	if (c || !create)
		return c;
	/* mmap, not malloc: hooks may run inside a malloc implementation. */
	fresh = mmap(NULL, CHUNK_SIZE * sizeof(*fresh), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&chunks[idx], &c, fresh, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(fresh, CHUNK_SIZE * sizeof(*fresh));
		return c;
	}
	return fresh;
}

bool rp_fd_get(int fd, struct rp_fdent *e)
{
	struct slot_ent *c = chunk_of(fd, false);
	struct slot_ent *s;
	uint64_t w;

	memset(e, 0, sizeof(*e));
	if (!c)
		return false;
	s = &c[fd & (CHUNK_SIZE - 1)];
	w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
	if (!w)
		return false;
	e->flags = (uint32_t)w;
	e->forkgen = (uint32_t)(w >> 32);
	e->slot = __atomic_load_n(&s->slot, __ATOMIC_RELAXED);
	e->state = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
	return true;
}

void rp_fd_set(int fd, const struct rp_fdent *e)
{
	struct slot_ent *c;
	struct slot_ent *s;

	if (!e->flags) {
		rp_fd_clear(fd);
		return;
	}
	c = chunk_of(fd, true);
	if (!c)
		return;
	s = &c[fd & (CHUNK_SIZE - 1)];
	__atomic_store_n(&s->slot, e->slot, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, e->state, __ATOMIC_RELAXED);
	__atomic_store_n(&s->word,
			 (uint64_t)e->flags | (uint64_t)e->forkgen << 32,
			 __ATOMIC_RELEASE);
}

void rp_fd_clear(int fd)
{
	struct slot_ent *c = chunk_of(fd, false);

	if (c)
		__atomic_store_n(&c[fd & (CHUNK_SIZE - 1)].word, 0,
				 __ATOMIC_RELEASE);
}

int rp_fd_next(int fd)
{
	if (fd < 0)
		fd = 0;
	while (fd < RP_FDTAB_MAX) {
		struct slot_ent *c = chunk_of(fd, false);

		if (!c) {
			/* the whole chunk is empty */
			fd = (fd | (int)(CHUNK_SIZE - 1)) + 1;
			continue;
		}
		if (__atomic_load_n(&c[fd & (CHUNK_SIZE - 1)].word,
				    __ATOMIC_ACQUIRE))
			return fd;
		fd++;
	}
	return -1;
}

// SPDX-License-Identifier: MIT
/*
 * Members of a group: claiming and describing a slot, reconciling the
 * group's shared configuration with who is live, counting the live ones.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "group_impl.h"
#include "rawsys.h"
#include "log.h"
#include "registry_names.h"
#include "share.h"
#include "sys.h"

bool rp_group_slot_live(int socks_fd, uint32_t i, uint64_t *cookie)
{
	uint64_t v = 0;

	if (bpf_map_lookup_elem(socks_fd, &i, &v) != 0)
		return false;
	if (cookie)
		*cookie = v;
	return true;
}

/* The kernel's cookie of socket fd: 0 or -errno. */
int rp_socket_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return rp_raw_getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) ?
		       -errno :
		       0;
}

static void atomic_max_u32(uint32_t *p, uint32_t v)
{
	uint32_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static int32_t pinned_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 ||
	    CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/*
 * Bring the group's shared configuration in line with who is live: a group
 * whose members are all gone takes the joiner's configuration, and the
 * newest live generation is recomputed (a newer one may have died).
 */
void rp_members_reconcile(const struct rp_config *cfg,
			  const struct rp_group_key *key, struct rp_state *st,
			  int socks_fd)
{
	uint32_t n = rp_nslots(st);
	uint32_t i, live = 0, maxgen = cfg->generation;
	uint32_t want = rp_policy_resolve(cfg->policy, key->proto);
	uint64_t cookie;

	for (i = 0; i < n; i++) {
		if (!rp_group_slot_live(socks_fd, i, &cookie))
			continue;
		live++;
		if (st->slots[i].r.cookie == cookie &&
		    st->slots[i].r.generation > maxgen)
			maxgen = st->slots[i].r.generation;
	}
	if (live == 0 && (st->meta->flags & RP_META_PREPARED) &&
	    !cfg->policy_explicit) {
		/* prepared by reuseport setup: its policy stays */
		memset(st->outside->unsteered_pid, 0,
		       sizeof(st->outside->unsteered_pid));
		__atomic_store_n(&st->meta->unsteered, 0, __ATOMIC_RELAXED);
		rp_state_kernel_hash(st);
	} else if (live == 0) {
		if (st->hot->policy != want)
			pr_info("event=policy group=%s policy=%s previous=%s reason=\"no live member; the joiner's policy applies\"",
				key->name, rp_policy_name(want),
				rp_policy_name(st->hot->policy));
		__atomic_store_n(&st->hot->policy, want, __ATOMIC_RELAXED);
		memset(st->outside->unsteered_pid, 0,
		       sizeof(st->outside->unsteered_pid));
		__atomic_store_n(&st->meta->unsteered, 0, __ATOMIC_RELAXED);
		rp_state_kernel_hash(st);
	} else if (cfg->policy_explicit && st->hot->policy != want) {
		pr_warn("event=policy_mismatch group=%s policy=%s requested=%s reason=\"the group's live members use %s; REUSEPORT_POLICY=%s is ignored (change it for all with: reuseport policy)\"",
			key->name, rp_policy_name(st->hot->policy),
			rp_policy_name(want), rp_policy_name(st->hot->policy),
			rp_policy_name(want));
	}
	__atomic_store_n(&st->hot->max_generation, maxgen, __ATOMIC_RELAXED);
}

int rp_members_find_own(int socks_fd, struct rp_state *st, uint64_t cookie)
{
	uint32_t n = rp_nslots(st);
	uint64_t v;

	for (uint32_t i = 0; i < n; i++)
		if (rp_group_slot_live(socks_fd, i, &v) && v == cookie)
			return (int)i;
	return -1;
}

void rp_members_init_slot(const struct rp_config *cfg, struct rp_state *st,
			  uint32_t i, uint64_t cookie)
{
	struct rp_slot *s = &st->slots[i];

	for (int k = 0; k < RP_ACCT_PIDS; k++) {
		__atomic_store_n(&s->a.acct_active[k], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->o.acct_pid[k], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->r.pidns, rp_pidns(), __ATOMIC_RELAXED);

	/*
	 * The previous occupant's numbers must not be charged to us; its
	 * share of the group's counters stays in them (rp_group_counters).
	 */
	rp_counters_hand_over(st, s);
	__atomic_store_n(&s->r.flow_hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.dequeued, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.selected, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.migrated, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.accepted, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.last_accept_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.listen_fd1, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->a.steal_lock, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.current, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.stall_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.stall_seen, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.stall_next, 0, __ATOMIC_RELAXED);
	/* a standby member is passed over by leastconn's scan */
	__atomic_store_n(&st->load[i], cfg->standby ? RP_LOAD_AWAY : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.weight, cfg->weight, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.generation, cfg->generation, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.instance, cfg->instance, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.cpu, pinned_cpu(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.joined_ns, rp_now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.flags, cfg->standby ? RP_SLOT_STANDBY : 0,
			 __ATOMIC_RELAXED);
	/* a shut down listener that listens again keeps its cookie */
	__atomic_store_n(&s->r.dead_cookie, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->r.cookie, cookie, __ATOMIC_RELEASE);
}

/*
 * A socket registered already, registered again by this process (a
 * socket passed by systemd to a restarted service, a listener inherited
 * across exec): the slot follows this process when the one it names is
 * gone, so that status, metrics and drain by pid name the live one. A
 * living process (a forked worker's parent) keeps it.
 */
void rp_members_follow(struct rp_state *st, uint32_t i)
{
	struct rp_slot *s = &st->slots[i];
	pid_t was = (pid_t)__atomic_load_n(&s->r.pid, __ATOMIC_RELAXED);

	/* a pid of another pid namespace is no number of ours to test */
	if (was == getpid() ||
	    __atomic_load_n(&s->r.pidns, __ATOMIC_RELAXED) != rp_pidns() ||
	    !rp_pid_gone(was))
		return;
	__atomic_store_n(&s->r.pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
}

/* A slot was claimed (or found again): publish it to the program. */
void rp_members_note_join(const struct rp_config *cfg, struct rp_state *st,
			  uint32_t slot)
{
	atomic_max_u32(&st->hot->nslots, slot + 1);
	atomic_max_u32(&st->hot->max_generation, cfg->generation);
}

/*
 * Claim the first free slot for the socket fd (BPF_NOEXIST: atomic across
 * processes). EBUSY means the socket already holds a slot (fork, dup):
 * *already is set and that slot returned. Returns the slot or -errno.
 */
int rp_members_claim(struct rp_state *st, int socks_fd, int fd, uint64_t cookie,
		     bool *already)
{
	uint64_t val = (uint64_t)fd;
	uint32_t i, max = st->meta->max_slots;
	int slot;

	*already = false;
	for (i = 0; i < max; i++) {
		if (bpf_map_update_elem(socks_fd, &i, &val, BPF_NOEXIST) == 0)
			return (int)i;
		if (errno == EEXIST)
			continue;
		if (errno == EBUSY) {
			slot = rp_members_find_own(socks_fd, st, cookie);
			*already = true;
			if (slot >= 0)
				return slot;
			rp_group_set_error(
				"reason=\"socket is registered in another sockarray\"");
			return -EBUSY;
		}
		rp_group_set_error(
			"reason=\"cannot register the socket in the sockarray: %s\"",
			strerror(errno));
		return -errno;
	}
	rp_group_set_error(
		"slots=%u reason=\"every slot of the group is taken; the group was created with REUSEPORT_MAX_SLOTS=%u (remove the group's pins when no instance runs to recreate it larger)\"",
		max, max);
	return -ENOSPC;
}

unsigned int rp_group_live_slots(const struct rp_state *st, int socks_fd,
				 pid_t except)
{
	uint32_t n = rp_nslots(st);
	unsigned int live = 0;

	for (uint32_t i = 0; i < n; i++)
		if (rp_group_slot_live(socks_fd, i, NULL) &&
		    (!except || st->slots[i].r.pid != (uint32_t)except))
			live++;
	return live;
}

// SPDX-License-Identifier: MIT
/*
 * Groups nobody uses any more. The sockarray is the kernel's word on who
 * is alive: a slot empties when its socket dies. A group with no live slot
 * is removed by whoever creates a group next in that network namespace
 * (after a grace period, so a group being joined right now is left alone),
 * by `reuseport cleanup`, and by its last member at exit when that member
 * can tell its sockets die with it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "rawsys.h"
#include "group_impl.h"
#include "kdiag.h"
#include "log.h"
#include "pintrust.h"
#include "sys.h"

/* A group younger than this may be about to get its first member. */
#define REAP_GRACE_NS (10ull * 1000000000ull)

struct reap {
	const struct rp_config *cfg;
	const char *ns_dir;
	int removed;
};

bool rp_group_dead(const struct rp_group_view *g, uint64_t min_age_ns)
{
	if (g->tmp) {
		/* a creator that died between pinning and publishing */
		int pid = atoi(g->name + strlen(RP_TMP_PREFIX));

		return pid > 0 && pid != getpid() && rp_pid_gone(pid);
	}
	return !g->err && rp_now_ns() - g->st->meta->created_ns >= min_age_ns &&
	       !rp_group_live_slots(g->st, g->socks_fd, 0);
}

static void reap_one(const struct rp_group_view *g, void *arg)
{
	struct reap *r = arg;

	if (!rp_group_dead(g, REAP_GRACE_NS) ||
	    (!g->tmp && (g->st->meta->flags & RP_META_PREPARED)))
		return;
	if (rp_group_unpublish(r->cfg, r->ns_dir, g->name, true) == 0) {
		/* a temporary directory's name is only checked up to its prefix */
		char name[RP_ESC_SIZE(NAME_MAX)];

		pr_info("event=reap group=%s reason=\"no live member\"",
			rp_escape(name, sizeof(name), g->name, NAME_MAX));
		r->removed++;
	}
}

int rp_group_reap(const struct rp_config *cfg, const char *ns_dir)
{
	/*
	 * A walk opens every group of the netns: once per grace period and
	 * process, or a process that binds many ports (UDP senders on fixed
	 * source ports) pays for all groups at every creation.
	 */
	static uint64_t last_ns;
	uint64_t now = rp_now_ns();
	struct reap r = { .cfg = cfg, .ns_dir = ns_dir };
	int lock;

	if (last_ns && now - last_ns < REAP_GRACE_NS)
		return 0;
	last_ns = now;

	lock = rp_netns_lock(ns_dir);
	if (lock < 0)
		return lock;
	rp_walk_groups(ns_dir, true, reap_one, &r);
	rp_netns_unlock(lock);
	return r.removed;
}

/*
 * This process's children that may hold its sockets: -1 cannot tell, else
 * how many (at most 2 counted); *only is the child when there is one.
 */
static int children(pid_t *only)
{
	char path[64], buf[32];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/task");

	*only = 0;
	if (!d)
		return -1;
	while (n >= 0 && n < 2 && (de = readdir(d))) {
		ssize_t len;
		int fd;
		char *p, *end;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			n = -1;
			break;
		}
		len = read(fd, buf, sizeof(buf) - 1);
		rp_raw_close(fd);
		if (len < 0) {
			n = -1;
			break;
		}
		buf[len] = '\0';
		for (p = buf; n >= 0 && n < 2; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			*only = (pid_t)pid;
			n++;
		}
		if (len == (ssize_t)sizeof(buf) - 1)
			n = 2; /* more than fit */
	}
	closedir(d);
	if (n != 1)
		*only = 0;
	return n;
}

#define MAX_HELD 1024

struct held {
	uint32_t *ino;
	int n, max;
};

static bool held_one(unsigned long ino, int fd, void *arg)
{
	struct held *h = arg;

	(void)fd;
	if (h->n == h->max)
		return false;
	h->ino[h->n++] = (uint32_t)ino;
	return true;
}

/*
 * This process exits and its only child holds its members' sockets on,
 * without the shim (nginx's new binary after USR2: nginx drops LD_PRELOAD
 * from its environment unless `env LD_PRELOAD;`). The child accepts
 * unseen: the slots are handed to it and marked adopted, never stalled
 * for accepts nobody can see. The slots whose socket the child holds (the
 * kernel's word, by inode) and whose process is this one or gone (a
 * daemon's parent that registered before forking). A child that runs
 * the shim keeps the slots as they are: its accepts are seen.
 */
static void hand_over(struct rp_state *st, int socks_fd, pid_t child,
		      const char *name)
{
	uint32_t n = rp_nslots(st), self = (uint32_t)getpid();
	uint32_t *held = calloc(MAX_HELD, sizeof(*held));
	struct rp_kmember *km = calloc(MAX_HELD, sizeof(*km));
	struct held h = { NULL, 0, MAX_HELD };
	int nheld, nkm;
	uint64_t cookie;

	if (!held || !km)
		goto out;
	h.ino = held;
	rp_proc_sockets(child, held_one, &h);
	nheld = h.n;
	nkm = rp_group_kernel_listeners(st, km, MAX_HELD);
	for (uint32_t i = 0; i < n; i++) {
		struct rp_slot *s = &st->slots[i];
		uint32_t pid = __atomic_load_n(&s->r.pid, __ATOMIC_RELAXED);
		bool childs = false;

		if (!rp_group_slot_live(socks_fd, i, &cookie) ||
		    (pid != self && !rp_pid_gone((pid_t)pid)))
			continue;
		for (int k = 0; k < nkm && k < MAX_HELD && !childs; k++)
			for (int j = 0; km[k].cookie == cookie && j < nheld;
			     j++)
				childs = childs || held[j] == km[k].inode;
		if (!childs)
			continue;
		__atomic_store_n(&s->r.pid, (uint32_t)child, __ATOMIC_RELAXED);
		__atomic_fetch_or(&s->r.flags, RP_SLOT_ADOPTED,
				  __ATOMIC_RELAXED);
		pr_info("event=handover group=%s slot=%u to_pid=%d adopted=1 reason=\"the only child holds the listener without the shim: its accepts are unseen, the slot is never stalled\"",
			name, i, (int)child);
	}
out:
	free(held);
	free(km);
}

void rp_group_release(const struct rp_config *cfg, const char *dir)
{
	struct rp_state *st;
	char ns[PATH_MAX];
	int socks_fd;

	pid_t child;
	int kids = children(&child);

	if (kids < 0 || kids > 1 ||
	    rp_group_open_dir(dir, &st, &socks_fd, NULL))
		return;
	if (kids == 1) {
		if (!rp_pid_maps_shim(child))
			hand_over(st, socks_fd, child, strrchr(dir, '/') + 1);
		goto out;
	}
	/* every live member is one of this process's sockets */
	if (!(st->meta->flags & RP_META_PREPARED) &&
	    !rp_group_live_slots(st, socks_fd, getpid())) {
		snprintf(ns, sizeof(ns), "%s", dir);
		*strrchr(ns, '/') = '\0';
		if (!rp_group_unpublish(cfg, ns, strrchr(dir, '/') + 1, false))
			pr_info("event=release group=%s reason=\"last member exits\"",
				strrchr(dir, '/') + 1);
	}
out:
	rp_group_unmap(st);
	rp_raw_close(socks_fd);
}

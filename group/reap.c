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

#include "rawsys.h"
#include "group_impl.h"
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
		pr_info("event=reap group=%s reason=\"no live member\"",
			g->name);
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

/* Does this process have children that may hold its sockets? */
static bool has_children(void)
{
	char path[64], buf[16];
	struct dirent *de;
	bool any = false;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return true;
	while (!any && (de = readdir(d))) {
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			any = true; /* cannot tell: assume so */
			break;
		}
		n = read(fd, buf, sizeof(buf));
		rp_raw_close(fd);
		any = n != 0;
	}
	closedir(d);
	return any;
}

void rp_group_release(const struct rp_config *cfg, const char *dir)
{
	struct rp_state *st;
	char ns[PATH_MAX];
	int socks_fd;

	if (has_children() || rp_group_open_dir(dir, &st, &socks_fd, NULL))
		return;
	/* every live member is one of this process's sockets */
	if (!(st->meta->flags & RP_META_PREPARED) &&
	    !rp_group_live_slots(st, socks_fd, getpid())) {
		snprintf(ns, sizeof(ns), "%s", dir);
		*strrchr(ns, '/') = '\0';
		if (!rp_group_unpublish(cfg, ns, strrchr(dir, '/') + 1, false))
			pr_info("event=release group=%s reason=\"last member exits\"",
				strrchr(dir, '/') + 1);
	}
	rp_group_unmap(st);
	rp_raw_close(socks_fd);
}

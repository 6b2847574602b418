// SPDX-License-Identifier: MIT
/*
 * reuseport run: which slots and sockets belong to an instance's process
 * tree (the instance, its children, its process group).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "group.h"
#include "state.h"
#include "sys.h"
#include "kdiag.h"
#include "tree.h"

/* Socket inodes of one tree looked at, at most (tree_sockets()). */
#define MAX_TREE_SOCKETS 1024

/*
 * --adopt: a daemonizing server registers its listeners before it forks and
 * exits, so its slots carry the pid of a process that is gone; they belong
 * to the daemon the supervisor adopted.
 */
static struct {
	pid_t from, to;
} aliases[2 * MAX_INSTANCES];
static unsigned int naliases;

void run_alias(pid_t from, pid_t to)
{
	unsigned int n = naliases < 2 * MAX_INSTANCES ? naliases :
							2 * MAX_INSTANCES;

	for (unsigned int k = 0; k < n; k++)
		if (aliases[k].to == from)
			aliases[k].to = to; /* a daemon that forked again */
	aliases[naliases++ % (2 * MAX_INSTANCES)].from = from;
	aliases[(naliases - 1) % (2 * MAX_INSTANCES)].to = to;
}

void run_alias_drop(pid_t to)
{
	for (unsigned int k = 0; k < 2 * MAX_INSTANCES; k++)
		if (aliases[k].to == to)
			aliases[k].from = aliases[k].to = 0;
}

static pid_t alias_of(pid_t pid)
{
	for (unsigned int k = 0; naliases && k < 2 * MAX_INSTANCES; k++)
		if (aliases[k].from == pid)
			return aliases[k].to;
	return pid;
}

/*
 * Does pid belong to the instance whose leader is root: root itself, a
 * descendant, or a member of its process group (an orphaned worker that
 * was re-parented to us stays in the group)?
 */
bool run_in_tree(pid_t pid, pid_t root)
{
	if (root <= 0)
		return false;
	pid = alias_of(pid);
	for (int depth = 0; pid > 1 && depth < 32; depth++) {
		pid_t ppid, pgrp;
		char state;

		if (pid == root)
			return true;
		if (!rp_proc_stat(pid, &ppid, &pgrp, &state))
			return false;
		if (pgrp == root)
			return true;
		pid = ppid;
	}
	return false;
}

static size_t tree_sockets(pid_t root, unsigned long *ino, size_t max);

/*
 * A live slot whose recorded process is gone (a daemon's parent, a child
 * that exited through _exit() after a double fork): the kernel says whose
 * it is. Does the tree of root hold its socket? The tree's socket inodes
 * are read once a scan (*ino NULL until then).
 */
static bool tree_holds(struct tree_scan *t, const struct rp_state *st,
		       uint64_t cookie, unsigned long **ino, size_t *nino)
{
	struct rp_kmember km[64];
	int n;

	if (!*ino) {
		*ino = calloc(MAX_TREE_SOCKETS, sizeof(**ino));
		if (!*ino)
			return false;
		*nino = tree_sockets(t->root, *ino, MAX_TREE_SOCKETS);
	}
	n = rp_group_kernel_listeners(st, km, 64);
	for (int k = 0; k < n && k < 64; k++) {
		if (km[k].cookie != cookie)
			continue;
		for (size_t j = 0; j < *nino; j++)
			if ((*ino)[j] == km[k].inode)
				return true;
	}
	return false;
}

static void scan_group(struct tree_scan *t, struct rp_state *st, int socks_fd)
{
	uint32_t n = rp_nslots(st);
	bool mine = false, theirs = false;
	unsigned long *ino = NULL;
	size_t nino = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct rp_slot *s = &st->slots[i];
		uint32_t ns = __atomic_load_n(&s->r.pidns, __ATOMIC_RELAXED);
		pid_t pid = (pid_t)__atomic_load_n(&s->r.pid, __ATOMIC_RELAXED);
		uint64_t cookie;
		int64_t active;

		/*
		 * Pids of another pid namespace sharing this netns (a pod's
		 * other container) are numbers of a different space: skip.
		 */
		if (pid <= 0 || (ns && R.pidns && ns != R.pidns) ||
		    !rp_group_slot_live(socks_fd, i, &cookie))
			continue;
		if (run_in_tree(pid, t->root) ||
		    (!run_in_tree(pid, t->other) &&
		     rp_pid_gone(alias_of(pid)) &&
		     tree_holds(t, st, cookie, &ino, &nino))) {
			if (!mine && st->meta->proto == IPPROTO_TCP &&
			    t->nports < RUN_SCAN_PORTS)
				t->ports[t->nports++] =
					(uint16_t)st->meta->port;
			mine = true;
			t->slots++;
			active =
				__atomic_load_n(&s->a.active, __ATOMIC_RELAXED);
			t->hook_active += active > 0 ? active : 0;
			if (t->drain)
				__atomic_fetch_or(&s->r.flags, RP_SLOT_DRAINING,
						  __ATOMIC_RELAXED);
		} else if (run_in_tree(pid, t->other)) {
			theirs = true;
		}
	}
	free(ino);
	if (theirs) {
		t->other_groups++;
		t->covered += mine;
	}
}

struct collect {
	unsigned long *ino;
	size_t n, max;
};

static bool collect_one(unsigned long ino, int fd, void *arg)
{
	struct collect *c = arg;

	(void)fd;
	if (c->n == c->max)
		return false;
	c->ino[c->n++] = ino;
	return true;
}

/* Socket inodes held by the processes of a tree. */
static size_t tree_sockets(pid_t root, unsigned long *ino, size_t max)
{
	struct collect c = { ino, 0, max };
	struct dirent *p;
	DIR *proc = opendir("/proc");

	if (!proc)
		return 0;
	while ((p = readdir(proc)) && c.n < max) {
		pid_t pid = (pid_t)atoi(p->d_name);

		if (pid > 0 && run_in_tree(pid, root))
			rp_proc_sockets(pid, collect_one, &c);
	}
	closedir(proc);
	return c.n;
}

/*
 * Count the sockets of /proc/net/{tcp,tcp6}[,udp,udp6] held by the tree
 * (inodes ino[0..n)) for which want(port, state) holds; stop at max.
 */
static long count_tree_sockets(const unsigned long *ino, size_t n, bool udp,
			       bool (*want)(unsigned int port,
					    unsigned int state, void *arg),
			       void *arg, long max)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6",
					     "/proc/net/udp",
					     "/proc/net/udp6" };
	char line[512];
	long found = 0;

	for (size_t k = 0; k < (udp ? 4u : 2u) && n && found < max; k++) {
		FILE *f = fopen(files[k], "re");

		if (!f)
			continue;
		while (found < max && fgets(line, sizeof(line), f)) {
			unsigned int port, state;
			unsigned long inode;

			/* sl local:port remote st tx:rx tr:tm retr uid tmo inode */
			if (sscanf(line,
				   " %*s %*[^:]:%x %*s %x %*s %*s %*s %*s %*s %lu",
				   &port, &state, &inode) != 3)
				continue; /* the header */
			if (k >= 2)
				state |= 0x100; /* UDP */
			if (!want(port, state, arg))
				continue;
			for (size_t j = 0; j < n; j++)
				if (ino[j] == inode) {
					found++;
					break;
				}
		}
		fclose(f);
	}
	return found;
}

/* TCP_LISTEN; UDP: TCP_CLOSE with a local port */
static bool is_listener(unsigned int port, unsigned int state, void *arg)
{
	(void)arg;
	return state == 0x0a || (state == 0x107 && port);
}

/*
 * Does the tree hold a listening TCP or a bound UDP socket? Readiness when
 * steering is off (no bpffs, no CAP_BPF: the shim fell back to plain
 * SO_REUSEPORT and nothing registers), so SIGHUP still replaces instances.
 */
bool run_tree_listens(pid_t root)
{
	unsigned long ino[MAX_TREE_SOCKETS];
	size_t n = tree_sockets(root, ino, MAX_TREE_SOCKETS);

	return count_tree_sockets(ino, n, true, is_listener, NULL, 1) > 0;
}

/* An open TCP connection (not LISTEN/CLOSE/TIME_WAIT) on one of the ports */
static bool is_connection(unsigned int port, unsigned int state, void *arg)
{
	const struct tree_scan *t = arg;

	if (state == 0x0a || state == 0x07 || state == 0x06 || state > 0xff)
		return false;
	for (int i = 0; i < t->nports; i++)
		if (t->ports[i] == port)
			return true;
	return false;
}

static void scan_one(const struct rp_group_view *g, void *arg)
{
	if (g->err)
		return;
	/* counts of killed processes must not hold up a drain */
	rp_group_gc(g->st);
	scan_group(arg, g->st, g->socks_fd);
}

/* One pass over every group of this network namespace. */
void run_scan_tree(struct tree_scan *t)
{
	char ns[PATH_MAX];

	t->slots = t->active = t->hook_active = 0;
	t->other_groups = t->covered = t->nports = 0;
	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)) == 0)
		rp_walk_groups(ns, false, scan_one, t);
	/*
	 * The connections the instance still serves, from the kernel: open
	 * TCP connections on its groups' ports held by its processes. Right
	 * whatever path its accepts and closes took (raw syscalls, io_uring,
	 * sockets inherited across exec), unlike the hooks' count.
	 */
	if (t->nports) {
		unsigned long ino[MAX_TREE_SOCKETS];
		size_t n = tree_sockets(t->root, ino, MAX_TREE_SOCKETS);

		t->active = count_tree_sockets(ino, n, false, is_connection, t,
					       LONG_MAX);
	}
}

static void check_one(const struct rp_group_view *g, void *arg)
{
	(void)arg;
	if (!g->err)
		rp_group_check_kernel(g->st, g->socks_fd, g->name);
}

void run_check_groups(void)
{
	char ns[PATH_MAX];

	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)) == 0)
		rp_walk_groups(ns, false, check_one, NULL);
}

bool run_tree_registered(pid_t pid)
{
	struct tree_scan t = { .root = pid };

	if (pid <= 0)
		return false;
	run_scan_tree(&t);
	return t.slots > 0 || run_tree_listens(pid);
}

// SPDX-License-Identifier: MIT
/*
 * reuseport run --rescue S. The stall guard stops new connections to an
 * instance that stopped accepting, but what already waits in its accept
 * queue waits for it. The kernel (sock_diag, not the shim's counters: a
 * frozen process updates nothing) says how long each listener's queue is;
 * an instance one of whose listeners' queue did not shrink for S seconds,
 * while its slot's dequeued counter (the shim's accepts, where a slot
 * counts them) did not move either, is hung: a listener accepting as
 * fast as its full backlog refills keeps a queue that never shrinks. Its listeners are shut down for reading through a copy taken with
 * pidfd_getfd: shutdown(SHUT_RD) on a listener migrates its whole queue
 * through the SK_REUSEPORT program (attached as migrate) to the other
 * members. Then the instance is killed as a crashed one and restarted.
 *
 * A copy is closed right after the shutdown: one that lived on would keep
 * the listener, and its place in the group, after its owner died. Such a
 * listener, an exited instance's held by some other process, is still in
 * the group's sockarray and gets its share of new connections, which
 * nobody accepts: once its queue did not shrink for S seconds it is
 * evacuated the same way, through a copy taken from its holder.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "group.h"
#include "kdiag.h"
#include "rescue.h"
#include "spawn.h"
#include "state.h"
#include "sys.h"
#include "tree.h"

/* How often the kernel is asked (a netlink dump and a walk of /proc). */
#define SCAN_MS 200
#define MAX_LISTENERS 1024
/* Listeners of one instance watched at most (one shared by workers counts once). */
#define MAX_HELD 32

/* A listener of an instance: where one process holds it, how it moves. */
struct held {
	pid_t pid;
	int fd;
	unsigned long ino;
	uint32_t q; /* accept queue at the last scan */
	bool counted; /* a slot counts its accepts: deq */
	uint64_t deq;
	uint64_t since_ms; /* queue non-empty and not shrinking since; 0: no */
};

static struct {
	pid_t pid; /* the instance these belong to (a restart resets them) */
	uint64_t rescued_ms; /* last rescue or "no other instance" warning */
	int n, nprev;
	struct held l[MAX_HELD]; /* its listeners at the last scan */
	struct held prev[MAX_HELD]; /* and at the one before */
} S[MAX_INSTANCES];

/* Listeners of exited instances that were still listening afterwards. */
static struct orphan {
	unsigned long ino;
	int inst;
	uint64_t since_ms;
	uint32_t last_q;
} orphans[MAX_HELD];
static int norphans;

static struct rp_kmember km[MAX_LISTENERS];
static int nkm;
/* The accepts the live TCP slots of this netns's groups counted, by cookie. */
static struct {
	uint64_t cookie, deq;
} counted[MAX_LISTENERS];
static int ncounted;

static void slots_of(const struct rp_group_view *g, void *arg)
{
	uint32_t n;
	uint64_t cookie;

	(void)arg;
	if (g->err || !g->st || g->st->meta->proto != IPPROTO_TCP)
		return;
	n = rp_nslots(g->st);
	for (uint32_t i = 0; i < n && ncounted < MAX_LISTENERS; i++)
		if (rp_group_slot_live(g->socks_fd, i, &cookie)) {
			counted[ncounted].cookie = cookie;
			counted[ncounted++].deq = __atomic_load_n(
				&g->st->slots[i].a.dequeued, __ATOMIC_RELAXED);
		}
}

static void load_slots(void)
{
	char ns[PATH_MAX];

	ncounted = 0;
	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)) == 0)
		rp_walk_groups(ns, false, slots_of, NULL);
}

/* Accepts counted for cookie's slot, false when no slot counts them. */
static bool dequeued(uint64_t cookie, uint64_t *deq)
{
	for (int k = 0; k < ncounted; k++)
		if (counted[k].cookie == cookie) {
			*deq = counted[k].deq;
			return true;
		}
	return false;
}

/* The kernel's TCP listeners with connections waiting, both families. */
static void load_listeners(void)
{
	int n;

	nkm = 0;
	n = rp_kernel_all_listeners(IPPROTO_TCP, AF_INET, km, MAX_LISTENERS);
	if (n > 0)
		nkm = n < MAX_LISTENERS ? n : MAX_LISTENERS;
	n = rp_kernel_all_listeners(IPPROTO_TCP, AF_INET6, km + nkm,
				    (size_t)(MAX_LISTENERS - nkm));
	if (n > 0)
		nkm += n < MAX_LISTENERS - nkm ? n : MAX_LISTENERS - nkm;
}

static const struct rp_kmember *listener(unsigned long ino)
{
	for (int k = 0; k < nkm; k++)
		if (km[k].inode == ino)
			return &km[k];
	return NULL;
}

struct visit {
	int i;
	pid_t pid;
	uint64_t now;
};

static bool note_socket(unsigned long ino, int fd, void *arg)
{
	struct visit *v = arg;
	const struct rp_kmember *m = listener(ino);
	struct held *h, *old = NULL;
	int i = v->i;

	if (!m || S[i].n == MAX_HELD)
		return true;
	for (int k = 0; k < S[i].n; k++)
		if (S[i].l[k].ino == ino)
			return true; /* the same listener in another process */
	for (int k = 0; k < S[i].nprev; k++)
		if (S[i].prev[k].ino == ino)
			old = &S[i].prev[k];
	h = &S[i].l[S[i].n++];
	*h = (struct held){ v->pid, fd, ino, m->rqueue, false, 0, 0 };
	h->counted = dequeued(m->cookie, &h->deq);
	/* an accept shrinks the queue or counts: the clock starts over */
	if (h->q)
		h->since_ms = old && old->since_ms && h->q >= old->q &&
					      !(h->counted && old->counted &&
						h->deq != old->deq) ?
				      old->since_ms :
				      v->now;
	return true;
}

/* Per instance: its listeners, their queues and since when they stand still. */
static void scan(uint64_t now)
{
	struct dirent *e;
	DIR *d;

	for (int i = 0; i < R.n; i++) {
		memcpy(S[i].prev, S[i].l, sizeof(S[i].l[0]) * (size_t)S[i].n);
		S[i].nprev = S[i].n;
		S[i].n = 0;
	}
	load_listeners();
	if (!nkm)
		return;
	load_slots();
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t p = (pid_t)atoi(e->d_name);

		if (p <= 0)
			continue;
		for (int i = 0; i < R.n; i++) {
			struct visit v = { i, p, now };

			if (R.inst[i].pid > 0 &&
			    run_in_tree(p, R.inst[i].pid)) {
				rp_proc_sockets(p, note_socket, &v);
				break;
			}
		}
	}
	closedir(d);
}

/*
 * shutdown(SHUT_RD) of h's listener through a copy, closed at once.
 * true when the queue was handed on.
 */
static bool evacuate(const struct held *h)
{
	int copy = cli_copy_fd(h->pid, h->fd);
	struct stat st;
	bool ok;

	if (copy < 0)
		return false;
	/* the fd may have been closed and reused since the scan */
	ok = fstat(copy, &st) == 0 && st.st_ino == h->ino &&
	     shutdown(copy, SHUT_RD) == 0;
	close(copy);
	return ok;
}

/* Since when its longest standing queue stands (0: none), what all hold. */
static uint64_t standing(int i, uint32_t *queued)
{
	uint64_t since = 0;

	*queued = 0;
	for (int k = 0; k < S[i].n; k++) {
		*queued += S[i].l[k].q;
		if (S[i].l[k].since_ms &&
		    (!since || S[i].l[k].since_ms < since))
			since = S[i].l[k].since_ms;
	}
	return since;
}

static bool hung(int i, uint64_t now)
{
	uint32_t q;
	uint64_t since = standing(i, &q);

	return since && now - since >= R.rescue_ms;
}

/* Another instance running and not hung itself, to take the queue? */
static bool someone_else(int i, uint64_t now)
{
	for (int k = 0; k < R.n; k++)
		if (k != i && R.inst[k].pid > 0 && !hung(k, now))
			return true;
	return false;
}

static void rescue(int i, uint64_t now)
{
	pid_t pid = R.inst[i].pid;
	uint32_t q;
	uint64_t since = standing(i, &q);
	int moved = 0, queued = 0;

	S[i].rescued_ms = now;
	if (!someone_else(i, now)) {
		run_warn(
			"event=rescue_skipped instance=%d pid=%d queued=%u reason=\"no other live instance to take the queue\"",
			i + 1, (int)pid, q);
		return;
	}
	/* every listener with a queue: the instance dies with them all */
	for (int k = 0; k < S[i].n; k++)
		if (S[i].l[k].q) {
			queued++;
			moved += evacuate(&S[i].l[k]);
		}
	run_warn(
		"event=rescue instance=%d pid=%d queued=%u listeners=%d evacuated=%d rescues=%lu reason=\"accept queue not shrinking for %llu ms\"",
		i + 1, (int)pid, q, queued, moved, ++R.rescues,
		(unsigned long long)(now - since));
	S[i].n = 0;
	/* reaped and restarted as a crashed instance */
	run_signal_tree(pid, SIGKILL);
}

static void add_orphan(unsigned long ino, int i)
{
	for (int k = 0; k < norphans; k++)
		if (orphans[k].ino == ino)
			return;
	if (norphans < MAX_HELD)
		orphans[norphans++] = (struct orphan){ ino, i, 0, 0 };
}

/*
 * The listeners instance i had when it ran: watched from now on. The last
 * scan may have come between its death and its reaping (a dead process
 * shows no fds): the one before it counts too.
 */
static void orphan_listeners(int i)
{
	for (int k = 0; k < S[i].n; k++)
		add_orphan(S[i].l[k].ino, i);
	for (int k = 0; k < S[i].nprev; k++)
		add_orphan(S[i].prev[k].ino, i);
	S[i].n = S[i].nprev = 0;
}

struct holder {
	unsigned long ino;
	int fd;
};

static bool find_fd(unsigned long ino, int fd, void *arg)
{
	struct holder *h = arg;

	if (ino != h->ino)
		return true;
	h->fd = fd;
	return false;
}

/* Some process holding socket ino: its pid and fd, false if none. */
static bool holder_of(unsigned long ino, struct held *out)
{
	struct holder h = { ino, -1 };
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return false;
	while ((e = readdir(d))) {
		pid_t p = (pid_t)atoi(e->d_name);

		if (p > 0 && p != getpid() &&
		    rp_proc_sockets(p, find_fd, &h) == 0 && h.fd >= 0) {
			*out = (struct held){ p, h.fd, ino, 0, false, 0, 0 };
			break;
		}
	}
	closedir(d);
	return h.fd >= 0;
}

/* Still listening, queue not shrinking for S: evacuated through its holder. */
static void watch_orphans(uint64_t now)
{
	int k = 0;

	while (k < norphans) {
		struct orphan *o = &orphans[k];
		const struct rp_kmember *m = listener(o->ino);
		struct held h;

		if (m && (!m->rqueue || m->rqueue < o->last_q))
			o->since_ms = 0;
		else if (m && !o->since_ms)
			o->since_ms = now;
		if (m)
			o->last_q = m->rqueue;
		if (m && (!o->since_ms || now - o->since_ms < R.rescue_ms ||
			  !someone_else(-1, now))) {
			k++;
			continue;
		}
		if (m && holder_of(o->ino, &h)) {
			bool moved = evacuate(&h);

			run_warn(
				"event=rescue instance=%d pid=%d queued=%u listeners=1 evacuated=%d rescues=%lu reason=\"listener of an exited instance held by another process\"",
				o->inst + 1, (int)h.pid, m->rqueue, moved,
				++R.rescues);
		}
		/* gone, or done: forget it */
		orphans[k] = orphans[--norphans];
	}
}

void run_rescue_tick(void)
{
	static uint64_t last_scan;
	uint64_t now = now_ms();

	if (!R.rescue_ms || now - last_scan < SCAN_MS)
		return;
	last_scan = now;
	for (int i = 0; i < R.n; i++)
		if (S[i].pid != R.inst[i].pid) {
			if (S[i].pid)
				orphan_listeners(i);
			S[i].n = 0;
			S[i].pid = R.inst[i].pid;
		}
	scan(now);
	/* a roll moves instances on its own; let it finish */
	if (R.pending || R.retiring)
		return;
	watch_orphans(now);
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid > 0 && hung(i, now) &&
		    (!S[i].rescued_ms || now - S[i].rescued_ms >= R.rescue_ms))
			rescue(i, now);
}

// SPDX-License-Identifier: MIT
/* One read-only snapshot of the groups (see snapshot.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "group.h"
#include "kdiag.h"
#include "registry_names.h"
#include "share.h"
#include "snapshot.h"
#include "sys.h"

#define MAX_LISTENERS 1024

struct take {
	struct snapshot *s;
	bool select;
	struct cli_spec sel;
	char others[1024]; /* groups the spec does not match */
	FILE *errf;
	int cap;
	uint32_t pidns;
	struct rp_kmember *km;
};

/* A share of active whose process is gone counts no more (read-only gc). */
static int64_t live_active(const struct rp_slot *s, uint32_t pidns,
			   struct snap_slot *o)
{
	int64_t active = __atomic_load_n(&s->a.active, __ATOMIC_RELAXED);
	bool here = pidns && s->r.pidns == pidns;

	for (int k = 0; k < RP_ACCT_PIDS; k++) {
		uint32_t pid =
			__atomic_load_n(&s->o.acct_pid[k], __ATOMIC_RELAXED);
		int32_t n =
			__atomic_load_n(&s->a.acct_active[k], __ATOMIC_RELAXED);

		if (!pid)
			continue;
		if (here && rp_pid_gone((pid_t)pid)) {
			active -= n > 0 ? n : 0;
			continue;
		}
		o->procs[o->nprocs++] = (struct snap_proc){ pid, n };
	}
	return active < 0 ? 0 : active;
}

static void copy_slot(const struct rp_state *st, uint32_t i, uint64_t cookie,
		      uint32_t pidns, struct snap_slot *o)
{
	const struct rp_slot *s = &st->slots[i];

	memset(o, 0, sizeof(*o));
	o->slot = i;
	o->cookie = cookie;
	o->pid = s->r.pid;
	o->instance = s->r.instance;
	o->generation = s->r.generation;
	o->weight = s->r.weight;
	o->cpu = s->r.cpu;
	o->joined_ns = s->r.joined_ns;
	o->draining = s->r.flags & RP_SLOT_DRAINING;
	o->standby = s->r.flags & RP_SLOT_STANDBY;
	o->stalled = rp_slot_stalled(st, s);
	o->adopted = s->r.flags & RP_SLOT_ADOPTED;
	o->state = o->draining				     ? "draining" :
		   s->r.generation < st->hot->max_generation ? "old-gen" :
		   o->stalled				     ? "stalled" :
		   o->standby				     ? "standby" :
							       "live";
	o->selected = __atomic_load_n(&s->r.selected, __ATOMIC_RELAXED);
	o->migrated = __atomic_load_n(&s->r.migrated, __ATOMIC_RELAXED);
	o->accepted = __atomic_load_n(&s->a.accepted, __ATOMIC_RELAXED);
	o->queued = st->meta->proto == IPPROTO_TCP ? rp_slot_queued(s) : 0;
	o->active = live_active(s, pidns, o);
	o->selected_rate = o->accepted_rate = -1;
}

/* Processes outside the map that still exist (read-only gc). */
static uint32_t unsteered(const struct rp_state *st, uint32_t pidns)
{
	const struct rp_meta *h = st->meta;
	uint32_t n = 0;

	if (!pidns || h->pidns != pidns)
		return h->unsteered;
	for (int k = 0; k < RP_UNSTEERED_PIDS; k++)
		if (st->outside->unsteered_pid[k] &&
		    !rp_pid_gone((pid_t)st->outside->unsteered_pid[k]))
			n++;
	return n;
}

/* The kernel's listeners: queues of the members, the unregistered ones. */
static void kernel_view(struct take *t, const struct rp_state *st,
			struct snap_group *g)
{
	int n = rp_group_kernel_listeners(st, t->km, MAX_LISTENERS);

	g->unregistered = -1;
	if (n < 0) {
		g->kernel_err = n;
		return;
	}
	g->unregistered = 0;
	for (int k = 0; k < n && k < MAX_LISTENERS; k++) {
		const struct rp_kmember *m = &t->km[k];
		bool mine = false;

		for (uint32_t j = 0; j < g->live && !mine; j++) {
			struct snap_slot *o = &g->slots[j];

			if (o->cookie != m->cookie)
				continue;
			mine = o->kernel = true;
			o->kqueue = m->rqueue;
			o->kbacklog = g->proto[0] == 't' ? m->wqueue : 0;
		}
		if (mine)
			continue;
		if (g->nunreg < SNAP_UNREG_MAX)
			g->unreg[g->nunreg++] = (struct snap_unreg){
				m->inode, m->rqueue,
				g->proto[0] == 't' ? m->wqueue : 0
			};
		g->unregistered++;
	}
}

static void copy_header(const struct rp_state *st, uint32_t pidns,
			struct snap_group *g)
{
	const struct rp_meta *h = st->meta;
	const struct rp_hot *t = st->hot;
	uint32_t kh;

	g->proto = h->proto == IPPROTO_UDP ? "udp" : "tcp";
	g->family = h->family == AF_INET6 ? "ipv6" : "ipv4";
	inet_ntop(h->family == AF_INET6 ? AF_INET6 : AF_INET, h->addr, g->addr,
		  sizeof(g->addr));
	g->port = (uint16_t)h->port;
	g->ifindex = h->ifindex;
	g->v6only = h->addr_flags & RP_ADDR_V6ONLY;
	g->policy = rp_policy_name((enum rp_policy)t->policy);
	g->max_slots = st->lay.max_slots;
	g->max_generation = t->max_generation;
	g->unsteered = unsteered(st, pidns);
	kh = __atomic_load_n(&t->kernel_hash, __ATOMIC_RELAXED);
	g->kernel_hash = kh != 0;
	g->kh_outsider = kh & RP_KH_OUTSIDER;
	g->kh_unsteered = h->unsteered;
	g->kh_unregistered = h->unregistered;
	g->outsider_cookie =
		g->kh_outsider ?
			__atomic_load_n(&t->outsider, __ATOMIC_RELAXED) :
			0;
	g->flows = t->flags & RP_HDR_FLOWS;
	g->flow_max = t->flow_sets * RP_FLOW_WAYS;
	g->stall_queue = t->stall_queue;
	g->stall_ms = t->stall_ms;
	rp_group_counters(st, g->counters);
	g->selected_rate = -1;
}

static void take_one(const struct rp_group_view *v, void *arg)
{
	struct take *t = arg;
	struct snapshot *s = t->s;
	struct snap_group *g;
	uint32_t n;
	uint64_t cookie;

	if (t->select &&
	    !cli_spec_match(&t->sel, v->name, v->err ? NULL : v->st)) {
		cli_add_name(t->others, sizeof(t->others), v->name);
		return;
	}
	if (v->err) {
		if (t->errf)
			fprintf(t->errf, "reuseport: skipping %s: %s\n", v->dir,
				rp_group_last_error());
		s->errors++;
		return;
	}
	if (s->ngroups == t->cap) {
		int cap = t->cap ? 2 * t->cap : 8;
		void *p = realloc(s->groups, (size_t)cap * sizeof(*g));

		if (!p) {
			s->errors++;
			return;
		}
		s->groups = p;
		t->cap = cap;
	}
	g = &s->groups[s->ngroups];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", v->name);
	copy_header(v->st, t->pidns, g);
	g->flow_entries = g->flows ? rp_group_flow_entries(v->dir) : -1;
	n = rp_nslots(v->st);
	g->slots = calloc((size_t)n + 1, sizeof(*g->slots));
	if (!g->slots) {
		s->errors++;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		if (rp_group_slot_live(v->socks_fd, i, &cookie))
			copy_slot(v->st, i, cookie, t->pidns,
				  &g->slots[g->live++]);
	kernel_view(t, v->st, g);
	/* an adopted member's accepts are unseen: its queue is the kernel's */
	for (uint32_t j = 0; j < g->live; j++)
		if (g->slots[j].adopted && g->slots[j].kernel &&
		    g->proto[0] == 't')
			g->slots[j].queued = g->slots[j].kqueue;
	s->ngroups++;
}

int snap_take(struct snapshot *s, const struct rp_config *cfg, const char *spec,
	      FILE *errf)
{
	struct take t = { .s = s, .errf = errf };
	struct timespec ts;
	int n;

	memset(s, 0, sizeof(*s));
	if (spec && cli_parse_spec(spec, true, &t.sel)) {
		if (errf)
			fprintf(errf, "reuseport: bad group %s\n", spec);
		return -1;
	}
	t.select = spec != NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	s->mono_ns = rp_now_ns();
	snprintf(s->pin_dir, sizeof(s->pin_dir), "%s", cfg->pin_dir);
	if (errf ? !cli_have_bpffs() :
		   cli_bpffs_at(cfg->pin_dir, s->ns_dir, sizeof(s->ns_dir)) !=
			    1) {
		/* no group can exist: the shared ports are all unsteered */
		s->no_bpffs = true;
		s->ns_dir[0] = '\0';
		snap_neighbours(s);
		return -1;
	}
	if (rp_group_ns_dir(cfg, s->ns_dir, sizeof(s->ns_dir))) {
		if (errf)
			fprintf(errf, "reuseport: %s\n", rp_group_last_error());
		return -1;
	}
	t.pidns = rp_pidns();
	t.km = calloc(MAX_LISTENERS, sizeof(*t.km));
	if (!t.km) {
		if (errf)
			fprintf(errf, "reuseport: out of memory\n");
		return -1;
	}
	n = rp_walk_groups(s->ns_dir, false, take_one, &t);
	free(t.km);
	if (n < 0 && n != -ENOENT) {
		if (errf)
			fprintf(errf, "reuseport: cannot read %s: %s\n",
				s->ns_dir, strerror(-n));
		return -1;
	}
	snap_neighbours(s);
	if (spec && !s->ngroups && errf)
		cli_no_match(errf, spec, t.others, sizeof(t.others));
	return 0;
}

static const struct snap_slot *find_slot(const struct snapshot *prev,
					 const char *group,
					 const struct snap_slot *o)
{
	for (int i = 0; i < prev->ngroups; i++) {
		const struct snap_group *g = &prev->groups[i];

		if (strcmp(g->name, group))
			continue;
		for (uint32_t j = 0; j < g->live; j++)
			if (g->slots[j].slot == o->slot &&
			    g->slots[j].cookie == o->cookie)
				return &g->slots[j];
	}
	return NULL;
}

static double per_s(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (double)(now - before) / dt : 0;
}

void snap_rates(struct snapshot *s, const struct snapshot *prev)
{
	double dt = (double)(s->mono_ns - prev->mono_ns) / 1e9;

	if (!(dt > 0))
		return;
	s->interval_s = dt;
	for (int i = 0; i < s->ngroups; i++) {
		struct snap_group *g = &s->groups[i];

		g->selected_rate = 0;
		for (uint32_t j = 0; j < g->live; j++) {
			struct snap_slot *o = &g->slots[j];
			const struct snap_slot *p = find_slot(prev, g->name, o);
			/* a member that joined since counts from zero */
			double since =
				p || o->joined_ns <= prev->mono_ns ?
					dt :
					(double)(s->mono_ns - o->joined_ns) /
						1e9;

			if (!p && o->joined_ns <= prev->mono_ns)
				continue; /* a slot reused: no baseline */
			if (since < 0.001)
				since = 0.001;
			o->selected_rate =
				per_s(o->selected, p ? p->selected : 0, since);
			o->accepted_rate =
				per_s(o->accepted, p ? p->accepted : 0, since);
			g->selected_rate += o->selected_rate;
		}
	}
}

void snap_free(struct snapshot *s)
{
	for (int i = 0; i < s->ngroups; i++)
		free(s->groups[i].slots);
	free(s->groups);
	s->groups = NULL;
	s->ngroups = 0;
}

const char *snap_endpoint(const struct snap_group *g, char *buf, size_t len)
{
	bool v6 = g->family[3] == '6';

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "",
		 g->addr[0] ? g->addr : "?", v6 ? "]" : "", g->port);
	return buf;
}

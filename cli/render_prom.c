// SPDX-License-Identifier: MIT
/*
 * reuseport metrics: a snapshot in the Prometheus text exposition format.
 *
 * Series are labelled by what survives a restart: the group, and the
 * member, "instance-N" for the slots of `reuseport run` instance N
 * (REUSEPORT_INSTANCE), else "slot-N". Pid and generation are values
 * (reuseport_member_pid, reuseport_member_generation), never labels, so
 * a restarted instance continues its series. A member's counters are the
 * sum over its live slots (during a rolling restart the old and the new
 * process of an instance; a server whose workers each registered a
 * socket): one of them leaving lowers them, which rate() reads as a
 * counter reset.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "registry_names.h"
#include "snapshot.h"

#ifndef RP_VERSION
#define RP_VERSION "unknown"
#endif

struct member {
	char label[32];
	uint64_t slots, selected, migrated, accepted;
	int64_t active, queued;
	bool kernel;
	uint64_t kqueue, kbacklog, draining, stalled, pid, generation, weight;
};

enum kind { U64, S64 };

static const struct mmetric {
	const char *name, *type, *help;
	enum kind kind;
	size_t off;
	bool kernel; /* only members the kernel reported, TCP only */
} mmetrics[] = {
#define M(n, t, k, f, kern, h)                               \
	{                                                    \
		n, t, h, k, offsetof(struct member, f), kern \
	}
	M("reuseport_member_slots", "gauge", U64, slots, false,
	  "Live slots (registered sockets) of the member."),
	M("reuseport_member_selected_total", "counter", U64, selected, false,
	  "Connections (UDP: datagrams) the program sent to the member."),
	M("reuseport_member_migrated_total", "counter", U64, migrated, false,
	  "Of which connections migrated from a closing listener."),
	M("reuseport_member_accepted_total", "counter", U64, accepted, false,
	  "Connections the member's processes accepted."),
	M("reuseport_member_active_connections", "gauge", S64, active, false,
	  "Accepted connections not yet closed."),
	M("reuseport_member_queued_connections", "gauge", S64, queued, false,
	  "Selected connections not yet accepted, as the hooks count them."),
	M("reuseport_member_accept_queue", "gauge", U64, kqueue, true,
	  "Connections in the kernel accept queue of the member's listeners."),
	M("reuseport_member_accept_backlog", "gauge", U64, kbacklog, true,
	  "Limit of the kernel accept queue of the member's listeners."),
	M("reuseport_member_draining_slots", "gauge", U64, draining, false,
	  "Slots of the member that get no new connections."),
	M("reuseport_member_stalled_slots", "gauge", U64, stalled, false,
	  "Slots of the member the stall guard passes over now."),
	M("reuseport_member_generation", "gauge", U64, generation, false,
	  "Newest REUSEPORT_GENERATION among the member's slots."),
	M("reuseport_member_pid", "gauge", U64, pid, false,
	  "Process of the member's newest slot."),
	M("reuseport_member_weight", "gauge", U64, weight, false,
	  "REUSEPORT_WEIGHT of the member's newest slot."),
#undef M
};

/* Label value: backslash, double quote and newline escaped. */
static void lv(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{group="..."[,extra]} */
static void series(FILE *f, const char *name, const struct snap_group *g)
{
	fprintf(f, "%s{group=\"", name);
	lv(f, g->name);
	fputc('"', f);
}

static int by_member(const void *a, const void *b)
{
	const struct snap_slot *x = a, *y = b;

	/* instances first, by number; then by generation, slot */
	if (x->instance != y->instance)
		return !x->instance		 ? 1 :
		       !y->instance		 ? -1 :
		       x->instance < y->instance ? -1 :
						   1;
	if (x->generation != y->generation)
		return x->generation < y->generation ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* The group's members (slots of one instance summed); count. */
static int members(const struct snap_group *g, struct member *m)
{
	struct snap_slot *s = malloc((g->live + 1) * sizeof(*s));
	bool tcp = g->proto[0] == 't';
	int n = 0;

	if (!s)
		return -1;
	memcpy(s, g->slots, g->live * sizeof(*s));
	qsort(s, g->live, sizeof(*s), by_member);
	for (uint32_t j = 0; j < g->live; j++) {
		const struct snap_slot *o = &s[j];
		struct member *c;

		if (o->instance && j && s[j - 1].instance == o->instance) {
			c = &m[n - 1];
		} else {
			c = &m[n++];
			memset(c, 0, sizeof(*c));
			snprintf(c->label, sizeof(c->label), "%s-%u",
				 o->instance ? "instance" : "slot",
				 o->instance ? o->instance : o->slot);
		}
		c->slots++;
		c->selected += o->selected;
		c->migrated += o->migrated;
		c->accepted += o->accepted;
		c->active += o->active;
		c->queued += o->queued;
		c->kernel |= o->kernel && tcp;
		c->kqueue += o->kernel && tcp ? o->kqueue : 0;
		c->kbacklog += o->kernel && tcp ? o->kbacklog : 0;
		c->draining += o->draining;
		c->stalled += o->stalled;
		/* sorted by generation, slot: the last is the newest */
		c->pid = o->pid;
		c->generation = o->generation;
		c->weight = o->weight;
	}
	free(s);
	return n;
}

/*
 * The program's counters, a family for each kind: the runs, their
 * outcomes (each run in exactly one, bpf/registry.h RP_CNT_OUTCOMES: so
 * sum by (group) of the outcomes is the runs, in every scrape) and the
 * counters that tell more about some runs, apart so that no sum mixes them.
 */
struct part {
	enum rp_counter c;
	const char *value; /* of the family's label; NULL: the counter's name */
};

static const struct cfamily {
	const char *name, *lead, *label; /* label NULL: one part, no label */
	bool outcomes; /* the parts are RP_CNT_OUTCOMES */
	bool udp; /* UDP groups only */
	size_t nparts;
	struct part parts[3];
} cfamilies[] = {
	{ .name = "reuseport_program_runs_total",
	  .lead = "Runs of the steering program.",
	  .nparts = 1,
	  .parts = { { RP_CNT_RUNS, NULL } } },
	{ .name = "reuseport_program_outcomes_total",
	  .lead = "Runs of the steering program by outcome, each run in exactly one (their sum is reuseport_program_runs_total).",
	  .label = "outcome",
	  .outcomes = true },
	{ .name = "reuseport_program_ineligible_total",
	  .lead = "Of the steered and migrated runs.",
	  .nparts = 1,
	  .parts = { { RP_CNT_INELIGIBLE, NULL } } },
	{ .name = "reuseport_program_errors_total",
	  .lead = "Errors the steering program met (a run may meet more than one, and ends in an outcome all the same).",
	  .label = "error",
	  .nparts = 2,
	  .parts = { { RP_CNT_SELECT_ERROR, NULL },
		     { RP_CNT_BAD_POLICY, NULL } } },
	{ .name = "reuseport_stall_skips_total",
	  .lead = "Members the stall guard passed over (a run may pass over several).",
	  .nparts = 1,
	  .parts = { { RP_CNT_STALL_SKIPS, NULL } } },
	{ .name = "reuseport_udp_flow_events_total",
	  .lead = "Lookups of the UDP flow table (REUSEPORT_UDP_FLOWS) by what they found.",
	  .label = "event",
	  .udp = true,
	  .nparts = 3,
	  .parts = { { RP_CNT_FLOW_HITS, "hit" },
		     { RP_CNT_FLOW_NEW, "new" },
		     { RP_CNT_FLOW_STALE, "stale" } } },
};

/* The family's parts: its own, or the outcomes; the count. */
static size_t parts_of(const struct cfamily *cf, struct part *p)
{
	size_t n = 0;

	if (!cf->outcomes) {
		memcpy(p, cf->parts, cf->nparts * sizeof(*p));
		return cf->nparts;
	}
	for (int c = 0; c < RP_CNT_MAX; c++)
		if (RP_CNT_IS_OUTCOME(c))
			p[n++] = (struct part){ (enum rp_counter)c, NULL };
	return n;
}

static void counter_family(FILE *f, const struct snapshot *s,
			   const struct cfamily *cf)
{
	struct part p[RP_CNT_MAX];
	size_t n = parts_of(cf, p);

	/* HELP: the lead, then each part's value and the registry's help */
	fprintf(f, "# HELP %s %s", cf->name, cf->lead);
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%s%s: %s", k ? "; " : " ",
			p[k].value ? p[k].value : rp_counter_name(p[k].c),
			rp_counter_help(p[k].c));
	fprintf(f, ".\n# TYPE %s counter\n", cf->name);
	for (int i = 0; i < s->ngroups; i++) {
		const struct snap_group *g = &s->groups[i];

		if (cf->udp && g->proto[0] != 'u')
			continue;
		for (size_t k = 0; k < n; k++) {
			series(f, cf->name, g);
			if (cf->label)
				fprintf(f, ",%s=\"%s\"", cf->label,
					p[k].value ? p[k].value :
						     rp_counter_name(p[k].c));
			fprintf(f, "} %llu\n",
				(unsigned long long)g->counters[p[k].c]);
		}
	}
}

static void group_metrics(FILE *f, const struct snapshot *s)
{
	head(f, "reuseport_group_info", "gauge",
	     "The group's protocol, address and policy (value 1).");
	for (int i = 0; i < s->ngroups; i++) {
		const struct snap_group *g = &s->groups[i];

		series(f, "reuseport_group_info", g);
		fprintf(f, ",proto=\"%s\",family=\"%s\",address=\"", g->proto,
			g->family);
		lv(f, g->addr);
		fprintf(f, "\",port=\"%u\",policy=\"%s\"} 1\n", g->port,
			g->policy);
	}
	for (size_t k = 0; k < sizeof(cfamilies) / sizeof(cfamilies[0]); k++)
		counter_family(f, s, &cfamilies[k]);
	static const struct {
		const char *name, *help;
		size_t off;
	} gm[] = {
		{ "reuseport_group_live_slots",
		  "Registered sockets that are alive.",
		  offsetof(struct snap_group, live) },
		{ "reuseport_group_max_generation",
		  "Newest generation that registered.",
		  offsetof(struct snap_group, max_generation) },
		{ "reuseport_group_unsteered_processes",
		  "Processes with a member socket outside the map (kernel hash while nonzero).",
		  offsetof(struct snap_group, unsteered) },
	};
	for (size_t k = 0; k < sizeof(gm) / sizeof(gm[0]); k++) {
		head(f, gm[k].name, "gauge", gm[k].help);
		for (int i = 0; i < s->ngroups; i++) {
			series(f, gm[k].name, &s->groups[i]);
			fprintf(f, "} %u\n",
				*(const uint32_t *)((const char *)&s->groups[i] +
						    gm[k].off));
		}
	}
	head(f, "reuseport_group_kernel_hash", "gauge",
	     "1 while every choice is the kernel hash's (a member outside the map), else 0.");
	for (int i = 0; i < s->ngroups; i++) {
		series(f, "reuseport_group_kernel_hash", &s->groups[i]);
		fprintf(f, "} %d\n", s->groups[i].kernel_hash);
	}
	head(f, "reuseport_group_udp_flows", "gauge",
	     "Entries of the group's UDP flow table (REUSEPORT_UDP_FLOWS).");
	for (int i = 0; i < s->ngroups; i++)
		if (s->groups[i].flows && s->groups[i].flow_entries >= 0) {
			series(f, "reuseport_group_udp_flows", &s->groups[i]);
			fprintf(f, "} %ld\n", s->groups[i].flow_entries);
		}
	head(f, "reuseport_group_udp_flows_max", "gauge",
	     "Size of the group's UDP flow table (0: off).");
	for (int i = 0; i < s->ngroups; i++) {
		series(f, "reuseport_group_udp_flows_max", &s->groups[i]);
		fprintf(f, "} %u\n",
			s->groups[i].flows ? s->groups[i].flow_max : 0);
	}
	head(f, "reuseport_group_unregistered_listeners", "gauge",
	     "Listeners the kernel has in the group that are not registered.");
	for (int i = 0; i < s->ngroups; i++)
		if (s->groups[i].unregistered >= 0) {
			series(f, "reuseport_group_unregistered_listeners",
			       &s->groups[i]);
			fprintf(f, "} %d\n", s->groups[i].unregistered);
		}
}

int render_prom(FILE *f, const struct snapshot *s)
{
	struct member **m = calloc((size_t)s->ngroups + 1, sizeof(*m));
	int *n = calloc((size_t)s->ngroups + 1, sizeof(*n));
	int ret = 0;

	if (!m || !n) {
		free(m);
		free(n);
		return -1;
	}
	for (int i = 0; i < s->ngroups; i++) {
		m[i] = malloc((s->groups[i].live + 1) * sizeof(**m));
		n[i] = m[i] ? members(&s->groups[i], m[i]) : -1;
		if (n[i] < 0)
			ret = -1;
	}
	/* layout: of the pins this command reads (their path's vN) */
	head(f, "reuseport_build_info", "gauge",
	     "The reuseport command serving these metrics and the pin layout it reads (value 1).");
	fprintf(f, "reuseport_build_info{version=\"");
	lv(f, RP_VERSION);
	fprintf(f, "\",layout=\"%d\"} 1\n", RP_LAYOUT);
	head(f, "reuseport_unsteered_port_listeners", "gauge",
	     "Listeners sharing an address and port with no group: the kernel hash spreads it, nobody steers (the shim fell back, or the servers run without it).");
	for (int i = 0; i < s->nunsteered; i++) {
		const struct snap_port *u = &s->unsteered[i];

		fprintf(f,
			"reuseport_unsteered_port_listeners{proto=\"%s\",address=\"",
			u->proto);
		lv(f, u->addr);
		fprintf(f, "\",port=\"%u\"} %u\n", u->port, u->listeners);
	}
	group_metrics(f, s);
	for (size_t k = 0; k < sizeof(mmetrics) / sizeof(mmetrics[0]); k++) {
		const struct mmetric *mm = &mmetrics[k];

		head(f, mm->name, mm->type, mm->help);
		for (int i = 0; i < s->ngroups; i++)
			for (int j = 0; j < n[i]; j++) {
				const struct member *c = &m[i][j];
				const char *v = (const char *)c + mm->off;

				if (mm->kernel && !c->kernel)
					continue;
				series(f, mm->name, &s->groups[i]);
				fprintf(f, ",member=\"%s\"} ", c->label);
				if (mm->kind == S64)
					fprintf(f, "%lld\n",
						(long long)*(const int64_t *)v);
				else
					fprintf(f, "%llu\n",
						(unsigned long long)*(
							const uint64_t *)v);
			}
	}
	head(f, "reuseport_snapshot_errors", "gauge",
	     "Groups that could not be read in this scrape.");
	fprintf(f, "reuseport_snapshot_errors %d\n", s->errors);
	for (int i = 0; i < s->ngroups; i++)
		free(m[i]);
	free(m);
	free(n);
	return ret || ferror(f) ? -1 : 0;
}

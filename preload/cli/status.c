// SPDX-License-Identifier: MIT
/* reuseport status and metrics: what the groups of this netns hold. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "registry_names.h"

struct status_opts {
	bool json;
	bool first;
};

static int status_group(const char *name, const char *dir, struct rp_state *st,
			int socks_fd, void *arg)
{
	struct status_opts *o = arg;
	const struct rp_hdr *h = &st->hdr;
	uint64_t cookie;
	bool live;
	/* kernel truth now, not what the last join saw */
	int unreg = rp_group_unregistered(st, socks_fd, NULL, 0);
	long flows = rp_group_flow_entries(dir);

	if (unreg < 0)
		unreg = (int)h->unregistered;
	if (o->json) {
		printf("%s\n    {\"name\": \"%s\", \"policy\": \"%s\", \"max_slots\": %u, \"live\": %u, \"unsteered\": %u, \"unregistered\": %d, \"max_generation\": %u, \"counters\": {",
		       o->first ? "" : ",", name, rp_policy_name(h->policy),
		       h->max_slots, rp_group_live_slots(st, socks_fd, 0),
		       h->unsteered, unreg, h->max_generation);
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf("%s\"%s\": %llu", c ? ", " : "",
			       rp_counter_name((enum rp_counter)c),
			       (unsigned long long)h->counters[c]);
		printf("}, \"udp_flows\": {\"enabled\": %s, \"max\": %u, \"entries\": %ld}, \"stall\": {\"queue\": %u, \"ms\": %u}, \"slots\": [",
		       h->flags & RP_HDR_FLOWS ? "true" : "false", h->flow_max,
		       flows < 0 ? 0 : flows, h->stall_queue, h->stall_ms);
	} else {
		printf("group %s  policy=%s  live=%u  slots=%u  max_generation=%u%s\n",
		       name, rp_policy_name(h->policy),
		       rp_group_live_slots(st, socks_fd, 0), h->max_slots,
		       h->max_generation,
		       h->unsteered || h->unregistered ?
			       "  UNSTEERED (members outside the map: kernel hash)" :
			       "");
		if (unreg > 0)
			printf("  %d listener(s) in the kernel group are not registered%s\n",
			       unreg,
			       h->unregistered ?
				       "" :
				       " (not yet seen by a join or the supervisor)");
		if (h->flags & RP_HDR_FLOWS)
			printf("  udp flows: %ld of %u entries, %llu hits\n",
			       flows < 0 ? 0 : flows, h->flow_max,
			       (unsigned long long)
				       h->counters[RP_CNT_FLOW_HITS]);
		printf("  %-5s %-8s %-5s %-6s %-9s %10s %10s %8s %8s\n", "slot",
		       "pid", "gen", "weight", "state", "selected", "accepted",
		       "active", "queued");
	}
	bool first_slot = true;

	for (uint32_t i = 0; i < nslots(st); i++) {
		const struct rp_slot *s = &st->slots[i];
		const char *state;
		bool stalled;

		live = rp_group_slot_live(socks_fd, i, &cookie);
		if (!live)
			continue;
		stalled = rp_slot_stalled(st, s);
		state = s->flags & RP_SLOT_DRAINING	  ? "draining" :
			s->generation < h->max_generation ? "old-gen" :
			stalled				  ? "stalled" :
			s->flags & RP_SLOT_STANDBY	  ? "standby" :
							    "live";
		if (o->json) {
			printf("%s{\"slot\": %u, \"pid\": %u, \"generation\": %u, \"weight\": %u, \"cpu\": %d, \"state\": \"%s\", \"draining\": %s, \"selected\": %llu, \"migrated\": %llu, \"accepted\": %llu, \"active\": %lld, \"queued\": %lld",
			       first_slot ? "" : ", ", i, s->pid, s->generation,
			       s->weight, s->cpu, state,
			       s->flags & RP_SLOT_DRAINING ? "true" : "false",
			       (unsigned long long)s->selected,
			       (unsigned long long)s->migrated,
			       (unsigned long long)s->accepted,
			       (long long)s->active, (long long)s->queued);
			printf(", \"role\": \"%s\", \"stalled\": %s",
			       s->flags & RP_SLOT_STANDBY ? "standby" :
							    "primary",
			       stalled ? "true" : "false");
			printf(", \"processes\": [");
			for (int k = 0, first = 1; k < RP_ACCT_PIDS; k++) {
				if (!s->acct_pid[k])
					continue;
				printf("%s{\"pid\": %u, \"active\": %d}",
				       first ? "" : ", ", s->acct_pid[k],
				       s->acct_active[k]);
				first = 0;
			}
			printf("]}");
		} else {
			printf("  %-5u %-8u %-5u %-6u %-9s %10llu %10llu %8lld %8lld\n",
			       i, s->pid, s->generation, s->weight, state,
			       (unsigned long long)s->selected,
			       (unsigned long long)s->accepted,
			       (long long)s->active, (long long)s->queued);
		}
		first_slot = false;
	}
	if (o->json) {
		printf("]}");
	} else {
		printf("  program:");
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf(" %s=%llu", rp_counter_name((enum rp_counter)c),
			       (unsigned long long)h->counters[c]);
		printf("\n");
	}
	o->first = false;
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .first = true };
	char ns[PATH_MAX];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o.json = true;
		else
			return usage(stderr, 2);
	}
	if (rp_group_ns_dir(&cfg, ns, sizeof(ns)))
		ns[0] = '\0';
	if (o.json)
		printf("{\"pin_dir\": \"%s\", \"namespace_dir\": \"%s\", \"groups\": [",
		       cfg.pin_dir, ns);
	ret = for_each_group(status_group, &o);
	if (o.json)
		printf("\n]}\n");
	else if (o.first)
		printf("no groups in %s\n", ns);
	return ret ? 1 : 0;
}

/* What a metric's lines hold: per group, or per live slot. */
enum metric_kind {
	M_OUTCOMES, /* the program's counters, by outcome */
	M_LIVE, /* live slots */
	M_U64, /* the slot's __u64 field at off */
	M_S64, /* the slot's __s64 field at off */
	M_DRAINING, /* 1 or 0 */
	M_STALLED, /* 1 or 0 */
	M_FLOWS, /* entries of the UDP flow table */
};

#define SLOT_U64(f) M_U64, offsetof(struct rp_slot, f)
#define SLOT_S64(f) M_S64, offsetof(struct rp_slot, f)

static const struct metric {
	const char *name;
	const char *type;
	enum metric_kind kind;
	size_t off;
	const char *help;
} metrics[] = {
	{ "reuseport_program_outcomes_total", "counter", M_OUTCOMES, 0,
	  "Runs of the steering program by outcome." },
	{ "reuseport_group_live_slots", "gauge", M_LIVE, 0,
	  "Registered sockets that are alive." },
	{ "reuseport_slot_selected_total", "counter", SLOT_U64(selected),
	  "Connections or flows the program sent to the slot." },
	{ "reuseport_slot_accepted_total", "counter", SLOT_U64(accepted),
	  "Connections the slot's process accepted." },
	{ "reuseport_slot_active_connections", "gauge", SLOT_S64(active),
	  "Accepted connections not yet closed." },
	{ "reuseport_slot_queued_connections", "gauge", SLOT_S64(queued),
	  "Selected connections not yet accepted." },
	{ "reuseport_slot_draining", "gauge", M_DRAINING, 0,
	  "1 while the slot gets no new connections." },
	{ "reuseport_slot_stalled", "gauge", M_STALLED, 0,
	  "1 while the stall guard passes the slot over." },
	{ "reuseport_group_udp_flows", "gauge", M_FLOWS, 0,
	  "Entries of the group's UDP flow table (REUSEPORT_UDP_FLOWS)." },
};

/* One metric's lines for a group. */
static int metrics_group(const char *name, const char *dir, struct rp_state *st,
			 int socks_fd, void *arg)
{
	const struct metric *m = arg;
	const struct rp_hdr *h = &st->hdr;

	if (m->kind == M_FLOWS) {
		if (h->flags & RP_HDR_FLOWS)
			printf("%s{group=\"%s\",max=\"%u\"} %ld\n", m->name,
			       name, h->flow_max, rp_group_flow_entries(dir));
		return 0;
	}
	if (m->kind == M_OUTCOMES) {
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf("%s{group=\"%s\",outcome=\"%s\"} %llu\n",
			       m->name, name,
			       rp_counter_name((enum rp_counter)c),
			       (unsigned long long)h->counters[c]);
		return 0;
	}
	if (m->kind == M_LIVE) {
		printf("%s{group=\"%s\",policy=\"%s\"} %u\n", m->name, name,
		       rp_policy_name(h->policy),
		       rp_group_live_slots(st, socks_fd, 0));
		return 0;
	}
	for (uint32_t i = 0; i < nslots(st); i++) {
		const struct rp_slot *s = &st->slots[i];
		const char *field = (const char *)s + m->off;

		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
		printf("%s{group=\"%s\",slot=\"%u\",pid=\"%u\",generation=\"%u\"}",
		       m->name, name, i, s->pid, s->generation);
		if (m->kind == M_U64)
			printf(" %llu\n",
			       (unsigned long long)*(const __u64 *)field);
		else if (m->kind == M_S64)
			printf(" %lld\n", (long long)*(const __s64 *)field);
		else if (m->kind == M_STALLED)
			printf(" %d\n", rp_slot_stalled(st, s));
		else
			printf(" %d\n", !!(s->flags & RP_SLOT_DRAINING));
	}
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	int ret = 0;

	(void)argv;
	if (argc > 1)
		return usage(stderr, 2);
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", metrics[i].name,
		       metrics[i].help, metrics[i].name, metrics[i].type);
		if (for_each_group(metrics_group, (void *)&metrics[i]))
			ret = 1;
	}
	return ret;
}

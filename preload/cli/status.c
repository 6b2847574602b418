// SPDX-License-Identifier: MIT
/* reuseport status and metrics: what the groups of this netns hold. */
#include <errno.h>
#include <limits.h>
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

	(void)dir;
	if (unreg < 0)
		unreg = (int)h->unregistered;
	if (o->json) {
		printf("%s\n    {\"name\": \"%s\", \"policy\": \"%s\", \"max_slots\": %u, \"live\": %u, \"unsteered\": %u, \"unregistered\": %d, \"max_generation\": %u, \"counters\": {",
		       o->first ? "" : ",", name, rp_policy_name(h->policy),
		       h->max_slots, count_live(st, socks_fd), h->unsteered,
		       unreg, h->max_generation);
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf("%s\"%s\": %llu", c ? ", " : "",
			       rp_counter_name((enum rp_counter)c),
			       (unsigned long long)h->counters[c]);
		printf("}, \"slots\": [");
	} else {
		printf("group %s  policy=%s  live=%u  slots=%u  max_generation=%u%s\n",
		       name, rp_policy_name(h->policy),
		       count_live(st, socks_fd), h->max_slots,
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
		printf("  %-5s %-8s %-5s %-6s %-9s %10s %10s %8s %8s\n", "slot",
		       "pid", "gen", "weight", "state", "selected", "accepted",
		       "active", "queued");
	}
	bool first_slot = true;

	for (uint32_t i = 0; i < nslots(st); i++) {
		const struct rp_slot *s = &st->slots[i];
		const char *state;

		live = rp_group_slot_live(socks_fd, i, &cookie);
		if (!live)
			continue;
		state = s->flags & RP_SLOT_DRAINING	  ? "draining" :
			s->generation < h->max_generation ? "old-gen" :
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

static void metric_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int metrics_group(const char *name, const char *dir, struct rp_state *st,
			 int socks_fd, void *arg)
{
	const struct rp_hdr *h = &st->hdr;
	int pass = *(int *)arg;

	(void)dir;
	if (pass == 0) {
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf("reuseport_program_outcomes_total{group=\"%s\",outcome=\"%s\"} %llu\n",
			       name, rp_counter_name((enum rp_counter)c),
			       (unsigned long long)h->counters[c]);
		return 0;
	}
	if (pass == 1) {
		printf("reuseport_group_live_slots{group=\"%s\",policy=\"%s\"} %u\n",
		       name, rp_policy_name(h->policy),
		       count_live(st, socks_fd));
		return 0;
	}
	for (uint32_t i = 0; i < nslots(st); i++) {
		const struct rp_slot *s = &st->slots[i];

		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
#define SLOT_LABELS "{group=\"%s\",slot=\"%u\",pid=\"%u\",generation=\"%u\"}"
		switch (pass) {
		case 2:
			printf("reuseport_slot_selected_total" SLOT_LABELS
			       " %llu\n",
			       name, i, s->pid, s->generation,
			       (unsigned long long)s->selected);
			break;
		case 3:
			printf("reuseport_slot_accepted_total" SLOT_LABELS
			       " %llu\n",
			       name, i, s->pid, s->generation,
			       (unsigned long long)s->accepted);
			break;
		case 4:
			printf("reuseport_slot_active_connections" SLOT_LABELS
			       " %lld\n",
			       name, i, s->pid, s->generation,
			       (long long)s->active);
			break;
		case 5:
			printf("reuseport_slot_queued_connections" SLOT_LABELS
			       " %lld\n",
			       name, i, s->pid, s->generation,
			       (long long)s->queued);
			break;
		case 6:
			printf("reuseport_slot_draining" SLOT_LABELS " %d\n",
			       name, i, s->pid, s->generation,
			       !!(s->flags & RP_SLOT_DRAINING));
			break;
		}
	}
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	static const char *const heads[][3] = {
		{ "reuseport_program_outcomes_total", "counter",
		  "Runs of the steering program by outcome." },
		{ "reuseport_group_live_slots", "gauge",
		  "Registered sockets that are alive." },
		{ "reuseport_slot_selected_total", "counter",
		  "Connections or flows the program sent to the slot." },
		{ "reuseport_slot_accepted_total", "counter",
		  "Connections the slot's process accepted." },
		{ "reuseport_slot_active_connections", "gauge",
		  "Accepted connections not yet closed." },
		{ "reuseport_slot_queued_connections", "gauge",
		  "Selected connections not yet accepted." },
		{ "reuseport_slot_draining", "gauge",
		  "1 while the slot gets no new connections." },
	};
	int ret = 0;

	(void)argv;
	if (argc > 1)
		return usage(stderr, 2);
	for (int pass = 0; pass < 7; pass++) {
		metric_head(heads[pass][0], heads[pass][1], heads[pass][2]);
		if (for_each_group(metrics_group, &pass))
			ret = 1;
	}
	return ret;
}

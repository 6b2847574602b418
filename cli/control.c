// SPDX-License-Identifier: MIT
/* reuseport drain, undrain, weight, policy: the operator's writes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "registry_names.h"

/* Target of drain/undrain/weight: a pid or a slot index. */
struct target {
	bool by_pid;
	bool by_slot;
	unsigned long value;
	int action; /* 0 drain, 1 undrain, 2 weight */
	uint32_t weight;
	int matched;
};

static bool parse_target(const char *arg, struct target *t)
{
	if (!strncmp(arg, "pid:", 4)) {
		t->by_pid = true;
		arg += 4;
	} else if (!strncmp(arg, "slot:", 5)) {
		t->by_slot = true;
		arg += 5;
	}
	return cli_parse_ulong(arg, UINT32_MAX, &t->value);
}

static int pid_present(const char *name, const char *dir, struct rp_state *st,
		       int socks_fd, void *arg)
{
	struct target *t = arg;

	(void)name;
	(void)dir;
	for (uint32_t i = 0; i < nslots(st); i++)
		if (st->slots[i].r.pid == t->value &&
		    rp_group_slot_live(socks_fd, i, NULL))
			t->matched++;
	return 0;
}

static int apply_target(const char *name, const char *dir, struct rp_state *st,
			int socks_fd, void *arg)
{
	struct target *t = arg;

	(void)dir;
	for (uint32_t i = 0; i < nslots(st); i++) {
		struct rp_slot *s = &st->slots[i];

		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
		if (t->by_pid ? s->r.pid != t->value : i != t->value)
			continue;
		switch (t->action) {
		case 0:
			__atomic_fetch_or(&s->r.flags, RP_SLOT_DRAINING,
					  __ATOMIC_RELAXED);
			break;
		case 1:
			__atomic_fetch_and(&s->r.flags, ~RP_SLOT_DRAINING,
					   __ATOMIC_RELAXED);
			break;
		case 2:
			__atomic_store_n(&s->r.weight, t->weight,
					 __ATOMIC_RELAXED);
			break;
		}
		printf("%s slot %u (pid %u): %s\n", name, i, s->r.pid,
		       t->action == 0 ? "draining" :
		       t->action == 1 ? "undrained" :
					"weight set");
		t->matched++;
		/* the weighted policy's schedule follows the weights */
		if (t->action == 2)
			rp_group_rebuild_tables(st, socks_fd);
	}
	return 0;
}

/* A slot index means something in one group only. */
static int one_group_for(const char *cmd, unsigned long slot)
{
	char names[512];
	int n = cli_selected_groups(names, sizeof(names));

	if (n < 0)
		return 1; /* said why */
	if (n <= 1)
		return 0;
	return cli_usage_error(
		cmd,
		"slot %lu is ambiguous: %d groups are selected (%s); select one with --group SPEC (a PORT, ADDR:PORT, tcp:PORT or pin name)",
		slot, n, names);
}

int cmd_target(int argc, char **argv, int action)
{
	struct target t = { .action = action };
	unsigned long w;
	int want = action == 2 ? 3 : 2, err;

	if (argc < want)
		return cli_usage_error(
			argv[0], "missing %s; usage: reuseport %s PID|SLOT%s",
			argc < 2 ? "PID|SLOT" : "N (1..10000)", argv[0],
			action == 2 ? " N" : "");
	if (argc > want)
		return cli_usage_error(argv[0], "unexpected argument %s",
				       argv[want]);
	if (!parse_target(argv[1], &t))
		return cli_usage_error(
			argv[0],
			"%s is neither a PID nor a slot; accepted: PID, SLOT (decimal numbers), pid:PID, slot:SLOT",
			argv[1]);
	if (action == 2) {
		if (!cli_parse_ulong(argv[2], 10000, &w) || w == 0)
			return cli_usage_error(
				argv[0],
				"weight %s is not accepted; accepted: 1..10000",
				argv[2]);
		t.weight = (uint32_t)w;
	}
	if (!t.by_pid && !t.by_slot) {
		if (for_each_group(pid_present, &t))
			return 1;
		t.by_pid = t.matched > 0;
		t.matched = 0;
	}
	if (!t.by_pid && (err = one_group_for(argv[0], t.value)))
		return err;
	if (for_each_group_rw(apply_target, &t) && !t.matched)
		return 1;
	if (!t.matched) {
		fprintf(stderr, "reuseport: %s: no live slot with %s %lu%s%s\n",
			argv[0], t.by_pid ? "pid" : "index", t.value,
			only_group ? " in the groups --group selects: " : "",
			only_group ? only_group : "");
		return 1;
	}
	return 0;
}

static int set_policy(const char *name, const char *dir, struct rp_state *st,
		      int socks_fd, void *arg)
{
	uint32_t p = *(uint32_t *)arg;

	(void)dir;
	(void)socks_fd;
	p = rp_policy_resolve((enum rp_policy)p, (int)st->meta->proto);
	__atomic_store_n(&st->hot->policy, p, __ATOMIC_RELAXED);
	printf("%s: policy %s\n", name, rp_policy_name(p));
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	char names[256];
	uint32_t v;
	int p;

	if (argc < 2)
		return cli_usage_error(
			argv[0], "missing NAME; usage: reuseport policy NAME");
	if (argc > 2)
		return cli_usage_error(argv[0], "unexpected argument %s",
				       argv[2]);
	p = rp_policy_from_name(argv[1]);
	if (p < 0) {
		rp_policy_list(names, sizeof(names), " ");
		return cli_usage_error(
			argv[0],
			"unknown or unsupported policy %s; supported: %s",
			argv[1], names);
	}
	v = (uint32_t)p;
	return for_each_group_rw(set_policy, &v) ? 1 : 0;
}

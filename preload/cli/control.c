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
		if (st->slots[i].pid == t->value &&
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
		if (t->by_pid ? s->pid != t->value : i != t->value)
			continue;
		switch (t->action) {
		case 0:
			__atomic_fetch_or(&s->flags, RP_SLOT_DRAINING,
					  __ATOMIC_RELAXED);
			break;
		case 1:
			__atomic_fetch_and(&s->flags, ~RP_SLOT_DRAINING,
					   __ATOMIC_RELAXED);
			break;
		case 2:
			__atomic_store_n(&s->weight, t->weight,
					 __ATOMIC_RELAXED);
			break;
		}
		__atomic_fetch_add(&st->hdr.version, 1, __ATOMIC_RELAXED);
		printf("%s slot %u (pid %u): %s\n", name, i, s->pid,
		       t->action == 0 ? "draining" :
		       t->action == 1 ? "undrained" :
					"weight set");
		t->matched++;
	}
	return 0;
}

int cmd_target(int argc, char **argv, int action)
{
	struct target t = { .action = action };
	unsigned long w;

	if (argc != (action == 2 ? 3 : 2) || !parse_target(argv[1], &t))
		return usage(stderr, 2);
	if (action == 2) {
		if (!cli_parse_ulong(argv[2], 10000, &w) || w == 0) {
			fprintf(stderr, "reuseport: weight must be 1..10000\n");
			return 2;
		}
		t.weight = (uint32_t)w;
	}
	if (!t.by_pid && !t.by_slot) {
		for_each_group(pid_present, &t);
		t.by_pid = t.matched > 0;
		t.matched = 0;
	}
	if (for_each_group(apply_target, &t) && !t.matched)
		return 1;
	if (!t.matched) {
		fprintf(stderr, "reuseport: no live slot with %s %lu\n",
			t.by_pid ? "pid" : "index", t.value);
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
	p = rp_policy_resolve((enum rp_policy)p, (int)st->hdr.proto);
	__atomic_store_n(&st->hdr.policy, p, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->hdr.version, 1, __ATOMIC_RELAXED);
	printf("%s: policy %s\n", name, rp_policy_name(p));
	return 0;
}

int cmd_policy(int argc, char **argv)
{
	int p;
	uint32_t v;

	if (argc != 2)
		return usage(stderr, 2);
	p = rp_policy_from_name(argv[1]);
	if (p < 0) {
		char names[256];

		rp_policy_list(names, sizeof(names), " ");
		fprintf(stderr,
			"reuseport: unknown or unsupported policy %s; supported: %s\n",
			argv[1], names);
		return 2;
	}
	v = (uint32_t)p;
	return for_each_group(set_policy, &v) ? 1 : 0;
}

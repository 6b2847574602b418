// SPDX-License-Identifier: MIT
/*
 * reuseport: inspect and steer the groups libreuseport.so pins.
 * It reads and writes the same pins through the same group library as the
 * preload, so there is one implementation of the layout.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "run.h"

struct rp_config cfg;
const char *only_group; /* --group NAME */

static const char *env_get(const char *name)
{
	return getenv(name);
}

int usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: reuseport [--pin-dir DIR] [--group NAME] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  status [--json]        groups of this network namespace, slots, load\n"
		"  metrics                the same as Prometheus text format\n"
		"  drain PID|SLOT         stop sending new connections to a process / slot\n"
		"  undrain PID|SLOT       undo drain\n"
		"  weight PID|SLOT N      set the weighted-policy share (1..10000)\n"
		"  policy NAME            set the policy of the group(s)\n"
		"  cleanup [--dry-run] [--all]\n"
		"                         remove groups that have no live member (--all:\n"
		"                         also those setup prepared for a user or group)\n"
		"  setup [--user U] [--group G] [--policy P] [--slots N] [--v6only]\n"
		"        [GROUP-SPEC...]  mount bpffs, create the pin dir, report what\n"
		"                         creating a group needs (tried), pre-create groups\n"
		"                         whose pins U / G may use without any capability;\n"
		"                         GROUP-SPEC: [tcp:|udp:][ADDR:]PORT, ADDR IPv4 or\n"
		"                         [IPv6] (default tcp, 0.0.0.0): 8080, udp:[::1]:53\n"
		"  run -n N [--] CMD...   supervise N instances of CMD under the shim\n"
		"  bench --load TYPE -n 1,2,4 -- CMD...  scaling table of CMD under run\n"
		"\n"
		"PID|SLOT: a bare number is a PID when a live slot has it, else a slot\n"
		"index; write pid:N or slot:N to be explicit. Pins: REUSEPORT_PIN_DIR\n"
		"(default %s).\n",
		RP_DEFAULT_PIN_DIR);
	return status;
}

int usage_for(int opt)
{
	return opt == 'h' ? usage(stdout, 0) : usage(stderr, 2);
}

struct walk {
	group_fn fn;
	void *arg;
	int ret;
	int n;
};

static void walk_one(const struct rp_group_view *g, void *arg)
{
	struct walk *w = arg;

	if (only_group && strcmp(only_group, g->name))
		return;
	if (g->err) {
		fprintf(stderr, "reuseport: skipping %s: %s\n", g->dir,
			rp_group_last_error());
		w->ret = -1;
		return;
	}
	/* report what is, not what dead processes left behind */
	rp_group_gc(g->st);
	if (w->fn(g->name, g->dir, g->st, g->socks_fd, w->arg))
		w->ret = -1;
	w->n++;
}

/* Call fn for every group of this network namespace (or only --group). */
int for_each_group(group_fn fn, void *arg)
{
	struct walk w = { .fn = fn, .arg = arg };
	char ns[PATH_MAX];
	int n;

	if (rp_group_ns_dir(&cfg, ns, sizeof(ns))) {
		fprintf(stderr, "reuseport: %s\n", rp_group_last_error());
		return -1;
	}
	n = rp_walk_groups(ns, false, walk_one, &w);
	if (n < 0 && n != -ENOENT) {
		fprintf(stderr, "reuseport: cannot read %s: %s\n", ns,
			strerror(-n));
		return -1;
	}
	if (only_group && w.n == 0) {
		fprintf(stderr, "reuseport: no group %s in %s\n", only_group,
			ns);
		return -1;
	}
	return w.ret;
}

uint32_t nslots(const struct rp_state *st)
{
	uint32_t n = st->hdr.nslots;

	return n > RP_MAX_SLOTS ? RP_MAX_SLOTS : n;
}

bool cli_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static int cmd_drain(int argc, char **argv)
{
	return cmd_target(argc, argv, 0);
}

static int cmd_undrain(int argc, char **argv)
{
	return cmd_target(argc, argv, 1);
}

static int cmd_weight(int argc, char **argv)
{
	return cmd_target(argc, argv, 2);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },   { "metrics", cmd_metrics },
	{ "drain", cmd_drain },	    { "undrain", cmd_undrain },
	{ "weight", cmd_weight },   { "policy", cmd_policy },
	{ "cleanup", cmd_cleanup }, { "setup", cmd_setup },
	{ "bench", cmd_bench },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_ARG("pin-dir", 'p'),
		OPT_ARG("group", 'g'),
		OPT_FLAG("help", 'h'),
		OPT_END,
	};
	const char *pin_dir = NULL;
	int c;

	rp_config_parse(&cfg, env_get, false);
	rp_group_lib_init(&cfg);
	while ((c = getopt_long(argc, argv, "+p:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pin_dir = optarg;
			break;
		case 'g':
			only_group = optarg;
			break;
		default:
			return usage_for(c);
		}
	}
	if (pin_dir) {
		if (pin_dir[0] != '/' || strlen(pin_dir) > RP_PIN_DIR_MAX) {
			fprintf(stderr,
				"reuseport: --pin-dir must be an absolute path of at most %d characters\n",
				RP_PIN_DIR_MAX);
			return 2;
		}
		snprintf(cfg.pin_dir, sizeof(cfg.pin_dir), "%s", pin_dir);
	}
	if (optind >= argc)
		return usage(stderr, 2);
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "run"))
		return rp_run_main(argc, argv, &cfg);
	if (cfg.invalid && strncmp(cfg.error, "REUSEPORT_PIN_DIR", 17) == 0) {
		fprintf(stderr, "reuseport: %s\n", cfg.error);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(argc, argv);
	fprintf(stderr, "reuseport: unknown command %s\n", argv[0]);
	return usage(stderr, 2);
}

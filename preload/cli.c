// SPDX-License-Identifier: MIT
/*
 * reuseport: inspect and steer the groups libreuseport.so pins.
 * It reads and writes the same pins through the same group code as the
 * preload (group.c), so there is one implementation of the layout.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "group.h"
#include "log.h"
#include "run.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static struct rp_config cfg;
static const char *only_group; /* --group NAME */

static const char *const counter_names[RP_CNT_MAX] = {
	[RP_CNT_RUNS] = "runs",
	[RP_CNT_STEERED] = "steered",
	[RP_CNT_INELIGIBLE] = "ineligible",
	[RP_CNT_EMPTY] = "empty",
	[RP_CNT_UNSTEERED] = "unsteered",
	[RP_CNT_MIGRATED] = "migrated",
	[RP_CNT_MIGRATE_EMPTY] = "migrate_empty",
	[RP_CNT_SELECT_ERROR] = "select_error",
	[RP_CNT_NO_STATE] = "no_state",
};

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int usage(FILE *f, int status)
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
		"  cleanup [--dry-run]    remove groups that have no live member\n"
		"  setup                  mount bpffs, create the pin dir, check capabilities\n"
		"  run -n N [--] CMD...   supervise N instances of CMD under the shim\n"
		"\n"
		"PID|SLOT: a bare number is a PID when a live slot has it, else a slot\n"
		"index; write pid:N or slot:N to be explicit. Pins: REUSEPORT_PIN_DIR\n"
		"(default %s).\n",
		RP_DEFAULT_PIN_DIR);
	return status;
}

typedef int (*group_fn)(const char *name, const char *dir, struct rp_state *st,
			int socks_fd, void *arg);

/* Call fn for every group of this network namespace (or only --group). */
static int for_each_group(group_fn fn, void *arg)
{
	char ns[PATH_MAX], dir[PATH_MAX + 256];
	struct dirent *de;
	struct rp_state *st;
	int err, socks_fd, ret = 0, n = 0;
	DIR *d;

	err = rp_group_ns_dir(&cfg, ns, sizeof(ns));
	if (err) {
		fprintf(stderr, "reuseport: %s\n", rp_group_last_error());
		return -1;
	}
	d = opendir(ns);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "reuseport: cannot read %s: %s\n", ns,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, RP_TMP_PREFIX, strlen(RP_TMP_PREFIX)))
			continue;
		if (only_group && strcmp(only_group, de->d_name))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ns, de->d_name);
		err = rp_group_open_dir(dir, &st, &socks_fd, NULL);
		if (err) {
			fprintf(stderr, "reuseport: skipping %s: %s\n", dir,
				rp_group_last_error());
			ret = -1;
			continue;
		}
		/* report what is, not what dead processes left behind */
		rp_group_gc(st);
		if (fn(de->d_name, dir, st, socks_fd, arg))
			ret = -1;
		n++;
		rp_group_unmap(st);
		close(socks_fd);
	}
	closedir(d);
	if (only_group && n == 0) {
		fprintf(stderr, "reuseport: no group %s in %s\n", only_group,
			ns);
		return -1;
	}
	return ret;
}

static uint32_t nslots(const struct rp_state *st)
{
	uint32_t n = st->hdr.nslots;

	return n > RP_MAX_SLOTS ? RP_MAX_SLOTS : n;
}

static unsigned int count_live(const struct rp_state *st, int socks_fd)
{
	unsigned int live = 0;

	for (uint32_t i = 0; i < nslots(st); i++)
		live += rp_group_slot_live(socks_fd, i, NULL);
	return live;
}

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

	(void)dir;
	if (o->json) {
		printf("%s\n    {\"name\": \"%s\", \"policy\": \"%s\", \"max_slots\": %u, \"live\": %u, \"unsteered\": %u, \"max_generation\": %u, \"counters\": {",
		       o->first ? "" : ",", name, rp_policy_name(h->policy),
		       h->max_slots, count_live(st, socks_fd), h->unsteered,
		       h->max_generation);
		for (int c = 0; c < RP_CNT_MAX; c++)
			printf("%s\"%s\": %llu", c ? ", " : "",
			       counter_names[c],
			       (unsigned long long)h->counters[c]);
		printf("}, \"slots\": [");
	} else {
		printf("group %s  policy=%s  live=%u  slots=%u  max_generation=%u%s\n",
		       name, rp_policy_name(h->policy),
		       count_live(st, socks_fd), h->max_slots,
		       h->max_generation,
		       h->unsteered ?
			       "  UNSTEERED (members outside the map: kernel hash)" :
			       "");
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
			printf(" %s=%llu", counter_names[c],
			       (unsigned long long)h->counters[c]);
		printf("\n");
	}
	o->first = false;
	return 0;
}

static int cmd_status(int argc, char **argv)
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
			       name, counter_names[c],
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

static int cmd_metrics(int argc, char **argv)
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

/* Target of drain/undrain/weight: a pid or a slot index. */
struct target {
	bool by_pid;
	bool by_slot;
	unsigned long value;
	int action; /* 0 drain, 1 undrain, 2 weight */
	uint32_t weight;
	int matched;
};

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static bool parse_target(const char *arg, struct target *t)
{
	if (!strncmp(arg, "pid:", 4)) {
		t->by_pid = true;
		arg += 4;
	} else if (!strncmp(arg, "slot:", 5)) {
		t->by_slot = true;
		arg += 5;
	}
	return parse_ulong(arg, UINT32_MAX, &t->value);
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

static int cmd_target(int argc, char **argv, int action)
{
	struct target t = { .action = action };
	unsigned long w;

	if (argc != (action == 2 ? 3 : 2) || !parse_target(argv[1], &t))
		return usage(stderr, 2);
	if (action == 2) {
		if (!parse_ulong(argv[2], 10000, &w) || w == 0) {
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
	if (p == RP_POLICY_AUTO)
		p = st->hdr.proto == IPPROTO_UDP ? RP_POLICY_HASH :
						   RP_POLICY_ROUNDROBIN;
	__atomic_store_n(&st->hdr.policy, p, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->hdr.version, 1, __ATOMIC_RELAXED);
	printf("%s: policy %s\n", name, rp_policy_name(p));
	return 0;
}

static int cmd_policy(int argc, char **argv)
{
	int p;
	uint32_t v;

	if (argc != 2)
		return usage(stderr, 2);
	p = rp_policy_from_name(argv[1]);
	if (p < 0 || !rp_policy_supported((enum rp_policy)p)) {
		fprintf(stderr,
			"reuseport: unknown or unsupported policy %s; supported:",
			argv[1]);
		for (int i = 0; i < RP_POLICY_MAX; i++)
			if (rp_policy_supported((enum rp_policy)i))
				fprintf(stderr, " %s",
					rp_policy_name((enum rp_policy)i));
		fprintf(stderr, "\n");
		return 2;
	}
	v = (uint32_t)p;
	return for_each_group(set_policy, &v) ? 1 : 0;
}

static void remove_group_dir(const char *dir)
{
	static const char *const names[] = { "prog", "socks", "state" };
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Remove dead groups of every namespace under the pin dir's layout dir. */
static int cmd_cleanup(int argc, char **argv)
{
	char base[PATH_MAX], ns[PATH_MAX + 256], dir[PATH_MAX * 2];
	bool dry = argc > 1 && !strcmp(argv[1], "--dry-run");
	struct dirent *n, *g;
	DIR *bd, *nd;
	int removed = 0, kept = 0;

	if (argc > 2 || (argc == 2 && !dry))
		return usage(stderr, 2);
	snprintf(base, sizeof(base), "%s/v%d", cfg.pin_dir, RP_LAYOUT);
	bd = opendir(base);
	if (!bd) {
		printf("nothing to clean in %s (%s)\n", base, strerror(errno));
		return 0;
	}
	while ((n = readdir(bd))) {
		if (n->d_name[0] == '.')
			continue;
		snprintf(ns, sizeof(ns), "%s/%s", base, n->d_name);
		nd = opendir(ns);
		if (!nd)
			continue;
		while ((g = readdir(nd))) {
			struct rp_state *st;
			int sfd;
			bool dead;

			if (!strcmp(g->d_name, ".") || !strcmp(g->d_name, ".."))
				continue;
			snprintf(dir, sizeof(dir), "%s/%s", ns, g->d_name);
			if (!strncmp(g->d_name, RP_TMP_PREFIX,
				     strlen(RP_TMP_PREFIX))) {
				/* a creator died between pinning and publishing */
				int pid =
					atoi(g->d_name + strlen(RP_TMP_PREFIX));

				dead = pid > 0 && kill(pid, 0) != 0 &&
				       errno == ESRCH;
			} else if (rp_group_open_dir(dir, &st, &sfd, NULL) ==
				   0) {
				dead = count_live(st, sfd) == 0;
				rp_group_unmap(st);
				close(sfd);
			} else {
				printf("not a libreuseport group, left alone: %s (%s)\n",
				       dir, rp_group_last_error());
				kept++;
				continue;
			}
			if (!dead) {
				kept++;
				continue;
			}
			printf("%s %s\n", dry ? "would remove" : "removed",
			       dir);
			if (!dry)
				remove_group_dir(dir);
			removed++;
		}
		closedir(nd);
		if (!dry)
			rmdir(ns); /* only succeeds when empty */
	}
	closedir(bd);
	printf("%d group(s) %s, %d kept\n", removed,
	       dry ? "to remove" : "removed", kept);
	return 0;
}

static bool has_cap(int cap)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> cap) & 1;
}

static int cmd_setup(int argc, char **argv)
{
	char parent[PATH_MAX];
	struct statfs sf;
	char *slash;
	int ret = 0;

	(void)argv;
	if (argc > 1)
		return usage(stderr, 2);
	snprintf(parent, sizeof(parent), "%s", cfg.pin_dir);
	/* The bpffs mount point: /sys/fs/bpf for the default pin dir. */
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &sf) == 0 &&
	    (unsigned long)sf.f_type == (unsigned long)BPF_FS_MAGIC) {
		printf("ok: %s is a bpf filesystem\n", parent);
	} else if (mkdir(parent, 0755) && errno != EEXIST) {
		printf("error: cannot create %s: %s\n", parent,
		       strerror(errno));
		return 1;
	} else if (mount("bpf", parent, "bpf", 0, "mode=0755") != 0) {
		printf("error: cannot mount bpffs on %s: %s (needs CAP_SYS_ADMIN)\n",
		       parent, strerror(errno));
		return 1;
	} else {
		printf("mounted: bpf filesystem on %s\n", parent);
	}
	if (mkdir(cfg.pin_dir, 0755) && errno != EEXIST) {
		printf("error: cannot create %s: %s\n", cfg.pin_dir,
		       strerror(errno));
		ret = 1;
	} else {
		printf("ok: pin directory %s\n", cfg.pin_dir);
	}
	/* CAP_BPF = 39, CAP_SYS_ADMIN = 21 */
	if (has_cap(39) || has_cap(21))
		printf("ok: this process may create groups (CAP_BPF or CAP_SYS_ADMIN)\n");
	else
		printf("note: without CAP_BPF servers cannot create groups; start the first instance with CAP_BPF\n");
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
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
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
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
	if (!strcmp(argv[0], "status"))
		return cmd_status(argc, argv);
	if (!strcmp(argv[0], "metrics"))
		return cmd_metrics(argc, argv);
	if (!strcmp(argv[0], "drain"))
		return cmd_target(argc, argv, 0);
	if (!strcmp(argv[0], "undrain"))
		return cmd_target(argc, argv, 1);
	if (!strcmp(argv[0], "weight"))
		return cmd_target(argc, argv, 2);
	if (!strcmp(argv[0], "policy"))
		return cmd_policy(argc, argv);
	if (!strcmp(argv[0], "cleanup"))
		return cmd_cleanup(argc, argv);
	if (!strcmp(argv[0], "setup"))
		return cmd_setup(argc, argv);
	fprintf(stderr, "reuseport: unknown command %s\n", argv[0]);
	return usage(stderr, 2);
}

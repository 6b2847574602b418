// SPDX-License-Identifier: MIT
/* reuseport setup and cleanup: the pin directory itself. */
#include <dirent.h>
#include <linux/capability.h>
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pintrust.h"
#include "registry_names.h"
#include "sys.h"

struct cleanup {
	int nsfd; /* the namespace directory, opened by the trust rules */
	bool dry;
	int removed;
	int kept;
};

static void cleanup_group(const struct rp_group_view *g, void *arg)
{
	struct cleanup *c = arg;
	bool dead;

	if (g->tmp) {
		/* a creator died between pinning and publishing */
		int pid = atoi(g->name + strlen(RP_TMP_PREFIX));

		dead = pid > 0 && rp_pid_gone(pid);
	} else if (!g->err) {
		dead = count_live(g->st, g->socks_fd) == 0;
	} else {
		printf("not a libreuseport group, left alone: %s (%s)\n",
		       g->dir, rp_group_last_error());
		c->kept++;
		return;
	}
	if (!dead) {
		c->kept++;
		return;
	}
	if (!c->dry) {
		char why[512];

		/* never through a link, never outside this directory */
		if (rp_remove_group_dirat(c->nsfd, g->name, why, sizeof(why))) {
			printf("not removed: %s\n", why);
			c->kept++;
			return;
		}
	}
	printf("%s %s\n", c->dry ? "would remove" : "removed", g->dir);
	c->removed++;
}

static void cleanup_ns(const char *ns_dir, void *arg)
{
	struct cleanup *c = arg;
	char why[512];

	c->nsfd = rp_trusted_dir(ns_dir, cfg.pin_dir, geteuid(), (gid_t)-1,
				 false, why, sizeof(why));
	if (c->nsfd < 0) {
		printf("left alone: %s\n", why);
		c->kept++;
		return;
	}
	rp_walk_groups(ns_dir, true, cleanup_group, c);
	close(c->nsfd);
	if (!c->dry)
		rmdir(ns_dir); /* only succeeds when empty */
}

/* Remove dead groups of every namespace under the pin dir's layout dir. */
int cmd_cleanup(int argc, char **argv)
{
	struct cleanup c = { .dry = argc > 1 && !strcmp(argv[1], "--dry-run") };
	int n;

	if (argc > 2 || (argc == 2 && !c.dry))
		return usage(stderr, 2);
	n = rp_walk_namespaces(&cfg, cleanup_ns, &c);
	if (n < 0) {
		printf("nothing to clean in %s/v%d (%s)\n", cfg.pin_dir,
		       RP_LAYOUT, strerror(-n));
		return 0;
	}
	printf("%d group(s) %s, %d kept\n", c.removed,
	       c.dry ? "to remove" : "removed", c.kept);
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

int cmd_setup(int argc, char **argv)
{
	char parent[PATH_MAX];
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
	if (rp_is_bpffs(parent) == 1) {
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
	if (has_cap(CAP_BPF) || has_cap(CAP_SYS_ADMIN))
		printf("ok: this process may create groups (CAP_BPF or CAP_SYS_ADMIN)\n");
	else
		printf("note: without CAP_BPF servers cannot create groups; start the first instance with CAP_BPF\n");
	return ret;
}

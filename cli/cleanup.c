// SPDX-License-Identifier: MIT
/*
 * reuseport cleanup: remove the groups nobody uses (no live member), never
 * through a link, never the ones reuseport setup prepared unless --all.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "names.h"
#include "opts.h"
#include "pintrust.h"
#include "registry_names.h"
#include "sys.h"

struct cleanup {
	int nsfd; /* the namespace directory, opened by the trust rules */
	const char *ns_dir;
	int groups_left; /* of the namespace being cleaned */
	bool dry;
	bool all; /* also groups handed to a user or group by setup */
	int removed;
	int kept;
};

/* Pins not root's alone: a group prepared by reuseport setup --user/--group. */
static bool handed_over(const char *dir, struct stat *sb)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s/socks", dir);
	return lstat(p, sb) == 0 &&
	       (sb->st_uid != 0 || sb->st_gid != 0 || (sb->st_mode & 0077));
}

/* Prepared by reuseport setup (with or without --user/--group). */
static bool prepared(const struct rp_group_view *g)
{
	return !g->err && (g->st->meta->flags & RP_META_PREPARED);
}

static void cleanup_group(const struct rp_group_view *g, void *arg)
{
	struct cleanup *c = arg;
	struct stat sb;
	bool dead;

	if (g->tmp || !g->err) {
		dead = rp_group_dead(g, 0);
	} else if (g->err == -EBADMSG) {
		/* ours, damaged: replaced once nobody is in it */
		dead = rp_group_idle(g->dir);
		if (!dead)
			printf("kept: %s (its state is damaged, but it has live members: removed when they are gone)\n",
			       g->dir);
	} else {
		printf("not a libreuseport group, left alone: %s (%s)\n",
		       g->dir, rp_group_last_error());
		c->kept++;
		c->groups_left++;
		return;
	}
	if (!dead) {
		c->kept++;
		c->groups_left++;
		return;
	}
	memset(&sb, 0, sizeof(sb));
	if (!g->tmp && !c->all && handed_over(g->dir, &sb)) {
		/* its servers cannot create it again: no capability */
		printf("kept: %s (pins of uid %u gid %u mode %04o, as reuseport setup --user/--group leaves them; --all removes it)\n",
		       g->dir, (unsigned)sb.st_uid, (unsigned)sb.st_gid,
		       (unsigned)(sb.st_mode & 07777));
		c->kept++;
		c->groups_left++;
		return;
	}
	if (!g->tmp && !c->all && prepared(g)) {
		printf("kept: %s (prepared by reuseport setup, no live member; --all removes it)\n",
		       g->dir);
		c->kept++;
		c->groups_left++;
		return;
	}
	/* out of the namespace's maps, then never through a link, never
	 * outside this directory */
	if (!c->dry && rp_group_unpublish(&cfg, c->ns_dir, g->name, true)) {
		printf("not removed: %s\n", rp_group_last_error());
		c->kept++;
		c->groups_left++;
		return;
	}
	printf("%s %s%s\n", c->dry ? "would remove" : "removed", g->dir,
	       g->err == -EBADMSG ? " (damaged)" : "");
	c->removed++;
}

static void cleanup_ns(const char *ns_dir, void *arg)
{
	struct cleanup *c = arg;
	char why[512];
	int lock;

	c->nsfd = rp_trusted_dir(ns_dir, cfg.pin_dir, geteuid(), (gid_t)-1,
				 false, why, sizeof(why));
	if (c->nsfd < 0) {
		printf("left alone: %s\n", why);
		c->kept++;
		return;
	}
	c->ns_dir = ns_dir;
	c->groups_left = 0;
	lock = rp_netns_lock(ns_dir);
	rp_walk_groups(ns_dir, true, cleanup_group, c);
	/*
	 * No group left: the namespace's programs too, but those reuseport
	 * setup loaded (a "prepared" directory marks them: servers started
	 * later need no verification) only with --all.
	 */
	for (int i = 0; i < 2 && !c->groups_left; i++) {
		const char *p = i ? "udp" : "tcp";
		char mark[16];
		struct stat sb;
		bool kept;

		if (fstatat(c->nsfd, p, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		snprintf(mark, sizeof(mark), "%s/prepared", p);
		kept = fstatat(c->nsfd, mark, &sb, AT_SYMLINK_NOFOLLOW) == 0;
		if (kept && !c->all) {
			printf("kept: %s/%s (the namespace's %s steering program, loaded by reuseport setup; --all removes it)\n",
			       ns_dir, p, i ? "UDP" : "TCP");
			continue;
		}
		if (!c->dry &&
		    ((kept && unlinkat(c->nsfd, mark, AT_REMOVEDIR)) ||
		     rp_remove_group_dirat(c->nsfd, p, why, sizeof(why)))) {
			printf("not removed: %s/%s: %s\n", ns_dir, p,
			       kept && !*why ? strerror(errno) : why);
			continue;
		}
		printf("%s %s/%s (the namespace's %s steering program)\n",
		       c->dry ? "would remove" : "removed", ns_dir, p,
		       i ? "UDP" : "TCP");
	}
	if (lock >= 0)
		rp_netns_unlock(lock);
	close(c->nsfd);
	if (!c->dry)
		rmdir(ns_dir); /* only succeeds when empty */
}

/* Remove dead groups of every namespace under the pin dir's layout dir. */
int cmd_cleanup(int argc, char **argv)
{
	struct cleanup c = { 0 };
	char at[PATH_MAX];
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			c.dry = true;
		else if (!strcmp(argv[i], "--all"))
			c.all = true;
		else
			return cli_usage_error(
				argv[0], "unexpected argument %s", argv[i]);
	}
	n = rp_walk_namespaces(&cfg, cleanup_ns, &c);
	if (n < 0 && cli_bpffs_at(cfg.pin_dir, at, sizeof(at)) != 1) {
		printf("nothing to clean: bpffs is not mounted on %s (%s is not on a bpf filesystem)\n",
		       at, cfg.pin_dir);
		return 0;
	}
	if (n < 0) {
		printf("nothing to clean in %s/v%d (%s)\n", cfg.pin_dir,
		       RP_LAYOUT, strerror(-n));
		return 0;
	}
	printf("%d group(s) %s, %d kept\n", c.removed,
	       c.dry ? "to remove" : "removed", c.kept);
	return 0;
}

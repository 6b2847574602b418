// SPDX-License-Identifier: MIT
/*
 * The one walker over pinned groups, for the command (status, metrics,
 * drain, policy, cleanup) and the supervisor.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rawsys.h"
#include "group_impl.h"
#include "names.h"

int rp_walk_groups(const char *ns_dir, bool with_tmp, rp_group_fn fn, void *arg)
{
	char dir[PATH_MAX + 256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(ns_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct rp_group_view g = {
			.name = de->d_name,
			.dir = dir,
			.socks_fd = -1,
			.tmp = !strncmp(de->d_name, RP_TMP_PREFIX,
					strlen(RP_TMP_PREFIX)),
		};

		/* tcp/ and udp/: the namespace's programs, not groups */
		if (!g.tmp && !rp_is_group_name(de->d_name))
			continue;
		if (g.tmp && !with_tmp)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ns_dir, de->d_name);
		if (!g.tmp)
			g.err = rp_group_open_dir(dir, &g.st, &g.socks_fd,
						  NULL);
		fn(&g, arg);
		n++;
		if (g.st) {
			rp_group_unmap(g.st);
			rp_raw_close(g.socks_fd);
		}
	}
	closedir(d);
	return n;
}

int rp_walk_namespaces(const struct rp_config *cfg, rp_ns_fn fn, void *arg)
{
	char base[PATH_MAX], ns[PATH_MAX + 256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(base, sizeof(base), "%s/v%d", cfg->pin_dir, RP_LAYOUT);
	d = opendir(base);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(ns, sizeof(ns), "%s/%s", base, de->d_name);
		fn(ns, arg);
		n++;
	}
	closedir(d);
	return n;
}

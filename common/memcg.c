// SPDX-License-Identifier: MIT
/*
 * How much memory this process may still charge to its memory cgroup
 * before the kernel's OOM killer acts: loading a BPF program charges the
 * verifier's working memory to the loading process's cgroup, and a server
 * with less headroom than that is killed in the middle of bpf() with no
 * word. Asked before every load and map creation (group/).
 *
 * cgroup v2 (memory.max - memory.current) and v1 (memory.limit_in_bytes
 * - memory.usage_in_bytes), the process's cgroup and every ancestor up to
 * the mount, the smallest wins; a hybrid host (v1 controllers, the v2 tree
 * at /sys/fs/cgroup/unified) is asked in both. Mount points come from
 * /proc/self/mountinfo, never assumed. libc only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memcg.h"
#include "rawsys.h"

/* A small file's first line into buf; false if it cannot be read. */
static bool read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	rp_raw_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* "max" (v2) or a huge v1 limit: no limit */
static bool read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;

	if (!read_line(path, buf, sizeof(buf)))
		return false;
	if (!strcmp(buf, "max")) {
		*v = UINT64_MAX;
		return true;
	}
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && end != buf;
}

/*
 * The mount point of the hierarchy (cgroup2, or cgroup v1 with option opt)
 * and the cgroup path it shows as its root; false if not mounted.
 */
static bool find_mount(bool v2, const char *opt, char *mnt, size_t mlen,
		       char *root, size_t rlen)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char r[1024], m[1024], fstype[64], super[1024];
		char *dash = strstr(line, " - ");

		if (!dash ||
		    sscanf(line, "%*s %*s %*s %1023s %1023s", r, m) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (v2 ? strcmp(fstype, "cgroup2") != 0 :
			 (strcmp(fstype, "cgroup") != 0 ||
			  !rp_memcg_has_option(super, opt)))
			continue;
		snprintf(mnt, mlen, "%s", m);
		snprintf(root, rlen, "%s", r);
		found = true;
	}
	fclose(f);
	return found;
}

bool rp_memcg_has_option(const char *opts, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opts; p && *p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* This process's cgroup path in the v2 tree, or in the v1 memory tree. */
static bool own_path(bool v2, char *path, size_t len)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'),
		     *c2 = c1 ? strchr(c1 + 1, ':') : 0;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(c2 + 1, "\n") + (size_t)(c2 + 1 - line)] = '\0';
		if (v2 ? (c1 == line + 1 && line[0] == '0' && c2 == c1 + 1) :
			 rp_memcg_has_option(c1 + 1, "memory")) {
			snprintf(path, len, "%s", c2 + 1);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * Walk dir and its parents down to mnt: the smallest limit - usage, with
 * the cgroup and limit of that level in where. false if no level has a
 * limit file (the controller is not on this hierarchy).
 */
static bool walk(const char *mnt, char *dir, const char *limit_name,
		 const char *usage_name, const char *rel_base,
		 struct rp_memcg *out)
{
	bool any = false;
	size_t mlen = strlen(mnt);

	for (;;) {
		char p[4200];
		uint64_t limit, usage;

		snprintf(p, sizeof(p), "%s/%s", dir, limit_name);
		if (read_u64(p, &limit)) {
			snprintf(p, sizeof(p), "%s/%s", dir, usage_name);
			if (!read_u64(p, &usage))
				usage = 0;
			any = true;
			/* v1 writes "no limit" as a page-rounded LONG_MAX */
			if (limit < (1ull << 62)) {
				uint64_t room = usage < limit ? limit - usage :
								0;

				if (room < out->headroom) {
					out->headroom = room;
					out->limit = limit;
					out->usage = usage;
					snprintf(out->cgroup,
						 sizeof(out->cgroup), "%s%s",
						 rel_base,
						 dir[mlen] ? dir + mlen : "/");
				}
			}
		}
		if (strlen(dir) <= mlen)
			break;
		*strrchr(dir, '/') = '\0';
		if (strlen(dir) < mlen)
			break;
	}
	return any;
}

/*
 * Where a hierarchy is, found once a process (mountinfo and the
 * process's cgroup are read and parsed: a process that binds many ports
 * asks at every group it creates). A process that moves to another
 * cgroup is asked about the old one: the check errs on its side only if
 * the new one is tighter.
 */
struct where {
	int known; /* 0 not looked, 1 found, -1 none */
	char mnt[1024];
	char dir[4200];
};

static void locate(bool v2, struct where *w)
{
	char mnt[1024], root[1024], path[2048], dir[4200];
	const char *rel;

	w->known = -1;
	if (!find_mount(v2, "memory", mnt, sizeof(mnt), root, sizeof(root)) ||
	    !own_path(v2, path, sizeof(path)))
		return;
	/* the mount shows the subtree at root (a container's cgroup) */
	rel = path;
	if (strcmp(root, "/") && !strncmp(path, root, strlen(root)))
		rel = path + strlen(root);
	snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	memcpy(w->mnt, mnt, sizeof(w->mnt));
	memcpy(w->dir, dir, sizeof(w->dir));
	w->known = 1;
}

/* One hierarchy: v2, or v1's memory controller. */
static void ask(bool v2, struct rp_memcg *out)
{
	static struct where at[2];
	struct where *w = &at[v2];
	char dir[4200];

	if (!w->known)
		locate(v2, w);
	if (w->known < 0)
		return;
	memcpy(dir, w->dir, sizeof(dir));
	if (walk(w->mnt, dir, v2 ? "memory.max" : "memory.limit_in_bytes",
		 v2 ? "memory.current" : "memory.usage_in_bytes",
		 v2 ? "" : "memory:", out))
		out->known = true;
}

void rp_memcg_read(struct rp_memcg *out)
{
	memset(out, 0, sizeof(*out));
	out->headroom = UINT64_MAX;
	ask(true, out);
	ask(false, out);
}

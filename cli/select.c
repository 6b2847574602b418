// SPDX-License-Identifier: MIT
/*
 * Which groups a command sees: --group SPEC (parsed once by spec.c), and
 * the walk over the groups of this network namespace, read-only for the
 * commands that only look.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sys.h"

const char *only_group; /* --group SPEC as written */
static struct cli_spec sel; /* ... parsed once */

int cli_select(const char *spec)
{
	if (cli_parse_spec(spec, true, &sel))
		return cli_usage_error(
			NULL,
			"bad --group %s; accepted: PORT, ADDR:PORT, tcp:PORT, udp:PORT, tcp:[::1]:8080, udp:[::1]:53 or a pin name such as tcp4_127-0-0-1_8080",
			spec);
	only_group = spec;
	return 0;
}

int cli_bpffs_at(const char *path, char *found, size_t len)
{
	char *slash;
	int fs;

	snprintf(found, len, "%s", path);
	while ((fs = rp_is_bpffs(found)) == -ENOENT) {
		slash = strrchr(found, '/');
		if (!slash || slash == found)
			break;
		*slash = '\0';
	}
	return fs;
}

struct walk {
	group_fn fn;
	void *arg;
	bool write;
	int ret;
	int n;
	char others[512]; /* groups here that --group did not select */
};

void cli_add_name(char *list, size_t len, const char *name)
{
	size_t used = strlen(list);

	if (used + strlen(name) + 8 >= len) {
		if (!strstr(list, ", ..."))
			snprintf(list + used, len - used, ", ...");
		return;
	}
	snprintf(list + used, len - used, "%s%s", used ? ", " : "", name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "b, a, c" -> "a, b, c" (a trailing ", ..." stays last) */
static void sort_names(char *list, size_t len)
{
	char copy[512], *names[64], *p = copy, *more;
	size_t n = 0, used = 0;

	snprintf(copy, sizeof(copy), "%s", list);
	more = strstr(copy, ", ...");
	if (more)
		*more = '\0';
	while (p && *p && n < 64) {
		names[n++] = p;
		if ((p = strstr(p, ", "))) {
			*p = '\0';
			p += 2;
		}
	}
	qsort(names, n, sizeof(names[0]), by_name);
	list[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(list + used, len - used, "%s%s",
					 i ? ", " : "", names[i]);
	if (more && used < len)
		snprintf(list + used, len - used, ", ...");
}

/*
 * The state as a reader should see it, without writing the shared one:
 * a copy of the mapping, and a view of it (freed with free_copy()).
 */
static struct rp_state *private_copy(const struct rp_state *st)
{
	struct rp_state *copy = calloc(1, sizeof(*copy));
	void *buf = aligned_alloc(RP_ELEM, st->len);

	if (!copy || !buf) {
		free(copy);
		free(buf);
		return NULL;
	}
	memcpy(buf, st->base, st->len);
	rp_state_view(copy, buf, st->len, &st->lay);
	/* take back dead processes' shares, in the copy only */
	rp_group_gc(copy);
	return copy;
}

static void free_copy(struct rp_state *copy)
{
	free(copy->base);
	free(copy);
}

static void walk_one(const struct rp_group_view *g, void *arg)
{
	struct walk *w = arg;
	struct rp_state *st = g->st;

	if (only_group && !cli_spec_match(&sel, g->name, g->st)) {
		cli_add_name(w->others, sizeof(w->others), g->name);
		return;
	}
	w->n++;
	if (g->err) {
		fprintf(stderr, "reuseport: skipping %s: %s\n", g->dir,
			rp_group_last_error());
		w->ret = -1;
		return;
	}
	if (w->write) {
		rp_group_gc(st); /* report what is, not what dead ones left */
	} else if (!(st = private_copy(g->st))) {
		fprintf(stderr, "reuseport: %s: out of memory\n", g->name);
		w->ret = -1;
		return;
	}
	if (w->fn(g->name, g->dir, st, g->socks_fd, w->arg))
		w->ret = -1;
	if (st != g->st)
		free_copy(st);
}

bool cli_have_bpffs(void)
{
	static int said;
	char at[PATH_MAX];
	int fs = cli_bpffs_at(cfg.pin_dir, at, sizeof(at));

	if (fs == 1 || said++)
		return fs == 1;
	if (fs < 0)
		fprintf(stderr, "reuseport: cannot check the pin dir %s: %s\n",
			at, strerror(-fs));
	else
		fprintf(stderr,
			"reuseport: bpffs is not mounted on %s (%s is not on a bpf filesystem; reuseport setup mounts it)\n",
			at, cfg.pin_dir);
	return false;
}

static int walk(group_fn fn, void *arg, bool write)
{
	struct walk w = { .fn = fn, .arg = arg, .write = write };
	char ns[PATH_MAX];
	int n;

	if (!cli_have_bpffs())
		return -1;
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
	if (w.n)
		return w.ret;
	if (only_group)
		cli_no_match(stderr, only_group, w.others, sizeof(w.others));
	else if (write)
		fprintf(stderr,
			"reuseport: no groups in this network namespace (pin dir %s)\n",
			cfg.pin_dir);
	return only_group || write ? -1 : 0;
}

void cli_no_match(FILE *f, const char *spec, char *others, size_t len)
{
	if (others[0]) {
		sort_names(others, len);
		fprintf(f, "reuseport: no group matches %s; groups here: %s\n",
			spec, others);
	} else {
		fprintf(f,
			"reuseport: no group matches %s: no groups in this network namespace (pin dir %s)\n",
			spec, cfg.pin_dir);
	}
}

int for_each_group(group_fn fn, void *arg)
{
	return walk(fn, arg, false);
}

int for_each_group_rw(group_fn fn, void *arg)
{
	return walk(fn, arg, true);
}

struct names {
	char list[512];
	int n;
};

static int collect(const char *name, const char *dir, struct rp_state *st,
		   int socks_fd, void *arg)
{
	struct names *c = arg;

	(void)dir;
	(void)st;
	(void)socks_fd;
	cli_add_name(c->list, sizeof(c->list), name);
	c->n++;
	return 0;
}

int cli_selected_groups(char *list, size_t len)
{
	struct names c = { .n = 0 };

	if (for_each_group(collect, &c))
		return -1;
	sort_names(c.list, sizeof(c.list));
	snprintf(list, len, "%s", c.list);
	return c.n;
}

uint32_t nslots(const struct rp_state *st)
{
	return rp_nslots(st);
}

// SPDX-License-Identifier: MIT
/*
 * Which groups a command sees: the one GROUP-SPEC parser (--group and
 * reuseport setup), the matcher, and the walk over the groups of this
 * network namespace, read-only for the commands that only look.
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

/* "tcp4_", "udp6_", ...: the pin-name form */
static bool pin_name_form(const char *s)
{
	return (!strncmp(s, "tcp", 3) || !strncmp(s, "udp", 3)) &&
	       (s[3] == '4' || s[3] == '6') && s[4] == '_';
}

static int parse_addr(const char *addr, int family, struct cli_spec *out)
{
	if (inet_pton(family, addr, out->addr) != 1)
		return -1;
	out->family = family;
	return 0;
}

int cli_parse_spec(const char *spec, bool name_ok, struct cli_spec *out)
{
	char buf[128], *p = buf, *port = buf, *c;
	unsigned long n;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf))
		return -1;
	if (pin_name_form(spec)) {
		if (!name_ok || strlen(spec) >= sizeof(out->name))
			return -1;
		snprintf(out->name, sizeof(out->name), "%s", spec);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	if (!strncmp(p, "tcp:", 4) || !strncmp(p, "udp:", 4)) {
		out->proto = p[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		p += 4;
	}
	if (*p == '[') {
		c = strchr(p, ']');
		if (!c || c[1] != ':')
			return -1;
		*c = '\0';
		if (parse_addr(p + 1, AF_INET6, out))
			return -1;
		port = c + 2;
	} else if ((c = strchr(p, ':'))) {
		*c = '\0';
		if (parse_addr(p, AF_INET, out))
			return -1;
		port = c + 1;
	} else {
		port = p;
	}
	if (!cli_parse_ulong(port, 65535, &n) || n == 0)
		return -1;
	out->port = (uint16_t)n;
	return 0;
}

/* What a group is bound to, from its header, else from its pin name. */
static bool group_address(const char *name, const struct rp_state *st,
			  struct cli_spec *g)
{
	char buf[96], *addr, *port, *end;
	unsigned long n;

	memset(g, 0, sizeof(*g));
	if (st && (st->hdr.addr_flags & RP_ADDR_KNOWN)) {
		g->proto = (int)st->hdr.proto;
		g->family = (int)st->hdr.family;
		g->port = (uint16_t)st->hdr.port;
		memcpy(g->addr, st->hdr.addr, sizeof(g->addr));
		return true;
	}
	/* <tcp|udp><4|6>_<addr, dots as '-'>_<port>[_...] */
	if (!pin_name_form(name) || strlen(name) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", name + 5);
	addr = buf;
	port = strchr(addr, '_');
	if (!port)
		return false;
	*port++ = '\0';
	if ((end = strchr(port, '_')))
		*end = '\0';
	if (name[3] == '4')
		for (char *c = addr; *c; c++)
			*c = *c == '-' ? '.' : *c;
	if (parse_addr(addr, name[3] == '4' ? AF_INET : AF_INET6, g) ||
	    !cli_parse_ulong(port, 65535, &n))
		return false;
	g->proto = name[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
	g->port = (uint16_t)n;
	return true;
}

bool cli_spec_match(const struct cli_spec *s, const char *name,
		    const struct rp_state *st)
{
	struct cli_spec g;

	if (s->name[0])
		return !strcmp(s->name, name);
	if (!group_address(name, st, &g))
		return false;
	return g.port == s->port && (!s->proto || s->proto == g.proto) &&
	       (!s->family ||
		(s->family == g.family &&
		 !memcmp(s->addr, g.addr, s->family == AF_INET ? 4 : 16)));
}

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

static void add_name(char *list, size_t len, const char *name)
{
	size_t used = strlen(list);

	if (used + strlen(name) + 8 >= len) {
		if (!strstr(list, ", ..."))
			snprintf(list + used, len - used, ", ...");
		return;
	}
	snprintf(list + used, len - used, "%s%s", used ? ", " : "", name);
}

/* The state as a reader should see it, without writing the shared one. */
static struct rp_state *private_copy(const struct rp_state *st)
{
	struct rp_state *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return NULL;
	copy->hdr = st->hdr;
	memcpy(copy->slots, st->slots, nslots(st) * sizeof(st->slots[0]));
	/* take back dead processes' shares, in the copy only */
	rp_group_gc(copy);
	return copy;
}

static void walk_one(const struct rp_group_view *g, void *arg)
{
	struct walk *w = arg;
	struct rp_state *st = g->st;

	if (only_group && !cli_spec_match(&sel, g->name, g->st)) {
		add_name(w->others, sizeof(w->others), g->name);
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
		free(st);
}

/* The pin dir is on a bpf filesystem; else say so (once) and false. */
static bool have_bpffs(void)
{
	static int said;
	char at[PATH_MAX];

	if (cli_bpffs_at(cfg.pin_dir, at, sizeof(at)) == 1)
		return true;
	if (!said++)
		fprintf(stderr,
			"reuseport: bpffs is not mounted on %s (%s is not on a bpf filesystem; reuseport setup mounts it)\n",
			strcmp(at, cfg.pin_dir) ? at : cfg.pin_dir,
			cfg.pin_dir);
	return false;
}

static int walk(group_fn fn, void *arg, bool write)
{
	struct walk w = { .fn = fn, .arg = arg, .write = write };
	char ns[PATH_MAX];
	int n;

	if (!have_bpffs())
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
	if (only_group && w.others[0]) {
		fprintf(stderr,
			"reuseport: no group matches %s; groups here: %s\n",
			only_group, w.others);
		return -1;
	}
	if (only_group)
		fprintf(stderr,
			"reuseport: no group matches %s: no groups in this network namespace (pin dir %s)\n",
			only_group, cfg.pin_dir);
	else if (write)
		fprintf(stderr,
			"reuseport: no groups in this network namespace (pin dir %s)\n",
			cfg.pin_dir);
	return only_group || write ? -1 : 0;
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
	add_name(c->list, sizeof(c->list), name);
	c->n++;
	return 0;
}

int cli_selected_groups(char *list, size_t len)
{
	struct names c = { .n = 0 };

	if (for_each_group(collect, &c))
		return -1;
	snprintf(list, len, "%s", c.list);
	return c.n;
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

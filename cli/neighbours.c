// SPDX-License-Identifier: MIT
/*
 * A port can have listeners in several kernel groups: other addresses,
 * the other family, a dual-stack IPv6 socket (bound to "::" without
 * IPV6_V6ONLY) beside IPv4 ones. The kernel's lookup picks the best
 * match: the exact address over the wildcard, an IPv4 socket over a
 * dual-stack one for IPv4 traffic (compute_score). So a dual-stack
 * listener beside an IPv4 group gets no IPv4 connection at all: without
 * the tool it would have failed with EADDRINUSE, with it it would starve
 * in silence. status shows every such listener with what it receives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdiag.h"
#include "snapshot.h"

#define MAX_ALL 4096

struct all {
	struct rp_kmember *km;
	int n; /* listeners, or -errno */
};

static bool any_addr(const char *a)
{
	return !strcmp(a, "0.0.0.0") || !strcmp(a, "::");
}

/* What an endpoint o beside group g receives, and whether it starves. */
static void judge(const struct snap_group *g, struct snap_other *o)
{
	bool g4 = !strcmp(g->family, "ipv4"), o4 = !strcmp(o->family, "ipv4");
	bool gdual = !g4 && !g->v6only && !strcmp(g->addr, "::");
	bool odual = !o4 && !o->v6only && !strcmp(o->addr, "::");

	o->warn = false;
	if (g4 && odual) {
		o->warn = true;
		o->receives =
			any_addr(g->addr) ?
				"no IPv4 connection while this group has a member (the kernel prefers IPv4 listeners): IPv6 ones only" :
				"no IPv4 connection to this group's address while it has a member (the kernel prefers IPv4 listeners)";
	} else if (gdual && o4) {
		o->receives =
			"every IPv4 connection to its address (IPv4 listeners are preferred): this group gets none of them";
	} else if (g4 != o4) {
		o->receives = "the other family's connections only";
	} else if (!strcmp(g->addr, o->addr)) {
		o->receives =
			"a share by the kernel's lookup (another kernel group on this address: another device or IPV6_V6ONLY)";
	} else if (any_addr(o->addr)) {
		o->receives =
			"no connection to this group's address (the exact address wins): the port's other addresses";
	} else if (any_addr(g->addr)) {
		o->receives =
			"every connection to its address (the exact address wins): this group gets none of them";
	} else {
		o->receives = "connections to its own address only";
	}
}

static bool same_endpoint(const struct snap_group *g,
			  const struct snap_other *o, bool v6only_known)
{
	return !strcmp(o->family, g->family) && !strcmp(o->addr, g->addr) &&
	       o->ifindex == g->ifindex &&
	       (!strcmp(g->family, "ipv4") || !v6only_known ||
		o->v6only == g->v6only);
}

/* m, a listener of g's port: counted under its endpoint unless g's own */
static void note(const struct snapshot *s, struct snap_group *g,
		 const struct rp_kmember *m, int family)
{
	struct snap_other o = { .family = family == AF_INET6 ? "ipv6" : "ipv4",
				.v6only = m->v6only,
				.ifindex = m->ifindex };

	inet_ntop(family, m->addr, o.addr, sizeof(o.addr));
	if (same_endpoint(g, &o, m->v6only_known))
		return; /* the group's own kernel group */
	for (int i = 0; i < g->nother; i++) {
		struct snap_other *e = &g->other[i];

		if (e->family == o.family && !strcmp(e->addr, o.addr) &&
		    e->v6only == o.v6only && e->ifindex == o.ifindex) {
			e->listeners++;
			e->kqueue += m->rqueue;
			return;
		}
	}
	if (g->nother == SNAP_OTHER_MAX)
		return;
	for (int i = 0; i < s->ngroups; i++) {
		const struct snap_group *h = &s->groups[i];

		if (h != g && !strcmp(h->proto, g->proto) &&
		    h->port == g->port && same_endpoint(h, &o, true))
			snprintf(o.group, sizeof(o.group), "%s", h->name);
	}
	o.listeners = 1;
	o.kqueue = m->rqueue;
	judge(g, &o);
	g->other[g->nother++] = o;
}

#define MAX_ENDPOINTS 512

/*
 * m (of proto and family): counted on its endpoint in ep[] (at most
 * MAX_ENDPOINTS) unless a group of the snapshot is that endpoint's.
 */
static void count_unsteered(const struct snapshot *s, const char *proto,
			    const struct rp_kmember *m, int family,
			    struct snap_port *ep, int *nep)
{
	struct snap_other o = { .family = family == AF_INET6 ? "ipv6" : "ipv4",
				.v6only = m->v6only,
				.ifindex = m->ifindex };

	inet_ntop(family, m->addr, o.addr, sizeof(o.addr));
	for (int i = 0; i < s->ngroups; i++)
		if (!strcmp(s->groups[i].proto, proto) &&
		    s->groups[i].port == m->port &&
		    same_endpoint(&s->groups[i], &o, m->v6only_known))
			return;
	for (int i = 0; i < *nep; i++)
		if (ep[i].proto == proto && ep[i].family == o.family &&
		    ep[i].port == m->port && !strcmp(ep[i].addr, o.addr)) {
			ep[i].listeners++;
			return;
		}
	if (*nep == MAX_ENDPOINTS)
		return;
	ep[*nep] = (struct snap_port){ .proto = proto,
				       .family = o.family,
				       .port = m->port,
				       .listeners = 1 };
	snprintf(ep[*nep].addr, sizeof(ep[*nep].addr), "%s", o.addr);
	(*nep)++;
}

/*
 * Ports several listeners share on one address with no group: only
 * SO_REUSEPORT puts them there together, so the kernel hash spreads the
 * port and nobody steers it (the shim fell back: no capabilities, seccomp,
 * a foreign pin; or the servers run without it).
 */
static void unsteered_ports(struct snapshot *s, struct all all[2][2],
			    const int fams[2])
{
	struct snap_port *ep = calloc(MAX_ENDPOINTS, sizeof(*ep));
	int nep = 0;

	if (!ep)
		return;
	for (int p = 0; p < 2; p++)
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < all[p][f].n && k < MAX_ALL; k++)
				count_unsteered(s, p ? "udp" : "tcp",
						&all[p][f].km[k], fams[f], ep,
						&nep);
	for (int i = 0; i < nep && s->nunsteered < SNAP_OTHER_MAX; i++)
		if (ep[i].listeners > 1)
			s->unsteered[s->nunsteered++] = ep[i];
	free(ep);
}

void snap_neighbours(struct snapshot *s)
{
	/* one dump a protocol and family, shared by the groups */
	struct all all[2][2];
	static const int fams[2] = { AF_INET, AF_INET6 };

	for (int p = 0; p < 2; p++)
		for (int f = 0; f < 2; f++) {
			struct all *a = &all[p][f];

			a->km = calloc(MAX_ALL, sizeof(*a->km));
			a->n = a->km ? rp_kernel_all_listeners(
					       p ? IPPROTO_UDP : IPPROTO_TCP,
					       fams[f], a->km, MAX_ALL) :
				       -ENOMEM;
		}
	for (int i = 0; i < s->ngroups; i++) {
		struct snap_group *g = &s->groups[i];
		int p = g->proto[0] == 'u';

		for (int f = 0; f < 2; f++)
			for (int k = 0; k < all[p][f].n && k < MAX_ALL; k++)
				if (all[p][f].km[k].port == g->port)
					note(s, g, &all[p][f].km[k], fams[f]);
	}
	unsteered_ports(s, all, fams);
	for (int p = 0; p < 2; p++)
		for (int f = 0; f < 2; f++)
			free(all[p][f].km);
}

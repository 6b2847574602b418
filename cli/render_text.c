// SPDX-License-Identifier: MIT
/* reuseport status: a snapshot as text for people. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "registry_names.h"
#include "snapshot.h"

/* "-" for unknown numbers */
static const char *num(char *buf, size_t len, bool known, double v,
		       const char *fmt)
{
	if (!known)
		return "-";
	snprintf(buf, len, fmt, v);
	return buf;
}

static void slot_line(FILE *f, const struct snap_group *g,
		      const struct snap_slot *o, bool rates)
{
	char inst[16], q[16], b[16], r[24];
	bool tcp = g->proto[0] == 't';

	fprintf(f,
		"  %-5u %-5s %-8u %-5u %-6u %-9s %10llu %10llu %8lld %8lld %8s %8s",
		o->slot,
		num(inst, sizeof(inst), o->instance, o->instance, "%.0f"),
		o->pid, o->generation, o->weight, o->state,
		(unsigned long long)o->selected,
		(unsigned long long)o->accepted, (long long)o->active,
		(long long)o->queued,
		num(q, sizeof(q), o->kernel, o->kqueue, "%.0f"),
		num(b, sizeof(b), o->kernel && tcp, o->kbacklog, "%.0f"));
	if (rates)
		fprintf(f, " %9s",
			num(r, sizeof(r), o->selected_rate >= 0,
			    o->selected_rate, "%.1f"));
	fprintf(f, "\n");
}

static void unregistered(FILE *f, const struct snap_group *g)
{
	if (g->unregistered < 0) {
		fprintf(f, "  kernel listeners unknown (%s)\n",
			g->kernel_err == -ENODATA ?
				"the group does not know its address" :
				"sock_diag failed");
		return;
	}
	if (!g->unregistered)
		return;
	fprintf(f,
		"  %d listener(s) in the kernel group are not registered; socket inode (queue):",
		g->unregistered);
	for (int i = 0; i < g->nunreg; i++)
		fprintf(f, " %u (%u)", g->unreg[i].inode, g->unreg[i].kqueue);
	fprintf(f, "%s\n", g->unregistered > g->nunreg ? " ..." : "");
}

/* What the program does now, and listeners that get nothing from it. */
static void steering(FILE *f, const struct snap_group *g)
{
	const char *sep = "";

	if (g->kernel_hash) {
		fprintf(f, "  kernel hash for every new %s:",
			g->proto[0] == 't' ? "connection" : "datagram");
		if (g->kh_unsteered) {
			fprintf(f,
				" %u process(es) could not register a member",
				g->kh_unsteered);
			sep = ";";
		}
		if (g->kh_unregistered) {
			fprintf(f,
				"%s %u listener(s) outside the map at the last check",
				sep, g->kh_unregistered);
			sep = ";";
		}
		if (g->kh_outsider)
			fprintf(f,
				"%s the program saw a listener outside the map (cookie %llu)",
				sep, (unsigned long long)g->outsider_cookie);
		fprintf(f, "\n");
	} else if (g->unregistered > 0) {
		fprintf(f,
			"  WARNING: %d listener(s) outside the map get no new %s: the program has not seen them yet (it looks at the newest IPv4 and the oldest IPv6 member); the next registration, reuseport run or reuseport adopt switches to the kernel hash\n",
			g->unregistered,
			g->proto[0] == 't' ? "connection" : "datagram");
	}
}

/* Listeners of the port outside the group, and what they receive. */
static void neighbours(FILE *f, const struct snap_group *g)
{
	for (int i = 0; i < g->nother; i++) {
		const struct snap_other *o = &g->other[i];
		bool v6 = !strcmp(o->family, "ipv6");

		fprintf(f,
			"  %salso on port %u: %s%s%s%s%s, %u listener(s)%s%s: %s\n",
			o->warn ? "WARNING: " : "", g->port, v6 ? "[" : "",
			o->addr, v6 ? "]" : "",
			v6 ? (o->v6only ? " (IPv6 only)" : " (dual-stack)") :
			     "",
			o->ifindex ? " (bound to a device)" : "", o->listeners,
			o->group[0] ? " in group " : ", in no group", o->group,
			o->receives);
	}
}

/* Slots a supervisor registered for binaries the shim does not reach. */
static void adopted_line(FILE *f, const struct snap_group *g)
{
	bool any = false;

	for (uint32_t j = 0; j < g->live; j++) {
		if (!g->slots[j].adopted)
			continue;
		fprintf(f, "%s %u",
			any ? "" :
			      "  adopted (accepts unseen: a binary the shim does not reach, or a holder without it; never stalled): slot",
			g->slots[j].slot);
		any = true;
	}
	if (any)
		fprintf(f, "\n");
}

static void group(FILE *f, const struct snap_group *g, bool rates)
{
	char ep[80];

	fprintf(f,
		"group %s  %s %s  policy=%s  live=%u  slots=%u  max_generation=%u%s\n",
		g->name, g->proto, snap_endpoint(g, ep, sizeof(ep)), g->policy,
		g->live, g->max_slots, g->max_generation,
		g->kernel_hash ? "  KERNEL HASH" : "");
	steering(f, g);
	unregistered(f, g);
	neighbours(f, g);
	if (g->flows)
		fprintf(f, "  udp flows: %ld of %u entries, %llu hits\n",
			g->flow_entries < 0 ? 0 : g->flow_entries, g->flow_max,
			(unsigned long long)g->counters[RP_CNT_FLOW_HITS]);
	fprintf(f, "  %-5s %-5s %-8s %-5s %-6s %-9s %10s %10s %8s %8s %8s %8s",
		"slot", "inst", "pid", "gen", "weight", "state", "selected",
		"accepted", "active", "queued",
		g->proto[0] == 't' ? "acceptq" : "recvq", "backlog");
	if (rates)
		fprintf(f, " %9s", "conn/s");
	fprintf(f, "\n");
	for (uint32_t j = 0; j < g->live; j++)
		slot_line(f, g, &g->slots[j], rates);
	adopted_line(f, g);
	fprintf(f, "  program:");
	for (int c = 0; c < RP_CNT_MAX; c++)
		fprintf(f, " %s=%llu", rp_counter_name((enum rp_counter)c),
			(unsigned long long)g->counters[c]);
	fprintf(f, "\n");
}

/* Ports shared with no group: the kernel hash, nobody steering. */
static void unsteered_ports(FILE *f, const struct snapshot *s)
{
	for (int i = 0; i < s->nunsteered; i++) {
		const struct snap_port *u = &s->unsteered[i];
		bool v6 = !strcmp(u->family, "ipv6");

		fprintf(f,
			"UNSTEERED: %s %s%s%s:%u is shared by %u listeners with no group: the kernel hash spreads it (the servers' event=fallback line says why: capabilities, seccomp, a foreign pin, no bpffs; or they run without the shim)\n",
			u->proto, v6 ? "[" : "", u->addr, v6 ? "]" : "",
			u->port, u->listeners);
	}
}

int render_text(FILE *f, const struct snapshot *s)
{
	for (int i = 0; i < s->ngroups; i++)
		group(f, &s->groups[i], s->interval_s > 0);
	unsteered_ports(f, s);
	if (!s->ngroups && !s->no_bpffs)
		fprintf(f, "no groups in this network namespace (pin dir %s)\n",
			s->pin_dir);
	else if (s->interval_s > 0)
		fprintf(f,
			"conn/s: connections (UDP: datagrams) the program sent to the slot per second over the last %.1f s\n",
			s->interval_s);
	return ferror(f) ? -1 : 0;
}

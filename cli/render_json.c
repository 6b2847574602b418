// SPDX-License-Identifier: MIT
/*
 * reuseport status --json: a snapshot as JSON through json-c (escaping is
 * the library's). The schema is docs/status-schema.json; its version is
 * STATUS_SCHEMA_VERSION, raised when a field changes meaning or goes away
 * (new fields do not change it).
 */
#include <json-c/json.h>
#include <stdio.h>

#include "registry_names.h"
#include "snapshot.h"

#define STATUS_SCHEMA_VERSION 1

typedef struct json_object J;

static void put(J *o, const char *k, J *v)
{
	json_object_object_add(o, k, v);
}

static J *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static J *i64(int64_t v)
{
	return json_object_new_int64(v);
}

static J *str(const char *s)
{
	return json_object_new_string(s);
}

/* a number written with fmt ("%.1f"), null when negative (unknown) */
static J *dbl(double v, const char *fmt)
{
	char buf[48];

	if (v < 0)
		return NULL;
	snprintf(buf, sizeof(buf), fmt, v);
	return json_object_new_double_s(v, buf);
}

static J *rate(double v)
{
	return dbl(v, "%.1f");
}

static J *opt_u64(bool known, uint64_t v)
{
	return known ? u64(v) : NULL;
}

/* What the kernel reported of a listener: TCP queue and backlog, UDP bytes. */
static void kernel_queue(J *o, bool known, bool tcp, uint64_t q, uint64_t b)
{
	put(o, "accept_queue", opt_u64(known && tcp, q));
	put(o, "backlog", opt_u64(known && tcp, b));
	put(o, "recv_queue_bytes", opt_u64(known && !tcp, q));
}

static J *slot(const struct snap_group *g, const struct snap_slot *o)
{
	bool tcp = g->proto[0] == 't';
	J *s = json_object_new_object(), *procs = json_object_new_array();

	put(s, "slot", u64(o->slot));
	put(s, "pid", u64(o->pid));
	put(s, "instance", opt_u64(o->instance, o->instance));
	put(s, "generation", u64(o->generation));
	put(s, "weight", u64(o->weight));
	put(s, "cpu", i64(o->cpu));
	put(s, "state", str(o->state));
	put(s, "draining", json_object_new_boolean(o->draining));
	put(s, "role", str(o->standby ? "standby" : "primary"));
	put(s, "stalled", json_object_new_boolean(o->stalled));
	put(s, "adopted", json_object_new_boolean(o->adopted));
	put(s, "selected", u64(o->selected));
	put(s, "migrated", u64(o->migrated));
	put(s, "accepted", u64(o->accepted));
	put(s, "active", i64(o->active));
	put(s, "queued", i64(o->queued));
	kernel_queue(s, o->kernel, tcp, o->kqueue, o->kbacklog);
	put(s, "selected_per_s", rate(o->selected_rate));
	put(s, "accepted_per_s", rate(o->accepted_rate));
	for (int k = 0; k < o->nprocs; k++) {
		J *p = json_object_new_object();

		put(p, "pid", u64(o->procs[k].pid));
		put(p, "active", i64(o->procs[k].active));
		json_object_array_add(procs, p);
	}
	put(s, "processes", procs);
	return s;
}

/* Listeners of the port outside the group (snap_neighbours). */
static J *others(const struct snap_group *g)
{
	J *a = json_object_new_array();

	for (int i = 0; i < g->nother; i++) {
		const struct snap_other *x = &g->other[i];
		J *e = json_object_new_object();

		put(e, "family", str(x->family));
		put(e, "address", str(x->addr));
		put(e, "v6only", json_object_new_boolean(x->v6only));
		put(e, "ifindex", i64(x->ifindex));
		put(e, "listeners", u64(x->listeners));
		put(e, "accept_queue", u64(x->kqueue));
		put(e, "group", x->group[0] ? str(x->group) : NULL);
		put(e, "receives", str(x->receives));
		put(e, "warning", json_object_new_boolean(x->warn));
		json_object_array_add(a, e);
	}
	return a;
}

static J *group(const struct snap_group *g)
{
	J *o = json_object_new_object(), *c = json_object_new_object();
	J *slots = json_object_new_array(), *unreg = json_object_new_array();
	J *f;

	put(o, "name", str(g->name));
	put(o, "proto", str(g->proto));
	put(o, "family", str(g->family));
	put(o, "address", g->addr[0] ? str(g->addr) : NULL);
	put(o, "port", u64(g->port));
	put(o, "ifindex", i64(g->ifindex));
	put(o, "policy", str(g->policy));
	put(o, "max_slots", u64(g->max_slots));
	put(o, "live", u64(g->live));
	put(o, "unsteered", u64(g->unsteered));
	put(o, "unregistered",
	    g->unregistered < 0 ? NULL : i64(g->unregistered));
	for (int i = 0; i < g->nunreg; i++) {
		J *u = json_object_new_object();
		bool tcp = g->proto[0] == 't';

		put(u, "inode", u64(g->unreg[i].inode));
		kernel_queue(u, true, tcp, g->unreg[i].kqueue,
			     g->unreg[i].kbacklog);
		json_object_array_add(unreg, u);
	}
	put(o, "unregistered_listeners", unreg);
	put(o, "other_listeners", others(g));
	f = json_object_new_object();
	put(f, "mode", str(g->kernel_hash ? "kernel_hash" : "program"));
	put(f, "unsteered", u64(g->kh_unsteered));
	put(f, "unregistered", u64(g->kh_unregistered));
	put(f, "outsider", g->kh_outsider ? u64(g->outsider_cookie) : NULL);
	put(o, "steering", f);
	put(o, "max_generation", u64(g->max_generation));
	put(o, "selected_per_s", rate(g->selected_rate));
	for (int k = 0; k < RP_CNT_MAX; k++)
		put(c, rp_counter_name((enum rp_counter)k),
		    u64(g->counters[k]));
	put(o, "counters", c);
	f = json_object_new_object();
	put(f, "enabled", json_object_new_boolean(g->flows));
	put(f, "max", u64(g->flow_max));
	put(f, "entries",
	    opt_u64(g->flow_entries >= 0, (uint64_t)g->flow_entries));
	put(o, "udp_flows", f);
	f = json_object_new_object();
	put(f, "queue", u64(g->stall_queue));
	put(f, "ms", u64(g->stall_ms));
	put(o, "stall", f);
	for (uint32_t j = 0; j < g->live; j++)
		json_object_array_add(slots, slot(g, &g->slots[j]));
	put(o, "slots", slots);
	return o;
}

int render_json(FILE *f, const struct snapshot *s)
{
	J *root = json_object_new_object(), *groups = json_object_new_array();
	J *unst = json_object_new_array();
	put(root, "schema_version", i64(STATUS_SCHEMA_VERSION));
	put(root, "pin_dir", str(s->pin_dir));
	put(root, "namespace_dir", str(s->ns_dir));
	put(root, "time", dbl(s->wall, "%.3f"));
	put(root, "interval_s",
	    s->interval_s > 0 ? dbl(s->interval_s, "%.3f") : NULL);
	put(root, "errors", i64(s->errors));
	for (int i = 0; i < s->ngroups; i++)
		json_object_array_add(groups, group(&s->groups[i]));
	put(root, "groups", groups);
	for (int i = 0; i < s->nunsteered; i++) {
		const struct snap_port *u = &s->unsteered[i];
		J *e = json_object_new_object();

		put(e, "proto", str(u->proto));
		put(e, "family", str(u->family));
		put(e, "address", str(u->addr));
		put(e, "port", u64(u->port));
		put(e, "listeners", u64(u->listeners));
		json_object_array_add(unst, e);
	}
	put(root, "unsteered_ports", unst);
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(
			root, JSON_C_TO_STRING_PRETTY |
				      JSON_C_TO_STRING_SPACED |
				      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return ferror(f) ? -1 : 0;
}

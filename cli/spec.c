// SPDX-License-Identifier: MIT
/*
 * GROUP-SPEC: the one parser (reuseport --group and reuseport setup) and
 * the matcher of a group against it. Pure logic (tests/unit/test_spec.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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

/* What a group is bound to, from its header, else from its pin name. */
static bool group_address(const char *name, const struct rp_state *st,
			  struct cli_spec *g)
{
	char buf[96], *addr, *port, *end;
	unsigned long n;

	memset(g, 0, sizeof(*g));
	if (st) {
		g->proto = (int)st->meta->proto;
		g->family = (int)st->meta->family;
		g->port = (uint16_t)st->meta->port;
		memcpy(g->addr, st->meta->addr, sizeof(g->addr));
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

int cli_parse_spec(const char *spec, bool name_ok, struct cli_spec *out)
{
	char buf[128], *p = buf, *port = buf, *c;
	unsigned long n;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf))
		return -1;
	if (pin_name_form(spec)) {
		/* a name that says what a pin name says */
		if (!name_ok || strlen(spec) >= sizeof(out->name) ||
		    !group_address(spec, NULL, out))
			return -1;
		memset(out, 0, sizeof(*out));
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

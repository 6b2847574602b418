// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_PORTS and REUSEPORT_ADDRS: the lists (and their legacy
 * LIBREUSEPORT_* forms) and the scope tests the hooks ask at bind/listen.
 * Parsing rules: config_rules.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_rules.h"

/* clang-format off */
#define PORTS_ACCEPTED \
	"all, or a comma separated list of [tcp:|udp:]PORT[-PORT] with ports 1-65535"
#define ADDRS_ACCEPTED \
	"all, or a comma separated list of IPv4/IPv6 addresses or CIDR prefixes (ADDR/LEN)"
/* clang-format on */

/* Reason text for an entry, naming it only when the list has several. */
#define ENTRY_FMT "%s%s%s"
#define ENTRY_ARGS(multi, ent) \
	(multi) ? " in entry \"" : "", (multi) ? (ent) : "", (multi) ? "\"" : ""

static bool parse_port_entry(struct rp_config *cfg, const char *name,
			     const char *v, bool multi, const char *s,
			     const char *e, void *out)
{
	struct rp_port_range *r = out;
	char ent[ECHO_BUF];
	const char *dash;
	uint32_t lo, hi;
	enum dec d;

	cfg_echo_entry(ent, sizeof(ent), s, e);
	r->protos = RP_PROTO_TCP | RP_PROTO_UDP;
	if (e - s >= 4 && memcmp(s, "tcp:", 4) == 0) {
		r->protos = RP_PROTO_TCP;
		s += 4;
	} else if (e - s >= 4 && memcmp(s, "udp:", 4) == 0) {
		r->protos = RP_PROTO_UDP;
		s += 4;
	}
	if (memchr(s, ':', (size_t)(e - s))) {
		cfg_bad(cfg, name, v, PORTS_ACCEPTED,
			"unknown protocol (tcp: or udp:)" ENTRY_FMT,
			ENTRY_ARGS(multi, ent));
		return false;
	}
	dash = memchr(s, '-', (size_t)(e - s));
	d = cfg_parse_dec(s, dash ? dash : e, 1, 65535, &lo);
	if (d == DEC_OK) {
		hi = lo;
		if (dash)
			d = cfg_parse_dec(dash + 1, e, 1, 65535, &hi);
	}
	if (d != DEC_OK) {
		cfg_bad(cfg, name, v, PORTS_ACCEPTED, "%s" ENTRY_FMT,
			d == DEC_BAD ? "not a port number" :
				       "port out of range",
			ENTRY_ARGS(multi, ent));
		return false;
	}
	if (lo > hi) {
		cfg_bad(cfg, name, v, PORTS_ACCEPTED,
			"bad range (low > high)" ENTRY_FMT,
			ENTRY_ARGS(multi, ent));
		return false;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return true;
}

/* One entry of a list: parse [s, e) into out, or report and fail. */
typedef bool (*entry_fn)(struct rp_config *cfg, const char *name, const char *v,
			 bool multi, const char *s, const char *e, void *out);

/* A list variable: its names, and at most max entries of size bytes. */
struct list_var {
	const char *name;
	const char *legacy; /* msantos/reuseport's form: one entry */
	const char *accepted;
	int max;
	entry_fn fn;
	size_t size;
};

/*
 * A comma separated list of entries, or the word "all", into lv->max
 * elements at base; *all and *count receive the result.
 */
static bool parse_list(struct rp_config *cfg, const struct list_var *lv,
		       const char *name, const char *v, size_t len, void *base,
		       bool *all_out, int *count)
{
	const char *p = v, *end = v + len;
	bool multi = memchr(v, ',', len) != NULL;
	bool all = false;
	int n = 0;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *s = p, *e = comma ? comma : end;

		cfg_trim(&s, &e);
		if (s == e) {
			cfg_bad(cfg, name, v, lv->accepted, "empty entry");
			return false;
		}
		if (cfg_entry_is(s, e, "all")) {
			all = true;
		} else if (n == lv->max) {
			cfg_bad(cfg, name, v, lv->accepted,
				"too many entries (at most %d)", lv->max);
			return false;
		} else if (!lv->fn(cfg, name, v, multi, s, e,
				   (char *)base + (size_t)n * lv->size)) {
			return false;
		} else {
			n++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (all && multi) {
		cfg_bad(cfg, name, v, lv->accepted,
			"all cannot be combined with other entries");
		return false;
	}
	*all_out = all;
	*count = n;
	return true;
}

/*
 * lv->name, else its legacy form (a list is a superset of one entry).
 * A bad list leaves the default: all, no entries.
 */
static void parse_list_var(struct rp_config *cfg, rp_getenv_fn get,
			   const struct list_var *lv, void *base, bool *all,
			   int *count)
{
	const char *used = lv->name, *v;
	size_t len;

	v = cfg_lookup(get, lv->name, &len);
	if (!v) {
		v = cfg_lookup(get, lv->legacy, &len);
		used = lv->legacy;
	}
	if (!v || cfg_too_long(cfg, used, v, len, lv->accepted))
		return;
	if (!parse_list(cfg, lv, used, v, len, base, all, count)) {
		*all = true;
		*count = 0;
		return;
	}
	if (used == lv->legacy)
		cfg_note_legacy(cfg, lv->legacy, v, lv->name);
}

static void mask_host_bits(struct rp_cidr *c)
{
	unsigned int bytes = c->family == AF_INET ? 4 : 16;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int first = i * 8;
		unsigned int keep = c->prefix > first ? c->prefix - first : 0;

		if (keep < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

static bool parse_addr_entry(struct rp_config *cfg, const char *name,
			     const char *v, bool multi, const char *s,
			     const char *e, void *out)
{
	struct rp_cidr *c = out;
	char ent[ECHO_BUF], a[INET6_ADDRSTRLEN];
	const char *slash = memchr(s, '/', (size_t)(e - s));
	const char *ae = slash ? slash : e;
	uint32_t prefix, max;

	cfg_echo_entry(ent, sizeof(ent), s, e);
	/* Too long for any address: inet_pton would fail on it anyway. */
	if ((size_t)(ae - s) >= sizeof(a))
		goto bad_addr;
	memcpy(a, s, (size_t)(ae - s));
	a[ae - s] = '\0';
	memset(c, 0, sizeof(*c));
	if (memchr(a, ':', (size_t)(ae - s))) {
		c->family = AF_INET6;
		max = 128;
	} else {
		c->family = AF_INET;
		max = 32;
	}
	if (inet_pton(c->family, a, c->addr) != 1)
		goto bad_addr;
	prefix = max;
	if (slash && cfg_parse_dec(slash + 1, e, 0, max, &prefix) != DEC_OK) {
		cfg_bad(cfg, name, v, ADDRS_ACCEPTED,
			"bad prefix length (0-%u for IPv%c)" ENTRY_FMT, max,
			c->family == AF_INET ? '4' : '6',
			ENTRY_ARGS(multi, ent));
		return false;
	}
	c->prefix = (uint8_t)prefix;
	/* 10.1.2.3/8 means 10.0.0.0/8, as in ip(8) routes and nft sets. */
	mask_host_bits(c);
	return true;

bad_addr:
	cfg_bad(cfg, name, v, ADDRS_ACCEPTED,
		"not an IPv4 or IPv6 address" ENTRY_FMT,
		ENTRY_ARGS(multi, ent));
	return false;
}

/*
 * The legacy forms took one entry: LIBREUSEPORT_PORT one port,
 * LIBREUSEPORT_ADDR one exact address (a /32 or /128).
 */
static const struct list_var ports_var = {
	"REUSEPORT_PORTS",  "LIBREUSEPORT_PORT", PORTS_ACCEPTED,
	RP_MAX_PORT_RANGES, parse_port_entry,	 sizeof(struct rp_port_range)
};
static const struct list_var addrs_var = {
	"REUSEPORT_ADDRS", "LIBREUSEPORT_ADDR", ADDRS_ACCEPTED,
	RP_MAX_ADDRS,	   parse_addr_entry,	sizeof(struct rp_cidr)
};

void rp_cfg_parse_scope(struct rp_config *cfg, rp_getenv_fn get)
{
	parse_list_var(cfg, get, &ports_var, cfg->ports, &cfg->all_ports,
		       &cfg->nports);
	parse_list_var(cfg, get, &addrs_var, cfg->addrs, &cfg->all_addrs,
		       &cfg->naddrs);
}

bool rp_config_port_in_scope(const struct rp_config *cfg, int proto,
			     uint16_t port)
{
	uint8_t bit;
	int i;

	if (proto == IPPROTO_TCP)
		bit = RP_PROTO_TCP;
	else if (proto == IPPROTO_UDP)
		bit = RP_PROTO_UDP;
	else
		return false;
	/* Port 0 asks the kernel for a private ephemeral port. */
	if (port == 0)
		return false;
	if (cfg->all_ports)
		return true;
	for (i = 0; i < cfg->nports; i++) {
		const struct rp_port_range *r = &cfg->ports[i];

		if ((r->protos & bit) && port >= r->lo && port <= r->hi)
			return true;
	}
	return false;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net,
			 unsigned int prefix)
{
	unsigned int bytes = prefix / 8, bits = prefix % 8;
	uint8_t mask;

	if (memcmp(a, net, bytes) != 0)
		return false;
	if (!bits)
		return true;
	mask = (uint8_t)(0xff << (8 - bits));
	return ((a[bytes] ^ net[bytes]) & mask) == 0;
}

static bool cidrs_match(const struct rp_config *cfg, int family,
			const uint8_t *a)
{
	int i;

	for (i = 0; i < cfg->naddrs; i++) {
		const struct rp_cidr *c = &cfg->addrs[i];

		if (c->family == family && prefix_match(a, c->addr, c->prefix))
			return true;
	}
	return false;
}

bool rp_config_addr_in_scope(const struct rp_config *cfg,
			     const struct sockaddr *sa)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	if (!sa)
		return false;
	/* Copies: the application's sockaddr need not be aligned. */
	switch (sa->sa_family) {
	case AF_INET:
		if (cfg->all_addrs)
			return true;
		memcpy(&in, sa, sizeof(in));
		return cidrs_match(cfg, AF_INET,
				   (const uint8_t *)&in.sin_addr.s_addr);
	case AF_INET6:
		if (cfg->all_addrs)
			return true;
		memcpy(&in6, sa, sizeof(in6));
		if (cidrs_match(cfg, AF_INET6, in6.sin6_addr.s6_addr))
			return true;
		/* A dual-stack server binding ::ffff:127.0.0.1 means IPv4. */
		return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) &&
		       cidrs_match(cfg, AF_INET, in6.sin6_addr.s6_addr + 12);
	default:
		return false;
	}
}

// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_UDP_FLOWS, REUSEPORT_STALL, REUSEPORT_ROLE and REUSEPORT_STEAL
 * -> struct rp_config (the rules of config_rules.c apply: exact,
 * case-sensitive, decimal).
 */
#include <string.h>

#include "config.h"
#include "config_rules.h"

/* clang-format off */
#define FLOWS_ACCEPTED                                                      \
	"0 or off (default), 1 or on (" STR(RP_FLOWS_DEFAULT) " flows), or " \
	"a table size " STR(RP_FLOWS_MIN) "-" STR(RP_FLOWS_MAX)
#define STALL_ACCEPTED                                                    \
	"off, on (default: " STR(RP_STALL_QUEUE) "," STR(RP_STALL_MS) "), " \
	"or QUEUE,MS with QUEUE 1-1000000 connections and MS 1-3600000"
#define ROLE_ACCEPTED "primary (default) or standby"
#define STEAL_ACCEPTED "off (default, also 0) or MS, 1-60000 milliseconds"
/* clang-format on */

static void parse_flows(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_UDP_FLOWS";
	size_t len;
	const char *v = cfg_lookup(get, name, &len);
	uint32_t n;

	if (!v || cfg_too_long(cfg, name, v, len, FLOWS_ACCEPTED))
		return;
	if (strcmp(v, "0") == 0 || strcmp(v, "off") == 0) {
		cfg->udp_flows = 0;
		return;
	}
	if (strcmp(v, "1") == 0 || strcmp(v, "on") == 0) {
		cfg->udp_flows = RP_FLOWS_DEFAULT;
		return;
	}
	switch (cfg_parse_dec(v, v + len, RP_FLOWS_MIN, RP_FLOWS_MAX, &n)) {
	case DEC_OK:
		cfg->udp_flows = n;
		break;
	case DEC_BAD:
		cfg_bad(cfg, name, v, FLOWS_ACCEPTED, "not a decimal integer");
		break;
	case DEC_RANGE:
		cfg_bad(cfg, name, v, FLOWS_ACCEPTED, "out of range");
		break;
	}
}

static void parse_stall(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_STALL";
	size_t len;
	const char *v = cfg_lookup(get, name, &len);
	const char *comma;
	uint32_t q, ms;

	if (!v || cfg_too_long(cfg, name, v, len, STALL_ACCEPTED))
		return;
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		cfg->stall_queue = 0;
		cfg->stall_ms = 0;
		return;
	}
	if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return; /* the defaults */
	comma = memchr(v, ',', len);
	if (!comma) {
		cfg_bad(cfg, name, v, STALL_ACCEPTED, "not QUEUE,MS");
		return;
	}
	if (cfg_parse_dec(v, comma, 1, 1000000, &q) != DEC_OK ||
	    cfg_parse_dec(comma + 1, v + len, 1, 3600000, &ms) != DEC_OK) {
		cfg_bad(cfg, name, v, STALL_ACCEPTED,
			"QUEUE or MS is not an integer in range");
		return;
	}
	cfg->stall_queue = q;
	cfg->stall_ms = ms;
}

static void parse_role(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_ROLE";
	size_t len;
	const char *v = cfg_lookup(get, name, &len);

	if (!v || cfg_too_long(cfg, name, v, len, ROLE_ACCEPTED))
		return;
	if (strcmp(v, "primary") == 0)
		cfg->standby = false;
	else if (strcmp(v, "standby") == 0)
		cfg->standby = true;
	else
		cfg_bad(cfg, name, v, ROLE_ACCEPTED, "unknown role");
}

static void parse_steal(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_STEAL";
	size_t len;
	const char *v = cfg_lookup(get, name, &len);
	uint32_t ms;

	if (!v || cfg_too_long(cfg, name, v, len, STEAL_ACCEPTED))
		return;
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
		cfg->steal_ms = 0;
		return;
	}
	switch (cfg_parse_dec(v, v + len, 1, 60000, &ms)) {
	case DEC_OK:
		cfg->steal_ms = ms;
		break;
	case DEC_BAD:
		cfg_bad(cfg, name, v, STEAL_ACCEPTED, "not a decimal integer");
		break;
	case DEC_RANGE:
		cfg_bad(cfg, name, v, STEAL_ACCEPTED, "out of range");
		break;
	}
}

void rp_cfg_parse_features(struct rp_config *cfg, rp_getenv_fn get)
{
	parse_flows(cfg, get);
	parse_stall(cfg, get);
	parse_role(cfg, get);
	parse_steal(cfg, get);
}

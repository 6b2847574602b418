// SPDX-License-Identifier: MIT
/*
 * Unit tests of common/config_feat.c: REUSEPORT_UDP_FLOWS,
 * REUSEPORT_STALL and REUSEPORT_ROLE, good and bad values, defaults.
 */
#include <string.h>

#include "config.h"
#include "unit.h"

static const char *env_name, *env_value;

static const char *fake_getenv(const char *name)
{
	return env_name && strcmp(name, env_name) == 0 ? env_value : NULL;
}

static void parse1(struct rp_config *cfg, const char *name, const char *v)
{
	env_name = name;
	env_value = v;
	rp_config_parse(cfg, fake_getenv, false);
}

static void test_defaults(void)
{
	struct rp_config cfg;

	parse1(&cfg, NULL, NULL);
	CHECK_EQ_INT(cfg.udp_flows, 0, "flow table off by default");
	CHECK_EQ_INT(cfg.stall_queue, RP_STALL_QUEUE, "default stall queue");
	CHECK_EQ_INT(cfg.stall_ms, RP_STALL_MS, "default stall time");
	CHECK(!cfg.standby, "primary by default");
	CHECK_EQ_INT((int)cfg.steal_ms, 0, "stealing off by default");
	parse1(&cfg, "REUSEPORT_UDP_FLOWS", "");
	CHECK(!cfg.invalid && cfg.udp_flows == 0, "REUSEPORT_UDP_FLOWS= unset");
}

static const struct {
	const char *value;
	unsigned int want;
} good_flows[] = {
	{ "0", 0 },
	{ "off", 0 },
	{ "1", RP_FLOWS_DEFAULT },
	{ "on", 65536 },
	{ "64", 64 },
	{ "65536", 65536 },
	{ "4194304", 4194304 },
	{ "000128", 128 },
};

static const char *const bad_flows[] = { "2",  "63", "4194305", "yes",
					 "-1", " 1", "1k",	"ON" };

static const struct {
	const char *value;
	unsigned int queue, ms;
} good_stalls[] = {
	{ "off", 0, 0 },
	{ "0", 0, 0 },
	{ "on", 16, 1000 },
	{ "1", 16, 1000 },
	{ "8,500", 8, 500 },
	{ "1,1", 1, 1 },
	{ "1000000,3600000", 1000000, 3600000 },
};

static const char *const bad_stalls[] = { "8",	   "8,",     ",500",
					  "0,500", "8,0",    "8,3600001",
					  "8;500", "8, 500", "a,b" };

static void test_values(void)
{
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good_flows) / sizeof(good_flows[0]); i++) {
		parse1(&cfg, "REUSEPORT_UDP_FLOWS", good_flows[i].value);
		CHECK(!cfg.invalid && cfg.udp_flows == good_flows[i].want,
		      unit_name("REUSEPORT_UDP_FLOWS=%s", good_flows[i].value));
	}
	for (i = 0; i < sizeof(bad_flows) / sizeof(bad_flows[0]); i++) {
		parse1(&cfg, "REUSEPORT_UDP_FLOWS", bad_flows[i]);
		CHECK(cfg.invalid && cfg.udp_flows == 0 &&
			      strstr(cfg.error, "REUSEPORT_UDP_FLOWS=") &&
			      strstr(cfg.error, "accepted: 0 or off"),
		      unit_name("REUSEPORT_UDP_FLOWS=%s rejected",
				bad_flows[i]));
	}
	for (i = 0; i < sizeof(good_stalls) / sizeof(good_stalls[0]); i++) {
		parse1(&cfg, "REUSEPORT_STALL", good_stalls[i].value);
		CHECK(!cfg.invalid && cfg.stall_queue == good_stalls[i].queue &&
			      cfg.stall_ms == good_stalls[i].ms,
		      unit_name("REUSEPORT_STALL=%s", good_stalls[i].value));
	}
	for (i = 0; i < sizeof(bad_stalls) / sizeof(bad_stalls[0]); i++) {
		parse1(&cfg, "REUSEPORT_STALL", bad_stalls[i]);
		CHECK(cfg.invalid && cfg.stall_queue == RP_STALL_QUEUE &&
			      cfg.stall_ms == RP_STALL_MS &&
			      strstr(cfg.error, "accepted: off, on"),
		      unit_name("REUSEPORT_STALL=%s rejected (default kept)",
				bad_stalls[i]));
	}
	parse1(&cfg, "REUSEPORT_ROLE", "standby");
	CHECK(!cfg.invalid && cfg.standby, "REUSEPORT_ROLE=standby");
	parse1(&cfg, "REUSEPORT_ROLE", "primary");
	CHECK(!cfg.invalid && !cfg.standby, "REUSEPORT_ROLE=primary");
	parse1(&cfg, "REUSEPORT_ROLE", "Standby");
	CHECK(cfg.invalid && !cfg.standby &&
		      strstr(cfg.error,
			     "REUSEPORT_ROLE=Standby: unknown role; accepted: primary (default) or standby"),
	      "REUSEPORT_ROLE=Standby rejected with a clear message");
}

static void test_steal(void)
{
	static const char *const bad[] = { "on", "1ms", "60001", "-1", "010x" };
	struct rp_config cfg;

	parse1(&cfg, "REUSEPORT_STEAL", "10");
	CHECK(!cfg.invalid && cfg.steal_ms == 10, "REUSEPORT_STEAL=10");
	parse1(&cfg, "REUSEPORT_STEAL", "60000");
	CHECK(!cfg.invalid && cfg.steal_ms == 60000, "REUSEPORT_STEAL=60000");
	parse1(&cfg, "REUSEPORT_STEAL", "off");
	CHECK(!cfg.invalid && cfg.steal_ms == 0, "REUSEPORT_STEAL=off");
	parse1(&cfg, "REUSEPORT_STEAL", "0");
	CHECK(!cfg.invalid && cfg.steal_ms == 0, "REUSEPORT_STEAL=0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse1(&cfg, "REUSEPORT_STEAL", bad[i]);
		CHECK(cfg.invalid && cfg.steal_ms == 0 &&
			      strstr(cfg.error, "accepted: off (default"),
		      unit_name("REUSEPORT_STEAL=%s rejected (off kept)",
				bad[i]));
	}
}

int main(void)
{
	test_defaults();
	test_steal();
	test_values();
	return unit_done();
}

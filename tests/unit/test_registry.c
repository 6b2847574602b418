// SPDX-License-Identifier: MIT
/*
 * Unit tests of the policy/counter registry (bpf/registry.h and
 * common/registry_names.c): every name resolves both ways, texts
 * exist, auto resolves per protocol, and REUSEPORT_POLICY accepts exactly
 * the registry's names.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "registry_names.h"
#include "unit.h"

static const char *env_policy;

static const char *fake_env(const char *name)
{
	return strcmp(name, "REUSEPORT_POLICY") ? NULL : env_policy;
}

static void test_policy_names(void)
{
	/* the names users type; the order is the ABI of the state map */
	static const char *const names[RP_POLICY_MAX] = {
		"auto",	    "roundrobin", "hash",   "leastconn",
		"weighted", "cpu",	  "sticky",
	};

	CHECK_EQ_INT(RP_POLICY_MAX, 7, "seven policies");
	for (int i = 0; i < RP_POLICY_MAX; i++) {
		struct rp_config cfg;

		CHECK_STR(rp_policy_name((enum rp_policy)i), names[i],
			  unit_name("rp_policy_name(%d)", i));
		CHECK_EQ_INT(rp_policy_from_name(names[i]), i,
			     unit_name("rp_policy_from_name(%s)", names[i]));
		CHECK(rp_policy_help((enum rp_policy)i) &&
			      strlen(rp_policy_help((enum rp_policy)i)) > 10,
		      unit_name("help text of %s", names[i]));
		/* the environment accepts every registry name */
		env_policy = names[i];
		rp_config_parse(&cfg, fake_env, false);
		CHECK(!cfg.invalid && cfg.policy == (enum rp_policy)i,
		      unit_name("REUSEPORT_POLICY=%s accepted", names[i]));
	}
	CHECK(rp_policy_name(RP_POLICY_MAX) == NULL, "policy name of MAX");
	CHECK(rp_policy_name((enum rp_policy) - 1) == NULL,
	      "policy name of -1");
	CHECK_EQ_INT(rp_policy_from_name(NULL), -1, "from_name(NULL)");
	CHECK_EQ_INT(rp_policy_from_name(""), -1, "from_name(\"\")");
	CHECK_EQ_INT(rp_policy_from_name("Hash"), -1,
		     "from_name is case-sensitive");
	CHECK_EQ_INT(rp_policy_from_name("hash "), -1,
		     "from_name: no trailing blank");
	CHECK_EQ_INT(rp_policy_from_name("roundrobinx"), -1,
		     "from_name: no prefix match");
}

static void test_policy_list_and_resolve(void)
{
	char buf[256], small[12];
	struct rp_config cfg;

	rp_policy_list(buf, sizeof(buf), ", ");
	CHECK_STR(buf,
		  "auto, roundrobin, hash, leastconn, weighted, cpu, sticky",
		  "policy list");
	rp_policy_list(small, sizeof(small), ", ");
	CHECK_STR(small, "auto", "a short buffer keeps whole names");
	/* the error line of a bad policy lists exactly the registry */
	env_policy = "fastest";
	rp_config_parse(&cfg, fake_env, false);
	CHECK(cfg.invalid && strstr(cfg.error, buf),
	      "REUSEPORT_POLICY error lists the registry's names");

	CHECK_EQ_INT(rp_policy_resolve(RP_POLICY_AUTO, IPPROTO_TCP),
		     RP_POLICY_ROUNDROBIN, "auto is roundrobin for TCP");
	CHECK_EQ_INT(rp_policy_resolve(RP_POLICY_AUTO, IPPROTO_UDP),
		     RP_POLICY_HASH, "auto is hash for UDP");
	for (int i = 1; i < RP_POLICY_MAX; i++)
		CHECK_EQ_INT(rp_policy_resolve((enum rp_policy)i, IPPROTO_UDP),
			     i,
			     unit_name("%s resolves to itself",
				       rp_policy_name((enum rp_policy)i)));
}

static void test_counters(void)
{
	for (int i = 0; i < RP_CNT_MAX; i++) {
		const char *n = rp_counter_name((enum rp_counter)i);

		CHECK(n && *n, unit_name("counter %d has a name", i));
		CHECK(rp_counter_help((enum rp_counter)i) != NULL,
		      unit_name("counter %s has help", n ? n : "?"));
		for (int j = 0; n && j < i; j++)
			CHECK(strcmp(n, rp_counter_name((enum rp_counter)j)),
			      unit_name("counter %s is unique", n));
	}
	/* the header has room for 16 counters (steer.h pad3) */
	CHECK(RP_CNT_MAX <= 16, "counters fit the header");
	CHECK_STR(rp_counter_name(RP_CNT_RUNS), "runs", "first counter");
	CHECK_STR(rp_counter_name(RP_CNT_BAD_POLICY), "bad_policy",
		  "unknown-policy counter");
	CHECK(rp_counter_name(RP_CNT_MAX) == NULL, "counter name of MAX");
}

int main(void)
{
	test_policy_names();
	test_policy_list_and_resolve();
	test_counters();
	return unit_done();
}

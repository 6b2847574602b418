// SPDX-License-Identifier: MIT
/*
 * Unit tests of preload/config.c: every REUSEPORT_* variable with tables of
 * good and bad values, the legacy msantos/reuseport variables, the scope
 * checks, group names and the policy table. The environment is faked, so the
 * tests see exactly the variables a row names.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "names.h"
#include "unit.h"

/* ---- fake environment ---- */

#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *const[]){ NULL })

static const char *const *fake_env;
/* Overrides fake_env for one name: lets a test hand out raw buffers. */
static const char *raw_name, *raw_value;
static int getenv_calls;

static const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);
	const char *const *p;

	getenv_calls++;
	if (raw_name && strcmp(raw_name, name) == 0)
		return raw_value;
	for (p = fake_env; p && *p; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

static void parse(struct rp_config *cfg, const char *const *env)
{
	fake_env = env;
	getenv_calls = 0;
	rp_config_parse(cfg, fake_getenv, false);
}

/* Parse one NAME=value (value may be too long for a literal table). */
static void parse1(struct rp_config *cfg, const char *var, const char *value)
{
	static char buf[16384];

	snprintf(buf, sizeof(buf), "%s=%s", var, value);
	parse(cfg, ENV(buf));
}

/* ---- helpers ---- */

static struct sockaddr_in sin4(const char *a, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	if (inet_pton(AF_INET, a, &s.sin_addr) != 1)
		abort();
	return s;
}

static struct sockaddr_in6 sin6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	if (inet_pton(AF_INET6, a, &s.sin6_addr) != 1)
		abort();
	return s;
}

/* Is the textual address in scope under cfg? */
static bool addr_ok(const struct rp_config *cfg, const char *a)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	if (strchr(a, ':')) {
		s6 = sin6(a, 80);
		return rp_config_addr_in_scope(cfg, (struct sockaddr *)&s6);
	}
	s4 = sin4(a, 80);
	return rp_config_addr_in_scope(cfg, (struct sockaddr *)&s4);
}

/* Every field a bad or absent variable must leave at its default. */
static bool is_default(const struct rp_config *c)
{
	return !c->disabled && !c->strict && c->policy == RP_POLICY_AUTO &&
	       !c->policy_explicit && c->all_ports && c->nports == 0 &&
	       c->all_addrs && c->naddrs == 0 && c->weight == 100 &&
	       c->generation == 0 && c->max_slots == RP_DEFAULT_SLOTS &&
	       c->log_level == RP_LOG_WARN &&
	       strcmp(c->pin_dir, RP_DEFAULT_PIN_DIR) == 0 &&
	       c->log_file[0] == '\0' && c->notice[0] == '\0';
}

static char *repeat(char *buf, size_t n, const char *unit)
{
	size_t ul = strlen(unit), i;

	for (i = 0; i + ul <= n; i += ul)
		memcpy(buf + i, unit, ul);
	buf[i] = '\0';
	return buf;
}

/* ---- defaults, secure mode, empty values ---- */

static const char *const all_vars[] = {
	"REUSEPORT_POLICY",    "REUSEPORT_PORTS",      "REUSEPORT_ADDRS",
	"REUSEPORT_WEIGHT",    "REUSEPORT_GENERATION", "REUSEPORT_PIN_DIR",
	"REUSEPORT_MAX_SLOTS", "REUSEPORT_STRICT",     "REUSEPORT_DISABLE",
	"REUSEPORT_LOG",       "REUSEPORT_LOG_FILE",   "LIBREUSEPORT_PORT",
	"LIBREUSEPORT_ADDR",   "LIBREUSEPORT_DEBUG",   "REUSEPORT_INSTANCE",
};
#define NVARS (sizeof(all_vars) / sizeof(all_vars[0]))

static void test_defaults(void)
{
	struct rp_config cfg;
	size_t i;

	parse(&cfg, NOENV);
	CHECK(is_default(&cfg), "no environment: defaults");
	CHECK(!cfg.invalid && cfg.error[0] == '\0', "no environment: valid");
	CHECK_STR(cfg.pin_dir, "/sys/fs/bpf/reuseport", "default pin dir");
	CHECK_EQ_INT(cfg.max_slots, 256, "default max slots");
	CHECK(getenv_calls >= (int)NVARS, "every variable was looked up");

	/* "VAR=" clears a setting rather than being a bad value. */
	for (i = 0; i < NVARS; i++) {
		parse1(&cfg, all_vars[i], "");
		CHECK(is_default(&cfg) && !cfg.invalid,
		      unit_name("%s= (empty) counts as unset", all_vars[i]));
	}
}

static void test_secure(void)
{
	struct rp_config cfg;

	fake_env = ENV("REUSEPORT_POLICY=hash", "REUSEPORT_PORTS=80",
		       "REUSEPORT_WEIGHT=0", "REUSEPORT_DISABLE=0",
		       "REUSEPORT_LOG=debug", "LIBREUSEPORT_DEBUG=1");
	getenv_calls = 0;
	rp_config_parse(&cfg, fake_getenv, true);
	CHECK_EQ_INT(getenv_calls, 0, "secure: environment not read");
	CHECK(cfg.disabled, "secure: disabled");
	CHECK(!cfg.invalid, "secure: bad values not even seen");
	CHECK(cfg.all_ports && cfg.policy == RP_POLICY_AUTO &&
		      cfg.log_level == RP_LOG_WARN && cfg.weight == 100,
	      "secure: defaults");
}

/* ---- good values ---- */

static const struct {
	const char *value;
	enum rp_policy want;
} good_policies[] = {
	{ "auto", RP_POLICY_AUTO },
	{ "roundrobin", RP_POLICY_ROUNDROBIN },
	{ "hash", RP_POLICY_HASH },
	{ "leastconn", RP_POLICY_LEASTCONN },
	{ "weighted", RP_POLICY_WEIGHTED },
	{ "cpu", RP_POLICY_CPU },
	{ "sticky", RP_POLICY_STICKY },
};

static void test_policy_good(void)
{
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good_policies) / sizeof(good_policies[0]); i++) {
		parse1(&cfg, "REUSEPORT_POLICY", good_policies[i].value);
		CHECK(!cfg.invalid && cfg.policy == good_policies[i].want &&
			      cfg.policy_explicit,
		      unit_name("REUSEPORT_POLICY=%s", good_policies[i].value));
	}
}

struct probe {
	int proto; /* 0 ends the list */
	uint16_t port;
	bool in;
};

#define T IPPROTO_TCP
#define U IPPROTO_UDP

/* clang-format off */
static const struct {
	const char *value;
	bool all;
	int n;
	struct probe probes[8];
} good_ports[] = {
	{ "all", true, 0, { { T, 1, 1 }, { U, 65535, 1 }, { T, 0, 0 } } },
	{ " all\t", true, 0, { { T, 80, 1 } } },
	{ "80", false, 1, { { T, 80, 1 }, { U, 80, 1 }, { T, 81, 0 }, { T, 79, 0 } } },
	{ "tcp:80", false, 1, { { T, 80, 1 }, { U, 80, 0 } } },
	{ "udp:53", false, 1, { { U, 53, 1 }, { T, 53, 0 } } },
	{ "8000-8010", false, 1,
	  { { T, 7999, 0 }, { T, 8000, 1 }, { U, 8005, 1 }, { T, 8010, 1 },
	    { T, 8011, 0 } } },
	{ "tcp:1-65535", false, 1,
	  { { T, 1, 1 }, { T, 65535, 1 }, { U, 443, 0 }, { T, 0, 0 } } },
	{ " 80 , 443 ", false, 2, { { T, 80, 1 }, { T, 443, 1 }, { T, 8080, 0 } } },
	{ "80,\tudp:443", false, 2, { { U, 443, 1 }, { T, 443, 0 } } },
	{ "1", false, 1, { { T, 1, 1 }, { T, 2, 0 } } },
	{ "65535", false, 1, { { U, 65535, 1 }, { U, 65534, 0 } } },
	{ "0080", false, 1, { { T, 80, 1 } } },
	{ "80-80", false, 1, { { T, 80, 1 }, { T, 81, 0 } } },
	{ "80,80", false, 2, { { T, 80, 1 } } },
	{ "tcp:80,udp:80-90", false, 2, { { T, 85, 0 }, { U, 85, 1 } } },
	{ "1-65535", false, 1, { { T, 12345, 1 }, { IPPROTO_SCTP, 80, 0 } } },
};
/* clang-format on */

static void test_ports_good(void)
{
	struct rp_config cfg;
	size_t i, j;

	for (i = 0; i < sizeof(good_ports) / sizeof(good_ports[0]); i++) {
		const char *v = good_ports[i].value;

		parse1(&cfg, "REUSEPORT_PORTS", v);
		if (!CHECK(!cfg.invalid,
			   unit_name("REUSEPORT_PORTS=%s valid", v)))
			continue;
		CHECK(cfg.all_ports == good_ports[i].all &&
			      cfg.nports == good_ports[i].n,
		      unit_name("REUSEPORT_PORTS=%s shape", v));
		for (j = 0; good_ports[i].probes[j].proto; j++) {
			const struct probe *p = &good_ports[i].probes[j];

			CHECK(rp_config_port_in_scope(&cfg, p->proto,
						      p->port) == p->in,
			      unit_name(
				      "REUSEPORT_PORTS=%s: proto %d port %u %s",
				      v, p->proto, p->port,
				      p->in ? "in" : "out"));
		}
	}
}

static void test_ports_limits(void)
{
	struct rp_config cfg;
	char v[512];

	/* RP_MAX_PORT_RANGES entries: ports 1..32 */
	v[0] = '\0';
	for (int i = 1; i <= RP_MAX_PORT_RANGES; i++)
		snprintf(v + strlen(v), sizeof(v) - strlen(v), "%s%d",
			 i > 1 ? "," : "", i);
	parse1(&cfg, "REUSEPORT_PORTS", v);
	CHECK(!cfg.invalid && cfg.nports == RP_MAX_PORT_RANGES,
	      "REUSEPORT_PORTS: 32 entries accepted");
	CHECK(rp_config_port_in_scope(&cfg, T, 32) &&
		      !rp_config_port_in_scope(&cfg, T, 33),
	      "REUSEPORT_PORTS: 32 entries all used");
	strcat(v, ",33");
	parse1(&cfg, "REUSEPORT_PORTS", v);
	CHECK(cfg.invalid && strstr(cfg.error, "too many entries (at most 32)"),
	      "REUSEPORT_PORTS: 33 entries rejected");
	CHECK(cfg.all_ports && cfg.nports == 0,
	      "REUSEPORT_PORTS: rejected list falls back to the default");
}

/* clang-format off */
static const struct {
	const char *value;
	int n;
	const char *in[4];
	const char *out[4];
} good_addrs[] = {
	{ "all", 0, { "1.2.3.4", "::1", "0.0.0.0", "::" }, { NULL } },
	{ "127.0.0.1", 1, { "127.0.0.1", "::ffff:127.0.0.1" },
	  { "127.0.0.2", "0.0.0.0", "::1" } },
	{ "10.0.0.0/8", 1, { "10.0.0.0", "10.255.255.255", "::ffff:10.1.1.1" },
	  { "11.0.0.0", "9.255.255.255", "0.0.0.0" } },
	{ "10.1.2.3/8", 1, { "10.200.0.1" }, { "11.1.2.3" } },
	{ "192.168.1.128/25", 1, { "192.168.1.200" }, { "192.168.1.127" } },
	{ "::1", 1, { "::1" }, { "::2", "127.0.0.1", "::" } },
	{ "2001:db8::/32", 1, { "2001:db8::1", "2001:db8:ffff::" },
	  { "2001:db9::1", "::" } },
	{ "2001:db8::ffff/120", 1, { "2001:db8::ff01", "2001:db8::ff00" },
	  { "2001:db8::1", "2001:db8::1ff" } },
	{ "0.0.0.0/0", 1, { "0.0.0.0", "8.8.8.8", "::ffff:1.2.3.4" },
	  { "::", "::1" } },
	{ "0.0.0.0", 1, { "0.0.0.0", "::ffff:0.0.0.0" }, { "1.2.3.4", "::" } },
	{ "::/0", 1, { "::", "fe80::1", "::ffff:1.2.3.4" }, { "1.2.3.4" } },
	{ "1.2.3.4/0", 1, { "0.0.0.0", "9.9.9.9" }, { "::" } },
	{ " 127.0.0.1 ,\t::1 ", 2, { "127.0.0.1", "::1" }, { "127.0.0.2" } },
	{ "::ffff:0:0/96", 1, { "::ffff:1.2.3.4" }, { "1.2.3.4" } },
	{ "fe80::/10", 1, { "fe80::1", "febf::1" }, { "fec0::1" } },
	{ "10.0.0.0/31", 1, { "10.0.0.1" }, { "10.0.0.2" } },
	{ "10.0.0.0/32", 1, { "10.0.0.0" }, { "10.0.0.1" } },
};
/* clang-format on */

static void test_addrs_good(void)
{
	struct rp_config cfg;
	size_t i, j;

	for (i = 0; i < sizeof(good_addrs) / sizeof(good_addrs[0]); i++) {
		const char *v = good_addrs[i].value;

		parse1(&cfg, "REUSEPORT_ADDRS", v);
		if (!CHECK(!cfg.invalid,
			   unit_name("REUSEPORT_ADDRS=%s valid", v)))
			continue;
		CHECK(cfg.naddrs == good_addrs[i].n &&
			      cfg.all_addrs == (good_addrs[i].n == 0),
		      unit_name("REUSEPORT_ADDRS=%s shape", v));
		for (j = 0; j < 4 && good_addrs[i].in[j]; j++)
			CHECK(addr_ok(&cfg, good_addrs[i].in[j]),
			      unit_name("REUSEPORT_ADDRS=%s: %s in", v,
					good_addrs[i].in[j]));
		for (j = 0; j < 4 && good_addrs[i].out[j]; j++)
			CHECK(!addr_ok(&cfg, good_addrs[i].out[j]),
			      unit_name("REUSEPORT_ADDRS=%s: %s out", v,
					good_addrs[i].out[j]));
	}
}

static void test_addrs_details(void)
{
	static const uint8_t ten[4] = { 10, 0, 0, 0 };
	struct rp_config cfg;
	struct sockaddr_un_like {
		sa_family_t family;
		char path[108];
	} un = { AF_UNIX, "/tmp/x" };
	char v[2048];

	parse1(&cfg, "REUSEPORT_ADDRS", "10.1.2.3/8");
	CHECK(cfg.addrs[0].family == AF_INET && cfg.addrs[0].prefix == 8 &&
		      memcmp(cfg.addrs[0].addr, ten, 4) == 0,
	      "REUSEPORT_ADDRS: host bits masked off");
	parse1(&cfg, "REUSEPORT_ADDRS", "::1");
	CHECK(cfg.addrs[0].family == AF_INET6 && cfg.addrs[0].prefix == 128,
	      "REUSEPORT_ADDRS: bare IPv6 address is a /128");
	parse1(&cfg, "REUSEPORT_ADDRS", "192.0.2.1");
	CHECK(cfg.addrs[0].prefix == 32, "REUSEPORT_ADDRS: bare IPv4 is a /32");

	CHECK(!rp_config_addr_in_scope(&cfg, NULL), "addr_in_scope(NULL)");
	CHECK(!rp_config_addr_in_scope(&cfg, (struct sockaddr *)&un),
	      "addr_in_scope: AF_UNIX is never in scope");
	parse(&cfg, NOENV);
	CHECK(!rp_config_addr_in_scope(&cfg, (struct sockaddr *)&un),
	      "addr_in_scope: AF_UNIX out of scope even with all");

	v[0] = '\0';
	for (int i = 1; i <= RP_MAX_ADDRS; i++)
		snprintf(v + strlen(v), sizeof(v) - strlen(v), "%s10.0.0.%d",
			 i > 1 ? "," : "", i);
	parse1(&cfg, "REUSEPORT_ADDRS", v);
	CHECK(!cfg.invalid && cfg.naddrs == RP_MAX_ADDRS,
	      "REUSEPORT_ADDRS: 32 entries accepted");
	CHECK(addr_ok(&cfg, "10.0.0.32") && !addr_ok(&cfg, "10.0.0.33"),
	      "REUSEPORT_ADDRS: 32 entries all used");
	strcat(v, ",::1");
	parse1(&cfg, "REUSEPORT_ADDRS", v);
	CHECK(cfg.invalid && strstr(cfg.error, "too many entries (at most 32)"),
	      "REUSEPORT_ADDRS: 33 entries rejected");
	CHECK(cfg.all_addrs && cfg.naddrs == 0,
	      "REUSEPORT_ADDRS: rejected list falls back to the default");
}

struct num_row {
	const char *var;
	const char *value;
	uint32_t want;
};

static uint32_t num_field(const struct rp_config *c, const char *var)
{
	if (strcmp(var, "REUSEPORT_WEIGHT") == 0)
		return c->weight;
	if (strcmp(var, "REUSEPORT_GENERATION") == 0)
		return c->generation;
	if (strcmp(var, "REUSEPORT_MAX_SLOTS") == 0)
		return c->max_slots;
	if (strcmp(var, "REUSEPORT_INSTANCE") == 0)
		return c->instance;
	abort();
}

static const struct num_row good_nums[] = {
	{ "REUSEPORT_WEIGHT", "1", 1 },
	{ "REUSEPORT_WEIGHT", "100", 100 },
	{ "REUSEPORT_WEIGHT", "5", 5 },
	{ "REUSEPORT_WEIGHT", "10000", 10000 },
	{ "REUSEPORT_WEIGHT", "00042", 42 },
	{ "REUSEPORT_GENERATION", "0", 0 },
	{ "REUSEPORT_GENERATION", "1", 1 },
	{ "REUSEPORT_GENERATION", "4294967295", 4294967295u },
	{ "REUSEPORT_GENERATION", "007", 7 },
	{ "REUSEPORT_GENERATION", "1700000000", 1700000000 },
	{ "REUSEPORT_MAX_SLOTS", "1", 1 },
	{ "REUSEPORT_MAX_SLOTS", "64", 64 },
	{ "REUSEPORT_MAX_SLOTS", "4096", 4096 },
	{ "REUSEPORT_INSTANCE", "1", 1 },
	{ "REUSEPORT_INSTANCE", "256", 256 },
	{ "REUSEPORT_INSTANCE", "4294967295", 4294967295u },
};

static void test_numbers_good(void)
{
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good_nums) / sizeof(good_nums[0]); i++) {
		const struct num_row *r = &good_nums[i];

		parse1(&cfg, r->var, r->value);
		CHECK(!cfg.invalid && num_field(&cfg, r->var) == r->want,
		      unit_name("%s=%s", r->var, r->value));
	}
}

static const struct {
	const char *var, *value;
	bool want;
} good_bools[] = {
	{ "REUSEPORT_STRICT", "0", false },
	{ "REUSEPORT_STRICT", "1", true },
	{ "REUSEPORT_DISABLE", "0", false },
	{ "REUSEPORT_DISABLE", "1", true },
};

static const struct {
	const char *value;
	enum rp_log_level want;
} good_logs[] = {
	{ "error", RP_LOG_ERROR },
	{ "warn", RP_LOG_WARN },
	{ "info", RP_LOG_INFO },
	{ "debug", RP_LOG_DEBUG },
};

static void test_flags_and_log_good(void)
{
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good_bools) / sizeof(good_bools[0]); i++) {
		bool got;

		parse1(&cfg, good_bools[i].var, good_bools[i].value);
		got = strcmp(good_bools[i].var, "REUSEPORT_STRICT") == 0 ?
			      cfg.strict :
			      cfg.disabled;
		CHECK(!cfg.invalid && got == good_bools[i].want,
		      unit_name("%s=%s", good_bools[i].var,
				good_bools[i].value));
	}
	for (i = 0; i < sizeof(good_logs) / sizeof(good_logs[0]); i++) {
		parse1(&cfg, "REUSEPORT_LOG", good_logs[i].value);
		CHECK(!cfg.invalid && cfg.log_level == good_logs[i].want,
		      unit_name("REUSEPORT_LOG=%s", good_logs[i].value));
	}
}

static const struct {
	const char *value, *want;
} good_pin_dirs[] = {
	{ "/sys/fs/bpf/reuseport", "/sys/fs/bpf/reuseport" },
	{ "/sys/fs/bpf/x/", "/sys/fs/bpf/x" },
	{ "/sys/fs/bpf/x///", "/sys/fs/bpf/x" },
	{ "/a", "/a" },
	{ "/a/..b/c..", "/a/..b/c.." },
	{ "/a/./b", "/a/./b" },
	{ "/run/my dir", "/run/my dir" },
};

static void test_paths_good(void)
{
	char v[RP_LOG_FILE_MAX + 8];
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good_pin_dirs) / sizeof(good_pin_dirs[0]); i++) {
		parse1(&cfg, "REUSEPORT_PIN_DIR", good_pin_dirs[i].value);
		CHECK(!cfg.invalid &&
			      strcmp(cfg.pin_dir, good_pin_dirs[i].want) == 0,
		      unit_name("REUSEPORT_PIN_DIR=%s -> %s",
				good_pin_dirs[i].value, good_pin_dirs[i].want));
	}
	/* Exactly RP_PIN_DIR_MAX characters, also with a trailing slash. */
	v[0] = '/';
	repeat(v + 1, RP_PIN_DIR_MAX - 1, "p");
	parse1(&cfg, "REUSEPORT_PIN_DIR", v);
	CHECK(!cfg.invalid && strlen(cfg.pin_dir) == RP_PIN_DIR_MAX,
	      "REUSEPORT_PIN_DIR of 200 characters");
	strcat(v, "/");
	parse1(&cfg, "REUSEPORT_PIN_DIR", v);
	CHECK(!cfg.invalid && strlen(cfg.pin_dir) == RP_PIN_DIR_MAX,
	      "REUSEPORT_PIN_DIR of 200 characters plus a slash");

	static const char *const logs[] = { "/tmp/rp.log", "rp.log",
					    "./logs/rp.log", "/var/log/a b" };
	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		parse1(&cfg, "REUSEPORT_LOG_FILE", logs[i]);
		CHECK(!cfg.invalid && strcmp(cfg.log_file, logs[i]) == 0,
		      unit_name("REUSEPORT_LOG_FILE=%s", logs[i]));
	}
	repeat(v, RP_LOG_FILE_MAX, "l");
	parse1(&cfg, "REUSEPORT_LOG_FILE", v);
	CHECK(!cfg.invalid && strlen(cfg.log_file) == RP_LOG_FILE_MAX,
	      "REUSEPORT_LOG_FILE of 1024 characters");
}

/* ---- bad values ---- */

/* clang-format off */
static const struct {
	const char *var, *value, *why;
} bad_values[] = {
	/* policy */
	{ "REUSEPORT_POLICY", "fast", "unknown policy" },
	{ "REUSEPORT_POLICY", "AUTO", "unknown policy" },
	{ "REUSEPORT_POLICY", "RoundRobin", "unknown policy" },
	{ "REUSEPORT_POLICY", " hash", "unknown policy" },
	{ "REUSEPORT_POLICY", "hash ", "unknown policy" },
	{ "REUSEPORT_POLICY", "round robin", "unknown policy" },
	{ "REUSEPORT_POLICY", "rr", "unknown policy" },
	{ "REUSEPORT_POLICY", "0", "unknown policy" },
	{ "REUSEPORT_POLICY", "hash\n", "unknown policy" },
	/* ports */
	{ "REUSEPORT_PORTS", "0", "port out of range" },
	{ "REUSEPORT_PORTS", "65536", "port out of range" },
	{ "REUSEPORT_PORTS", "1-65536", "port out of range" },
	{ "REUSEPORT_PORTS", "0-80", "port out of range" },
	{ "REUSEPORT_PORTS", "4294967376", "port out of range" },
	{ "REUSEPORT_PORTS", "99999999999999999999999", "port out of range" },
	{ "REUSEPORT_PORTS", "80-70", "bad range (low > high)" },
	{ "REUSEPORT_PORTS", "443,90-80", "bad range (low > high) in entry \"90-80\"" },
	{ "REUSEPORT_PORTS", "-80", "not a port number" },
	{ "REUSEPORT_PORTS", "80-", "not a port number" },
	{ "REUSEPORT_PORTS", "+80", "not a port number" },
	{ "REUSEPORT_PORTS", "80-90-100", "not a port number" },
	{ "REUSEPORT_PORTS", "80 -90", "not a port number" },
	{ "REUSEPORT_PORTS", "abc", "not a port number" },
	{ "REUSEPORT_PORTS", "80a", "not a port number" },
	{ "REUSEPORT_PORTS", "0x50", "not a port number" },
	{ "REUSEPORT_PORTS", "8 0", "not a port number" },
	{ "REUSEPORT_PORTS", "80 90", "not a port number" },
	{ "REUSEPORT_PORTS", "80;90", "not a port number" },
	{ "REUSEPORT_PORTS", "ALL", "not a port number" },
	{ "REUSEPORT_PORTS", "tcp:", "not a port number" },
	{ "REUSEPORT_PORTS", "tcp:all", "not a port number" },
	{ "REUSEPORT_PORTS", "80,,90", "empty entry" },
	{ "REUSEPORT_PORTS", "80,", "empty entry" },
	{ "REUSEPORT_PORTS", ",80", "empty entry" },
	{ "REUSEPORT_PORTS", " ", "empty entry" },
	{ "REUSEPORT_PORTS", "\t", "empty entry" },
	{ "REUSEPORT_PORTS", "all,80", "all cannot be combined" },
	{ "REUSEPORT_PORTS", "80,all", "all cannot be combined" },
	{ "REUSEPORT_PORTS", "all,all", "all cannot be combined" },
	{ "REUSEPORT_PORTS", "sctp:80", "unknown protocol" },
	{ "REUSEPORT_PORTS", "TCP:80", "unknown protocol" },
	{ "REUSEPORT_PORTS", "tcp :80", "unknown protocol" },
	{ "REUSEPORT_PORTS", "80,tcp:udp:81", "unknown protocol (tcp: or udp:) in entry \"tcp:udp:81\"" },
	/* addrs */
	{ "REUSEPORT_ADDRS", "localhost", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "1.2.3", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "1.2.3.4.5", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "256.1.1.1", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "/8", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "fe80::1%eth0", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "[::1]", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "::1::2", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "1.2.3.4 /8", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "ALL", "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "1111111111111111111111111111111111111111111111111111",
	  "not an IPv4 or IPv6 address" },
	{ "REUSEPORT_ADDRS", "127.0.0.1,foo", "not an IPv4 or IPv6 address in entry \"foo\"" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/33", "bad prefix length (0-32 for IPv4)" },
	{ "REUSEPORT_ADDRS", "::1/129", "bad prefix length (0-128 for IPv6)" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/-1", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/+8", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/a", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/8/8", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4/ 8", "bad prefix length" },
	{ "REUSEPORT_ADDRS", "1.2.3.4,,", "empty entry" },
	{ "REUSEPORT_ADDRS", " ", "empty entry" },
	{ "REUSEPORT_ADDRS", "all,::1", "all cannot be combined" },
	/* weight */
	{ "REUSEPORT_WEIGHT", "0", "out of range" },
	{ "REUSEPORT_WEIGHT", "10001", "out of range" },
	{ "REUSEPORT_WEIGHT", "4294967297", "out of range" },
	{ "REUSEPORT_WEIGHT", "99999999999999999999", "out of range" },
	{ "REUSEPORT_WEIGHT", "-1", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "+5", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", " 5", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "5 ", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "abc", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "5x", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "1e3", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "0x10", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "5.0", "not a decimal integer" },
	{ "REUSEPORT_WEIGHT", "99999999999999999999x", "not a decimal integer" },
	/* generation */
	{ "REUSEPORT_GENERATION", "4294967296", "out of range" },
	{ "REUSEPORT_GENERATION", "18446744073709551616", "out of range" },
	{ "REUSEPORT_GENERATION", "-1", "not a decimal integer" },
	{ "REUSEPORT_GENERATION", "+1", "not a decimal integer" },
	{ "REUSEPORT_GENERATION", " 1", "not a decimal integer" },
	{ "REUSEPORT_GENERATION", "1 ", "not a decimal integer" },
	{ "REUSEPORT_GENERATION", "x", "not a decimal integer" },
	{ "REUSEPORT_GENERATION", "1.5", "not a decimal integer" },
	/* instance (0 is "none": never set) */
	{ "REUSEPORT_INSTANCE", "0", "out of range" },
	{ "REUSEPORT_INSTANCE", "4294967296", "out of range" },
	{ "REUSEPORT_INSTANCE", "-1", "not a decimal integer" },
	{ "REUSEPORT_INSTANCE", "one", "not a decimal integer" },
	/* max slots */
	{ "REUSEPORT_MAX_SLOTS", "0", "out of range" },
	{ "REUSEPORT_MAX_SLOTS", "4097", "out of range" },
	{ "REUSEPORT_MAX_SLOTS", "65536", "out of range" },
	{ "REUSEPORT_MAX_SLOTS", "-1", "not a decimal integer" },
	{ "REUSEPORT_MAX_SLOTS", "abc", "not a decimal integer" },
	{ "REUSEPORT_MAX_SLOTS", "256k", "not a decimal integer" },
	/* strict / disable */
	{ "REUSEPORT_STRICT", "2", "not 0 or 1" },
	{ "REUSEPORT_STRICT", "yes", "not 0 or 1" },
	{ "REUSEPORT_STRICT", "true", "not 0 or 1" },
	{ "REUSEPORT_STRICT", "01", "not 0 or 1" },
	{ "REUSEPORT_STRICT", " 1", "not 0 or 1" },
	{ "REUSEPORT_STRICT", "-1", "not 0 or 1" },
	{ "REUSEPORT_DISABLE", "on", "not 0 or 1" },
	{ "REUSEPORT_DISABLE", "1 ", "not 0 or 1" },
	{ "REUSEPORT_DISABLE", "00", "not 0 or 1" },
	{ "REUSEPORT_DISABLE", "TRUE", "not 0 or 1" },
	/* log */
	{ "REUSEPORT_LOG", "WARN", "unknown log level" },
	{ "REUSEPORT_LOG", "warning", "unknown log level" },
	{ "REUSEPORT_LOG", "trace", "unknown log level" },
	{ "REUSEPORT_LOG", "3", "unknown log level" },
	{ "REUSEPORT_LOG", "debug ", "unknown log level" },
	/* log file */
	{ "REUSEPORT_LOG_FILE", "a\nb", "contains a control character" },
	{ "REUSEPORT_LOG_FILE", "a\rb", "contains a control character" },
	{ "REUSEPORT_LOG_FILE", "\tlog", "contains a control character" },
	/* pin dir */
	{ "REUSEPORT_PIN_DIR", "/", "/ is not allowed" },
	{ "REUSEPORT_PIN_DIR", "//", "/ is not allowed" },
	{ "REUSEPORT_PIN_DIR", "relative", "not an absolute path" },
	{ "REUSEPORT_PIN_DIR", "./x", "not an absolute path" },
	{ "REUSEPORT_PIN_DIR", "~/x", "not an absolute path" },
	{ "REUSEPORT_PIN_DIR", " /sys/fs/bpf", "not an absolute path" },
	{ "REUSEPORT_PIN_DIR", "/a/../b", "contains a .. component" },
	{ "REUSEPORT_PIN_DIR", "/a/..", "contains a .. component" },
	{ "REUSEPORT_PIN_DIR", "/a/../", "contains a .. component" },
	{ "REUSEPORT_PIN_DIR", "/..", "contains a .. component" },
	{ "REUSEPORT_PIN_DIR", "/sys/fs/bpf\n/x", "contains a control character" },
	/* legacy variables are named as such */
	{ "LIBREUSEPORT_PORT", "abc", "not a port number" },
	{ "LIBREUSEPORT_PORT", "0", "port out of range" },
	{ "LIBREUSEPORT_ADDR", "localhost", "not an IPv4 or IPv6 address" },
};
/* clang-format on */

static void test_bad_values(void)
{
	struct rp_config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		const char *var = bad_values[i].var;
		const char *v = bad_values[i].value;
		char prefix[64];
		const char *name = unit_name("%s=\"%s\" rejected", var, v);

		parse1(&cfg, var, v);
		if (!CHECK(cfg.invalid, name))
			continue;
		snprintf(prefix, sizeof(prefix), "%s=", var);
		CHECK(strncmp(cfg.error, prefix, strlen(prefix)) == 0 &&
			      strstr(cfg.error, bad_values[i].why) &&
			      !strchr(cfg.error, '\n') &&
			      (strstr(cfg.error, "; accepted: ") ||
			       strstr(cfg.error, "; this build supports: ")),
		      unit_name("%s: \"%s\" in \"%s\"", name, bad_values[i].why,
				cfg.error));
		CHECK(is_default(&cfg), unit_name("%s: defaults kept", name));
	}
}

static void test_bad_lengths(void)
{
	static char big[8192];
	struct rp_config cfg;
	char v[RP_LOG_FILE_MAX + 8];
	size_t i;

	/* Over 4096 characters: every variable rejects it as too long. */
	repeat(big, 5000, "1");
	for (i = 0; i < NVARS; i++) {
		if (strcmp(all_vars[i], "LIBREUSEPORT_DEBUG") == 0)
			continue;
		parse1(&cfg, all_vars[i], big);
		CHECK(cfg.invalid &&
			      strstr(cfg.error,
				     "value too long (more than 4096 characters)"),
		      unit_name("%s=<5000 characters> rejected", all_vars[i]));
	}
	repeat(big, 4096, "1");
	parse1(&cfg, "REUSEPORT_WEIGHT", big);
	CHECK(cfg.invalid && strstr(cfg.error, "out of range"),
	      "REUSEPORT_WEIGHT=<4096 digits> is just out of range");

	/*
	 * Not NUL terminated within RP_ENV_MAX + 1 bytes: under ASan, reading
	 * one byte more than that would abort the test.
	 */
	char *raw = malloc(4097);

	memset(raw, '/', 4097);
	raw_name = "REUSEPORT_PIN_DIR";
	raw_value = raw;
	parse(&cfg, NOENV);
	raw_name = raw_value = NULL;
	CHECK(cfg.invalid && strstr(cfg.error, "value too long"),
	      "unterminated 4097 bytes: rejected without reading further");
	free(raw);

	v[0] = '/';
	repeat(v + 1, RP_PIN_DIR_MAX, "p");
	parse1(&cfg, "REUSEPORT_PIN_DIR", v);
	CHECK(cfg.invalid && strstr(cfg.error, "too long (more than 200"),
	      "REUSEPORT_PIN_DIR of 201 characters rejected");
	repeat(v, RP_LOG_FILE_MAX + 1, "l");
	parse1(&cfg, "REUSEPORT_LOG_FILE", v);
	CHECK(cfg.invalid && strstr(cfg.error, "too long (more than 1024"),
	      "REUSEPORT_LOG_FILE of 1025 characters rejected");
}

static void test_error_texts(void)
{
	struct rp_config cfg;
	char v[256];

	parse1(&cfg, "REUSEPORT_PORTS", "80-70");
	CHECK_STR(
		cfg.error,
		"REUSEPORT_PORTS=80-70: bad range (low > high); accepted: all, or a comma separated list of [tcp:|udp:]PORT[-PORT] with ports 1-65535",
		"ports error text");
	parse1(&cfg, "REUSEPORT_POLICY", "fast");
	CHECK_STR(
		cfg.error,
		"REUSEPORT_POLICY=fast: unknown policy; accepted: auto, roundrobin, hash, leastconn, weighted, cpu, sticky",
		"unknown policy error text");
	parse1(&cfg, "REUSEPORT_WEIGHT", "0");
	CHECK_STR(
		cfg.error,
		"REUSEPORT_WEIGHT=0: out of range; accepted: an integer 1-10000 (default 100)",
		"weight error text");
	parse1(&cfg, "REUSEPORT_ADDRS", "1.2.3.4/33");
	CHECK_STR(
		cfg.error,
		"REUSEPORT_ADDRS=1.2.3.4/33: bad prefix length (0-32 for IPv4); accepted: all, or a comma separated list of IPv4/IPv6 addresses or CIDR prefixes (ADDR/LEN)",
		"addrs error text");
	parse1(&cfg, "REUSEPORT_LOG", "loud");
	CHECK_STR(
		cfg.error,
		"REUSEPORT_LOG=loud: unknown log level; accepted: error, warn, info, debug (default warn)",
		"log error text");
	parse1(&cfg, "REUSEPORT_PIN_DIR", "/");
	CHECK_CONTAINS(
		cfg.error,
		"REUSEPORT_PIN_DIR=/: / is not allowed, use a directory below a bpffs mount; accepted: an absolute path",
		"pin dir / error text");
	CHECK(strncmp(cfg.error, "libreuseport", 12) != 0,
	      "errors carry no libreuseport: prefix");

	/* Escaping: a terminal escape and a newline cannot reach the log. */
	parse1(&cfg, "REUSEPORT_LOG", "de\x1b[31mbug\n\\");
	CHECK_CONTAINS(cfg.error, "REUSEPORT_LOG=de\\x1b[31mbug\\x0a\\\\: ",
		       "control characters escaped in the echo");
	CHECK(!strchr(cfg.error, '\x1b') && !strchr(cfg.error, '\n'),
	      "no raw control characters in the error");
	parse1(&cfg, "REUSEPORT_POLICY", "caf\xc3\xa9");
	CHECK_CONTAINS(cfg.error, "REUSEPORT_POLICY=caf\\xc3\\xa9: ",
		       "non-ASCII bytes escaped");
	/* a quote would end a reason="..." early */
	parse1(&cfg, "REUSEPORT_POLICY", "a\" b=c");
	CHECK_CONTAINS(cfg.error,
		       "REUSEPORT_POLICY=a\\x22 b=c: ", "double quote escaped");

	/* Truncation: a long bad value is echoed as its first 64 bytes. */
	repeat(v, 200, "x");
	parse1(&cfg, "REUSEPORT_POLICY", v);
	repeat(v, 64, "x");
	strcat(v, "...: unknown policy");
	CHECK_CONTAINS(cfg.error, v, "long value echoed truncated");
	repeat(v, 64, "\x01");
	parse1(&cfg, "REUSEPORT_WEIGHT", v);
	CHECK(strlen(cfg.error) > 256 && strstr(cfg.error, "\\x01: not a"),
	      "64 escaped bytes fit in the echo");
	repeat(v, 65, "\x01");
	parse1(&cfg, "REUSEPORT_WEIGHT", v);
	CHECK(strstr(cfg.error, "\\x01...: not a") != NULL,
	      "65 escaped bytes: truncated with ...");

	/* Only the first bad variable (DESIGN.md order) is reported. */
	parse(&cfg, ENV("REUSEPORT_LOG=loud", "REUSEPORT_WEIGHT=0",
			"REUSEPORT_POLICY=nope"));
	CHECK(strncmp(cfg.error, "REUSEPORT_POLICY=nope:", 22) == 0,
	      "first bad variable owns the error");
	parse(&cfg, ENV("REUSEPORT_MAX_SLOTS=0", "REUSEPORT_PORTS=x"));
	CHECK(strncmp(cfg.error, "REUSEPORT_PORTS=x:", 18) == 0,
	      "PORTS reported before MAX_SLOTS");

	/* The others keep their values. */
	parse(&cfg, ENV("REUSEPORT_WEIGHT=0", "REUSEPORT_GENERATION=5",
			"REUSEPORT_POLICY=hash", "REUSEPORT_PORTS=tcp:80",
			"REUSEPORT_STRICT=1", "REUSEPORT_LOG=info",
			"REUSEPORT_MAX_SLOTS=9999"));
	CHECK(cfg.invalid && cfg.weight == 100 && cfg.generation == 5 &&
		      cfg.policy == RP_POLICY_HASH && cfg.nports == 1 &&
		      cfg.strict && cfg.log_level == RP_LOG_INFO &&
		      cfg.max_slots == RP_DEFAULT_SLOTS,
	      "other variables parsed despite a bad one");
	CHECK(strncmp(cfg.error, "REUSEPORT_WEIGHT=0:", 19) == 0,
	      "error names the first bad one of two");
}

static void test_everything_at_once(void)
{
	struct rp_config cfg;

	parse(&cfg, ENV("REUSEPORT_POLICY=roundrobin",
			"REUSEPORT_PORTS=tcp:8080,udp:5353-5354",
			"REUSEPORT_ADDRS=127.0.0.0/8,::1", "REUSEPORT_WEIGHT=5",
			"REUSEPORT_GENERATION=7",
			"REUSEPORT_PIN_DIR=/sys/fs/bpf/test/",
			"REUSEPORT_MAX_SLOTS=16", "REUSEPORT_STRICT=1",
			"REUSEPORT_DISABLE=0", "REUSEPORT_LOG=debug",
			"REUSEPORT_LOG_FILE=/tmp/rp.log"));
	CHECK(!cfg.invalid, "all variables set: valid");
	CHECK(cfg.policy == RP_POLICY_ROUNDROBIN && cfg.policy_explicit &&
		      !cfg.all_ports && cfg.nports == 2 && !cfg.all_addrs &&
		      cfg.naddrs == 2 && cfg.weight == 5 &&
		      cfg.generation == 7 && cfg.max_slots == 16 &&
		      cfg.strict && !cfg.disabled &&
		      cfg.log_level == RP_LOG_DEBUG,
	      "all variables set: scalar fields");
	CHECK_STR(cfg.pin_dir, "/sys/fs/bpf/test", "all variables: pin dir");
	CHECK_STR(cfg.log_file, "/tmp/rp.log", "all variables: log file");
	CHECK_STR(cfg.notice, "", "all variables: no legacy notice");
	CHECK(rp_config_port_in_scope(&cfg, T, 8080) &&
		      !rp_config_port_in_scope(&cfg, U, 8080) &&
		      rp_config_port_in_scope(&cfg, U, 5354),
	      "all variables: ports");
}

/* ---- legacy msantos/reuseport variables ---- */

static void test_legacy(void)
{
	struct rp_config cfg;

	parse(&cfg, ENV("LIBREUSEPORT_PORT=8080"));
	CHECK(!cfg.invalid && !cfg.all_ports && cfg.nports == 1 &&
		      rp_config_port_in_scope(&cfg, T, 8080) &&
		      rp_config_port_in_scope(&cfg, U, 8080) &&
		      !rp_config_port_in_scope(&cfg, T, 8081),
	      "LIBREUSEPORT_PORT=8080 honoured");
	CHECK_STR(cfg.notice,
		  "using legacy LIBREUSEPORT_PORT=8080 as REUSEPORT_PORTS",
		  "LIBREUSEPORT_PORT notice");

	parse(&cfg, ENV("LIBREUSEPORT_PORT=80,tcp:443"));
	CHECK(!cfg.invalid && cfg.nports == 2,
	      "LIBREUSEPORT_PORT takes our list syntax too");

	parse(&cfg, ENV("REUSEPORT_PORTS=80", "LIBREUSEPORT_PORT=9090"));
	CHECK(!rp_config_port_in_scope(&cfg, T, 9090) &&
		      rp_config_port_in_scope(&cfg, T, 80) &&
		      cfg.notice[0] == '\0',
	      "REUSEPORT_PORTS wins over LIBREUSEPORT_PORT");

	parse(&cfg, ENV("REUSEPORT_PORTS=", "LIBREUSEPORT_PORT=9090"));
	CHECK(rp_config_port_in_scope(&cfg, T, 9090) &&
		      !rp_config_port_in_scope(&cfg, T, 80),
	      "empty REUSEPORT_PORTS counts as unset: legacy used");

	parse(&cfg, ENV("REUSEPORT_PORTS=x", "LIBREUSEPORT_PORT=9090"));
	CHECK(cfg.invalid && strncmp(cfg.error, "REUSEPORT_PORTS=x", 17) == 0,
	      "bad REUSEPORT_PORTS is not replaced by the legacy variable");

	parse(&cfg, ENV("LIBREUSEPORT_ADDR=127.0.0.1"));
	CHECK(!cfg.invalid && cfg.naddrs == 1 && cfg.addrs[0].prefix == 32 &&
		      addr_ok(&cfg, "127.0.0.1") && !addr_ok(&cfg, "127.0.0.2"),
	      "LIBREUSEPORT_ADDR=127.0.0.1 honoured as a /32");
	CHECK_STR(cfg.notice,
		  "using legacy LIBREUSEPORT_ADDR=127.0.0.1 as REUSEPORT_ADDRS",
		  "LIBREUSEPORT_ADDR notice");
	parse(&cfg, ENV("LIBREUSEPORT_ADDR=::1"));
	CHECK(!cfg.invalid && addr_ok(&cfg, "::1") && !addr_ok(&cfg, "::"),
	      "LIBREUSEPORT_ADDR=::1 honoured");
	parse(&cfg, ENV("REUSEPORT_ADDRS=all", "LIBREUSEPORT_ADDR=::1"));
	CHECK(cfg.all_addrs && cfg.notice[0] == '\0',
	      "REUSEPORT_ADDRS wins over LIBREUSEPORT_ADDR");

	parse(&cfg, ENV("LIBREUSEPORT_DEBUG=1"));
	CHECK(!cfg.invalid && cfg.log_level == RP_LOG_DEBUG,
	      "LIBREUSEPORT_DEBUG=1: debug");
	CHECK_STR(cfg.notice,
		  "using legacy LIBREUSEPORT_DEBUG=1 as REUSEPORT_LOG=debug",
		  "LIBREUSEPORT_DEBUG notice");
	parse(&cfg, ENV("LIBREUSEPORT_DEBUG=yes"));
	CHECK(cfg.log_level == RP_LOG_DEBUG && !cfg.invalid,
	      "LIBREUSEPORT_DEBUG=yes: any non-zero value means debug");
	parse(&cfg, ENV("LIBREUSEPORT_DEBUG=0"));
	CHECK(cfg.log_level == RP_LOG_WARN && cfg.notice[0] == '\0',
	      "LIBREUSEPORT_DEBUG=0: no debug");
	parse(&cfg, ENV("REUSEPORT_LOG=error", "LIBREUSEPORT_DEBUG=1"));
	CHECK(cfg.log_level == RP_LOG_ERROR && cfg.notice[0] == '\0',
	      "REUSEPORT_LOG wins over LIBREUSEPORT_DEBUG");
	parse(&cfg, ENV("REUSEPORT_LOG=bogus", "LIBREUSEPORT_DEBUG=1"));
	CHECK(cfg.invalid && cfg.log_level == RP_LOG_WARN,
	      "bad REUSEPORT_LOG is not replaced by LIBREUSEPORT_DEBUG");

	parse(&cfg, ENV("LIBREUSEPORT_PORT=53", "LIBREUSEPORT_ADDR=::1",
			"LIBREUSEPORT_DEBUG=1"));
	CHECK_STR(cfg.notice,
		  "using legacy LIBREUSEPORT_PORT=53 as REUSEPORT_PORTS; "
		  "using legacy LIBREUSEPORT_ADDR=::1 as REUSEPORT_ADDRS; "
		  "using legacy LIBREUSEPORT_DEBUG=1 as REUSEPORT_LOG=debug",
		  "all legacy variables: one notice line");
}

/* ---- scope ---- */

static void test_port_scope(void)
{
	struct rp_config cfg;

	parse(&cfg, NOENV);
	CHECK(!rp_config_port_in_scope(&cfg, T, 0), "port 0 never in scope");
	CHECK(!rp_config_port_in_scope(&cfg, U, 0),
	      "udp port 0 never in scope");
	CHECK(rp_config_port_in_scope(&cfg, T, 65535), "all: tcp 65535");
	CHECK(!rp_config_port_in_scope(&cfg, IPPROTO_SCTP, 80),
	      "all: other protocols out of scope");
	CHECK(!rp_config_port_in_scope(&cfg, 0, 80), "all: proto 0 out");
	parse(&cfg, ENV("REUSEPORT_PORTS=1-65535"));
	CHECK(!rp_config_port_in_scope(&cfg, T, 0),
	      "1-65535: port 0 still out of scope");
}

static void test_addr_scope_wildcards(void)
{
	struct rp_config cfg;

	parse(&cfg, ENV("REUSEPORT_ADDRS=127.0.0.1,::1"));
	CHECK(!addr_ok(&cfg, "0.0.0.0"), "listed loopbacks: 0.0.0.0 out");
	CHECK(!addr_ok(&cfg, "::"), "listed loopbacks: :: out");
	CHECK(addr_ok(&cfg, "::ffff:127.0.0.1"),
	      "v4-mapped address matches an IPv4 entry");
	CHECK(!addr_ok(&cfg, "::ffff:127.0.0.2"),
	      "v4-mapped address outside the IPv4 entry");
	parse(&cfg, ENV("REUSEPORT_ADDRS=::"));
	CHECK(addr_ok(&cfg, "::") && !addr_ok(&cfg, "::1") &&
		      !addr_ok(&cfg, "0.0.0.0"),
	      "listed :: matches only ::");
}

/* ---- group names ---- */

/* clang-format off */
static const struct {
	int proto;
	const char *addr;
	uint16_t port;
	bool v6only;
	int ifindex;
	const char *want; /* NULL: -1 expected */
} group_rows[] = {
	{ T, "0.0.0.0", 8080, false, 0, "tcp4_0-0-0-0_8080" },
	{ U, "::1", 53, false, 0, "udp6_::1_53" },
	{ T, "::", 8080, true, 0, "tcp6_::_8080_v6only" },
	{ T, "::", 8080, false, 0, "tcp6_::_8080" },
	{ T, "127.0.0.1", 80, false, 3, "tcp4_127-0-0-1_80_if3" },
	{ T, "127.0.0.1", 80, true, 0, "tcp4_127-0-0-1_80" },
	{ U, "fe80::1", 5353, true, 7, "udp6_fe80::1_5353_v6only_if7" },
	{ U, "::ffff:127.0.0.1", 53, false, 0, "udp6_::ffff:127-0-0-1_53" },
	{ T, "255.255.255.255", 65535, false, 2147483647,
	  "tcp4_255-255-255-255_65535_if2147483647" },
	{ T, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, true,
	  2147483647,
	  "tcp6_ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff_65535_v6only_if2147483647" },
	{ IPPROTO_SCTP, "0.0.0.0", 80, false, 0, NULL },
	{ 0, "0.0.0.0", 80, false, 0, NULL },
	{ IPPROTO_RAW, "::", 80, false, 0, NULL },
	{ T, "0.0.0.0", 0, false, 0, NULL },
	{ T, "127.0.0.1", 80, false, -1, NULL },
};
/* clang-format on */

static int group_name_of(char *buf, size_t len, int proto, const char *a,
			 uint16_t port, bool v6only, int ifindex)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	if (strchr(a, ':')) {
		s6 = sin6(a, port);
		return rp_group_name(buf, len, proto, (struct sockaddr *)&s6,
				     v6only, ifindex);
	}
	s4 = sin4(a, port);
	return rp_group_name(buf, len, proto, (struct sockaddr *)&s4, v6only,
			     ifindex);
}

static void test_group_name(void)
{
	char buf[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof(group_rows) / sizeof(group_rows[0]); i++) {
		const char *want = group_rows[i].want;
		const char *name = unit_name("group name row %zu (%s)", i,
					     want ? want : "invalid");

		n = group_name_of(buf, sizeof(buf), group_rows[i].proto,
				  group_rows[i].addr, group_rows[i].port,
				  group_rows[i].v6only, group_rows[i].ifindex);
		if (want) {
			CHECK_STR(buf, want, name);
			CHECK_EQ_INT(n, (int)strlen(want), name);
		} else {
			CHECK_EQ_INT(n, -1, name);
		}
	}
}

static void test_group_name_edges(void)
{
	struct sockaddr_in6 s6 = sin6("::1", 53);
	struct {
		sa_family_t family;
		char path[108];
	} un = { AF_UNIX, "/x" };
	char buf[64];
	int n;
	size_t len;

	/* Exactly big enough, one byte short, and no byte written past len. */
	len = strlen("udp6_::1_53") + 1;
	memset(buf, 'Z', sizeof(buf));
	n = rp_group_name(buf, len, U, (struct sockaddr *)&s6, false, 0);
	CHECK(n == (int)len - 1 && strcmp(buf, "udp6_::1_53") == 0 &&
		      buf[len] == 'Z',
	      "group name: buffer of exactly the right size");
	memset(buf, 'Z', sizeof(buf));
	n = rp_group_name(buf, len - 1, U, (struct sockaddr *)&s6, false, 0);
	CHECK(n == -1 && buf[0] == '\0' && buf[len - 1] == 'Z',
	      "group name: one byte short is -1, nothing past len");
	memset(buf, 'Z', sizeof(buf));
	n = rp_group_name(buf, 13, U, (struct sockaddr *)&s6, true, 12);
	CHECK(n == -1 && buf[13] == 'Z',
	      "group name: suffixes do not overflow");
	n = rp_group_name(buf, 0, U, (struct sockaddr *)&s6, false, 0);
	CHECK(n == -1 && buf[0] == '\0', "group name: len 0");
	CHECK_EQ_INT(rp_group_name(NULL, 64, U, (struct sockaddr *)&s6, false,
				   0),
		     -1, "group name: NULL buffer");
	CHECK_EQ_INT(rp_group_name(buf, sizeof(buf), U, NULL, false, 0), -1,
		     "group name: NULL address");
	CHECK_EQ_INT(rp_group_name(buf, sizeof(buf), T, (struct sockaddr *)&un,
				   false, 0),
		     -1, "group name: AF_UNIX");
}

/* ---- policy table ---- */

int main(void)
{
	test_defaults();
	test_secure();
	test_policy_good();
	test_ports_good();
	test_ports_limits();
	test_addrs_good();
	test_addrs_details();
	test_numbers_good();
	test_flags_and_log_good();
	test_paths_good();
	test_bad_values();
	test_bad_lengths();
	test_error_texts();
	test_everything_at_once();
	test_legacy();
	test_port_scope();
	test_addr_scope_wildcards();
	test_group_name();
	test_group_name_edges();
	return unit_done();
}

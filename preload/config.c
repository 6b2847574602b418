// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_* environment -> struct rp_config.
 *
 * This runs inside the constructor of whatever program LD_PRELOAD lands in,
 * before that program's main(): it allocates nothing, makes no system call
 * and keeps no state, so it cannot disturb the host and can be unit-tested
 * with a fake getenv.
 *
 * Rules shared by every variable:
 * - A variable set to the empty string counts as unset: "VAR=" is how shells,
 *   unit files and container specs clear a setting, and an empty list or path
 *   has no useful meaning.
 * - Values longer than RP_ENV_MAX are rejected after looking at no more than
 *   RP_ENV_MAX + 1 bytes of them.
 * - Matching is exact and case-sensitive; scalar values take no surrounding
 *   whitespace (a stray space usually means a quoting mistake worth
 *   reporting), list entries may be surrounded by spaces or tabs.
 * - Numbers are plain decimal digits: no sign, no 0x, no exponent; a leading
 *   zero does not mean octal.
 * - The first bad variable, in the order of DESIGN.md section 3, owns
 *   cfg->error; later ones are still parsed so everything else keeps its
 *   value, and a bad variable keeps its default.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define RP_ENV_MAX 4096
/* How much of a bad value an error line repeats, before escaping. */
#define ECHO_MAX 64
/* Every echoed byte may become "\xNN", plus "..." and the NUL. */
#define ECHO_BUF (ECHO_MAX * 4 + 8)
#define ENTRY_ECHO_MAX 32

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The one place that says which policies the BPF program of this build
 * implements: the error texts and rp_policy_supported() derive from it.
 */
static const struct {
	const char *name;
	bool supported;
} policies[RP_POLICY_MAX] = {
	[RP_POLICY_AUTO] = { "auto", true },
	[RP_POLICY_ROUNDROBIN] = { "roundrobin", true },
	[RP_POLICY_HASH] = { "hash", true },
	[RP_POLICY_LEASTCONN] = { "leastconn", true },
	[RP_POLICY_WEIGHTED] = { "weighted", true },
	[RP_POLICY_CPU] = { "cpu", true },
	[RP_POLICY_STICKY] = { "sticky", true },
};

static const char *const log_levels[] = {
	[RP_LOG_ERROR] = "error",
	[RP_LOG_WARN] = "warn",
	[RP_LOG_INFO] = "info",
	[RP_LOG_DEBUG] = "debug",
};

/* clang-format off */
#define PORTS_ACCEPTED \
	"all, or a comma separated list of [tcp:|udp:]PORT[-PORT] with ports 1-65535"
#define ADDRS_ACCEPTED \
	"all, or a comma separated list of IPv4/IPv6 addresses or CIDR prefixes (ADDR/LEN)"
#define WEIGHT_ACCEPTED "an integer 1-10000 (default 100)"
#define GENERATION_ACCEPTED "an integer 0-4294967295 (default 0)"
#define PIN_DIR_ACCEPTED                                                     \
	"an absolute path other than / of at most " STR(RP_PIN_DIR_MAX)      \
	" characters, without .. components or control characters (default " \
	RP_DEFAULT_PIN_DIR ")"
#define MAX_SLOTS_ACCEPTED \
	"an integer 1-" STR(RP_MAX_SLOTS) " (default " STR(RP_DEFAULT_SLOTS) ")"
#define BOOL_ACCEPTED "0 or 1 (default 0)"
#define LOG_ACCEPTED "error, warn, info, debug (default warn)"
#define LOG_FILE_ACCEPTED                                          \
	"a file path of at most " STR(RP_LOG_FILE_MAX)            \
	" characters without control characters (default stderr)"
/* clang-format on */

const char *rp_policy_name(enum rp_policy p)
{
	if ((int)p < 0 || p >= RP_POLICY_MAX)
		return NULL;
	return policies[p].name;
}

int rp_policy_from_name(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < RP_POLICY_MAX; i++)
		if (strcmp(name, policies[i].name) == 0)
			return i;
	return -1;
}

bool rp_policy_supported(enum rp_policy p)
{
	if ((int)p < 0 || p >= RP_POLICY_MAX)
		return false;
	return policies[p].supported;
}

/* "a, b, c" of the policies whose supported flag equals want. */
static void policy_list(char *buf, size_t len, bool want)
{
	size_t used = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < RP_POLICY_MAX; i++) {
		if (policies[i].supported != want)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     policies[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

/*
 * Repeat a user's value in a log line: bounded, and escaped so that a
 * newline or terminal escape in the environment cannot forge or garble lines.
 */
static void echo(char *out, size_t size, const char *v, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; v[i] && i < max; i++) {
		unsigned char c = (unsigned char)v[i];

		if (o + 5 + 3 >= size)
			break;
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		} else {
			out[o++] = (char)c;
		}
	}
	if (v[i]) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Same, for an entry of a list, which is not NUL terminated. */
static void echo_entry(char *out, size_t size, const char *s, const char *e)
{
	char tmp[ENTRY_ECHO_MAX + 2];
	size_t n = (size_t)(e - s);

	if (n > ENTRY_ECHO_MAX + 1)
		n = ENTRY_ECHO_MAX + 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	echo(out, size, tmp, ENTRY_ECHO_MAX);
}

/* "NAME=value: reason; accepted: ..." for the first bad variable only. */
__attribute__((format(printf, 5, 6))) static void
bad(struct rp_config *cfg, const char *name, const char *value,
    const char *accepted, const char *fmt, ...)
{
	char val[ECHO_BUF], why[192];
	va_list ap;

	if (cfg->invalid)
		return;
	cfg->invalid = true;
	echo(val, sizeof(val), value, ECHO_MAX);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(cfg->error, sizeof(cfg->error), "%s=%s: %s; accepted: %s",
		 name, val, why, accepted);
}

static void note_legacy(struct rp_config *cfg, const char *legacy,
			const char *value, const char *as)
{
	size_t used = strlen(cfg->notice);
	char val[ECHO_BUF];

	echo(val, sizeof(val), value, ECHO_MAX);
	snprintf(cfg->notice + used, sizeof(cfg->notice) - used,
		 "%susing legacy %s=%s as %s", used ? "; " : "", legacy, val,
		 as);
}

/* NULL when unset or empty; *len is capped at RP_ENV_MAX + 1. */
static const char *lookup(rp_getenv_fn get, const char *name, size_t *len)
{
	const char *v = get(name);

	if (!v || !*v)
		return NULL;
	*len = strnlen(v, RP_ENV_MAX + 1);
	return v;
}

static bool too_long(struct rp_config *cfg, const char *name, const char *v,
		     size_t len, const char *accepted)
{
	if (len <= RP_ENV_MAX)
		return false;
	bad(cfg, name, v, accepted,
	    "value too long (more than " STR(RP_ENV_MAX) " characters)");
	return true;
}

static bool has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

enum dec { DEC_OK, DEC_BAD, DEC_RANGE };

/*
 * Decimal digits only, unlike strtoul, which would accept leading blanks,
 * "+", and "-1" as ULONG_MAX.
 */
static enum dec parse_dec(const char *s, const char *e, uint32_t min,
			  uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (s == e)
		return DEC_BAD;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return DEC_BAD;
		/* Keep scanning past an overflow: "99999999999x" is garbage. */
		if (!big) {
			v = v * 10 + (uint64_t)(*s - '0');
			big = v > UINT32_MAX;
		}
	}
	if (big || v < min || v > max)
		return DEC_RANGE;
	*out = (uint32_t)v;
	return DEC_OK;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static bool entry_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

static void parse_uint(struct rp_config *cfg, rp_getenv_fn get,
		       const char *name, uint32_t min, uint32_t max,
		       const char *accepted, uint32_t *out)
{
	size_t len;
	const char *v = lookup(get, name, &len);

	if (!v || too_long(cfg, name, v, len, accepted))
		return;
	switch (parse_dec(v, v + len, min, max, out)) {
	case DEC_OK:
		break;
	case DEC_BAD:
		bad(cfg, name, v, accepted, "not a decimal integer");
		break;
	case DEC_RANGE:
		bad(cfg, name, v, accepted, "out of range");
		break;
	}
}

static void parse_bool(struct rp_config *cfg, rp_getenv_fn get,
		       const char *name, bool *out)
{
	size_t len;
	const char *v = lookup(get, name, &len);

	if (!v || too_long(cfg, name, v, len, BOOL_ACCEPTED))
		return;
	if (strcmp(v, "0") == 0)
		*out = false;
	else if (strcmp(v, "1") == 0)
		*out = true;
	else
		bad(cfg, name, v, BOOL_ACCEPTED, "not 0 or 1");
}

static void parse_policy(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_POLICY";
	char yes[128], no[128], accepted[320], val[ECHO_BUF];
	size_t len;
	const char *v = lookup(get, name, &len);
	int p;

	if (!v)
		return;
	policy_list(yes, sizeof(yes), true);
	policy_list(no, sizeof(no), false);
	if (no[0])
		snprintf(accepted, sizeof(accepted),
			 "%s (known, not built yet: %s)", yes, no);
	else
		snprintf(accepted, sizeof(accepted), "%s", yes);
	if (too_long(cfg, name, v, len, accepted))
		return;
	p = rp_policy_from_name(v);
	if (p < 0) {
		bad(cfg, name, v, accepted, "unknown policy");
		return;
	}
	if (!policies[p].supported) {
		/* Not bad(): this wording tells the user the name is right. */
		if (cfg->invalid)
			return;
		cfg->invalid = true;
		echo(val, sizeof(val), v, ECHO_MAX);
		snprintf(cfg->error, sizeof(cfg->error),
			 "%s=%s is not built yet; this build supports: %s",
			 name, val, yes);
		return;
	}
	cfg->policy = (enum rp_policy)p;
	cfg->policy_explicit = true;
}

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

	echo_entry(ent, sizeof(ent), s, e);
	r->protos = RP_PROTO_TCP | RP_PROTO_UDP;
	if (e - s >= 4 && memcmp(s, "tcp:", 4) == 0) {
		r->protos = RP_PROTO_TCP;
		s += 4;
	} else if (e - s >= 4 && memcmp(s, "udp:", 4) == 0) {
		r->protos = RP_PROTO_UDP;
		s += 4;
	}
	if (memchr(s, ':', (size_t)(e - s))) {
		bad(cfg, name, v, PORTS_ACCEPTED,
		    "unknown protocol (tcp: or udp:)" ENTRY_FMT,
		    ENTRY_ARGS(multi, ent));
		return false;
	}
	dash = memchr(s, '-', (size_t)(e - s));
	d = parse_dec(s, dash ? dash : e, 1, 65535, &lo);
	if (d == DEC_OK) {
		hi = lo;
		if (dash)
			d = parse_dec(dash + 1, e, 1, 65535, &hi);
	}
	if (d != DEC_OK) {
		bad(cfg, name, v, PORTS_ACCEPTED, "%s" ENTRY_FMT,
		    d == DEC_BAD ? "not a port number" : "port out of range",
		    ENTRY_ARGS(multi, ent));
		return false;
	}
	if (lo > hi) {
		bad(cfg, name, v, PORTS_ACCEPTED,
		    "bad range (low > high)" ENTRY_FMT, ENTRY_ARGS(multi, ent));
		return false;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return true;
}

/* One entry of a list: parse [s, e) into out, or report and fail. */
typedef bool (*entry_fn)(struct rp_config *cfg, const char *name, const char *v,
			 bool multi, const char *s, const char *e, void *out);

/*
 * A comma separated list of entries, or the word "all", into max elements
 * of size bytes at base; *all and *count receive the result.
 */
static bool parse_list(struct rp_config *cfg, const char *name, const char *v,
		       size_t len, const char *accepted, int max,
		       const char *too_many, entry_fn fn, void *base,
		       size_t size, bool *all_out, int *count)
{
	const char *p = v, *end = v + len;
	bool multi = memchr(v, ',', len) != NULL;
	bool all = false;
	int n = 0;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *s = p, *e = comma ? comma : end;

		trim(&s, &e);
		if (s == e) {
			bad(cfg, name, v, accepted, "empty entry");
			return false;
		}
		if (entry_is(s, e, "all")) {
			all = true;
		} else if (n == max) {
			bad(cfg, name, v, accepted, "%s", too_many);
			return false;
		} else if (!fn(cfg, name, v, multi, s, e,
			       (char *)base + (size_t)n * size)) {
			return false;
		} else {
			n++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (all && multi) {
		bad(cfg, name, v, accepted,
		    "all cannot be combined with other entries");
		return false;
	}
	*all_out = all;
	*count = n;
	return true;
}

static bool parse_port_list(struct rp_config *cfg, const char *name,
			    const char *v, size_t len)
{
	return parse_list(
		cfg, name, v, len, PORTS_ACCEPTED, RP_MAX_PORT_RANGES,
		"too many entries (at most " STR(RP_MAX_PORT_RANGES) ")",
		parse_port_entry, cfg->ports, sizeof(cfg->ports[0]),
		&cfg->all_ports, &cfg->nports);
}

static void parse_ports(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_PORTS";
	static const char legacy[] = "LIBREUSEPORT_PORT";
	const char *used = name, *v;
	size_t len;

	v = lookup(get, name, &len);
	if (!v) {
		/* msantos/reuseport took one port; a list is a superset. */
		v = lookup(get, legacy, &len);
		used = legacy;
	}
	if (!v || too_long(cfg, used, v, len, PORTS_ACCEPTED))
		return;
	if (!parse_port_list(cfg, used, v, len)) {
		cfg->all_ports = true;
		cfg->nports = 0;
		return;
	}
	if (used == legacy)
		note_legacy(cfg, legacy, v, name);
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

	echo_entry(ent, sizeof(ent), s, e);
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
	if (slash && parse_dec(slash + 1, e, 0, max, &prefix) != DEC_OK) {
		bad(cfg, name, v, ADDRS_ACCEPTED,
		    "bad prefix length (0-%u for IPv%c)" ENTRY_FMT, max,
		    c->family == AF_INET ? '4' : '6', ENTRY_ARGS(multi, ent));
		return false;
	}
	c->prefix = (uint8_t)prefix;
	/* 10.1.2.3/8 means 10.0.0.0/8, as in ip(8) routes and nft sets. */
	mask_host_bits(c);
	return true;

bad_addr:
	bad(cfg, name, v, ADDRS_ACCEPTED,
	    "not an IPv4 or IPv6 address" ENTRY_FMT, ENTRY_ARGS(multi, ent));
	return false;
}

static bool parse_addr_list(struct rp_config *cfg, const char *name,
			    const char *v, size_t len)
{
	return parse_list(cfg, name, v, len, ADDRS_ACCEPTED, RP_MAX_ADDRS,
			  "too many entries (at most " STR(RP_MAX_ADDRS) ")",
			  parse_addr_entry, cfg->addrs, sizeof(cfg->addrs[0]),
			  &cfg->all_addrs, &cfg->naddrs);
}

static void parse_addrs(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_ADDRS";
	static const char legacy[] = "LIBREUSEPORT_ADDR";
	const char *used = name, *v;
	size_t len;

	v = lookup(get, name, &len);
	if (!v) {
		/* msantos/reuseport took one exact address: a /32 or /128. */
		v = lookup(get, legacy, &len);
		used = legacy;
	}
	if (!v || too_long(cfg, used, v, len, ADDRS_ACCEPTED))
		return;
	if (!parse_addr_list(cfg, used, v, len)) {
		cfg->all_addrs = true;
		cfg->naddrs = 0;
		return;
	}
	if (used == legacy)
		note_legacy(cfg, legacy, v, name);
}

static bool has_dotdot(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != '/')
			j++;
		if (j - i == 2 && s[i] == '.' && s[i + 1] == '.')
			return true;
		i = j + 1;
	}
	return false;
}

static void parse_pin_dir(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_PIN_DIR";
	size_t len;
	const char *v = lookup(get, name, &len);

	if (!v || too_long(cfg, name, v, len, PIN_DIR_ACCEPTED))
		return;
	if (has_control(v, len)) {
		bad(cfg, name, v, PIN_DIR_ACCEPTED,
		    "contains a control character");
		return;
	}
	if (v[0] != '/') {
		bad(cfg, name, v, PIN_DIR_ACCEPTED, "not an absolute path");
		return;
	}
	/* Pin paths are built as pin_dir + "/...": no doubled slash. */
	while (len > 0 && v[len - 1] == '/')
		len--;
	if (len == 0) {
		/* Pinning straight into the root of a mount clutters it. */
		bad(cfg, name, v, PIN_DIR_ACCEPTED,
		    "/ is not allowed, use a directory below a bpffs mount");
		return;
	}
	/* Keeps the directory of every group where the user said it is. */
	if (has_dotdot(v, len)) {
		bad(cfg, name, v, PIN_DIR_ACCEPTED, "contains a .. component");
		return;
	}
	if (len > RP_PIN_DIR_MAX) {
		bad(cfg, name, v, PIN_DIR_ACCEPTED,
		    "too long (more than " STR(RP_PIN_DIR_MAX) " characters)");
		return;
	}
	memcpy(cfg->pin_dir, v, len);
	cfg->pin_dir[len] = '\0';
}

static void parse_log(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_LOG";
	static const char legacy[] = "LIBREUSEPORT_DEBUG";
	size_t len;
	const char *v = lookup(get, name, &len);
	unsigned int i;

	if (!v) {
		v = lookup(get, legacy, &len);
		/* msantos/reuseport only checked that it was set; "0" is no. */
		if (v && strcmp(v, "0") != 0) {
			cfg->log_level = RP_LOG_DEBUG;
			note_legacy(cfg, legacy, v, "REUSEPORT_LOG=debug");
		}
		return;
	}
	if (too_long(cfg, name, v, len, LOG_ACCEPTED))
		return;
	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(v, log_levels[i]) == 0) {
			cfg->log_level = (enum rp_log_level)i;
			return;
		}
	}
	bad(cfg, name, v, LOG_ACCEPTED, "unknown log level");
}

static void parse_log_file(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_LOG_FILE";
	size_t len;
	const char *v = lookup(get, name, &len);

	if (!v || too_long(cfg, name, v, len, LOG_FILE_ACCEPTED))
		return;
	if (has_control(v, len)) {
		bad(cfg, name, v, LOG_FILE_ACCEPTED,
		    "contains a control character");
		return;
	}
	if (len > RP_LOG_FILE_MAX) {
		bad(cfg, name, v, LOG_FILE_ACCEPTED,
		    "too long (more than " STR(RP_LOG_FILE_MAX) " characters)");
		return;
	}
	memcpy(cfg->log_file, v, len + 1);
}

static void set_defaults(struct rp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = RP_POLICY_AUTO;
	cfg->all_ports = true;
	cfg->all_addrs = true;
	cfg->weight = 100;
	cfg->generation = 0;
	cfg->max_slots = RP_DEFAULT_SLOTS;
	cfg->log_level = RP_LOG_WARN;
	memcpy(cfg->pin_dir, RP_DEFAULT_PIN_DIR, sizeof(RP_DEFAULT_PIN_DIR));
}

void rp_config_parse(struct rp_config *cfg, rp_getenv_fn get, bool secure)
{
	set_defaults(cfg);
	/* A setuid/setcap process must not be steered by its caller. */
	if (secure || !get) {
		cfg->disabled = true;
		return;
	}
	/* DESIGN.md order: it decides which bad variable error[] names. */
	parse_policy(cfg, get);
	parse_ports(cfg, get);
	parse_addrs(cfg, get);
	parse_uint(cfg, get, "REUSEPORT_WEIGHT", 1, 10000, WEIGHT_ACCEPTED,
		   &cfg->weight);
	parse_uint(cfg, get, "REUSEPORT_GENERATION", 0, UINT32_MAX,
		   GENERATION_ACCEPTED, &cfg->generation);
	parse_pin_dir(cfg, get);
	parse_uint(cfg, get, "REUSEPORT_MAX_SLOTS", 1, RP_MAX_SLOTS,
		   MAX_SLOTS_ACCEPTED, &cfg->max_slots);
	parse_bool(cfg, get, "REUSEPORT_STRICT", &cfg->strict);
	parse_bool(cfg, get, "REUSEPORT_DISABLE", &cfg->disabled);
	parse_log(cfg, get);
	parse_log_file(cfg, get);
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

int rp_group_name(char *buf, size_t len, int proto, const struct sockaddr *sa,
		  bool v6only, int ifindex)
{
	char addr[INET6_ADDRSTRLEN], ifs[24] = "";
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	const char *p;
	uint16_t port;
	char fam;
	int n;

	if (!buf || len == 0)
		return -1;
	buf[0] = '\0';
	if (!sa || ifindex < 0)
		return -1;
	if (proto == IPPROTO_TCP)
		p = "tcp";
	else if (proto == IPPROTO_UDP)
		p = "udp";
	else
		return -1;
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&in, sa, sizeof(in));
		if (!inet_ntop(AF_INET, &in.sin_addr, addr, sizeof(addr)))
			return -1;
		port = ntohs(in.sin_port);
		fam = '4';
		v6only = false;
		break;
	case AF_INET6:
		memcpy(&in6, sa, sizeof(in6));
		if (!inet_ntop(AF_INET6, &in6.sin6_addr, addr, sizeof(addr)))
			return -1;
		port = ntohs(in6.sin6_port);
		fam = '6';
		break;
	default:
		return -1;
	}
	/* Every port-0 bind gets its own ephemeral port: never a group. */
	if (port == 0)
		return -1;
	/*
	 * bpffs rejects '.' in names (EPERM from bpf_lookup(): dots are
	 * reserved), so IPv4 dots, also inside v4-mapped IPv6, become '-'.
	 */
	for (char *c = addr; *c; c++)
		if (*c == '.')
			*c = '-';
	if (ifindex > 0)
		snprintf(ifs, sizeof(ifs), "_if%d", ifindex);
	n = snprintf(buf, len, "%s%c_%s_%u%s%s", p, fam, addr, (unsigned)port,
		     v6only ? "_v6only" : "", ifs);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

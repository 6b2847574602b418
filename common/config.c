// SPDX-License-Identifier: MIT
/*
 * REUSEPORT_* environment -> struct rp_config.
 *
 * This runs inside the constructor of whatever program LD_PRELOAD lands in,
 * before that program's main(): it allocates nothing, makes no system call
 * and keeps no state, so it cannot disturb the host and can be unit-tested
 * with a fake getenv.
 *
 * The rules every variable is read by: config_rules.c. The variables are
 * parsed in the order of docs/DESIGN.md section 3 (rp_config_parse()): the
 * first bad one owns cfg->error.
 */
#include <string.h>

#include "config.h"
#include "config_rules.h"
#include "registry_names.h"

static const char *const log_levels[] = {
	[RP_LOG_ERROR] = "error",
	[RP_LOG_WARN] = "warn",
	[RP_LOG_INFO] = "info",
	[RP_LOG_DEBUG] = "debug",
};

/* clang-format off */
#define WEIGHT_ACCEPTED "an integer 1-10000 (default 100)"
#define GENERATION_ACCEPTED "an integer 0-4294967295 (default 0)"
#define INSTANCE_ACCEPTED \
	"an integer 1-4294967295 (reuseport run sets it; default: none)"
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

static bool has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static void parse_uint(struct rp_config *cfg, rp_getenv_fn get,
		       const char *name, uint32_t min, uint32_t max,
		       const char *accepted, uint32_t *out)
{
	size_t len;
	const char *v = cfg_lookup(get, name, &len);

	if (!v || cfg_too_long(cfg, name, v, len, accepted))
		return;
	switch (cfg_parse_dec(v, v + len, min, max, out)) {
	case DEC_OK:
		break;
	case DEC_BAD:
		cfg_bad(cfg, name, v, accepted, "not a decimal integer");
		break;
	case DEC_RANGE:
		cfg_bad(cfg, name, v, accepted, "out of range");
		break;
	}
}

static void parse_bool(struct rp_config *cfg, rp_getenv_fn get,
		       const char *name, bool *out)
{
	size_t len;
	const char *v = cfg_lookup(get, name, &len);

	if (!v || cfg_too_long(cfg, name, v, len, BOOL_ACCEPTED))
		return;
	if (strcmp(v, "0") == 0)
		*out = false;
	else if (strcmp(v, "1") == 0)
		*out = true;
	else
		cfg_bad(cfg, name, v, BOOL_ACCEPTED, "not 0 or 1");
}

static void parse_policy(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_POLICY";
	char accepted[320];
	size_t len;
	const char *v = cfg_lookup(get, name, &len);
	int p;

	if (!v)
		return;
	rp_policy_list(accepted, sizeof(accepted), ", ");
	if (cfg_too_long(cfg, name, v, len, accepted))
		return;
	p = rp_policy_from_name(v);
	if (p < 0) {
		cfg_bad(cfg, name, v, accepted, "unknown policy");
		return;
	}
	cfg->policy = (enum rp_policy)p;
	cfg->policy_explicit = true;
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

/*
 * A path variable: NULL when unset, too long or holding a control character
 * (reported); *len is its length.
 */
static const char *lookup_path(struct rp_config *cfg, rp_getenv_fn get,
			       const char *name, const char *accepted,
			       size_t *len)
{
	const char *v = cfg_lookup(get, name, len);

	if (!v || cfg_too_long(cfg, name, v, *len, accepted))
		return NULL;
	if (has_control(v, *len)) {
		cfg_bad(cfg, name, v, accepted, "contains a control character");
		return NULL;
	}
	return v;
}

/* Copy len bytes of v and a NUL into out when len <= max, else report. */
static void set_path(struct rp_config *cfg, const char *name, const char *v,
		     size_t len, const char *accepted, char *out, size_t max)
{
	if (len > max) {
		cfg_bad(cfg, name, v, accepted,
			"too long (more than %zu characters)", max);
		return;
	}
	memcpy(out, v, len);
	out[len] = '\0';
}

static void parse_pin_dir(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_PIN_DIR";
	size_t len;
	const char *v = lookup_path(cfg, get, name, PIN_DIR_ACCEPTED, &len);

	if (!v)
		return;
	if (v[0] != '/') {
		cfg_bad(cfg, name, v, PIN_DIR_ACCEPTED, "not an absolute path");
		return;
	}
	/* Pin paths are built as pin_dir + "/...": no doubled slash. */
	while (len > 0 && v[len - 1] == '/')
		len--;
	if (len == 0) {
		/* Pinning straight into the root of a mount clutters it. */
		cfg_bad(cfg, name, v, PIN_DIR_ACCEPTED,
			"/ is not allowed, use a directory below a bpffs mount");
		return;
	}
	/* Keeps the directory of every group where the user said it is. */
	if (has_dotdot(v, len)) {
		cfg_bad(cfg, name, v, PIN_DIR_ACCEPTED,
			"contains a .. component");
		return;
	}
	set_path(cfg, name, v, len, PIN_DIR_ACCEPTED, cfg->pin_dir,
		 RP_PIN_DIR_MAX);
}

static void parse_log(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_LOG";
	static const char legacy[] = "LIBREUSEPORT_DEBUG";
	size_t len;
	const char *v = cfg_lookup(get, name, &len);
	unsigned int i;

	if (!v) {
		v = cfg_lookup(get, legacy, &len);
		/* msantos/reuseport only checked that it was set; "0" is no. */
		if (v && strcmp(v, "0") != 0) {
			cfg->log_level = RP_LOG_DEBUG;
			cfg_note_legacy(cfg, legacy, v, "REUSEPORT_LOG=debug");
		}
		return;
	}
	if (cfg_too_long(cfg, name, v, len, LOG_ACCEPTED))
		return;
	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(v, log_levels[i]) == 0) {
			cfg->log_level = (enum rp_log_level)i;
			return;
		}
	}
	cfg_bad(cfg, name, v, LOG_ACCEPTED, "unknown log level");
}

static void parse_log_file(struct rp_config *cfg, rp_getenv_fn get)
{
	static const char name[] = "REUSEPORT_LOG_FILE";
	size_t len;
	const char *v = lookup_path(cfg, get, name, LOG_FILE_ACCEPTED, &len);

	if (v)
		set_path(cfg, name, v, len, LOG_FILE_ACCEPTED, cfg->log_file,
			 RP_LOG_FILE_MAX);
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
	cfg->stall_queue = RP_STALL_QUEUE;
	cfg->stall_ms = RP_STALL_MS;
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
	/* docs/DESIGN.md order: it decides which bad variable error[] names. */
	parse_policy(cfg, get);
	rp_cfg_parse_scope(cfg, get);
	parse_uint(cfg, get, "REUSEPORT_WEIGHT", 1, 10000, WEIGHT_ACCEPTED,
		   &cfg->weight);
	parse_uint(cfg, get, "REUSEPORT_GENERATION", 0, UINT32_MAX,
		   GENERATION_ACCEPTED, &cfg->generation);
	parse_uint(cfg, get, "REUSEPORT_INSTANCE", 1, UINT32_MAX,
		   INSTANCE_ACCEPTED, &cfg->instance);
	parse_pin_dir(cfg, get);
	parse_uint(cfg, get, "REUSEPORT_MAX_SLOTS", 1, RP_MAX_SLOTS,
		   MAX_SLOTS_ACCEPTED, &cfg->max_slots);
	rp_cfg_parse_features(cfg, get);
	parse_bool(cfg, get, "REUSEPORT_STRICT", &cfg->strict);
	parse_bool(cfg, get, "REUSEPORT_DISABLE", &cfg->disabled);
	parse_log(cfg, get);
	parse_log_file(cfg, get);
}

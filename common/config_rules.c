// SPDX-License-Identifier: MIT
/*
 * The rules every REUSEPORT_* variable is read by, for the parsers of
 * config.c, scope.c and config_feat.c:
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
 * - The first bad variable, in the order of docs/DESIGN.md section 3, owns
 *   cfg->error; later ones are still parsed so everything else keeps its
 *   value, and a bad variable keeps its default.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_rules.h"
#include "escape.h"

#define RP_ENV_MAX 4096
#define ENTRY_ECHO_MAX 32

/* Repeat a user's value in a log line (escape.h). */
static void echo(char *out, size_t size, const char *v, size_t max)
{
	rp_escape(out, size, v, max);
}

/* Same, for an entry of a list, which is not NUL terminated. */
void cfg_echo_entry(char *out, size_t size, const char *s, const char *e)
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
__attribute__((format(printf, 5, 6))) void
cfg_bad(struct rp_config *cfg, const char *name, const char *value,
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

void cfg_note_legacy(struct rp_config *cfg, const char *legacy,
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
const char *cfg_lookup(rp_getenv_fn get, const char *name, size_t *len)
{
	const char *v = get(name);

	if (!v || !*v)
		return NULL;
	*len = strnlen(v, RP_ENV_MAX + 1);
	return v;
}

bool cfg_too_long(struct rp_config *cfg, const char *name, const char *v,
		  size_t len, const char *accepted)
{
	if (len <= RP_ENV_MAX)
		return false;
	cfg_bad(cfg, name, v, accepted,
		"value too long (more than " STR(RP_ENV_MAX) " characters)");
	return true;
}

/*
 * Decimal digits only, unlike strtoul, which would accept leading blanks,
 * "+", and "-1" as ULONG_MAX.
 */
enum dec cfg_parse_dec(const char *s, const char *e, uint32_t min, uint32_t max,
		       uint32_t *out)
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

void cfg_trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

bool cfg_entry_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

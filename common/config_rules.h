/* SPDX-License-Identifier: MIT */
/*
 * The config parser's own header, not part of the API: the rules every
 * variable is read by (config_rules.c), and the groups of variables that
 * rp_config_parse() (config.c) hands on.
 */
#ifndef RP_CONFIG_RULES_H
#define RP_CONFIG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* How much of a bad value an error line repeats, before escaping. */
#define ECHO_MAX 64
/* Every echoed byte may become "\xNN", plus "..." and the NUL. */
#define ECHO_BUF (ECHO_MAX * 4 + 8)

enum dec { DEC_OK, DEC_BAD, DEC_RANGE };

/* "NAME=value: reason; accepted: ..." for the first bad variable only. */
__attribute__((format(printf, 5, 6))) void
cfg_bad(struct rp_config *cfg, const char *name, const char *value,
	const char *accepted, const char *fmt, ...);
/* A list entry (not NUL terminated), bounded and escaped. */
void cfg_echo_entry(char *out, size_t size, const char *s, const char *e);
void cfg_note_legacy(struct rp_config *cfg, const char *legacy,
		     const char *value, const char *as);
/* NULL when unset or empty; *len is capped at RP_ENV_MAX + 1. */
const char *cfg_lookup(rp_getenv_fn get, const char *name, size_t *len);
bool cfg_too_long(struct rp_config *cfg, const char *name, const char *v,
		  size_t len, const char *accepted);
/* Decimal digits only (no blanks, sign or base prefix). */
enum dec cfg_parse_dec(const char *s, const char *e, uint32_t min, uint32_t max,
		       uint32_t *out);
/* Drop blanks (space, tab) at both ends of [*s, *e). */
void cfg_trim(const char **s, const char **e);
bool cfg_entry_is(const char *s, const char *e, const char *word);

/* REUSEPORT_PORTS, then REUSEPORT_ADDRS (scope.c). */
void rp_cfg_parse_scope(struct rp_config *cfg, rp_getenv_fn get);
/* REUSEPORT_UDP_FLOWS, REUSEPORT_STALL, REUSEPORT_ROLE (config_feat.c). */
void rp_cfg_parse_features(struct rp_config *cfg, rp_getenv_fn get);

#endif

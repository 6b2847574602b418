/* SPDX-License-Identifier: MIT */
/* Names and help texts of policies and counters (bpf/registry.h). */
#ifndef RP_REGISTRY_NAMES_H
#define RP_REGISTRY_NAMES_H

#include <stddef.h>

#include "steer.h"

/* "roundrobin", ...; NULL when out of range. */
const char *rp_policy_name(enum rp_policy p);
const char *rp_policy_help(enum rp_policy p);
/* -1 if unknown. */
int rp_policy_from_name(const char *name);
/* "auto, roundrobin, ..." (sep between names) into buf; truncated if small. */
void rp_policy_list(char *buf, size_t len, const char *sep);
/* The policy a new group gets: auto is roundrobin for TCP, hash for UDP. */
enum rp_policy rp_policy_resolve(enum rp_policy p, int proto);

const char *rp_counter_name(enum rp_counter c);
const char *rp_counter_help(enum rp_counter c);

#endif

// SPDX-License-Identifier: MIT
/* User-space side of bpf/registry.h. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "registry_names.h"

#define NAME(e, n, h) [RP_POLICY_##e] = #n,
#define HELP(e, n, h) [RP_POLICY_##e] = h,
static const char *const policy_names[RP_POLICY_MAX] = { RP_POLICIES(NAME) };
static const char *const policy_help[RP_POLICY_MAX] = { RP_POLICIES(HELP) };
#undef NAME
#undef HELP

#define NAME(e, n, h) [RP_CNT_##e] = #n,
#define HELP(e, n, h) [RP_CNT_##e] = h,
static const char *const counter_names[RP_CNT_MAX] = { RP_COUNTERS(NAME) };
static const char *const counter_help[RP_CNT_MAX] = { RP_COUNTERS(HELP) };
#undef NAME
#undef HELP

const char *rp_policy_name(enum rp_policy p)
{
	return (unsigned int)p < RP_POLICY_MAX ? policy_names[p] : NULL;
}

const char *rp_policy_help(enum rp_policy p)
{
	return (unsigned int)p < RP_POLICY_MAX ? policy_help[p] : NULL;
}

int rp_policy_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < RP_POLICY_MAX; i++)
		if (strcmp(name, policy_names[i]) == 0)
			return i;
	return -1;
}

void rp_policy_list(char *buf, size_t len, const char *sep)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int i = 0; i < RP_POLICY_MAX; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 used ? sep : "", policy_names[i]);

		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0'; /* whole names only */
			return;
		}
		used += (size_t)n;
	}
}

enum rp_policy rp_policy_resolve(enum rp_policy p, int proto)
{
	if (p != RP_POLICY_AUTO)
		return p;
	return proto == IPPROTO_UDP ? RP_POLICY_HASH : RP_POLICY_ROUNDROBIN;
}

const char *rp_counter_name(enum rp_counter c)
{
	return (unsigned int)c < RP_CNT_MAX ? counter_names[c] : NULL;
}

const char *rp_counter_help(enum rp_counter c)
{
	return (unsigned int)c < RP_CNT_MAX ? counter_help[c] : NULL;
}

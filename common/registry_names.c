// SPDX-License-Identifier: MIT
/* User-space side of bpf/registry.h. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "registry_names.h"

/* One table per kind, in enum order: both come from the same list. */
struct rp_name {
	const char *name;
	const char *help;
};

#define ENTRY(e, n, h) { #n, h },
static const struct rp_name policies[] = { RP_REGISTRY(ENTRY, RP_X_SKIP) };
static const struct rp_name counters[] = { RP_REGISTRY(RP_X_SKIP, ENTRY) };
#undef ENTRY

const char *rp_policy_name(enum rp_policy p)
{
	return (unsigned int)p < RP_POLICY_MAX ? policies[p].name : NULL;
}

const char *rp_policy_help(enum rp_policy p)
{
	return (unsigned int)p < RP_POLICY_MAX ? policies[p].help : NULL;
}

int rp_policy_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < RP_POLICY_MAX; i++)
		if (strcmp(name, policies[i].name) == 0)
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
				 used ? sep : "", policies[i].name);

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
	return (unsigned int)c < RP_CNT_MAX ? counters[c].name : NULL;
}

const char *rp_counter_help(enum rp_counter c)
{
	return (unsigned int)c < RP_CNT_MAX ? counters[c].help : NULL;
}

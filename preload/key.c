// SPDX-License-Identifier: MIT
/*
 * Which group a socket joins (its key: protocol, family, address, device,
 * v6only, port), and the groups of this process whose program the
 * application attached itself, which the shim leaves alone.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "log.h"
#include "names.h"
#include "rawsys.h"
#include "real.h"
#include "shim_impl.h"

int rp_make_key(int fd, uint32_t kind, const struct sockaddr *sa,
		struct rp_group_key *key)
{
	int v6only = 0, ifindex = 0;
	socklen_t len = sizeof(int);

	memset(key, 0, sizeof(*key));
	key->proto = kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	key->family = sa->sa_family;
	key->port = rp_port_of(sa);
	if (sa->sa_family == AF_INET6 &&
	    libc_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) != 0)
		v6only = 0;
	len = sizeof(int);
	if (libc_getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len) !=
	    0)
		ifindex = 0;
	memcpy(&key->addr, sa,
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in));
	key->ifindex = ifindex;
	key->v6only = v6only != 0;
	return rp_group_name(key->name, sizeof(key->name), key->proto, sa,
			     v6only != 0, ifindex) < 0 ?
		       -EINVAL :
		       0;
}

/*
 * Groups of this process whose program the application attached itself
 * (SO_ATTACH_REUSEPORT_CBPF/EBPF): never registered, never attached to.
 */
#define MAX_APP_GROUPS 16
static char app_groups[MAX_APP_GROUPS][96];
static unsigned int napp_groups;

bool rp_app_group(const char *name)
{
	for (unsigned int i = 0; i < napp_groups; i++)
		if (!strcmp(app_groups[i], name))
			return true;
	return false;
}

/* Locked. */
void rp_app_group_add(const char *name)
{
	if (rp_app_group(name))
		return;
	if (napp_groups < MAX_APP_GROUPS)
		snprintf(app_groups[napp_groups++], sizeof(app_groups[0]), "%s",
			 name);
	pr_warn("event=app_program group=%s action=\"the application's own reuseport program is kept; libreuseport does not steer this group in this process\"",
		name);
}

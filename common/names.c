// SPDX-License-Identifier: MIT
/* The pin directory name of a kernel reuseport group. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

int rp_group_name(char *buf, size_t len, int proto, const struct sockaddr *sa,
		  bool v6only, int ifindex)
{
	char addr[INET6_ADDRSTRLEN], ifs[24] = "";
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	const void *ip;
	const char *p;
	uint16_t port;
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
	/* Copies: the caller's sockaddr need not be aligned. */
	if (sa->sa_family == AF_INET) {
		memcpy(&in, sa, sizeof(in));
		ip = &in.sin_addr;
		port = ntohs(in.sin_port);
		v6only = false;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&in6, sa, sizeof(in6));
		ip = &in6.sin6_addr;
		port = ntohs(in6.sin6_port);
	} else {
		return -1;
	}
	if (!inet_ntop(sa->sa_family, ip, addr, sizeof(addr)))
		return -1;
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
	n = snprintf(buf, len, "%s%c_%s_%u%s%s", p,
		     sa->sa_family == AF_INET ? '4' : '6', addr, (unsigned)port,
		     v6only ? "_v6only" : "", ifs);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

bool rp_is_group_name(const char *name)
{
	return (!strncmp(name, "tcp", 3) || !strncmp(name, "udp", 3)) &&
	       (name[3] == '4' || name[3] == '6') && name[4] == '_';
}

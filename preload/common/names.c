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

/* SPDX-License-Identifier: MIT */
#ifndef RP_NAMES_H
#define RP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * The name of a kernel reuseport group's pin directory:
 * "<tcp|udp><4|6>_<addr>_<port>", plus "_v6only" for an AF_INET6 socket with
 * IPV6_V6ONLY and "_if<ifindex>" for a socket bound to a device. IPv4 dots
 * are written as '-' (tcp4_127-0-0-1_8080): bpffs refuses '.' in names.
 * Returns the length written, or -1 if buf is too small or input is invalid.
 */
int rp_group_name(char *buf, size_t len, int proto, const struct sockaddr *sa,
		  bool v6only, int ifindex);
/* Is name of that form (a group's directory, not tcp/ or udp/ beside it)? */
bool rp_is_group_name(const char *name);

#endif

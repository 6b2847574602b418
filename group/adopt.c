// SPDX-License-Identifier: MIT
/*
 * Registering a listener for another process (reuseport run's cgroup
 * mode, reuseport adopt): a binary the shim does not reach (static, Go,
 * raw system calls) has its listener copied by the supervisor
 * (pidfd_getfd), registered as the shim would register it, and the
 * namespace's program attached through the copy. The slot names the owner;
 * closing the copy leaves the sockarray entry and the attachment with the
 * socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "group_impl.h"
#include "names.h"
#include "rawsys.h"

/* The group key of socket fd, from the kernel: 0 or -errno. */
int rp_group_key_of(int fd, struct rp_group_key *key)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss), il = sizeof(int);
	int type = 0, v6only = 0, ifindex = 0;

	memset(key, 0, sizeof(*key));
	if (getsockname(fd, sa, &len) != 0 ||
	    rp_raw_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) != 0)
		return -errno;
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM))
		return -EAFNOSUPPORT;
	key->proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	key->family = sa->sa_family;
	key->port = ntohs(((struct sockaddr_in *)sa)->sin_port);
	il = sizeof(int);
	if (sa->sa_family == AF_INET6 &&
	    rp_raw_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &il))
		v6only = 0;
	il = sizeof(int);
	if (rp_raw_getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &il))
		ifindex = 0;
	memcpy(&key->addr, sa,
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in));
	key->ifindex = ifindex;
	key->v6only = v6only != 0;
	if (!key->port)
		return -EINVAL;
	return rp_group_name(key->name, sizeof(key->name), key->proto, sa,
			     v6only != 0, ifindex) < 0 ?
		       -EINVAL :
		       0;
}

/* The pid namespace of pid (its /proc/PID/ns/pid inode), 0 if unknown. */
static uint32_t pidns_of(pid_t pid)
{
	char p[64];
	struct stat sb;

	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
	return stat(p, &sb) == 0 ? (uint32_t)sb.st_ino : 0;
}

int rp_group_adopt(const struct rp_config *cfg, int fd, pid_t owner,
		   struct rp_group_key *key, struct rp_member *out)
{
	struct rp_handle h;
	struct rp_slot *s;
	int err;

	memset(out, 0, sizeof(*out));
	err = rp_group_key_of(fd, key);
	if (!err)
		err = rp_group_open(cfg, key, &h);
	if (err)
		return err;
	err = rp_group_attach(cfg, key, fd, &h, out);
	rp_group_close(&h);
	if (err)
		return err;
	s = out->slotp;
	if (!out->already) {
		/* the owner's, not the supervisor's */
		__atomic_store_n(&s->r.pidns, pidns_of(owner),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&s->r.cpu, -1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->r.pid, (uint32_t)owner, __ATOMIC_RELAXED);
	}
	__atomic_fetch_or(&s->r.flags, RP_SLOT_ADOPTED, __ATOMIC_RELAXED);
	return 0;
}

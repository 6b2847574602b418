/* SPDX-License-Identifier: MIT */
/*
 * Ask the kernel (NETLINK_SOCK_DIAG, inet_diag) which sockets of the calling
 * process's network namespace are listening on a port, so that the members
 * of a kernel reuseport group can be compared with the sockets registered
 * in the group's REUSEPORT_SOCKARRAY (by SO_COOKIE). A listener that is in
 * the kernel group but not in the sockarray gets no connections while the
 * steering program is attached.
 *
 * libc only; every call opens and closes its own netlink socket
 * (SOCK_CLOEXEC), so the functions are thread-safe and keep no state.
 * errno is preserved; errors are returned as negative errno values.
 *
 * What the kernel puts into one reuseport group (inet_reuseport_add_sock,
 * udp_reuseport_add_sock): same netns, protocol, family, exact local
 * address, port, bound device, IPV6_V6ONLY (AF_INET6), owner uid, and
 * SO_REUSEPORT set. rp_kernel_listeners() filters on everything inet_diag
 * shows: netns (implicitly), protocol, family, address, port, bound device,
 * v6only. It does NOT filter on:
 *   - SO_REUSEPORT / SO_REUSEADDR: not exposed by inet_diag (nor by
 *     INET_DIAG_SOCKOPT). For TCP this does not matter: listeners on the
 *     same address, port and device without SO_REUSEPORT cannot coexist
 *     with the group. Two UDP sockets with SO_REUSEADDR only can share an
 *     address and port outside the group; they are listed.
 *   - the owner uid: returned in rp_kmember.uid (idiag_uid, the socket's
 *     owner as seen from the caller's user namespace) for the caller to
 *     compare; sockets of another uid cannot bind the same address and
 *     port with SO_REUSEPORT anyway.
 */
#ifndef RP_KDIAG_H
#define RP_KDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct rp_kmember {
	uint64_t cookie; /* = getsockopt(SO_COOKIE) */
	uint32_t inode; /* socket inode: /proc/PID/fd/N -> socket:[inode] */
	uint32_t uid; /* owner uid (idiag_uid) */
	int32_t ifindex; /* bound device (SO_BINDTODEVICE, scope id), 0 = none */
	uint32_t rqueue; /* TCP: accept queue length; UDP: bytes queued in */
	uint32_t wqueue; /* TCP: accept queue limit (backlog); UDP: bytes out */
	bool v6only_known; /* AF_INET6 and the kernel reported IPV6_V6ONLY */
	bool v6only;
};

/*
 * Listening sockets (TCP: state LISTEN; UDP: bound and not connected) of
 * protocol proto (IPPROTO_TCP / IPPROTO_UDP) that the kernel would put in
 * one reuseport group with a socket bound to addr (AF_INET / AF_INET6,
 * exact address and port; sin6_scope_id is ignored, pass the device as
 * ifindex) on device ifindex (0 = not bound to a device) and, for
 * AF_INET6, with IPV6_V6ONLY = v6only (ignored for AF_INET). Sockets
 * whose v6only the kernel does not report match either value.
 *
 * Fills out[0 .. min(count, max) - 1] (out may be NULL when max is 0) and
 * returns count, the number of such sockets (may exceed max), or:
 *   -EINVAL         bad proto, NULL addr, port 0, negative ifindex
 *   -EAFNOSUPPORT   addr is neither AF_INET nor AF_INET6
 *   -EMSGSIZE       a netlink reply did not fit the receive buffer
 *   -EPROTO         malformed netlink reply
 *   other           from socket()/sendmsg()/recvmsg() or the kernel (e.g.
 *                   -ENOENT when inet_diag for proto is not available)
 */
int rp_kernel_listeners(int proto, const struct sockaddr *addr, int ifindex,
			bool v6only, struct rp_kmember *out, size_t max);

/*
 * Accept queue of the TCP listener with this cookie, listening on port
 * (host order) in family: *queued = connections waiting for accept(),
 * *backlog = the queue's limit (listen() backlog, capped by somaxconn).
 * Either pointer may be NULL. Returns 0, -ENOENT when no such listener,
 * or a negative errno as above.
 */
int rp_kernel_accept_queue(int family, uint16_t port, uint64_t cookie,
			   uint32_t *queued, uint32_t *backlog);

#endif /* RP_KDIAG_H */

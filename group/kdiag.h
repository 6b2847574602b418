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
 * v6only. Not visible, so not filtered:
 *   - SO_REUSEPORT / SO_REUSEADDR (INET_DIAG_SOCKOPT has no such bit), and
 *     which kernel group a socket is in. Every listener on the same
 *     address, port, device and v6only is returned. TCP: a listener without
 *     SO_REUSEPORT cannot listen there next to the group (EADDRINUSE), but
 *     one that clears SO_REUSEPORT after listen() keeps its place while
 *     later SO_REUSEPORT sockets start a new group; UDP: sockets with
 *     SO_REUSEADDR only can bind next to the group. Both kinds are listed:
 *     they are outside the sockarray and compete for the port's traffic.
 *   - the owner uid is returned (rp_kmember.uid = idiag_uid, the socket's
 *     owner as seen from the caller's user namespace), not compared: a
 *     socket of another uid cannot bind the same address and port with
 *     SO_REUSEPORT (EADDRINUSE).
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
	uint16_t port; /* host order */
	uint8_t addr[16]; /* bound address, network order (IPv4: 4 bytes) */
};

/*
 * Listening sockets (TCP: state LISTEN; UDP: bound and not connected) of
 * protocol proto (IPPROTO_TCP / IPPROTO_UDP) that the kernel would put in
 * one reuseport group with a socket bound to addr (AF_INET / AF_INET6,
 * exact address and port; sin6_scope_id is ignored, pass the device as
 * ifindex) on device ifindex (0 = not bound to a device) and, for
 * AF_INET6, with IPV6_V6ONLY = v6only (ignored for AF_INET; forced to true
 * for a specific, not v4-mapped IPv6 address, as bind() does). Sockets
 * whose v6only the kernel does not report match either value.
 * Cost: one netlink dump, which walks the kernel's whole listener (TCP) or
 * UDP hash table, shared by all network namespaces: about 16 us, 45 us
 * with 1000 other listeners on the machine (6.18, see kdiag_check bench).
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
 * Every listening socket (TCP: LISTEN; UDP: bound, not connected) of
 * protocol proto and family in this network namespace, whatever its port
 * and address: out and the return value as above.
 */
int rp_kernel_all_listeners(int proto, int family, struct rp_kmember *out,
			    size_t max);

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

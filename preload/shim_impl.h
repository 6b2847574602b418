/* SPDX-License-Identifier: MIT */
/* Shared by the interposer's files; not part of its interface. */
#ifndef RP_SHIM_IMPL_H
#define RP_SHIM_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "fdtab.h"

/* The environment, parsed once (core.c). */
extern struct rp_config rp_cfg;
/* Serialises registrations; held across fork by the atfork handlers. */
extern pthread_mutex_t rp_reg_lock;
/*
 * Set while the shim runs its own (or libbpf's) socket calls, so those
 * reach libc untouched.
 */
extern __thread int rp_in_shim __attribute__((tls_model("initial-exec")));
extern uint32_t rp_my_pid;

/* core.c: what a socket is and whether the shim acts on it */
void rp_init(void);
uint32_t rp_classify(int domain, int type, int protocol);
uint32_t rp_sock_kind(int fd, struct rp_fdent *e);
uint16_t rp_port_of(const struct sockaddr *sa);
bool rp_addr_ok(const struct sockaddr *sa, socklen_t len);
bool rp_in_scope(uint32_t kind, const struct sockaddr *sa);

struct rp_group_key;
struct rp_handle;
struct rp_state;

/* key.c: the group of a socket, and the groups the application steers */
/* The group key of socket fd bound to sa: 0 or -EINVAL. */
int rp_make_key(int fd, uint32_t kind, const struct sockaddr *sa,
		struct rp_group_key *key);
/* Does the application steer this group itself (in this process)? */
bool rp_app_group(const char *name);
/* It does, from now on (said once per group). Locked. */
void rp_app_group_add(const char *name);

/* loader.c: the group library (libreuseport-steer.so) */
extern const struct rp_steer_api *rp_steer;
/* dlopen() it on first use; NULL (reported once) when it cannot load */
const struct rp_steer_api *rp_load_steer(void);

/* report.c: one line per failure, strict error or once-per-group warning */
void rp_report(const struct rp_group_key *key, const char *call, int err,
	       const char *action);

/*
 * hold.c: the group opened at a TCP bind, used at its listen (a server
 * may drop privileges in between). The functions marked Locked expect
 * rp_reg_lock held; the others take it.
 */
/* TCP bind in scope: open the group now and hold it for socket fd. */
void rp_hold_open(int fd, uint32_t kind, const struct sockaddr *sa);
/* At listen: the handle held for fd, or the group opened now. Locked. */
int rp_hold_prepare(int fd, const struct rp_group_key *key,
		    struct rp_handle *h);
/* Close a handle and drop its fd-table marks. Locked. */
void rp_hold_release(struct rp_handle *h);
/* Release what is held for socket sock, if anything. Locked. */
void rp_hold_drop(int sock);
/* The socket sock is closed: release what was held for it. */
void rp_hold_forget_sock(int sock);
/* The application closed (or replaced) one of the held pin fds. */
void rp_hold_fd_closed(int fd);

/* register.c: the real bind/listen with registration around it */
enum op { OP_NONE, OP_BIND, OP_LISTEN };

/* The kernel call a registration wraps. */
struct call {
	enum op op;
	const char *name; /* for log lines: bind, listen, systemd */
	const struct sockaddr *sa;
	socklen_t len;
	int backlog;
};

int rp_register_around(int fd, uint32_t kind, const struct sockaddr *sa,
		       struct rp_fdent *e, const struct call *c);

/* No program on the socket's kernel group: the kernel hash for all. */
void rp_detach(int fd);

int rp_register_bind(int fd, uint32_t kind, const struct sockaddr *sa,
		     socklen_t len, struct rp_fdent *e);
/* A registered UDP socket connected: out of its group (a client's). */
void rp_register_leave(int fd, struct rp_fdent *e);
int rp_register_listen(int fd, const struct sockaddr *sa, int backlog,
		       struct rp_fdent *e);
void rp_adopt_passed_sockets(void);
/* First accept on a listener the fd table does not know. */
void rp_adopt_inherited(int lfd, struct rp_fdent *e);
/* fd now runs the application's own reuseport program. */
void rp_register_app_program(int fd, struct rp_fdent *e);
/* This process's unregistered member of st is gone. */
void rp_register_unsteered_gone(struct rp_state *st);

#endif

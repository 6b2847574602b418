// SPDX-License-Identifier: MIT
/*
 * Sockets the bind/listen hooks never saw: passed by systemd (registered
 * at start-up) and listeners inherited across exec (found at their first
 * accept).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "group.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "shim_impl.h"

/*
 * systemd socket activation (LISTEN_FDS/LISTEN_PID): the sockets arrive
 * bound and listening, so the bind/listen hooks never see them. Register
 * the ones in scope now. They need ReusePort=yes in the .socket unit.
 */
void rp_adopt_passed_sockets(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	struct call c = { .op = OP_NONE, .name = "systemd" };
	struct rp_fdent e;
	socklen_t len;
	int fd, on;
	long n;

	if (!pid || !fds || rp_cfg.disabled || rp_cfg.invalid ||
	    strtol(pid, NULL, 10) != (long)getpid())
		return;
	n = strtol(fds, NULL, 10);
	for (fd = 3; n > 0 && n <= 4096 && fd < 3 + n; fd++) {
		uint32_t kind = rp_sock_kind(fd, &e);

		len = sizeof(ss);
		if (!kind || getsockname(fd, sa, &len) != 0 ||
		    !rp_addr_ok(sa, len) || !rp_in_scope(kind, sa))
			continue;
		on = 0;
		len = sizeof(on);
		if (kind == RP_FD_TCP &&
		    (libc_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on,
				     &len) ||
		     !on))
			continue; /* the listen hook will see it */
		rp_register_around(fd, kind, sa, &e, &c);
	}
}

/*
 * A listener this process never saw bound or listening (inherited across
 * exec: HAProxy -W reloads, nginx binary upgrades) has its first accept
 * here: if its socket is registered, account for it like our own. Asked
 * once per fd; the answer is kept in the fd table.
 */
void rp_adopt_inherited(int lfd, struct rp_fdent *e)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	struct rp_group_key key;
	struct rp_member m;
	int on = 0;
	socklen_t olen = sizeof(on);
	uint32_t kind = rp_sock_kind(lfd, e);

	/* asked once per fd, whatever the answer (a unix listener too) */
	e->flags |= RP_FD_ASKED;
	rp_fd_set(lfd, e);
	if (kind != RP_FD_TCP || rp_cfg.disabled || rp_cfg.invalid ||
	    getsockname(lfd, sa, &len) != 0 || !rp_addr_ok(sa, len) ||
	    !rp_in_scope(RP_FD_TCP, sa) ||
	    libc_getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) || !on)
		return;
	rp_in_shim++;
	pthread_mutex_lock(&rp_reg_lock);
	if (!rp_make_key(lfd, RP_FD_TCP, sa, &key) && rp_load_steer() &&
	    rp_steer->find(&rp_cfg, &key, lfd, &m) == 0) {
		e->flags |= RP_FD_MEMBER;
		e->slot = m.slotp;
		e->state = m.state;
		e->forkgen = rp_forkgen;
		rp_fd_set(lfd, e);
		pr_info("event=adopt group=%s slot=%d reason=\"listener inherited across exec\"",
			key.name, m.slot);
	}
	pthread_mutex_unlock(&rp_reg_lock);
	rp_in_shim--;
}

// SPDX-License-Identifier: MIT
/*
 * reuseport adopt PID...: register the listeners of servers that run
 * outside reuseport run and that the shim does not reach (a systemd unit
 * or a container running a static or Go binary that sets SO_REUSEPORT
 * itself). Each listening socket of PID on a port in scope that no group
 * holds is copied (pidfd_getfd), registered in its group for PID with the
 * configuration PID's environment gives, and the program attached through
 * the copy. Their accepts are not seen: such a member is never marked
 * stalled, and its queue is the kernel's.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "sys.h"

struct tally {
	int adopted, already, failed;
};

/* A listener: TCP listening, or UDP bound and not connected. */
static bool listening(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int);
	int type = 0, acc = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		return false;
	if (type == SOCK_STREAM) {
		len = sizeof(int);
		return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) &&
		       acc;
	}
	len = sizeof(ss);
	return type == SOCK_DGRAM &&
	       getpeername(fd, (struct sockaddr *)&ss, &len) != 0 &&
	       errno == ENOTCONN;
}

static void adopt_fd(pid_t pid, int fd, struct rp_config *cfg, struct tally *t)
{
	struct rp_group_key key;
	struct rp_member m;
	uint16_t lo, hi;
	int copy = cli_copy_fd(pid, fd), err;

	if (copy < 0) {
		printf("error: pid %d fd %d: cannot take a copy of it (pidfd_getfd): %s\n",
		       (int)pid, fd, strerror(-copy));
		t->failed++;
		return;
	}
	if (!listening(copy) || rp_group_key_of(copy, &key) ||
	    !rp_config_port_in_scope(cfg, key.proto, key.port) ||
	    (key.proto == IPPROTO_UDP && cfg->all_ports &&
	     rp_ephemeral_ports(&lo, &hi) && key.port >= lo &&
	     key.port <= hi)) {
		close(copy);
		return;
	}
	err = rp_group_adopt(cfg, copy, pid, &key, &m);
	close(copy);
	if (err) {
		printf("error: pid %d fd %d (%s): %s %s\n", (int)pid, fd,
		       key.name, cli_errname(err), rp_group_last_error());
		t->failed++;
	} else if (m.already) {
		printf("registered already: pid %d fd %d group %s slot %d\n",
		       (int)pid, fd, key.name, m.slot);
		t->already++;
	} else {
		printf("adopted: pid %d fd %d group %s slot %d\n", (int)pid, fd,
		       key.name, m.slot);
		t->adopted++;
	}
}

static int adopt_pid(pid_t pid, struct tally *t)
{
	struct rp_config own;
	struct dirent *e;
	char p[64], link[64];
	int before = t->adopted + t->already + t->failed;
	DIR *d;

	if (!cli_owner_config(pid, &own)) {
		printf("skipped: pid %d: no readable environment, REUSEPORT_DISABLE=1 or a bad REUSEPORT_* value in it\n",
		       (int)pid);
		return 1;
	}
	if (cli_shim_handles(pid)) {
		printf("skipped: pid %d: the shim in it registers its listeners (or chose not to)\n",
		       (int)pid);
		return 0;
	}
	own.defer_truth = true;
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	d = opendir(p);
	if (!d) {
		printf("error: pid %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/%d/fd/%.20s", (int)pid,
			 e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strncmp(link, "socket:[", 8))
			adopt_fd(pid, atoi(e->d_name), &own, t);
	}
	closedir(d);
	if (t->adopted + t->already + t->failed == before) {
		printf("error: pid %d has no listener in scope\n", (int)pid);
		return 1;
	}
	return 0;
}

static void check_one(const struct rp_group_view *g, void *arg)
{
	(void)arg;
	if (!g->err)
		rp_group_check_kernel(g->st, g->socks_fd, g->name);
}

int cmd_adopt(int argc, char **argv)
{
	struct tally t = { 0 };
	char ns[4096];
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr,
			"reuseport adopt: which processes? usage: reuseport adopt PID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		long pid = strtol(argv[i], &end, 10);

		if (*end || pid <= 0 || pid > 4194304) {
			fprintf(stderr,
				"reuseport adopt: '%s' is not a process id\n",
				argv[i]);
			return 2;
		}
		ret |= adopt_pid((pid_t)pid, &t);
	}
	/* the kernel truth once, with every listener in */
	if (t.adopted && rp_group_ns_dir(&cfg, ns, sizeof(ns)) == 0)
		rp_walk_groups(ns, false, check_one, NULL);
	return ret || t.failed ? 1 : 0;
}

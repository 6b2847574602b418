// SPDX-License-Identifier: MIT
/*
 * reuseport run: readiness for systemd and scripts.
 *
 * sd_notify without libsystemd: when NOTIFY_SOCKET is set (a path, or
 * "@name" for an abstract socket), one datagram per state change:
 * MAINPID= at start, READY=1 once every instance registered,
 * RELOADING=1 + MONOTONIC_USEC= then READY=1 around a reload, STOPPING=1,
 * and STATUS= lines. The variable is removed from the instances'
 * environment: the supervisor is the service systemd sees.
 *
 * --ready-file PATH: "ready\n" written (atomically) once every instance
 * registered; removed at start and when the supervisor stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "escape.h"
#include "notify.h"
#include "state.h"
#include "unsteered.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

static void ready_file_warning(const char *why)
{
	char path[RP_ESC_SIZE(PATH_MAX)];

	run_warn("event=warning reason=\"--ready-file %s: %s\"",
		 rp_escape(path, sizeof(path), R.ready_file, PATH_MAX), why);
}

void run_notify_setup(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len = path ? strlen(path) : 0;

	if (R.ready_file && unlink(R.ready_file) != 0 && errno != ENOENT)
		ready_file_warning(strerror(errno));
	if (!len)
		return;
	/* the supervisor is the service: the instances must not answer */
	path = strdupa(path);
	unsetenv("NOTIFY_SOCKET");
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(notify_addr.sun_path)) {
		run_warn(
			"event=warning reason=\"NOTIFY_SOCKET %s: not a socket path or @name\"",
			path);
		return;
	}
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0'; /* abstract, not 0-terminated */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				 (path[0] == '/'));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		run_warn("event=warning reason=\"NOTIFY_SOCKET: socket: %s\"",
			 strerror(errno));
	run_notify("MAINPID=%d\nSTATUS=starting %d instances", (int)getpid(),
		   R.n);
}

void run_notify(const char *fmt, ...)
{
	char msg[1536];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	if (sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
		   (struct sockaddr *)&notify_addr, notify_len) < 0)
		rp_log(RP_LOG_DEBUG, "event=notify_failed reason=\"%s\"",
		       strerror(errno));
}

static void write_ready_file(void)
{
	char tmp[PATH_MAX];
	bool ok;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", R.ready_file, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = fd >= 0 && write(fd, "ready\n", 6) == 6;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, R.ready_file) != 0) {
		ready_file_warning(strerror(errno));
		unlink(tmp);
	}
}

void run_announce_ready(void)
{
	R.ready = true;
	run_info("event=ready_all instances=%d generation=%u", R.n, R.gen);
	run_notify_serving();
	if (R.ready_file)
		write_ready_file();
}

void run_notify_serving(void)
{
	char ports[1024] = "", why[256] = "";

	if (notify_fd >= 0 &&
	    run_unsteered(ports, sizeof(ports), why, sizeof(why)))
		run_notify(
			"READY=1\nSTATUS=%d instances serving, generation %u; NOT STEERED: %s: %s",
			R.n, R.gen, ports, why);
	else
		run_notify(
			"READY=1\nSTATUS=%d instances serving, generation %u",
			R.n, R.gen);
}

void run_notify_stop(void)
{
	run_notify("STOPPING=1\nSTATUS=stopping");
	if (R.ready_file && R.ready)
		unlink(R.ready_file);
}

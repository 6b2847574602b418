// SPDX-License-Identifier: MIT
/*
 * reuseport reload: a rolling restart of a reuseport run supervisor that
 * returns when it is done (systemd's ExecReload= before Type=notify-reload,
 * scripts). The protocol: run/reload.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "rawsys.h"
#include "run/reload.h"
#include "sys.h"

#define STEP_MS 200

/* "reuseport reload: pid PID: WHY" on stderr; 1 */
static int fail(long pid, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reuseport reload: pid %ld: ", pid);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * Is pid a reuseport run supervisor? Its argv: reuseport, global options
 * (with their values), then run. SIGHUP kills most other processes.
 */
static bool is_supervisor(pid_t pid)
{
	static const char *const with_value[] = { "--pin-dir", "-p", "--group",
						  "-g" };
	char args[4096];
	ssize_t n = rp_proc_read(pid, "cmdline", args, sizeof(args));
	const char *a, *base;

	if (n < 0)
		return false;
	base = strrchr(args, '/');
	base = base ? base + 1 : args;
	if (strcmp(base, "reuseport"))
		return false;
	for (a = args + strlen(args) + 1; a < args + n; a += strlen(a) + 1) {
		bool skip = false;

		for (size_t k = 0; k < 4; k++)
			skip |= !strcmp(a, with_value[k]);
		if (skip) {
			a += strlen(a) + 1;
			continue;
		}
		if (a[0] == '-')
			continue;
		return !strcmp(a, "run") || !strcmp(a, "ru");
	}
	return false;
}

/* Is pid in this process's pid namespace (not a container's below it)? */
static bool same_pidns(pid_t pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &a) != 0 || stat("/proc/self/ns/pid", &b) != 0)
		return true; /* cannot tell: try */
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static const char *result_text(int r)
{
	switch (r) {
	case RP_RELOAD_DONE:
		return NULL;
	case RP_RELOAD_FAILED:
		return "the rolling restart failed: a replacement did not start or register (event=rolling_abort in its log); the running instances keep serving";
	case RP_RELOAD_STOPPING:
		return "the supervisor is stopping: no rolling restart";
	case RP_RELOAD_REFUSED:
		return "refused: the generation is at its maximum (event=rolling_abort in its log)";
	case RP_RELOAD_BUSY:
		return "refused: too many reload commands are waiting already";
	default:
		return "an answer this version does not know";
	}
}

int cmd_reload(int argc, char **argv)
{
	double timeout = 0;
	long pid = 0;
	sigset_t set;
	int pidfd, sfd;
	uint64_t waited = 0;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--timeout")) {
			if (i + 1 == argc ||
			    !cli_parse_seconds(argv[i + 1], 86400, &timeout))
				return cli_usage_error(
					"reload",
					"--timeout takes seconds 0..86400");
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return cli_bad_option(argv[0], argv[i]);
		errno = 0;
		pid = strtol(argv[i], &end, 10);
		if (*end || errno || pid <= 0 || pid > 4194304 || i + 1 != argc)
			return cli_usage_error(
				"reload",
				"takes one process id, the supervisor's ($MAINPID), not %s",
				argv[i]);
	}
	if (pid <= 0)
		return cli_usage_error(
			"reload", "which supervisor? reuseport reload PID");
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return fail(pid, "%s", strerror(errno));
	if (!is_supervisor((pid_t)pid)) {
		close(pidfd);
		return fail(pid, "not a reuseport run supervisor");
	}
	if (!same_pidns((pid_t)pid)) {
		/* it would see our pid as 0: no answer could come */
		close(pidfd);
		return fail(
			pid,
			"the supervisor runs in another pid namespace (a container): run reuseport reload inside it, or kill -HUP %ld to roll without waiting",
			pid);
	}
	/*
	 * Blocked, and read through a signalfd: the supervisor checks that
	 * the requester blocks the answer (sigtimedwait would unblock it while
	 * waiting) before it sends one.
	 */
	sigemptyset(&set);
	sigaddset(&set, RP_RELOAD_ANSWER);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return fail(pid, "signalfd: %s", strerror(errno));
	if (sigqueue((pid_t)pid, SIGHUP,
		     (union sigval){ .sival_int = RP_RELOAD_MAGIC }) != 0)
		return fail(pid, "SIGHUP: %s", strerror(errno));
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		struct signalfd_siginfo si;
		const char *why;
		int n = poll(p, 2, timeout > 0 ? STEP_MS : -1);

		if (n < 0 && errno != EINTR)
			return fail(pid, "poll: %s", strerror(errno));
		if (n > 0 && p[0].revents &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_code != SI_QUEUE ||
			    si.ssi_pid != (uint32_t)pid)
				continue; /* not the supervisor's answer */
			why = result_text(si.ssi_int);
			return why ? fail(pid, "%s", why) : 0;
		}
		if (n > 0 && p[1].revents)
			return fail(pid, "the supervisor exited");
		waited += STEP_MS;
		if (timeout > 0 && n == 0 && waited >= timeout * 1000)
			return fail(
				pid,
				"still rolling after %g s (--timeout); the roll goes on",
				timeout);
	}
}

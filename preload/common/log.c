// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "pintrust.h"

static enum rp_log_level log_level = RP_LOG_WARN;
static const char *log_file; /* NULL: stderr */
static dev_t stderr_dev;
static ino_t stderr_ino;
static bool stderr_known;

static const char *prefix = "libreuseport";
static bool with_pid = true;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void rp_log_setup(enum rp_log_level level, const char *file)
{
	char why[512];
	struct stat st;
	int fd;

	log_level = level;
	log_file = file && *file ? file : NULL;
	if (log_file) {
		/*
		 * Absolute, a regular file, never through a link, never a FIFO
		 * or device that could block the server: else stderr, and one
		 * line that says why.
		 */
		fd = rp_open_log_file(log_file, why, sizeof(why));
		if (fd >= 0) {
			syscall(SYS_close, fd);
		} else {
			log_file = NULL;
			rp_log(RP_LOG_ERROR,
			       "event=log_file_refused errno=%s %s action=\"logging to stderr\"",
			       strerrorname_np(-fd) ? strerrorname_np(-fd) :
						      "?",
			       why);
		}
	}
	/*
	 * Remember what fd 2 is now: a daemon that closes stdio may later
	 * reuse fd 2 for a client socket, and a log line must never end up
	 * in someone's connection.
	 */
	if (!log_file && fstat(STDERR_FILENO, &st) == 0) {
		stderr_dev = st.st_dev;
		stderr_ino = st.st_ino;
		stderr_known = true;
	}
}

void rp_log_set_prefix(const char *p, bool pid)
{
	prefix = p;
	with_pid = pid;
}

bool rp_log_enabled(enum rp_log_level level)
{
	return level <= log_level;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void rp_log(enum rp_log_level level, const char *fmt, ...)
{
	int saved = errno;
	char line[1024];
	struct stat st;
	va_list ap;
	int n, m, fd;

	if (!rp_log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "%s: level=%s ", prefix,
		     level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		goto out;
	n += m;
	if (n > (int)sizeof(line) - 24)
		n = (int)sizeof(line) - 24;
	if (with_pid)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " pid=%d",
			      getpid());
	line[n++] = '\n';

	if (log_file) {
		/* Opened per line: the shim keeps no fd in the host process. */
		fd = rp_open_log_file(log_file, NULL, 0);
		if (fd < 0)
			goto out;
		write_all(fd, line, (size_t)n);
		/* raw close: the preload's close() hook has nothing to do here */
		syscall(SYS_close, fd);
	} else {
		if (fstat(STDERR_FILENO, &st) != 0 || S_ISSOCK(st.st_mode) ||
		    (stderr_known &&
		     (st.st_dev != stderr_dev || st.st_ino != stderr_ino)))
			goto out;
		write_all(STDERR_FILENO, line, (size_t)n);
	}
out:
	errno = saved;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "rawsys.h"
#include "log.h"
#include "pintrust.h"

static enum rp_log_level log_level = RP_LOG_WARN;
static const char *log_file; /* NULL: stderr */
static bool log_file_refused; /* REUSEPORT_LOG_FILE was set and refused */
static dev_t stderr_dev;
static ino_t stderr_ino;
static bool stderr_known;
static bool stderr_closed; /* fd 2 was closed at start: never use it */
static bool stderr_journal; /* fd 2 is systemd's journal stream */

/* Where warn and error lines go when their destination fails. */
#define SYSLOG_SOCKET "/dev/log"

static const char *prefix = "libreuseport";
static const char *ident = "libreuseport";
static bool with_pid = true;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/*
 * systemd's convention: JOURNAL_STREAM="DEV:INODE" (decimal) names the
 * journal stream it gave the service as stdout/stderr. A socket on fd 2
 * that is this one is the journal, not a client connection.
 */
static bool is_journal_stream(const struct stat *st)
{
	const char *v = secure_getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end;

	if (!v || *v < '0' || *v > '9')
		return false;
	errno = 0;
	dev = strtoull(v, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	ino = strtoull(end + 1, &end, 10);
	if (errno || *end)
		return false;
	return S_ISSOCK(st->st_mode) && dev == (unsigned long long)st->st_dev &&
	       ino == (unsigned long long)st->st_ino;
}

void rp_log_setup(enum rp_log_level level, const char *file, bool report)
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
			rp_raw_close(fd);
		} else {
			log_file = NULL;
			log_file_refused = true;
			if (report)
				rp_log(RP_LOG_ERROR,
				       "event=log_file_refused errno=%s %s action=\"logging to stderr\"",
				       strerrorname_np(-fd) ?
					       strerrorname_np(-fd) :
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
		stderr_journal = is_journal_stream(&st);
	} else if (!log_file) {
		/* whatever the process opens next may become fd 2 */
		stderr_closed = true;
	}
}

void rp_log_set_prefix(const char *p, const char *syslog_ident, bool pid)
{
	prefix = p;
	ident = syslog_ident;
	with_pid = pid;
}

bool rp_log_enabled(enum rp_log_level level)
{
	return level <= log_level;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Can a line written to fd 2 be seen? Not when fd 2 was closed at start
 * (anything the process opened since may have become fd 2), is a socket
 * other than the journal stream named at start (a daemon's client
 * connection), is no longer the file it was at start, or is /dev/null.
 */
static bool stderr_usable(void)
{
	struct stat st;

	if (stderr_closed || fstat(STDERR_FILENO, &st) != 0 ||
	    (S_ISSOCK(st.st_mode) && !stderr_journal))
		return false;
	if (stderr_known &&
	    (st.st_dev != stderr_dev || st.st_ino != stderr_ino))
		return false;
	return !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

/*
 * The fallback for warn and error lines: syslog (LOG_DAEMON, ident
 * "libreuseport", the supervisor's "reuseport") through a unix socket to
 * /dev/log opened, used and closed for this line with raw system calls:
 * the host process never holds an fd of ours, the preload's hooks see
 * nothing, and the host's own openlog() state (which syslog(3)/closelog() share) is untouched.
 * Never blocks: a full or missing syslog socket loses the line.
 */
static void to_syslog(enum rp_log_level level, const char *line, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *body = line;
	char msg[1200];
	size_t plen = strlen(prefix);
	int fd, n,
		pri = LOG_DAEMON |
		      (level == RP_LOG_ERROR ? LOG_ERR : LOG_WARNING);

	if (level > RP_LOG_WARN)
		return;
	while (len > 0 && line[len - 1] == '\n')
		len--;
	/* "reuseport run: level=..." -> "reuseport[pid]: level=..." */
	if (len > plen + 2 && !strncmp(line, prefix, plen) &&
	    line[plen] == ':' && line[plen + 1] == ' ') {
		body = line + plen + 2;
		len -= plen + 2;
	}
	n = snprintf(msg, sizeof(msg), "<%d>%s[%d]: %.*s", pri, ident, getpid(),
		     (int)len, body);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	memcpy(sa.sun_path, SYSLOG_SOCKET, sizeof(SYSLOG_SOCKET));
	fd = rp_raw_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (rp_raw_sendto(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
			  (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno == EPROTOTYPE) {
		/* a stream /dev/log (some syslog daemons): one NUL-ended record */
		rp_raw_close(fd);
		fd = rp_raw_socket(
			AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return;
		if (rp_raw_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			rp_raw_sendto(fd, msg, (size_t)n + 1,
				      MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	}
	rp_raw_close(fd);
}

void rp_log(enum rp_log_level level, const char *fmt, ...)
{
	/* journald's priority of each level (SyslogLevelPrefix=yes) */
	static const char journal_pri[] = { '3', '4', '6', '7' };
	int saved = errno;
	char buf[1024 + 3], *line = buf + 3;
	va_list ap;
	int n, m, fd;

	if (!rp_log_enabled(level))
		return;
	n = snprintf(line, sizeof(buf) - 3, "%s: level=%s ", prefix,
		     level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(buf) - 3 - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		goto out;
	n += m;
	if (n > (int)sizeof(buf) - 3 - 24)
		n = (int)sizeof(buf) - 3 - 24;
	if (with_pid)
		n += snprintf(line + n, sizeof(buf) - 3 - (size_t)n, " pid=%d",
			      getpid());
	line[n++] = '\n';

	if (log_file) {
		/* Opened per line: the shim keeps no fd in the host process. */
		fd = rp_open_log_file(log_file, NULL, 0);
		if (fd < 0 || !write_all(fd, line, (size_t)n))
			to_syslog(level, line, (size_t)n);
		if (fd >= 0)
			rp_raw_close(fd);
	} else {
		bool ok = stderr_usable();

		if (ok && stderr_journal) {
			/* one write: "<4>libreuseport: level=warn ..." */
			buf[0] = '<';
			buf[1] = journal_pri[level];
			buf[2] = '>';
			ok = write_all(STDERR_FILENO, buf, (size_t)n + 3);
		} else if (ok) {
			ok = write_all(STDERR_FILENO, line, (size_t)n);
		}
		if (!ok || log_file_refused)
			/* the operator reads the log file, not stderr */
			to_syslog(level, line, (size_t)n);
	}
out:
	errno = saved;
}

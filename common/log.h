/* SPDX-License-Identifier: MIT */
/*
 * One logger, silent below REUSEPORT_LOG (default warn). Lines are
 * "libreuseport: level=<l> <key=value ...> pid=<pid>", written with one
 * write(2) so lines of concurrent processes do not interleave. On systemd's
 * journal stream (JOURNAL_STREAM names fd 2) each line starts with its
 * syslog priority, "<4>libreuseport: level=warn ...".
 */
#ifndef RP_LOG_H
#define RP_LOG_H

#include <stdbool.h>
#include "config.h"

/* report: say so when the log file is refused (once per process: the
 * interposer does, the group library it loads does not). */
void rp_log_setup(enum rp_log_level level, const char *file, bool report);
/* Another program's lines ("reuseport run", syslog ident "reuseport");
 * pid=false: no pid= key. */
void rp_log_set_prefix(const char *prefix, const char *syslog_ident, bool pid);
bool rp_log_enabled(enum rp_log_level level);
void rp_log(enum rp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) rp_log(RP_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) rp_log(RP_LOG_WARN, __VA_ARGS__)
#define pr_info(...) rp_log(RP_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) rp_log(RP_LOG_DEBUG, __VA_ARGS__)

#endif

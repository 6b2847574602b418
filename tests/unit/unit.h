/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness for the pure-logic parts of libreuseport.
 *
 * Checks never abort: one run lists every failure. Each CHECK* evaluates to
 * its result, so a test can skip checks that depend on an earlier one:
 *
 *	if (!CHECK_EQ_INT(n, 3, "count"))
 *		return;
 *
 * Failures print "FAIL <name> (file:line): detail"; UNIT_VERBOSE=1 in the
 * environment also prints "ok <name>". unit_done() prints the one summary
 * line "N passed, N failed" and returns the process exit status.
 */
#ifndef RP_UNIT_H
#define RP_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned int unit_passed __attribute__((unused));
static unsigned int unit_failed __attribute__((unused));

__attribute__((unused, format(printf, 5, 6))) static bool
unit_result(bool ok, const char *name, const char *file, int line,
	    const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		unit_passed++;
		if (getenv("UNIT_VERBOSE"))
			printf("ok   %s\n", name);
		return true;
	}
	unit_failed++;
	printf("FAIL %s (%s:%d): ", name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return false;
}

/* Printable form of a possibly NULL string for failure messages. */
static inline const char *unit_str(const char *s)
{
	return s ? s : "(null)";
}

/*
 * A name for a table row: a few rotating buffers, so a check can use two
 * at once. Single-threaded tests only.
 */
__attribute__((unused, format(printf, 1, 2))) static const char *
unit_name(const char *fmt, ...)
{
	static char bufs[4][256];
	static unsigned int next;
	char *b = bufs[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* clang-format off */
#define CHECK(cond, name) \
	unit_result(!!(cond), (name), __FILE__, __LINE__, "%s", #cond)

#define CHECK_EQ_INT(got, want, name)                                       \
	({                                                                  \
		long long unit_g_ = (long long)(got);                       \
		long long unit_w_ = (long long)(want);                      \
		unit_result(unit_g_ == unit_w_, (name), __FILE__, __LINE__, \
			    "%s is %lld, want %lld", #got, unit_g_, unit_w_); \
	})

/* Both NULL counts as equal. */
#define CHECK_STR(got, want, name)                                          \
	({                                                                  \
		const char *unit_g_ = (got), *unit_w_ = (want);             \
		unit_result(unit_g_ == unit_w_ ||                           \
				    (unit_g_ && unit_w_ &&                  \
				     strcmp(unit_g_, unit_w_) == 0),        \
			    (name), __FILE__, __LINE__,                     \
			    "%s is \"%s\", want \"%s\"", #got,              \
			    unit_str(unit_g_), unit_str(unit_w_));          \
	})

#define CHECK_CONTAINS(got, part, name)                                    \
	({                                                                 \
		const char *unit_g_ = (got), *unit_p_ = (part);            \
		unit_result(unit_g_ && unit_p_ && strstr(unit_g_, unit_p_), \
			    (name), __FILE__, __LINE__,                    \
			    "%s is \"%s\", want it to contain \"%s\"", #got, \
			    unit_str(unit_g_), unit_str(unit_p_));         \
	})
/* clang-format on */

/* Exit status: failure also when nothing was checked at all. */
__attribute__((unused)) static int unit_done(void)
{
	printf("%u passed, %u failed\n", unit_passed, unit_failed);
	fflush(stdout);
	return unit_failed || !unit_passed ? 1 : 0;
}

#endif

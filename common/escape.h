/* SPDX-License-Identifier: MIT */
/*
 * Bytes from outside (a process name, a path, an environment value, a
 * library's message) repeated in a log line: bounded, and escaped so that
 * a newline or terminal escape in them cannot forge or garble lines.
 */
#ifndef RP_ESCAPE_H
#define RP_ESCAPE_H

#include <stddef.h>

/* Every byte may become "\xNN", plus "..." and the NUL. */
#define RP_ESC_SIZE(max) ((max)*4 + 8)

/*
 * At most max bytes of v into out: a backslash doubled, a double quote,
 * control and non-ASCII bytes as \xNN, "..." when v is longer. Returns out.
 */
const char *rp_escape(char *out, size_t size, const char *v, size_t max);

#endif

// SPDX-License-Identifier: MIT
/* See escape.h. Pure: no allocation, no system call (any hook may log). */
#include "escape.h"

const char *rp_escape(char *out, size_t size, const char *v, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (!size)
		return out;
	for (i = 0; v[i] && i < max; i++) {
		unsigned char c = (unsigned char)v[i];

		if (o + 4 + 3 >= size)
			break;
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c < 0x20 || c >= 0x7f || c == '"') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		} else {
			out[o++] = (char)c;
		}
	}
	if (v[i] && o + 3 < size) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
	return out;
}

/* SPDX-License-Identifier: MIT */
/* getopt_long tables of the reuseport command's parsers. */
#ifndef RP_OPTS_H
#define RP_OPTS_H

#include <getopt.h>
#include <stddef.h>

/* --name VALUE, --name, and the end of a table */
/* clang-format off */
#define OPT_ARG(name, val) { name, required_argument, NULL, val }
#define OPT_FLAG(name, val) { name, no_argument, NULL, val }
#define OPT_END { NULL, 0, NULL, 0 }
/* clang-format on */

#endif

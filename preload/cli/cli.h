/* SPDX-License-Identifier: MIT */
/* Shared by the reuseport command's files. */
#ifndef RP_CLI_H
#define RP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "group.h"

extern struct rp_config cfg;
extern const char *only_group; /* --group NAME */

int usage(FILE *f, int status);
/*
 * For what getopt returned that the parser does not handle: -h/--help,
 * usage on stdout, 0; anything else, usage on stderr, 2.
 */
int usage_for(int opt);

/* A group as the commands see it; returning nonzero marks a failure. */
typedef int (*group_fn)(const char *name, const char *dir, struct rp_state *st,
			int socks_fd, void *arg);
/*
 * fn for every group of this network namespace (or only --group), after
 * taking back what dead processes left. Groups that cannot be opened are
 * reported on stderr. -1 if anything failed.
 */
int for_each_group(group_fn fn, void *arg);

/* Slots in use (1 + the highest ever claimed). */
uint32_t nslots(const struct rp_state *st);
/* Decimal, no sign, at most max. */
bool cli_parse_ulong(const char *s, unsigned long max, unsigned long *out);

int cmd_status(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
/* action: 0 drain, 1 undrain, 2 weight */
int cmd_target(int argc, char **argv, int action);
int cmd_policy(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* caps.c: run fn(arg, res) in a child process (it may drop capabilities
 * or change user); res (res_len bytes) comes back. 0 or -errno. */
int cli_in_child(void (*fn)(const void *arg, void *res), const void *arg,
		 void *res, size_t res_len);
/* "EPERM", ... for -EPERM (or a number) */
const char *cli_errname(int err);
/* Print what creating a group needs here; true if this process may. */
bool cli_report_capabilities(void);

#endif

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
extern const char *only_group; /* --group SPEC as written */

/*
 * args.c: usage errors (exit status 2): "reuseport: [CMD: ]MESSAGE" on
 * stderr, then "try 'reuseport [CMD ]--help'"; returns 2.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Decimal, no sign, at most max. */
bool cli_parse_ulong(const char *s, unsigned long max, unsigned long *out);
/* Seconds, decimals allowed, 0..max. */
bool cli_parse_seconds(const char *s, double max, double *out);

/* usage.c: "unknown option OPT; accepted: ..." (the command table's options) */
int cli_bad_option(const char *cmd, const char *opt);
/*
 * usage(stdout, 0): the global usage, 0. usage(stderr, 2): the running
 * command's synopsis as a usage error, 2.
 */
int usage(FILE *f, int status);
/* For getopt's result: 'h' as usage(stdout, 0), else usage(stderr, 2). */
int usage_for(int opt);

/*
 * GROUP-SPEC (spec.c, the one parser): [tcp:|udp:][ADDR:]PORT, ADDR an
 * IPv4 address or [IPv6], or (name_ok) a pin name such as
 * tcp4_127-0-0-1_8080. What is not written is 0: any.
 */
struct cli_spec {
	int proto; /* IPPROTO_TCP / IPPROTO_UDP */
	int family; /* AF_INET / AF_INET6 when an address is given */
	uint8_t addr[16]; /* network order */
	uint16_t port; /* host order */
	char name[96]; /* the pin-name form */
};
int cli_parse_spec(const char *spec, bool name_ok, struct cli_spec *out);
/* Does the group (its header, else its pin name) match the spec? */
bool cli_spec_match(const struct cli_spec *s, const char *name,
		    const struct rp_state *st);

/* select.c: the pin dir is on a bpf filesystem; else say so (once), false. */
bool cli_have_bpffs(void);
/* Append name to the comma-separated list (truncated with "..."). */
void cli_add_name(char *list, size_t len, const char *name);
/* "no group matches SPEC; groups here: others" on f (others sorted). */
void cli_no_match(FILE *f, const char *spec, char *others, size_t len);
/* --group SPEC: parse it once for the walker; 0, or 2 (usage error said). */
int cli_select(const char *spec);
/*
 * rp_is_bpffs() of path, or of its nearest existing ancestor (written to
 * found): 1 on a bpf filesystem, 0 not, -errno.
 */
int cli_bpffs_at(const char *path, char *found, size_t len);

/* A group as the commands see it; returning nonzero marks a failure. */
typedef int (*group_fn)(const char *name, const char *dir, struct rp_state *st,
			int socks_fd, void *arg);
/*
 * fn for every group of this network namespace (only those --group
 * selects). Read-only: fn gets a private copy of the state in which the
 * shares of dead processes are taken back; nothing shared is written.
 * -1 (said on stderr) if anything failed, bpffs is not mounted on the pin
 * dir, or --group matches no group; 0 also when there are no groups.
 */
int for_each_group(group_fn fn, void *arg);
/*
 * The same for the commands that change state: fn gets the shared state,
 * the shares of dead processes taken back first; no group is a failure.
 */
int for_each_group_rw(group_fn fn, void *arg);
/* The selected groups: their number (names in list), or -1. */
int cli_selected_groups(char *list, size_t len);

/* Slots in use (1 + the highest ever claimed). */
uint32_t nslots(const struct rp_state *st);

/*
 * The commands of main.c's table: status.c, metrics.c, top.c, control.c
 * (drain, undrain, weight, policy), cleanup.c, setup.c, bench/bench.c.
 */
/* owner.c: another process's sockets */
/* A copy of fd of process pid (pidfd_getfd, O_CLOEXEC), or -errno. */
int cli_copy_fd(pid_t pid, int fd);
/*
 * The configuration pid's shim would read from its environment; false
 * when it says REUSEPORT_DISABLE=1 or has a bad value.
 */
bool cli_owner_config(pid_t pid, struct rp_config *cfg);
/*
 * Does the shim handle pid's sockets (it registers them, or chose not to:
 * the application steers itself)? Loaded, and not in a Go program, which
 * makes its system calls itself.
 */
bool cli_shim_handles(pid_t pid);

int cmd_adopt(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
/* top.c: the live view (also status --watch) */
int cmd_top(int argc, char **argv);
/* action: 0 drain, 1 undrain, 2 weight */
int cmd_target(int argc, char **argv, int action);
int cmd_policy(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * caps.c: may this process create the smallest group (a sockarray and an
 * SK_REUSEPORT program)? 0, or -errno and *what failed.
 */
int cli_probe_bpf(const char **what);
/* caps.c: run fn(arg, res) in a child process (it may drop capabilities
 * or change user); res (res_len bytes) comes back. 0 or -errno. */
int cli_in_child(void (*fn)(const void *arg, void *res), const void *arg,
		 void *res, size_t res_len);
/* "EPERM", ... for -EPERM (or a number) */
const char *cli_errname(int err);
/* Print what creating a group needs here; true if this process may. */
bool cli_report_capabilities(void);

#endif

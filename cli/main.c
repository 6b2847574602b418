// SPDX-License-Identifier: MIT
/*
 * reuseport: inspect and steer the groups libreuseport.so pins.
 * It reads and writes the same pins through the same group library as the
 * preload, so there is one implementation of the layout. The command table
 * below is the one place a command's name, options and help live.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "run/run.h"

#ifndef RP_VERSION
#define RP_VERSION "unknown"
#endif

struct rp_config cfg;

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);
static int cmd_run(int argc, char **argv);

static int cmd_drain(int argc, char **argv)
{
	return cmd_target(argc, argv, 0);
}

static int cmd_undrain(int argc, char **argv)
{
	return cmd_target(argc, argv, 1);
}

static int cmd_weight(int argc, char **argv)
{
	return cmd_target(argc, argv, 2);
}

#define TARGET_HELP                                                          \
	"PID|SLOT: a bare number is a PID when a live slot of a selected "   \
	"group has it, else a slot index; pid:N and slot:N are explicit. A " \
	"PID acts on that process's slots in every selected group (every "   \
	"group of this network namespace without --group). A slot index "    \
	"means something only within one group: with several groups "        \
	"selected it is refused (exit 2) with their list; select one with "  \
	"--group SPEC."

const struct cli_command cli_commands[] = {
	{ "status", cmd_status,
	  "[--group SPEC] [--json] [--interval S] [--watch] | --wait N SPEC [--timeout S]",
	  "groups of this network namespace, slots, load, kernel queues",
	  "The groups of this network namespace (those --group SPEC selects): "
	  "policy, live slots and, per member, pid, instance, generation, "
	  "weight, state, connections selected, accepted, active and queued, "
	  "connections/s over the last interval, and the kernel's accept "
	  "queue and backlog of its listener; the steering program's "
	  "counters; listeners the kernel has in a group that are not "
	  "registered. Text measures rates over two snapshots --interval S "
	  "apart (default 0.5; 0: no rates); --json prints one document "
	  "(schema: docs/status-schema.json; rates null unless --interval); "
	  "--watch is reuseport top. --wait N SPEC waits until the group SPEC "
	  "has N live members (exit 1 after --timeout S, default 30). "
	  "Read-only: writes nothing shared. Exit 1 when bpffs is not mounted "
	  "or --group matches no group; a pin dir without groups prints "
	  "\"no groups ...\" and exits 0.",
	  "--json --watch --interval=S --wait=N --timeout=S -d=SECONDS -n=FRAMES",
	  true },
	{ "metrics", cmd_metrics, "[--group SPEC] [--listen ADDR:PORT]",
	  "the same in Prometheus text format, or served over HTTP",
	  "The groups' counters and gauges in the Prometheus text exposition "
	  "format (HELP and TYPE lines, counters named *_total; labels group "
	  "and member, stable across restarts; pid and generation are "
	  "values), on stdout, or served over HTTP at /metrics with --listen "
	  "ADDR:PORT (each scrape a fresh snapshot; SIGTERM stops it). "
	  "Read-only: writes nothing shared.",
	  "--listen=ADDR:PORT", true },
	{ "top", cmd_top, "[--group SPEC] [-d SECONDS] [-n FRAMES]",
	  "live view, refreshed every second (q quits)",
	  "A live terminal view of the selected groups, refreshed every "
	  "-d SECONDS (default 1, at least 0.1): a bar per slot for its share "
	  "of new connections, connections/s and the kernel's accept queue. "
	  "q, Ctrl-C or SIGTERM quit and restore the terminal; -n stops after "
	  "FRAMES frames. Not on a terminal, frames are printed one after the "
	  "other without escapes. Also status --watch. Read-only.",
	  "-d=SECONDS -n=FRAMES", true },
	{ "drain", cmd_drain, "[--group SPEC] PID|SLOT",
	  "stop sending new connections to a process / slot",
	  "Stop sending new connections to a process or slot; it keeps "
	  "serving those it has. " TARGET_HELP,
	  "", true },
	{ "undrain", cmd_undrain, "[--group SPEC] PID|SLOT", "undo drain",
	  "Send new connections to a drained process or slot again. " TARGET_HELP,
	  "", true },
	{ "weight", cmd_weight, "[--group SPEC] PID|SLOT N",
	  "set the weighted-policy share (1..10000)",
	  "Set the share of a process or slot under the weighted policy "
	  "(smooth weighted round robin, as nginx upstreams): N from 1 to "
	  "10000, relative to the other members' weights. " TARGET_HELP,
	  "", true },
	{ "policy", cmd_policy, "[--group SPEC] NAME",
	  "set the policy of the selected groups",
	  "Set the steering policy of the groups --group SPEC selects (every "
	  "group of this network namespace without it), at run time, for "
	  "every member. auto means roundrobin for TCP and hash for UDP.",
	  "", true },
	{ "adopt", cmd_adopt, "PID...",
	  "register the listeners of servers the shim does not reach",
	  "Register the listening sockets of processes PID... that no group "
	  "holds, on ports in scope (the process's own REUSEPORT_* "
	  "environment decides), in their groups (created when missing), and "
	  "attach the program through a copy of each (pidfd_getfd: root, or "
	  "the same user where ptrace is allowed). For a static or Go server "
	  "outside reuseport run (a systemd unit, a container) that sets "
	  "SO_REUSEPORT itself. Its accepts are not seen: it is never marked "
	  "stalled and its queue is the kernel's. A process the shim is "
	  "loaded in is skipped. Prints adopted:, registered already:, "
	  "skipped: or error: per socket or process.",
	  "", false },
	{ "cleanup", cmd_cleanup, "[--dry-run] [--all]",
	  "remove groups that have no live member",
	  "Remove the groups of every network namespace under the pin dir "
	  "that have no live member, and the temporary directories of "
	  "creators that are gone; then the namespace directories left "
	  "empty. Never through a link; pins that are not a libreuseport "
	  "group are left alone. Groups reuseport setup prepared (for "
	  "--user/--group, or empty) are kept unless --all. --dry-run lists "
	  "what would be removed (\"would remove DIR\") and removes nothing.",
	  "--dry-run --all", false },
	{ "setup", cmd_setup,
	  "[--user U] [--group G] [--policy P] [--slots N] [--v6only] [GROUP-SPEC...]",
	  "mount bpffs, create the pin dir, pre-create groups",
	  "As root: mount a bpf filesystem on the pin dir's parent unless it "
	  "is on one, create the pin dir, report which capabilities creating "
	  "a group needs here (tried), and pre-create the groups GROUP-SPEC "
	  "names, their pins handed to user U (0600) and/or group G (0660) so "
	  "that U's servers join without any capability (--user and "
	  "--group need a GROUP-SPEC). --policy and "
	  "--slots set the new groups' policy and size, --v6only is for "
	  "servers that set IPV6_V6ONLY. GROUP-SPEC: [tcp:|udp:][ADDR:]PORT, "
	  "ADDR an IPv4 address or [IPv6], default tcp and 0.0.0.0: 8080, "
	  "udp:53, tcp:127.0.0.1:8080, udp:[::1]:53. Here --group is the "
	  "Unix group G.",
	  "--user=U --group=G --policy=P --slots=N --v6only", false },
	{ "run", cmd_run, "-n N [options] [--] CMD [ARGS...]",
	  "supervise N instances of CMD under the shim", NULL, NULL, false },
	{ "reload", cmd_reload, "[--timeout S] PID",
	  "rolling restart of a reuseport run supervisor; waits for it",
	  "Ask the reuseport run supervisor PID for a rolling restart (its "
	  "SIGHUP) and wait until it is done: exit 0 when every instance was "
	  "replaced (or, with run --reload signal, the HUP forwarded), 1 when "
	  "it failed (a replacement did not start or register: the running "
	  "instances keep serving), the supervisor stops or exits, or "
	  "--timeout S passed (default: no limit; the roll goes on). For "
	  "systemd's ExecReload=reuseport reload $MAINPID where "
	  "Type=notify-reload is missing (systemd < 253). A plain kill -HUP "
	  "does the same without waiting.",
	  "--timeout=S", false },
	{ "bench", cmd_bench,
	  "-n 1,2,4 --load http|redis|memcached|dns|tcp [options] [--] CMD [ARGS...]",
	  "scaling table of CMD at each N under reuseport run", NULL, NULL,
	  false },
	{ "help", cmd_help, "[COMMAND | --synopsis]",
	  "this text, or a command's",
	  "The global usage, or COMMAND's help (as reuseport COMMAND --help). "
	  "--synopsis prints the command table for scripts and tests: per "
	  "command a line synopsis<TAB>COMMAND<TAB>SYNOPSIS, then "
	  "option<TAB>COMMAND<TAB>OPTION [VALUE] for each option the table "
	  "checks (run and bench check their own: see their --help).",
	  "--synopsis", false },
	{ "version", cmd_version, "", "print the version (also --version, -V)",
	  "Print \"reuseport VERSION\".", "", false },
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

/*
 * The table in lines a script can split on tabs, so that the man page can be
 * checked against what the command accepts (tests/integration/command/man_pages.sh).
 */
static int print_synopses(void)
{
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		const char *p = c->opts ? c->opts : "";

		printf("synopsis\t%s\t%s\n", c->name, c->synopsis);
		if (c->select)
			printf("option\t%s\t--group SPEC\n", c->name);
		while (*p) {
			int w = (int)strcspn(p, " "), k = (int)strcspn(p, "=");

			if (k < w)
				printf("option\t%s\t%.*s %.*s\n", c->name, k, p,
				       w - k - 1, p + k + 1);
			else
				printf("option\t%s\t%.*s\n", c->name, w, p);
			p += w + (p[w] == ' ');
		}
	}
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *c;
	int err = 2;

	if (argc < 2)
		return usage(stdout, 0);
	if (argc > 2)
		return cli_usage_error("help", "unexpected argument %s",
				       argv[2]);
	if (!strcmp(argv[1], "--synopsis"))
		return print_synopses();
	c = cli_find_command(argv[1], &err);
	return c ? cli_command_help(c) : err;
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error("version", "unexpected argument %s",
				       argv[1]);
	printf("reuseport %s\n", RP_VERSION);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	return rp_run_main(argc, argv, &cfg);
}

static int set_pin_dir(const char *dir)
{
	if (dir[0] != '/' || strlen(dir) > RP_PIN_DIR_MAX)
		return cli_usage_error(
			NULL,
			"--pin-dir %s: must be an absolute path of at most %d characters",
			dir, RP_PIN_DIR_MAX);
	snprintf(cfg.pin_dir, sizeof(cfg.pin_dir), "%s", dir);
	return 0;
}

/*
 * --pin-dir DIR, --group SPEC (also --NAME=VALUE, -p, -g), --help,
 * --version before the command: -1 to go on, else the exit status.
 */
static int global_option(int *i, int argc, char **argv)
{
	static const char *const names[] = { "--pin-dir", "-p", "--group",
					     "-g" };
	const char *a = argv[*i], *v = NULL;
	int k;

	if (!strcmp(a, "--help") || !strcmp(a, "-h"))
		return usage(stdout, 0);
	if (!strcmp(a, "--version") || !strcmp(a, "-V"))
		return cmd_version(1, argv);
	for (k = 0; k < 4; k++) {
		size_t l = strlen(names[k]);

		if (!strcmp(a, names[k]))
			break;
		if (k % 2 == 0 && !strncmp(a, names[k], l) && a[l] == '=') {
			v = a + l + 1;
			break;
		}
	}
	if (k == 4)
		return cli_usage_error(
			NULL,
			"unknown option %s; accepted before the command: --pin-dir DIR, --group SPEC, --help, --version",
			a);
	if (!v && *i + 1 >= argc)
		return cli_usage_error(NULL, "%s needs a value", a);
	if (!v)
		v = argv[++*i];
	if (k < 2)
		return set_pin_dir(v) ? 2 : -1;
	return cli_select(v) ? 2 : -1;
}

int main(int argc, char **argv)
{
	const struct cli_command *c;
	char names[256];
	int i, err = 2;

	rp_config_parse(&cfg, env_get, false);
	rp_group_lib_init(&cfg);
	for (i = 1; i < argc && argv[i][0] == '-'; i++)
		if ((err = global_option(&i, argc, argv)) >= 0)
			return err;
	if (i >= argc) {
		cli_command_names("", names, sizeof(names));
		return cli_usage_error(NULL, "no command; commands: %s", names);
	}
	argc -= i;
	argv += i;
	c = cli_find_command(argv[0], &err);
	if (!c)
		return err;
	cli_current = c;
	if (only_group && !c->select)
		return cli_usage_error(
			c->name, "--group SPEC does not apply to %s%s", c->name,
			c->fn == cmd_setup ?
				" (after the command, setup's --group G is a Unix group)" :
				"");
	if (c->opts && (err = cli_check_args(c, &argc, argv)) >= 0)
		return err;
	if (c->fn != cmd_run && c->fn != cmd_help && c->fn != cmd_version &&
	    cfg.invalid && !strncmp(cfg.error, "REUSEPORT_PIN_DIR", 17)) {
		fprintf(stderr, "reuseport: %s\n", cfg.error);
		return 2;
	}
	return c->fn(argc, argv);
}

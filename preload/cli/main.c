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
#include "registry_names.h"
#include "run.h"

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

/* reuseport top comes with the live view; until then it says so */
__attribute__((weak)) int cmd_top(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "reuseport: top is not built into this reuseport\n");
	return 1;
}

#define TARGET_HELP                                                          \
	"PID|SLOT: a bare number is a PID when a live slot of a selected "   \
	"group has it, else a slot index; pid:N and slot:N are explicit. A " \
	"PID acts on that process's slots in every selected group (every "   \
	"group of this network namespace without --group). A slot index "    \
	"means something only within one group: with several groups "        \
	"selected it is refused (exit 2) with their list; select one with "  \
	"--group SPEC."

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis; /* what follows "reuseport NAME" */
	const char *summary; /* for the global usage */
	const char *help; /* one paragraph */
	/* options checked before fn runs, "=VALUE" if one takes a value;
	 * NULL: fn parses everything itself */
	const char *opts;
	bool select; /* takes --group SPEC */
} commands[] = {
	{ "status", cmd_status, "[--group SPEC] [--json] [--watch]",
	  "groups of this network namespace, slots, load",
	  "The groups of this network namespace (those --group SPEC selects): "
	  "policy, live slots and, per slot, pid, generation, weight, state, "
	  "connections selected, accepted, active and queued; the steering "
	  "program's counters; listeners the kernel has in a group that are "
	  "not registered. --json prints one JSON document, --watch refreshes "
	  "every second. Read-only: writes nothing shared. Exit 1 when bpffs "
	  "is not mounted or --group matches no group; a pin dir without "
	  "groups prints \"no groups ...\" and exits 0.",
	  "--json --watch", true },
	{ "metrics", cmd_metrics, "[--group SPEC] [--listen ADDR:PORT]",
	  "the same in Prometheus text format",
	  "The groups' counters and gauges in the Prometheus text exposition "
	  "format (HELP and TYPE lines, counters named *_total), on stdout, "
	  "or served over HTTP at /metrics with --listen ADDR:PORT. "
	  "Read-only: writes nothing shared.",
	  "--listen=ADDR:PORT", true },
	{ "top", cmd_top, "[--group SPEC]",
	  "live view, refreshed every second (q quits)",
	  "A live terminal view of the selected groups, refreshed every "
	  "second: a bar per slot for its share of new connections, rates and "
	  "queue depth. q quits. Read-only: writes nothing shared.",
	  "", true },
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
	  "that U's servers join without any capability. --policy and "
	  "--slots set the new groups' policy and size, --v6only is for "
	  "servers that set IPV6_V6ONLY. GROUP-SPEC: [tcp:|udp:][ADDR:]PORT, "
	  "ADDR an IPv4 address or [IPv6], default tcp and 0.0.0.0: 8080, "
	  "udp:53, tcp:127.0.0.1:8080, udp:[::1]:53. Here --group is the "
	  "Unix group G.",
	  "--user=U --group=G --policy=P --slots=N --v6only", false },
	{ "run", cmd_run, "-n N [options] [--] CMD [ARGS...]",
	  "supervise N instances of CMD under the shim", NULL, NULL, false },
	{ "help", cmd_help, "[COMMAND]", "this text, or a command's",
	  "The global usage, or COMMAND's help (as reuseport COMMAND --help).",
	  "", false },
	{ "version", cmd_version, "", "print the version (also --version, -V)",
	  "Print \"reuseport VERSION\".", "", false },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *current; /* the command being run */

/* text folded at 76 columns, each line indented */
static void print_folded(FILE *f, const char *text, int indent)
{
	const char *p = text;

	while (*p) {
		int len = (int)strlen(p), cut = len;

		if (len > 76 - indent) {
			cut = 76 - indent;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = len;
		}
		fprintf(f, "%*s%.*s\n", indent, "", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static int command_help(const struct command *c)
{
	char names[256];

	if (!c->help) {
		char *argv[] = { (char *)c->name, "--help", NULL };

		return c->fn(2, argv);
	}
	printf("Usage: reuseport %s%s%s\n\n", c->name,
	       c->synopsis[0] ? " " : "", c->synopsis);
	print_folded(stdout, c->help, 0);
	if (c->fn == cmd_policy) {
		rp_policy_list(names, sizeof(names), " ");
		printf("\nNAME: one of %s.\n", names);
	}
	if (c->select)
		printf("\n--group SPEC: PORT, ADDR:PORT, tcp:PORT, udp:PORT, udp:[::1]:53\n"
		       "or a pin name (tcp4_127-0-0-1_8080); see reuseport --help.\n");
	printf("\nExit status: 0 ok, 1 runtime failure, 2 usage error.\n");
	return 0;
}

int usage(FILE *f, int status)
{
	if (status && current)
		return cli_usage_error(current->name,
				       "bad arguments; usage: reuseport %s %s",
				       current->name, current->synopsis);
	fprintf(f,
		"Usage: reuseport [--pin-dir DIR] [--group SPEC] COMMAND [ARGS]\n"
		"       reuseport COMMAND --help | help COMMAND | --version\n\n"
		"Commands (a unique prefix will do):\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f,
		"\n"
		"--pin-dir DIR  the pin directory (default: REUSEPORT_PIN_DIR, else\n"
		"               %s)\n"
		"--group SPEC   only the groups SPEC selects (also after the command):\n"
		"               PORT (every group on that port), ADDR:PORT, tcp:PORT,\n"
		"               udp:PORT, tcp:127.0.0.1:8080, udp:[::1]:53, or the pin\n"
		"               name (tcp4_127-0-0-1_8080), as reuseport status shows it\n"
		"\n"
		"The command sees the groups of the network namespace it runs in\n"
		"(nsenter -n -t PID reuseport status for another one).\n"
		"Exit status: 0 ok, 1 runtime failure (no bpffs, no such group or\n"
		"process, permission denied, ...), 2 usage error (unknown command,\n"
		"option or argument).\n",
		RP_DEFAULT_PIN_DIR);
	return status;
}

int usage_for(int opt)
{
	return opt == 'h' ? usage(stdout, 0) : usage(stderr, 2);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "reuseport: ");
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'reuseport %s%s--help'\n", cmd ? cmd : "",
		cmd ? " " : "");
	return 2;
}

/* "--json, --watch, --group SPEC, --help" from the table */
static void accepted_options(const struct command *c, char *buf, size_t len)
{
	const char *p = c->opts ? c->opts : "";
	size_t n = 0;

	buf[0] = '\0';
	while (*p && n < len) {
		size_t w = strcspn(p, " ");

		n += (size_t)snprintf(buf + n, len - n, "%.*s, ", (int)w, p);
		p += w + (p[w] == ' ');
	}
	for (char *e = buf; (e = strchr(e, '=')); e++)
		*e = ' ';
	snprintf(buf + strlen(buf), len - strlen(buf), "%s--help",
		 c->select ? "--group SPEC, " : "");
}

int cli_bad_option(const char *cmd, const char *opt)
{
	const struct command *c = current;
	char acc[512];

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, cmd))
			c = &commands[i];
	accepted_options(c, acc, sizeof(acc));
	return cli_usage_error(cmd, "unknown option %s; accepted: %s", opt,
			       acc);
}

/* The table's option of word (--name or --name=VALUE), else NULL. */
static const char *find_option(const char *opts, const char *word)
{
	size_t wl = strcspn(word, "=");

	for (const char *p = opts; *p;) {
		size_t l = strcspn(p, " ="), w = strcspn(p, " ");

		if (l == wl && !strncmp(p, word, l))
			return p;
		p += w + (p[w] == ' ');
	}
	return NULL;
}

/*
 * Options of the command: --help anywhere prints its help (0); --group
 * SPEC is taken out; anything the table does not list is refused (2).
 * Returns -1 to go on to the command.
 */
static int check_args(const struct command *c, int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return command_help(c);
		else if (!strcmp(argv[i], "--"))
			break;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *o;

		if (c->select &&
		    (!strcmp(a, "--group") || !strncmp(a, "--group=", 8))) {
			const char *spec = a[7] ? a + 8 : argv[i + 1];

			if (!spec)
				return cli_usage_error(c->name,
						       "--group needs a SPEC");
			i += !a[7];
			if (cli_select(spec))
				return 2;
			continue;
		}
		argv[out++] = argv[i];
		if (a[0] != '-' || !a[1])
			continue;
		if (!strcmp(a, "--")) {
			while (++i < *argc)
				argv[out++] = argv[i];
			break;
		}
		o = find_option(c->opts, a);
		if (!o)
			return cli_bad_option(c->name, a);
		/* its value, when given as the next word */
		if (o[strcspn(o, " =")] == '=' && !strchr(a, '=') &&
		    i + 1 < *argc)
			argv[out++] = argv[++i];
	}
	argv[out] = NULL;
	*argc = out;
	return -1;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t lb = strlen(b), row[32], prev, tmp;

	if (lb >= 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; a[i - 1]; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = a[i - 1] == b[j - 1] ?
					 prev :
					 1 + min3(prev, row[j - 1], row[j]);
			prev = tmp;
		}
	}
	return row[lb];
}

/* The names of the commands that start with prefix ("": all). */
static void command_names(const char *prefix, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && n < len; i++)
		if (!strncmp(prefix, commands[i].name, strlen(prefix)))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "", commands[i].name);
}

/* The command named word, or a unique prefix of one; else error 2. */
static const struct command *find_command(const char *word, int *err)
{
	const struct command *found = NULL, *close = NULL;
	char names[256];
	size_t best = strlen(word) / 3 + 1; /* closer than this */
	int matches = 0;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if (!strcmp(word, c->name))
			return c;
		if (!strncmp(word, c->name, strlen(word))) {
			found = c;
			matches++;
		}
		if (distance(word, c->name) < best) {
			best = distance(word, c->name);
			close = c;
		}
	}
	if (matches == 1 && word[0])
		return found;
	command_names(matches > 1 ? word : "", names, sizeof(names));
	if (matches > 1)
		*err = cli_usage_error(NULL, "ambiguous command %s: %s", word,
				       names);
	else
		*err = cli_usage_error(NULL,
				       "unknown command %s%s%s%s; commands: %s",
				       word, close ? " (did you mean " : "",
				       close ? close->name : "",
				       close ? "?)" : "", names);
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	int err = 2;

	if (argc < 2)
		return usage(stdout, 0);
	if (argc > 2)
		return cli_usage_error("help", "unexpected argument %s",
				       argv[2]);
	c = find_command(argv[1], &err);
	return c ? command_help(c) : err;
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
	const struct command *c;
	char names[256];
	int i, err = 2;

	rp_config_parse(&cfg, env_get, false);
	rp_group_lib_init(&cfg);
	for (i = 1; i < argc && argv[i][0] == '-'; i++)
		if ((err = global_option(&i, argc, argv)) >= 0)
			return err;
	if (i >= argc) {
		command_names("", names, sizeof(names));
		return cli_usage_error(NULL, "no command; commands: %s", names);
	}
	argc -= i;
	argv += i;
	c = find_command(argv[0], &err);
	if (!c)
		return err;
	current = c;
	if (only_group && !c->select)
		return cli_usage_error(
			c->name, "--group SPEC does not apply to %s%s", c->name,
			c->fn == cmd_setup ?
				" (after the command, setup's --group G is a Unix group)" :
				"");
	if (c->opts && (err = check_args(c, &argc, argv)) >= 0)
		return err;
	if (c->fn != cmd_run && c->fn != cmd_help && c->fn != cmd_version &&
	    cfg.invalid && !strncmp(cfg.error, "REUSEPORT_PIN_DIR", 17)) {
		fprintf(stderr, "reuseport: %s\n", cfg.error);
		return 2;
	}
	return c->fn(argc, argv);
}

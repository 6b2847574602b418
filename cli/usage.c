// SPDX-License-Identifier: MIT
/*
 * What the command table says to a user: the global usage, a command's
 * help, usage errors that name the wrong word and the accepted ones, and
 * the options a command accepts, checked before it runs.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "registry_names.h"

const struct cli_command *cli_current;

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

int cli_command_help(const struct cli_command *c)
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
	if (status && cli_current)
		return cli_usage_error(cli_current->name,
				       "bad arguments; usage: reuseport %s %s",
				       cli_current->name,
				       cli_current->synopsis);
	fprintf(f,
		"Usage: reuseport [--pin-dir DIR] [--group SPEC] COMMAND [ARGS]\n"
		"       reuseport COMMAND --help | help COMMAND | --version\n\n"
		"Commands (a unique prefix will do):\n");
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-8s %s\n", cli_commands[i].name,
			cli_commands[i].summary);
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

/* "--json, --watch, --group SPEC, --help" from the table */
static void accepted_options(const struct cli_command *c, char *buf, size_t len)
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
	const struct cli_command *c = cli_current;
	char acc[512];

	for (size_t i = 0; i < cli_ncommands; i++)
		if (!strcmp(cli_commands[i].name, cmd))
			c = &cli_commands[i];
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
int cli_check_args(const struct cli_command *c, int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cli_command_help(c);
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
void cli_command_names(const char *prefix, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cli_ncommands && n < len; i++)
		if (!strncmp(prefix, cli_commands[i].name, strlen(prefix)))
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? " " : "",
					      cli_commands[i].name);
}

/* The command named word, or a unique prefix of one; else error 2. */
const struct cli_command *cli_find_command(const char *word, int *err)
{
	const struct cli_command *found = NULL, *close = NULL;
	char names[256];
	size_t best = strlen(word) / 3 + 1; /* closer than this */
	int matches = 0;

	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];

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
	cli_command_names(matches > 1 ? word : "", names, sizeof(names));
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

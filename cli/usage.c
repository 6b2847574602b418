// SPDX-License-Identifier: MIT
/*
 * What the command table says to a user: the global usage, a command's
 * help, and usage errors that name the wrong word and the accepted ones.
 */
#include <stdarg.h>
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

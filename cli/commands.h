/* SPDX-License-Identifier: MIT */
/* The reuseport command's table (main.c) and what reads it (usage.c). */
#ifndef RP_CLI_COMMANDS_H
#define RP_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis; /* what follows "reuseport NAME" */
	const char *summary; /* for the global usage */
	const char *help; /* one paragraph; NULL: fn prints it for --help */
	/* options checked before fn runs, "=VALUE" if one takes a value;
	 * NULL: fn parses everything itself */
	const char *opts;
	bool select; /* takes --group SPEC */
};
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_command *cli_current; /* the command being run */

/* The command named word, or a unique prefix of one; else *err = 2. */
const struct cli_command *cli_find_command(const char *word, int *err);
/* "reuseport CMD --help" on stdout: 0 */
int cli_command_help(const struct cli_command *c);
/*
 * The command's options: --help anywhere prints its help (0); --group
 * SPEC is taken out; an option the table does not list is refused (2).
 * -1 to go on to the command.
 */
int cli_check_args(const struct cli_command *c, int *argc, char **argv);
/* The names of the commands that start with prefix ("": all). */
void cli_command_names(const char *prefix, char *buf, size_t len);

#endif

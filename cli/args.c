// SPDX-License-Identifier: MIT
/*
 * The command line read against the command table: the command a word
 * names (or a unique prefix of one; a near miss is suggested), and the
 * options a command accepts, checked before it runs.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

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

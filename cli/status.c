// SPDX-License-Identifier: MIT
/*
 * reuseport status: one snapshot of the groups (snapshot.c), rendered as
 * text or JSON; --wait for scripts; --watch is reuseport top (top.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "snapshot.h"

/* Text status measures rates over this long unless --interval says. */
#define TEXT_INTERVAL_S 0.5

/* Sleep s seconds (signals do not cut it short). */
static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s,
			       (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A snapshot of the selected groups, with rates over interval_s if > 0. */
static int take(struct snapshot *s, double interval_s)
{
	struct snapshot first;

	if (interval_s > 0) {
		if (snap_take(&first, &cfg, only_group, stderr)) {
			*s = first; /* no_bpffs: what it could see */
			return -1;
		}
		sleep_s(interval_s);
	}
	if (snap_take(s, &cfg, only_group, interval_s > 0 ? NULL : stderr)) {
		if (interval_s > 0)
			snap_free(&first);
		return -1;
	}
	if (interval_s > 0) {
		snap_rates(s, &first);
		snap_free(&first);
	}
	return 0;
}

static int status_wait(unsigned long want, const char *spec, double timeout)
{
	uint64_t end = 0;
	struct snapshot s;
	char seen[512];

	for (uint64_t start = 0;;) {
		/*
		 * What cannot be read is said once, not every 0.1 s; that no
		 * group matches yet is what waiting is for: said only at the
		 * timeout (the last "seen" line).
		 */
		char *err = NULL;
		size_t errlen = 0;
		FILE *ef = start ? NULL : open_memstream(&err, &errlen);
		int bad = snap_take(&s, &cfg, spec, ef);

		if (ef)
			fclose(ef);
		if (bad && err)
			fputs(err, stderr);
		free(err);
		if (bad)
			return 1;
		if (!start) {
			start = s.mono_ns;
			end = start + (uint64_t)(timeout * 1e9);
		}
		snprintf(seen, sizeof(seen), "no group matches %s", spec);
		for (int i = 0; i < s.ngroups; i++) {
			const struct snap_group *g = &s.groups[i];

			snprintf(seen, sizeof(seen),
				 "group %s has %u live member(s)", g->name,
				 g->live);
			if (g->live >= want) {
				printf("%s\n", seen);
				snap_free(&s);
				return 0;
			}
		}
		snap_free(&s);
		if (s.mono_ns >= end)
			break;
		sleep_s(0.1);
	}
	fprintf(stderr,
		"reuseport status: timed out after %g s waiting for %lu live member(s): %s\n",
		timeout, want, seen);
	return 1;
}

static int bad(const char *what, const char *val)
{
	return val ? cli_usage_error("status", "%s, not %s", what, val) :
		     cli_usage_error("status", "%s", what);
}

int cmd_status(int argc, char **argv)
{
	double interval = -1, timeout = 30;
	const char *spec = NULL;
	unsigned long want = 0;
	bool json = false;
	struct snapshot s;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--watch")) {
			argv[i] = argv[0];
			return cmd_top(argc - i, argv + i);
		} else if (!strcmp(a, "--interval")) {
			if (!v || !cli_parse_seconds(v, 3600, &interval))
				return bad("--interval takes seconds 0..3600",
					   v);
			i++;
		} else if (!strcmp(a, "--timeout")) {
			if (!v || !cli_parse_seconds(v, 86400, &timeout))
				return bad("--timeout takes seconds 0..86400",
					   v);
			i++;
		} else if (!strcmp(a, "--wait")) {
			if (!v || !cli_parse_ulong(v, 4096, &want) || !want)
				return bad("--wait takes a count 1..4096", v);
			if (i + 2 >= argc)
				return bad(
					"--wait N takes a group (PORT, tcp:PORT, ADDR:PORT or name)",
					NULL);
			spec = argv[i + 2];
			i += 2;
		} else {
			return cli_bad_option(argv[0], a);
		}
	}
	if (spec)
		return status_wait(want, spec, timeout);
	if (interval < 0)
		interval = json ? 0 : TEXT_INTERVAL_S;
	if (take(&s, interval)) {
		/* no bpffs: still the ports shared with nobody steering */
		if (s.no_bpffs && s.nunsteered)
			json ? render_json(stdout, &s) :
			       render_text(stdout, &s);
		snap_free(&s);
		return 1;
	}
	if (only_group && !s.ngroups) { /* take() said which groups there are */
		snap_free(&s);
		return 1;
	}
	ret = json ? render_json(stdout, &s) : render_text(stdout, &s);
	if (s.errors)
		ret = -1;
	snap_free(&s);
	return ret ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * reuseport bench: how an unmodified server scales with the number of
 * instances. For each N it starts `reuseport run -n N -- CMD` (this same
 * binary, so exactly what users run), waits until N members registered in
 * the group on the port, drives a packaged load generator against the port
 * and prints one row: throughput, ratio to the first N, latency, per-
 * instance share (the program's per-slot counts) and the instances' CPU per
 * request (from /proc). Then a PNG if gnuplot is installed.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "opts.h"

static int bench_usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: reuseport bench --load TYPE [options] [--] CMD [ARGS...]\n"
		"\n"
		"Starts CMD under `reuseport run -n N` for each N, drives a load\n"
		"at the port and prints a scaling table (throughput, ratio to the\n"
		"first N, p50/p99 latency, per-instance share, CPU per request).\n"
		"\n"
		"  --load TYPE            http (wrk), redis (redis-benchmark: 30000\n"
		"                         x S GET requests a run, not S seconds),\n"
		"                         memcached (built-in get load), dns\n"
		"                         (dnsperf), tcp (built-in echo load)\n"
		"  -n LIST                instance counts, e.g. 1,2,4 (default 1,2,4)\n"
		"  --duration S           seconds of load a run (default 10)\n"
		"  --port P               where CMD listens (default: 8080 http,\n"
		"                         6379 redis, 11211 memcached, 53 dns, 7 tcp)\n"
		"  --addr A               address the load goes to (127.0.0.1)\n"
		"  -c, --connections C    connections, dns: dnsperf clients (64)\n"
		"  --path P               http: URL path (/)\n"
		"  --query \"NAME TYPE\"    dns: the query (\"localhost A\")\n"
		"  --policy NAME          REUSEPORT_POLICY of the instances\n"
		"  --png FILE             the plot (default reuseport-bench-TYPE.png\n"
		"                         when gnuplot is installed); --no-png: none\n"
		"  --ready-timeout S      time CMD may take to listen (20)\n"
		"\n"
		"CMD is started by `reuseport run` ({i} becomes the instance number).\n"
		"The load generator uses one thread; scaling needs more CPUs than\n"
		"instances + 1 (a warning says when the machine has too few).\n"
		"Exit status: 0, 1 a run failed, 2 bad usage.\n");
	return status;
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "reuseport bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (reuseport bench --help)\n");
	return 2;
}

static bool parse_secs(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && !errno && isfinite(*out) && *out >= min &&
	       *out <= max;
}

static bool parse_list(const char *s, struct bench_opts *o)
{
	char buf[128], *save = NULL, *tok;
	unsigned long v;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',' ||
	    strstr(s, ",,") || s[0] == ',')
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	o->nn = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nn == BENCH_MAX_N || !cli_parse_ulong(tok, 256, &v) ||
		    !v)
			return false;
		o->ns[o->nn++] = (unsigned int)v;
	}
	return o->nn > 0;
}

static int parse(int argc, char **argv, struct bench_opts *o, bool *no_png)
{
	static const struct option opts[] = {
		OPT_ARG("load", 'l'),
		OPT_ARG("duration", 'd'),
		OPT_ARG("port", 'p'),
		OPT_ARG("addr", 'a'),
		OPT_ARG("connections", 'c'),
		OPT_ARG("path", 'P'),
		OPT_ARG("query", 'q'),
		OPT_ARG("policy", 'o'),
		OPT_ARG("png", 'g'),
		OPT_FLAG("no-png", 'G'),
		OPT_ARG("ready-timeout", 'r'),
		OPT_FLAG("help", 'h'),
		OPT_END,
	};
	bool have_load = false;
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (bench_load_parse(optarg, &o->load))
				return bad(
					"--load %s: one of http, redis, memcached, dns, tcp",
					optarg);
			have_load = true;
			break;
		case 'n':
			if (!parse_list(optarg, o))
				return bad(
					"-n %s: a list of instance counts 1..256 such as 1,2,4",
					optarg);
			break;
		case 'd':
			if (!parse_secs(optarg, 0.2, 3600, &o->duration))
				return bad("--duration %s: seconds, 0.2..3600",
					   optarg);
			break;
		case 'r':
			if (!parse_secs(optarg, 0.1, 600, &o->ready_timeout))
				return bad(
					"--ready-timeout %s: seconds, 0.1..600",
					optarg);
			break;
		case 'p':
			if (!cli_parse_ulong(optarg, 65535, &v) || !v)
				return bad("--port %s: a port number 1..65535",
					   optarg);
			o->port = (unsigned int)v;
			break;
		case 'c':
			if (!cli_parse_ulong(optarg, 10000, &v) || !v)
				return bad("--connections %s: 1..10000",
					   optarg);
			o->conns = (unsigned int)v;
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'P':
			if (optarg[0] != '/')
				return bad("--path %s: must start with /",
					   optarg);
			o->path = optarg;
			break;
		case 'q':
			if (!strchr(optarg, ' '))
				return bad(
					"--query %s: \"NAME TYPE\", e.g. \"localhost A\"",
					optarg);
			o->query = optarg;
			break;
		case 'o':
			o->policy = optarg;
			break;
		case 'g':
			o->png = optarg;
			break;
		case 'G':
			*no_png = true;
			break;
		case 'h':
			bench_usage(stdout, 0);
			return 0;
		default:
			bench_usage(stderr, 2);
			return 2;
		}
	}
	if (!have_load)
		return bad("%s", "--load TYPE is required");
	if (optind >= argc)
		return bad(
			"%s",
			"no command to benchmark: reuseport bench --load TYPE -- CMD [ARGS...]");
	o->cmd = argv + optind;
	return -1;
}

static void shares(const struct bench_slots *a, const struct bench_slots *b,
		   struct bench_row *row)
{
	double tot = 0;

	row->nshare = 0;
	for (int i = 0; i < BENCH_MAX_SLOTS; i++)
		if (b->live[i])
			tot += (double)(b->selected[i] - a->selected[i]);
	for (int i = 0; i < BENCH_MAX_SLOTS && tot > 0; i++)
		if (b->live[i])
			row->share[row->nshare++] =
				100.0 *
				(double)(b->selected[i] - a->selected[i]) / tot;
}

/* The last lines of file on stderr. */
static void print_tail(const char *file, int lines)
{
	static char buf[16384];
	size_t k;
	char *p;
	FILE *f = fopen(file, "r");

	if (!f)
		return;
	if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END))
		rewind(f);
	k = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[k] = 0;
	p = buf + k;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && lines > 0)
		if (*--p == '\n')
			lines--;
	fputs(p == buf ? p : p + 1, stderr);
}

/* One N: start, wait for the members, load, stop. */
static int bench_one(const struct bench_opts *o, unsigned int n,
		     const char *tmp, struct bench_row *row)
{
	struct bench_slots s0, s1;
	char log[PATH_MAX];
	uint64_t t0, t1;
	pid_t run;
	int ret = -1;

	memset(row, 0, sizeof(*row));
	row->n = n;
	snprintf(log, sizeof(log), "%s/run-%u.log", tmp, n);
	run = bench_start_run(o, n, log);
	if (run < 0)
		return -1;
	if (bench_wait_members(o, run, n, log) == 0) {
		usleep(200000); /* let the instances settle */
		bench_slots_read(o, &s0);
		t0 = bench_tree_ticks(run);
		if (bench_load_run(o, tmp, &row->r) == 0) {
			t1 = bench_tree_ticks(run);
			bench_slots_read(o, &s1);
			shares(&s0, &s1, row);
			row->cpu_us_per_req =
				row->r.requests > 0 ?
					(double)(t1 - t0) * 1e6 /
						(double)sysconf(_SC_CLK_TCK) /
						row->r.requests :
					NAN;
			row->ok = row->r.requests > 0;
			ret = row->ok ? 0 : -1;
			if (!row->ok)
				fprintf(stderr,
					"reuseport bench: N=%u: the load made no request\n",
					n);
		}
	}
	bench_stop_run(run);
	if (ret) {
		fprintf(stderr,
			"reuseport bench: N=%u failed; the end of the instances' output (%s):\n",
			n, log);
		print_tail(log, 15);
	}
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {
		.ns = { 1, 2, 4 },
		.nn = 3,
		.duration = 10,
		.addr = "127.0.0.1",
		.conns = 64,
		.path = "/",
		.query = "localhost A",
		.ready_timeout = 20,
	};
	struct bench_row rows[BENCH_MAX_N];
	char tmp[] = "/tmp/reuseport-bench.XXXXXX", png[64], rm[64];
	bool no_png = false;
	int ret = 0, p = parse(argc, argv, &o, &no_png);

	if (p >= 0)
		return p;
	if (bench_tool_check(o.load))
		return 1;
	if (!o.port)
		o.port = bench_load_port(o.load);
	if (o.load == LOAD_DNS && o.conns == 64)
		o.conns = 16;
	if (!no_png && !o.png && system("command -v gnuplot >/dev/null") == 0) {
		snprintf(png, sizeof(png), "reuseport-bench-%s.png",
			 bench_load_name(o.load));
		o.png = png;
	}
	if (no_png)
		o.png = NULL;
	if (!mkdtemp(tmp)) {
		perror("reuseport bench: mkdtemp");
		return 1;
	}
	bench_print_header(&o);
	for (int i = 0; i < o.nn; i++) {
		if (bench_one(&o, o.ns[i], tmp, &rows[i]))
			ret = 1;
		bench_print_row(&o, rows, i);
	}
	if (o.png && bench_plot(&o, rows, o.nn, tmp) == 0)
		printf("plot: %s\n", o.png);
	if (ret == 0) {
		snprintf(rm, sizeof(rm), "rm -rf '%s'", tmp);
		if (system(rm) != 0)
			fprintf(stderr, "reuseport bench: cannot remove %s\n",
				tmp);
	} else {
		fprintf(stderr, "reuseport bench: logs kept in %s\n", tmp);
	}
	return ret;
}

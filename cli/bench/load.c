// SPDX-License-Identifier: MIT
/* reuseport bench: the load generators and what their output says. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const struct {
	const char *name;
	const char *tool;
	const char *package; /* Debian's, NULL: built in */
	unsigned int port;
	bool udp;
} loads[] = {
	[LOAD_HTTP] = { "http", "wrk", "wrk", 8080, false },
	[LOAD_REDIS] = { "redis", "redis-benchmark", "redis-tools", 6379,
			 false },
	[LOAD_MEMCACHED] = { "memcached", "built-in", NULL, 11211, false },
	[LOAD_DNS] = { "dns", "dnsperf", "dnsperf", 53, true },
	[LOAD_TCP] = { "tcp", "built-in", NULL, 7, false },
};

const char *bench_load_name(enum bench_load l)
{
	return loads[l].name;
}

const char *bench_load_tool(enum bench_load l)
{
	return loads[l].tool;
}

int bench_tool_check(enum bench_load l)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX], exe[PATH_MAX + 64];

	if (!loads[l].package)
		return 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(exe, sizeof(exe), "%s/%s", n ? dir : ".",
			 loads[l].tool);
		if (access(exe, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	fprintf(stderr,
		"reuseport bench: --load %s needs %s, which is not installed (Debian: apt install %s); nothing was started\n",
		loads[l].name, loads[l].tool, loads[l].package);
	return -1;
}

unsigned int bench_load_port(enum bench_load l)
{
	return loads[l].port;
}

bool bench_load_udp(enum bench_load l)
{
	return loads[l].udp;
}

int bench_load_parse(const char *s, enum bench_load *l)
{
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		if (!strcmp(s, loads[i].name)) {
			*l = (enum bench_load)i;
			return 0;
		}
	return -1;
}

/* The number after the first occurrence of key in out, or NaN. */
static double after(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* wrk's "  50%  1.23ms": milliseconds */
static double wrk_pct(const char *out, const char *pct)
{
	const char *p = strstr(out, "Latency Distribution");
	char key[16], *end;
	double v;

	if (!p)
		return NAN;
	snprintf(key, sizeof(key), " %s ", pct);
	if (!(p = strstr(p, key)))
		return NAN;
	v = strtod(p + strlen(key), &end);
	if (!strncmp(end, "us", 2))
		return v / 1000;
	if (!strncmp(end, "ms", 2))
		return v;
	if (*end == 's')
		return v * 1000;
	if (*end == 'm')
		return v * 60000;
	return NAN;
}

static void wrk_parse(const char *out, struct bench_result *r)
{
	const char *p = strstr(out, "Socket errors:");
	unsigned long a = 0, b = 0, c = 0, d = 0;

	r->rps = after(out, "Requests/sec:");
	p = strstr(out, "requests in");
	if (p) { /* "  12345 requests in 10.00s" */
		while (p > out && p[-1] == ' ')
			p--;
		while (p > out && p[-1] >= '0' && p[-1] <= '9')
			p--;
		r->requests = strtod(p, NULL);
	}
	r->errors = 0;
	if ((p = strstr(out, "Socket errors:")) &&
	    sscanf(p,
		   "Socket errors: connect %lu, read %lu, write %lu, timeout %lu",
		   &a, &b, &c, &d) == 4)
		r->errors = (double)(a + b + c + d);
	if (strstr(out, "Non-2xx or 3xx responses:"))
		r->errors += after(out, "Non-2xx or 3xx responses:");
	r->p50_ms = wrk_pct(out, "50%");
	r->p99_ms = wrk_pct(out, "99%");
}

/* "GET","25706.94","1.235","0.224","0.967","3.855","5.567","8.799" */
static void redis_parse(const char *out, struct bench_result *r)
{
	const char *p = strstr(out, "\n\"GET\"");
	double v[7];

	if (!p ||
	    sscanf(p,
		   "\n\"GET\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return;
	r->rps = v[0];
	r->avg_ms = v[1];
	r->p50_ms = v[3];
	r->p99_ms = v[5];
	r->errors = 0;
}

static void dnsperf_parse(const char *out, struct bench_result *r)
{
	r->requests = after(out, "Queries completed:");
	r->errors = after(out, "Queries lost:");
	r->rps = after(out, "Queries per second:");
	r->avg_ms = after(out, "Average Latency (s):") * 1000;
}

int bench_load_run(const struct bench_opts *o, const char *tmpdir,
		   struct bench_result *r)
{
	char out[65536], a[8][256], qf[512];
	char *argv[32];
	int n = 0, st;

	r->rps = r->requests = r->errors = NAN;
	r->p50_ms = r->p99_ms = r->avg_ms = NAN;
	r->client_cpu = NAN;
	if (o->load == LOAD_TCP || o->load == LOAD_MEMCACHED)
		return bench_builtin_run(o, r);
	switch (o->load) {
	case LOAD_HTTP:
		snprintf(a[0], sizeof(a[0]), "-c%u", o->conns);
		snprintf(a[1], sizeof(a[1]), "-d%.0fs",
			 o->duration < 1 ? 1 : o->duration);
		snprintf(a[2], sizeof(a[2]), "http://%s:%u%s", o->addr, o->port,
			 o->path);
		argv[n++] = "wrk";
		argv[n++] = "-t1";
		argv[n++] = a[0];
		argv[n++] = a[1];
		argv[n++] = "--latency";
		argv[n++] = a[2];
		break;
	case LOAD_REDIS:
		/* redis-benchmark counts requests, not seconds: ~30k/s */
		snprintf(a[0], sizeof(a[0]), "%u", o->port);
		snprintf(a[1], sizeof(a[1]), "%.0f", 30000 * o->duration);
		snprintf(a[2], sizeof(a[2]), "%u", o->conns);
		argv[n++] = "redis-benchmark";
		argv[n++] = "-h";
		argv[n++] = (char *)o->addr;
		argv[n++] = "-p";
		argv[n++] = a[0];
		argv[n++] = "-t";
		argv[n++] = "get";
		argv[n++] = "-n";
		argv[n++] = a[1];
		argv[n++] = "-c";
		argv[n++] = a[2];
		argv[n++] = "--threads";
		argv[n++] = "1";
		argv[n++] = "--csv";
		r->requests = 30000 * o->duration;
		break;
	default: { /* LOAD_DNS */
		FILE *f;

		snprintf(qf, sizeof(qf), "%s/queries.txt", tmpdir);
		f = fopen(qf, "w");
		if (!f || fprintf(f, "%s\n", o->query) < 0 || fclose(f)) {
			fprintf(stderr, "reuseport bench: cannot write %s\n",
				qf);
			return -1;
		}
		snprintf(a[0], sizeof(a[0]), "%u", o->port);
		snprintf(a[1], sizeof(a[1]), "%u", o->conns);
		snprintf(a[2], sizeof(a[2]), "%.0f",
			 o->duration < 1 ? 1 : o->duration);
		argv[n++] = "dnsperf";
		argv[n++] = "-s";
		argv[n++] = (char *)o->addr;
		argv[n++] = "-p";
		argv[n++] = a[0];
		argv[n++] = "-d";
		argv[n++] = qf;
		argv[n++] = "-c";
		argv[n++] = a[1];
		argv[n++] = "-T";
		argv[n++] = "1";
		argv[n++] = "-l";
		argv[n++] = a[2];
		argv[n++] = "-t";
		argv[n++] = "1";
		break;
	}
	}
	argv[n] = NULL;
	st = bench_capture(argv, out, sizeof(out), &r->client_cpu);
	if (st == 127) {
		fprintf(stderr,
			"reuseport bench: cannot run %s: is it installed? (Debian: %s)\n",
			argv[0], loads[o->load].package);
		return -1;
	}
	if (o->load == LOAD_HTTP)
		wrk_parse(out, r);
	else if (o->load == LOAD_REDIS)
		redis_parse(out, r);
	else
		dnsperf_parse(out, r);
	if (st != 0 || !(r->rps > 0)) {
		fprintf(stderr,
			"reuseport bench: %s failed (exit status %d); its output:\n%s\n",
			argv[0], st, out);
		return -1;
	}
	if (o->load == LOAD_REDIS && r->errors == 0)
		r->seconds = r->requests / r->rps;
	return 0;
}

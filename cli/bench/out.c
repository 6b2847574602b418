// SPDX-License-Identifier: MIT
/* reuseport bench: the table and the plot. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void num(double v, const char *f)
{
	if (isnan(v))
		printf(" %8s", "-");
	else
		printf(f, v);
}

void bench_print_header(const struct bench_opts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int maxn = 0;

	for (int i = 0; i < o->nn; i++)
		if (o->ns[i] > maxn)
			maxn = o->ns[i];
	printf("reuseport bench: %s load (%s%s), %g s a run, %s %s:%u, policy %s\n",
	       bench_load_name(o->load), bench_load_tool(o->load),
	       o->load == LOAD_HTTP  ? " -t1" :
	       o->load == LOAD_REDIS ? " --threads 1 -t get" :
	       o->load == LOAD_DNS   ? " -T 1" :
				       "",
	       o->duration, bench_load_udp(o->load) ? "udp" : "tcp", o->addr,
	       o->port, o->policy ? o->policy : "(the shim's default)");
	printf("command:");
	for (int i = 0; o->cmd[i]; i++) /* quoted when it has to be */
		printf(o->cmd[i][strcspn(o->cmd[i], " \t'\"")] || !*o->cmd[i] ?
			       " '%s'" :
			       " %s",
		       o->cmd[i]);
	printf("\n%s %u, one thread (at most 1 CPU of %ld)\n",
	       o->load == LOAD_DNS ? "load generator: clients" :
				     "load generator: connections",
	       o->conns, cpus);
	if (cpus <= (long)maxn + 1)
		printf("warning: %ld CPUs: N instances and the load generator need N+1 CPUs to scale, so this machine cannot show scaling beyond N=%ld\n",
		       cpus, cpus > 1 ? cpus - 1 : 1);
	printf("\n%4s %10s %7s %8s %8s %8s %8s %8s %10s  %s\n", "N",
	       o->load == LOAD_DNS ? "queries/s" : "req/s", "ratio", "p50 ms",
	       "p99 ms", "avg ms", "errors", "client%", "us CPU/req",
	       "share % per instance");
	fflush(stdout);
}

void bench_print_row(const struct bench_opts *o, const struct bench_row *rows,
		     int i)
{
	const struct bench_row *w = &rows[i];
	const struct bench_result *r = &w->r;
	double secs = r->seconds > 0 ? r->seconds : o->duration;

	if (!w->ok) {
		printf("%4u %10s  (failed: see above)\n", w->n, "-");
		fflush(stdout);
		return;
	}
	printf("%4u %10.0f", w->n, r->rps);
	num(rows[0].ok ? r->rps / rows[0].r.rps : NAN, " %7.2f");
	num(r->p50_ms, " %8.3f");
	num(r->p99_ms, " %8.3f");
	num(r->avg_ms, " %8.3f");
	num(r->errors, " %8.0f");
	num(100 * r->client_cpu / secs, " %8.0f");
	num(w->cpu_us_per_req, " %10.1f");
	printf("  ");
	for (int k = 0; k < w->nshare; k++)
		printf("%s%.1f", k ? "/" : "", w->share[k]);
	if (!w->nshare)
		printf("-");
	printf("\n");
	fflush(stdout);
}

int bench_plot(const struct bench_opts *o, const struct bench_row *rows,
	       int nrows, const char *tmpdir)
{
	char dat[512], gp[512], out[4096];
	char *argv[] = { "gnuplot", gp, NULL };
	const struct bench_row *base = NULL;
	FILE *f;
	int st;

	snprintf(dat, sizeof(dat), "%s/plot.dat", tmpdir);
	snprintf(gp, sizeof(gp), "%s/plot.gp", tmpdir);
	if (!(f = fopen(dat, "w")))
		return -1;
	for (int i = 0; i < nrows; i++) {
		if (!rows[i].ok)
			continue;
		if (!base)
			base = &rows[i];
		fprintf(f, "%u %f %f\n", rows[i].n, rows[i].r.rps,
			base->r.rps * rows[i].n / base->n);
	}
	fclose(f);
	if (!base)
		return -1;
	if (!(f = fopen(gp, "w")))
		return -1;
	fprintf(f,
		"set terminal png size 720,440\n"
		"set output '%s'\n"
		"set title 'reuseport bench: %s load, throughput per instance count'\n"
		"set xlabel 'instances (N)'\n"
		"set ylabel '%s'\n"
		"set yrange [0:*]\n"
		"set key left top\n"
		"set grid\n"
		"plot '%s' using 1:2 with linespoints lw 2 pt 7 title 'measured', "
		"'' using 1:3 with lines dt 2 title 'linear from N=%u'\n",
		o->png, bench_load_name(o->load),
		o->load == LOAD_DNS ? "queries/s" : "requests/s", dat, base->n);
	fclose(f);
	st = bench_capture(argv, out, sizeof(out), NULL);
	if (st) {
		fprintf(stderr, "reuseport bench: gnuplot failed (%d): %s\n",
			st, out);
		return -1;
	}
	return 0;
}

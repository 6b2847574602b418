/* SPDX-License-Identifier: MIT */
/* reuseport bench: CMD at N = 1, 2, 4... under `reuseport run`, a load. */
#ifndef RP_BENCH_H
#define RP_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_N 16
#define BENCH_MAX_SLOTS 256

enum bench_load { LOAD_HTTP, LOAD_REDIS, LOAD_MEMCACHED, LOAD_DNS, LOAD_TCP };

struct bench_opts {
	enum bench_load load;
	unsigned int ns[BENCH_MAX_N]; /* instance counts, in order */
	int nn;
	double duration; /* seconds a run */
	unsigned int port;
	const char *addr; /* where the load goes (127.0.0.1) */
	unsigned int conns; /* connections (dns: dnsperf clients) */
	const char *path; /* http: URL path */
	const char *query; /* dns: "NAME TYPE" */
	const char *policy; /* NULL: the shim's default */
	const char *png; /* NULL: none */
	double ready_timeout;
	char **cmd; /* NULL-terminated */
};

/* What a load run measured; NaN where the tool does not say. */
struct bench_result {
	double rps; /* requests (dns: answered queries) a second */
	double requests;
	double errors; /* failed requests / lost queries */
	double p50_ms, p99_ms, avg_ms;
	double client_cpu; /* CPU seconds the load generator used */
	double seconds; /* wall time of the load run */
};

/* The per-slot counts of the group(s) on the port. */
struct bench_slots {
	int n; /* live slots seen */
	uint64_t selected[BENCH_MAX_SLOTS];
	bool live[BENCH_MAX_SLOTS];
};

struct bench_row {
	unsigned int n;
	bool ok;
	struct bench_result r;
	double cpu_us_per_req; /* instances' CPU / requests */
	int nshare;
	double share[BENCH_MAX_SLOTS]; /* percent, per live slot */
};

/* load.c: the kinds of load, and one run of the tool that drives it */
const char *bench_load_name(enum bench_load l);
int bench_load_parse(const char *s, enum bench_load *l);
unsigned int bench_load_port(enum bench_load l);
bool bench_load_udp(enum bench_load l);
/* The tool that drives the load, for the header and missing-tool errors. */
const char *bench_load_tool(enum bench_load l);
/* Is the load's tool on PATH? 0, or -1 after saying which package has it. */
int bench_tool_check(enum bench_load l);
/* Drive one load run: 0, or -1 with the reason on stderr. */
int bench_load_run(const struct bench_opts *o, const char *tmpdir,
		   struct bench_result *r);

/* builtin.c: closed-loop request/response load (tcp echo, memcached) */
int bench_builtin_run(const struct bench_opts *o, struct bench_result *r);

/* proc.c: the processes bench starts */
/* Run argv, its stdout+stderr into out (NUL-terminated, truncated to
 * len); exit status (or -1), the CPU seconds it used into cpu. */
int bench_capture(char *const argv[], char *out, size_t len, double *cpu);
/* Start `reuseport run -n N ... -- CMD` in its own process group, output
 * to log. */
pid_t bench_start_run(const struct bench_opts *o, unsigned int n,
		      const char *log);
/* Stop it (TERM, then KILL after a while) and reap it. */
void bench_stop_run(pid_t pid);
/* CPU clock ticks of every descendant of pid (pid itself left out). */
uint64_t bench_tree_ticks(pid_t pid);

/* slots.c: the group(s) on the port */
/* Wait until the group(s) on the port have n live slots: 0, -1 if the run
 * exited, the shim fell back (its log says so) or the time ran out (reason
 * on stderr). */
int bench_wait_members(const struct bench_opts *o, pid_t run, unsigned int n,
		       const char *log);
/* The groups' per-slot selected counts now. */
void bench_slots_read(const struct bench_opts *o, struct bench_slots *s);

/* out.c: the table and the plot */
void bench_print_header(const struct bench_opts *o);
/* Row i of the table (ratios to rows[0]). */
void bench_print_row(const struct bench_opts *o, const struct bench_row *rows,
		     int i);
/* PNG of throughput per N (gnuplot): 0, or -1 (said on stderr). */
int bench_plot(const struct bench_opts *o, const struct bench_row *rows,
	       int nrows, const char *tmpdir);

#endif

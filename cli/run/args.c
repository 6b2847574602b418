// SPDX-License-Identifier: MIT
/*
 * reuseport run's command line: its usage, the options and their values
 * into the supervisor's state (R), the library to preload.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "opts.h"
#include "registry_names.h"
#include "state.h"

static int usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: reuseport run -n N [options] [--] CMD [ARGS...]\n"
		"\n"
		"Starts N instances of CMD with libreuseport.so preloaded, sharing\n"
		"their ports. Each gets REUSEPORT_INSTANCE=1..N, every \"{i}\" in CMD\n"
		"and ARGS becomes that number, every \"{g}\" its generation, and\n"
		"REUSEPORT_GENERATION (initial value from the environment, default 0)\n"
		"is managed by the supervisor. Use {g} in pid files and work\n"
		"directories: old and new instance i run side by side in a roll.\n"
		"CMD must stay in the foreground (lighttpd -D, apache2 -DFOREGROUND,\n"
		"nginx 'daemon off;', squid -N...): one that exits 0 leaving its\n"
		"daemon running stops the supervisor (exit 1) with that advice.\n"
		"\n"
		"  -n, --instances N      number of instances (1..256), required\n"
		"      --grace S          time for active connections to finish, then\n"
		"                         for SIGTERM to work before SIGKILL (10)\n"
		"      --ready-timeout S  time a replacement may take to register its\n"
		"                         listeners during a rolling restart (10)\n"
		"      --backoff-max S    longest wait before restarting a crashed\n"
		"                         instance (10; starts at 0.1 and doubles)\n"
		"      --restart-limit N/T\n"
		"                         give up when an instance died N times\n"
		"                         within T seconds: stop the others, exit\n"
		"                         with its status (5/10; 0/T: never)\n"
		"      --reload roll|signal\n"
		"                         what SIGHUP does: a rolling restart\n"
		"                         (roll, default), or send it to each\n"
		"                         instance's own process (signal: servers\n"
		"                         that reload themselves: gunicorn, nginx)\n"
		"      --ready-file PATH  write \"ready\" to PATH once every instance\n"
		"                         registered (removed at stop). With\n"
		"                         NOTIFY_SOCKET set: sd_notify (READY=1,\n"
		"                         RELOADING=1, STOPPING=1, STATUS=)\n"
		"      --prefix           tag each line of the instances' output\n"
		"                         with [i] (stdout and stderr kept apart)\n"
		"      --mode auto|preload|cgroup\n"
		"                         how the instances are steered: preload\n"
		"                         (LD_PRELOAD, dynamically linked servers),\n"
		"                         cgroup (any binary: a cgroup of their\n"
		"                         own, whose bind hook forces SO_REUSEPORT;\n"
		"                         their listeners adopted), auto (default:\n"
		"                         both; preload where it reaches)\n"
		"      --adopt            follow a CMD that goes to the background:\n"
		"                         the daemon it leaves becomes the instance\n"
		"      --rescue S         an instance whose listener had connections\n"
		"                         waiting and accepted none for S seconds\n"
		"                         is hung: its queue is moved to the others\n"
		"                         and it is killed and restarted (0: off,\n"
		"                         default; never the last live instance)\n"
		"      --policy NAME      REUSEPORT_POLICY for the instances\n"
		"      --lib PATH         libreuseport.so (default: beside reuseport,\n"
		"                         else in ../lib/" RP_MULTIARCH
		"/ or ../lib/)\n"
		"      --metrics ADDR:PORT  serve GET /metrics (Prometheus) from here\n"
		"  -h, --help             this text\n"
		"Seconds may have decimals (0.5).\n"
		"\n"
		"Signals: HUP = rolling restart (one instance at a time: start the\n"
		"replacement with generation+1, wait until it registered, drain the\n"
		"old one, wait for its connections, SIGTERM it), or with --reload\n"
		"signal sent on; reuseport reload PID does the same and returns\n"
		"when it is done. TERM/INT = drain all,\n"
		"wait, SIGTERM all, exit 0; a second TERM/INT kills at once. USR1,\n"
		"USR2, QUIT, WINCH are forwarded to every instance's process group.\n"
		"Crashed instances are restarted. Every child is reaped (PID 1 too).\n"
		"\n"
		"Exit status: 0 after a requested stop, 2 bad usage, 126/127 when CMD\n"
		"cannot be executed (not executable / not found), 1 when CMD went to\n"
		"the background, the last instance's status (128+signal) when the\n"
		"--restart-limit was reached.\n");
	return status;
}

/* Seconds, decimals allowed, 0..86400, to milliseconds. */
static bool parse_seconds(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 86400))
		return false;
	*ms = (uint64_t)(v * 1000 + 0.5);
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

/*
 * libreuseport.so beside this executable, else in ../lib/<multiarch>/ (the
 * Debian package's /usr/lib/x86_64-linux-gnu: this machine's own, before
 * any other in ../lib), else in ../lib.
 */
static bool find_lib(char *out, size_t len)
{
	static const char *const dirs[] = { "", "/../lib/" RP_MULTIARCH,
					    "/../lib" };
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	size_t i;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/libreuseport.so", exe,
			 dirs[i]);
		if (access(path, R_OK) == 0)
			return realpath(path, out) && strlen(out) < len;
	}
	return false;
}

static void bad_value(const char *opt, const char *what, const char *val)
{
	fprintf(stderr, "reuseport run: %s takes %s, not '%s'\n", opt, what,
		val);
}

/* --grace, --ready-timeout, --backoff-max (c) into R, or report. */
static bool set_seconds(int c, const char *val)
{
	static const struct {
		int c;
		const char *opt;
		uint64_t *ms;
	} secs[] = { { 'g', "--grace", &R.grace_ms },
		     { 'S', "--rescue", &R.rescue_ms },
		     { 'r', "--ready-timeout", &R.ready_ms },
		     { 'b', "--backoff-max", &R.backoff_max_ms } };
	size_t i = 0;

	while (secs[i].c != c)
		i++;
	if (parse_seconds(val, secs[i].ms))
		return true;
	bad_value(secs[i].opt, "seconds 0..86400", val);
	return false;
}

static int bad_policy(const char *val)
{
	char names[256];

	rp_policy_list(names, sizeof(names), " ");
	fprintf(stderr, "reuseport run: --policy takes one of %s, not '%s'\n",
		names, val);
	return 2;
}

/* --restart-limit N/T: N 0..1000 (0: no limit), T seconds */
static bool set_limit(const char *val)
{
	const char *slash = strchr(val, '/');
	char n[16];
	unsigned long v;

	if (slash && (size_t)(slash - val) < sizeof(n)) {
		memcpy(n, val, (size_t)(slash - val));
		n[slash - val] = '\0';
		if (parse_uint(n, 1000, &v) &&
		    parse_seconds(slash + 1, &R.limit_ms) && R.limit_ms) {
			R.limit_n = (int)v;
			return true;
		}
	}
	bad_value("--restart-limit", "N/SECONDS (N 0..1000, 0 = no limit)",
		  val);
	return false;
}

/* The options added with readiness and output tagging. */
static int parse_more(int c, const char *val)
{
	switch (c) {
	case 'L':
		return set_limit(val) ? -1 : 2;
	case 'R':
		if (strcmp(val, "roll") && strcmp(val, "signal")) {
			bad_value("--reload", "roll or signal", val);
			return 2;
		}
		R.reload = strcmp(val, "roll") ? RELOAD_SIGNAL : RELOAD_ROLL;
		return -1;
	case 'f':
		if (!*val) {
			bad_value("--ready-file", "a path", val);
			return 2;
		}
		R.ready_file = val;
		return -1;
	case 'P':
		R.prefix = true;
		return -1;
	case 'A':
		R.adopt = true;
		return -1;
	case 'M':
		if (strcmp(val, "auto") && strcmp(val, "preload") &&
		    strcmp(val, "cgroup")) {
			bad_value("--mode", "auto, preload or cgroup", val);
			return 2;
		}
		R.mode = !strcmp(val, "auto")	 ? MODE_AUTO :
			 !strcmp(val, "preload") ? MODE_PRELOAD :
						   MODE_CGROUP;
		return -1;
	}
	return 0;
}

int run_parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_ARG("instances", 'n'),     OPT_ARG("grace", 'g'),
		OPT_ARG("ready-timeout", 'r'), OPT_ARG("backoff-max", 'b'),
		OPT_ARG("policy", 'p'),	       OPT_ARG("lib", 'l'),
		OPT_ARG("metrics", 'm'),       OPT_ARG("restart-limit", 'L'),
		OPT_ARG("reload", 'R'),	       OPT_ARG("ready-file", 'f'),
		OPT_FLAG("prefix", 'P'),       OPT_FLAG("adopt", 'A'),
		OPT_ARG("mode", 'M'),	       OPT_ARG("rescue", 'S'),
		OPT_FLAG("help", 'h'),	       OPT_END
	};
	const char *lib = NULL, *env_gen;
	unsigned long v;
	int c, p, more;

	optind = 1;
	opterr = 0;
	/* '+': options end at CMD, its own options are its business */
	while ((c = getopt_long(argc, argv, "+:n:h", opts, NULL)) != -1) {
		more = parse_more(c, optarg);
		if (more > 0)
			return more;
		if (more < 0)
			continue;
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, MAX_INSTANCES, &v) || !v) {
				bad_value("-n/--instances", "an integer 1..256",
					  optarg);
				return 2;
			}
			R.n = (int)v;
			break;
		case 'g':
		case 'S':
		case 'r':
		case 'b':
			if (!set_seconds(c, optarg))
				return 2;
			break;
		case 'p':
			p = rp_policy_from_name(optarg);
			if (p < 0)
				return bad_policy(optarg);
			R.policy = optarg;
			break;
		case 'l':
			lib = optarg;
			break;
		case 'm':
			R.metrics_addr = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			return 0;
		case ':':
			fprintf(stderr,
				"reuseport run: option %s needs a value (see reuseport run --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr,
				"reuseport run: unknown option %s; options: -n/--instances N, --grace S, --ready-timeout S, --backoff-max S, --restart-limit N/T, --reload roll|signal, --ready-file PATH, --prefix, --mode auto|preload|cgroup, --adopt, --rescue S, --policy NAME, --lib PATH, --metrics ADDR:PORT, --help\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (!R.n) {
		fprintf(stderr,
			"reuseport run: -n/--instances N (1..256) is required; usage: reuseport run -n N [options] [--] CMD [ARGS...]\n");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr,
			"reuseport run: no command; usage: reuseport run -n N [options] [--] CMD [ARGS...]\n");
		return 2;
	}
	R.cmd = argv + optind;
	if (lib) {
		if (!realpath(lib, R.lib) || access(R.lib, R_OK) != 0) {
			fprintf(stderr, "reuseport run: --lib %s: %s\n", lib,
				strerror(errno));
			return 2;
		}
	} else if (!find_lib(R.lib, sizeof(R.lib))) {
		fprintf(stderr,
			"reuseport run: cannot find libreuseport.so beside reuseport, in ../lib/" RP_MULTIARCH
			"/ or in ../lib (use --lib PATH)\n");
		return 2;
	}
	/* ld.so splits LD_PRELOAD at ':' and ' ' */
	if (strpbrk(R.lib, ": ")) {
		fprintf(stderr,
			"reuseport run: the library path %s contains ':' or ' ', which LD_PRELOAD cannot carry\n",
			R.lib);
		return 2;
	}
	env_gen = getenv("REUSEPORT_GENERATION");
	if (env_gen && *env_gen) {
		if (!parse_uint(env_gen, UINT32_MAX, &v)) {
			fprintf(stderr,
				"reuseport run: REUSEPORT_GENERATION takes an integer 0..4294967295, not '%s'\n",
				env_gen);
			return 2;
		}
		R.gen = (uint32_t)v;
	}
	return -1;
}

// SPDX-License-Identifier: MIT
/*
 * reuseport run: start N instances of a server under the shim and keep them
 * up; restart them one by one without losing a connection (SIGHUP); stop
 * them gracefully (SIGTERM/SIGINT). Usable as PID 1 of a container.
 *
 * A rolling restart relies on the group's state: the replacement runs with
 * a newer REUSEPORT_GENERATION, so once it has registered the program sends
 * it every new connection; the old instance is drained, allowed to finish
 * its active connections, then stopped, and whatever was still queued on
 * its listener migrates to a live one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "group.h"
#include "log.h"
#include "run.h"

extern char **environ;

struct inst {
	pid_t pid; /* 0: not running */
	uint32_t gen;
	bool stopping; /* we asked it to go */
	uint64_t started_ms;
	uint64_t restart_at_ms; /* 0: no restart pending */
	unsigned int backoff_ms;
};

static struct {
	int n;
	double grace_s, ready_s, backoff_max_s;
	const char *lib;
	const char *policy;
	char **cmd;
	uint32_t gen;
	struct inst *inst;
	const struct rp_config *cfg;
	int sigpipe[2];
	int stop_requests;
	bool hup;
	pid_t retiring; /* an old instance being stopped by a rolling restart */
} R;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, "reuseport run: ", 15) < 0 ||
	    write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(R.sigpipe[1], &c, 1) < 0) {
		/* pipe full: the loop will see the others */
	}
	errno = saved;
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: reuseport run -n N [options] [--] CMD [ARGS...]\n"
		"\n"
		"Starts N instances of CMD with libreuseport.so preloaded, on one port.\n"
		"Each gets REUSEPORT_INSTANCE=1..N, \"{i}\" in CMD/ARGS becomes that\n"
		"number, and REUSEPORT_GENERATION is managed by the supervisor.\n"
		"\n"
		"  -n, --instances N      number of instances (1..256)\n"
		"      --grace S          time for active connections to finish, then\n"
		"                         for SIGTERM to work before SIGKILL (default 10)\n"
		"      --ready-timeout S  time a replacement may take to register (10)\n"
		"      --backoff-max S    longest wait before restarting a crashed\n"
		"                         instance (10; starts at 0.1, doubles)\n"
		"      --policy NAME      REUSEPORT_POLICY for the instances\n"
		"      --lib PATH         libreuseport.so (default: beside reuseport,\n"
		"                         or ../lib/libreuseport.so)\n"
		"\n"
		"Signals: HUP = rolling restart with zero failed connections; TERM/INT\n"
		"= drain, wait, stop all, exit 0 (a second one kills at once); USR1,\n"
		"USR2, QUIT, WINCH are forwarded to every instance. Crashed instances\n"
		"are restarted. Works as PID 1: every child is reaped.\n");
	return status;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !errno && *s && !*end && *out >= 0 && *out <= 86400;
}

static const char *find_lib(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/libreuseport.so", exe);
	if (access(path, R_OK) == 0)
		return path;
	snprintf(path, sizeof(path), "%s/../lib/libreuseport.so", exe);
	if (access(path, R_OK) == 0)
		return path;
	return NULL;
}

/* "{i}" in s replaced by i; malloc'ed. */
static char *subst(const char *s, int i)
{
	size_t len = strlen(s) + 1;
	const char *p;
	char num[16], *out, *o;
	int k = 0;

	snprintf(num, sizeof(num), "%d", i);
	for (p = s; (p = strstr(p, "{i}")); p += 3)
		k++;
	out = malloc(len + (size_t)k * strlen(num));
	if (!out)
		return NULL;
	for (o = out, p = s; *p;) {
		if (!strncmp(p, "{i}", 3)) {
			o = stpcpy(o, num);
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/*
 * Start instance i (1-based) of generation gen. Returns its pid, or
 * -errno when CMD cannot be executed at all.
 */
static pid_t spawn(int i, uint32_t gen)
{
	int pfd[2], err = 0;
	char buf[32];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -err;
	}
	if (pid == 0) {
		const char *old = getenv("LD_PRELOAD");
		char *pre, **argv;
		sigset_t none;
		int argc = 0;

		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		if (old && *old) {
			pre = malloc(strlen(R.lib) + strlen(old) + 2);
			if (pre)
				sprintf(pre, "%s:%s", R.lib, old);
		} else {
			pre = strdup(R.lib);
		}
		if (pre)
			setenv("LD_PRELOAD", pre, 1);
		snprintf(buf, sizeof(buf), "%d", i);
		setenv("REUSEPORT_INSTANCE", buf, 1);
		snprintf(buf, sizeof(buf), "%u", gen);
		setenv("REUSEPORT_GENERATION", buf, 1);
		if (R.policy)
			setenv("REUSEPORT_POLICY", R.policy, 1);
		while (R.cmd[argc])
			argc++;
		argv = calloc((size_t)argc + 1, sizeof(*argv));
		for (int k = 0; argv && k < argc; k++)
			argv[k] = subst(R.cmd[k], i);
		if (argv)
			execvp(argv[0], argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(err == ENOENT ? 127 : 126);
	}
	close(pfd[1]);
	setpgid(pid, pid); /* no race with the child's own call */
	if (read(pfd[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		return -err;
	}
	close(pfd[0]);
	say("event=start instance=%d pid=%d generation=%u", i, (int)pid, gen);
	return pid;
}

/* Is pid, or one of its ancestors up to the supervisor, equal to root? */
static bool descends_from(pid_t pid, pid_t root)
{
	for (int depth = 0; pid > 1 && depth < 16; depth++) {
		char path[64], buf[512], *p;
		FILE *f;

		if (pid == root)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "re");
		if (!f)
			return false;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!p || !(p = strrchr(buf, ')')) ||
		    sscanf(p + 1, " %*c %d", &pid) != 1)
			return false;
	}
	return false;
}

/* What to do with the live slots of an instance's process tree. */
enum slot_op { OP_COUNT, OP_ACTIVE, OP_DRAIN };

static long for_instance_slots(pid_t root, enum slot_op op)
{
	char ns[PATH_MAX], dir[PATH_MAX + 256];
	struct dirent *de;
	long total = 0;
	DIR *d;

	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)))
		return 0;
	d = opendir(ns);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct rp_state *st;
		int socks_fd;

		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, RP_TMP_PREFIX, strlen(RP_TMP_PREFIX)))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ns, de->d_name);
		if (rp_group_open_dir(dir, &st, &socks_fd, NULL))
			continue;
		rp_group_gc(st);
		for (uint32_t i = 0; i < st->hdr.nslots && i < RP_MAX_SLOTS;
		     i++) {
			struct rp_slot *s = &st->slots[i];

			if (!rp_group_slot_live(socks_fd, i, NULL) ||
			    !descends_from((pid_t)s->pid, root))
				continue;
			if (op == OP_COUNT)
				total++;
			else if (op == OP_ACTIVE)
				total += s->active > 0 ? s->active : 0;
			else
				__atomic_fetch_or(&s->flags, RP_SLOT_DRAINING,
						  __ATOMIC_RELAXED);
		}
		rp_group_unmap(st);
		close(socks_fd);
	}
	closedir(d);
	return total;
}

static struct inst *inst_of(pid_t pid)
{
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid == pid)
			return &R.inst[i];
	return NULL;
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=%s",
			 sigabbrev_np(WTERMSIG(status)) ?
				 sigabbrev_np(WTERMSIG(status)) :
				 "?");
	else
		snprintf(buf, len, "status=?");
}

/* Reap every child; schedule restarts of instances that died uninvited. */
static void reap(void)
{
	int status;
	pid_t pid;
	char how[32];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct inst *in = inst_of(pid);
		uint64_t now = now_ms();

		if (pid == R.retiring) {
			describe_exit(status, how, sizeof(how));
			say("event=exit pid=%d %s (replaced)", (int)pid, how);
			R.retiring = 0;
			continue;
		}
		if (!in)
			continue; /* an orphan we adopted, or a replaced one */
		describe_exit(status, how, sizeof(how));
		in->pid = 0;
		if (in->stopping) {
			say("event=exit instance=%d pid=%d %s",
			    (int)(in - R.inst) + 1, (int)pid, how);
			in->stopping = false;
			continue;
		}
		if (now - in->started_ms >= 10000)
			in->backoff_ms = 100;
		in->restart_at_ms = now + in->backoff_ms;
		say("event=crash instance=%d pid=%d %s restart_in_ms=%u",
		    (int)(in - R.inst) + 1, (int)pid, how, in->backoff_ms);
		in->backoff_ms *= 2;
		if (in->backoff_ms > (unsigned int)(R.backoff_max_s * 1000))
			in->backoff_ms = (unsigned int)(R.backoff_max_s * 1000);
	}
}

static void start(int i)
{
	struct inst *in = &R.inst[i];
	pid_t pid = spawn(i + 1, R.gen);

	in->restart_at_ms = 0;
	if (pid < 0) {
		say("event=error instance=%d reason=\"cannot execute %s: %s\"",
		    i + 1, R.cmd[0], strerror((int)-pid));
		in->restart_at_ms = now_ms() + 1000;
		return;
	}
	in->pid = pid;
	in->gen = R.gen;
	in->started_ms = now_ms();
}

static void forward(int sig)
{
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid > 0)
			kill(-R.inst[i].pid, sig);
}

/*
 * Wait up to ms for signals and children, handling them; returns early
 * when a stop was requested. Timers (restarts) run here too.
 */
static void pump(uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = R.sigpipe[0], .events = POLLIN };
		uint64_t now = now_ms();
		unsigned char sigs[64];
		ssize_t n;

		if (now >= end || R.stop_requests)
			return;
		poll(&p, 1, (int)(end - now < 100 ? end - now : 100));
		n = read(R.sigpipe[0], sigs, sizeof(sigs));
		for (ssize_t k = 0; k < n; k++) {
			switch (sigs[k]) {
			case SIGCHLD:
				break;
			case SIGHUP:
				R.hup = true;
				break;
			case SIGTERM:
			case SIGINT:
				R.stop_requests++;
				break;
			default:
				forward(sigs[k]);
			}
		}
		reap();
		if (R.stop_requests)
			return;
		now = now_ms();
		for (int i = 0; i < R.n; i++)
			if (!R.inst[i].pid && R.inst[i].restart_at_ms &&
			    now >= R.inst[i].restart_at_ms)
				start(i);
	}
}

/* Stop a replaced instance's process group; SIGKILL after --grace. */
static void retire(pid_t pid)
{
	uint64_t deadline = now_ms() + (uint64_t)(R.grace_s * 1000);

	R.retiring = pid;
	kill(-pid, SIGTERM);
	while (R.retiring && now_ms() < deadline && !R.stop_requests)
		pump(50);
	if (R.retiring) {
		if (now_ms() >= deadline)
			say("event=kill pid=%d reason=\"still running after --grace\"",
			    (int)pid);
		kill(-pid, SIGKILL);
		while (R.retiring) {
			reap();
			usleep(20000);
		}
	}
}

static void drain_and_wait(pid_t pid)
{
	uint64_t deadline = now_ms() + (uint64_t)(R.grace_s * 1000);

	for_instance_slots(pid, OP_DRAIN);
	while (for_instance_slots(pid, OP_ACTIVE) > 0 && now_ms() < deadline &&
	       !R.stop_requests)
		pump(50);
}

/* SIGHUP: every instance replaced by one of the next generation. */
static void rolling_restart(void)
{
	uint32_t old_gen = R.gen;

	R.gen++;
	say("event=rolling_restart generation=%u", R.gen);
	for (int i = 0; i < R.n && !R.stop_requests; i++) {
		struct inst old = R.inst[i], *in = &R.inst[i];
		uint64_t deadline = now_ms() + (uint64_t)(R.ready_s * 1000);
		pid_t pid = spawn(i + 1, R.gen);
		bool ready = false;

		if (pid < 0) {
			say("event=rolling_abort instance=%d reason=\"cannot execute: %s\"",
			    i + 1, strerror((int)-pid));
			R.gen = old_gen;
			return;
		}
		*in = (struct inst){ .pid = pid,
				     .gen = R.gen,
				     .started_ms = now_ms(),
				     .backoff_ms = 100 };
		while (now_ms() < deadline && !R.stop_requests &&
		       in->pid == pid) {
			if (for_instance_slots(pid, OP_COUNT) > 0) {
				ready = true;
				break;
			}
			pump(50);
		}
		if (!ready) {
			say("event=rolling_abort instance=%d pid=%d reason=\"replacement did not register within --ready-timeout\"",
			    i + 1, (int)pid);
			if (in->pid == pid) {
				in->pid = 0;
				retire(pid);
			}
			*in = old;
			R.gen = old_gen;
			return;
		}
		say("event=ready instance=%d pid=%d generation=%u", i + 1,
		    (int)pid, R.gen);
		if (old.pid > 0) {
			drain_and_wait(old.pid);
			retire(old.pid);
		}
	}
	say("event=rolling_done generation=%u", R.gen);
}

/* While stopping: reap, and count a second TERM/INT (= kill now). */
static void wait_signals(int ms)
{
	struct pollfd p = { .fd = R.sigpipe[0], .events = POLLIN };
	unsigned char sigs[64];
	ssize_t n;

	poll(&p, 1, ms);
	n = read(R.sigpipe[0], sigs, sizeof(sigs));
	for (ssize_t k = 0; k < n; k++)
		if (sigs[k] == SIGTERM || sigs[k] == SIGINT)
			R.stop_requests++;
	reap();
}

static int stop_all(void)
{
	uint64_t deadline;

	say("event=stop instances=%d", R.n);
	for (int i = 0; i < R.n; i++)
		if (R.inst[i].pid > 0)
			for_instance_slots(R.inst[i].pid, OP_DRAIN);
	deadline = now_ms() + (uint64_t)(R.grace_s * 1000);
	for (;;) {
		long active = 0;

		for (int i = 0; i < R.n; i++)
			if (R.inst[i].pid > 0)
				active += for_instance_slots(R.inst[i].pid,
							     OP_ACTIVE);
		if (!active || now_ms() >= deadline || R.stop_requests > 1)
			break;
		wait_signals(50);
	}
	for (int i = 0; i < R.n; i++) {
		R.inst[i].restart_at_ms = 0;
		if (R.inst[i].pid > 0) {
			R.inst[i].stopping = true;
			kill(-R.inst[i].pid,
			     R.stop_requests > 1 ? SIGKILL : SIGTERM);
		}
	}
	deadline = now_ms() + (uint64_t)(R.grace_s * 1000);
	for (;;) {
		int alive = 0;

		reap();
		for (int i = 0; i < R.n; i++)
			alive += R.inst[i].pid > 0;
		if (!alive)
			break;
		if (now_ms() >= deadline || R.stop_requests > 1) {
			say("event=kill reason=\"instances still running after --grace\"");
			for (int i = 0; i < R.n; i++)
				if (R.inst[i].pid > 0)
					kill(-R.inst[i].pid, SIGKILL);
			deadline = UINT64_MAX;
			R.stop_requests = 0;
		}
		wait_signals(20);
	}
	/* orphans (e.g. double-forked helpers) are reaped too */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	say("event=stopped");
	return 0;
}

int rp_run_main(int argc, char **argv, const struct rp_config *cfg)
{
	static const struct option opts[] = {
		{ "instances", required_argument, NULL, 'n' },
		{ "grace", required_argument, NULL, 'g' },
		{ "ready-timeout", required_argument, NULL, 'r' },
		{ "backoff-max", required_argument, NULL, 'b' },
		{ "policy", required_argument, NULL, 'p' },
		{ "lib", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int handled[] = { SIGCHLD, SIGHUP,	 SIGTERM, SIGINT,
				       SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *env_gen = getenv("REUSEPORT_GENERATION");
	char *end;
	long v;
	int c;

	R.cfg = cfg;
	R.grace_s = 10;
	R.ready_s = 10;
	R.backoff_max_s = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 256) {
				fprintf(stderr,
					"reuseport run: -n takes 1..256, not %s\n",
					optarg);
				return 2;
			}
			R.n = (int)v;
			break;
		case 'g':
		case 'r':
		case 'b':
			if (!parse_seconds(optarg,
					   c == 'g' ? &R.grace_s :
					   c == 'r' ? &R.ready_s :
						      &R.backoff_max_s)) {
				fprintf(stderr,
					"reuseport run: --%s takes seconds (0..86400), not %s\n",
					c == 'g' ? "grace" :
					c == 'r' ? "ready-timeout" :
						   "backoff-max",
					optarg);
				return 2;
			}
			break;
		case 'p':
			if (rp_policy_from_name(optarg) < 0) {
				fprintf(stderr,
					"reuseport run: unknown policy %s\n",
					optarg);
				return 2;
			}
			R.policy = optarg;
			break;
		case 'l':
			R.lib = optarg;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (!R.n || optind >= argc) {
		fprintf(stderr, "reuseport run: needs -n N and a command\n");
		return usage(stderr, 2);
	}
	R.cmd = argv + optind;
	if (!R.lib)
		R.lib = find_lib();
	if (!R.lib || access(R.lib, R_OK) != 0) {
		fprintf(stderr,
			"reuseport run: cannot find libreuseport.so (use --lib PATH)\n");
		return 2;
	}
	if (env_gen && *env_gen) {
		unsigned long g = strtoul(env_gen, &end, 10);

		R.gen = *end ? 0 : (uint32_t)g;
	}
	R.inst = calloc((size_t)R.n, sizeof(*R.inst));
	if (!R.inst || pipe2(R.sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("reuseport run");
		return 1;
	}
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	/* grandchildren whose parent dies are reaped here, PID 1 or not */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	for (int i = 0; i < R.n; i++) {
		pid_t pid = spawn(i + 1, R.gen);

		if (pid < 0) {
			fprintf(stderr,
				"reuseport run: cannot execute %s: %s\n",
				R.cmd[0], strerror((int)-pid));
			stop_all();
			return pid == -ENOENT ? 127 : 126;
		}
		R.inst[i] = (struct inst){ .pid = pid,
					   .gen = R.gen,
					   .started_ms = now_ms(),
					   .backoff_ms = 100 };
	}
	for (;;) {
		pump(1000);
		if (R.stop_requests)
			return stop_all();
		if (R.hup) {
			R.hup = false;
			rolling_restart();
		}
	}
}

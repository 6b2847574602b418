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
 * its listener migrates to a live one (sk_reuseport/migrate).
 *
 * One event loop (tick()): signals arrive through a self-pipe, children are
 * reaped with waitpid(-1, WNOHANG), restart timers run on a 100 ms tick.
 * The long procedures (rolling restart, stop) call tick() while they wait,
 * so crashes are handled and signals counted at any time.
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

#define MAX_INSTANCES 256
#define BACKOFF_MIN_MS 100
/* An instance up this long restarts after BACKOFF_MIN_MS again when it dies. */
#define STABLE_MS 10000
#define TICK_MS 100
#define WAIT_MS 50
/* Socket inodes looked at when steering is off (see tree_listens()). */
#define MAX_TREE_SOCKETS 1024

struct inst {
	pid_t pid; /* 0: not running */
	uint32_t gen; /* REUSEPORT_GENERATION it runs and restarts with */
	bool stopping; /* we asked it to go */
	uint64_t started_ms;
	uint64_t restart_at_ms; /* 0: no restart pending */
	uint64_t backoff_ms;
};

static struct {
	int n;
	uint64_t grace_ms, ready_ms, backoff_max_ms;
	char lib[PATH_MAX];
	const char *policy;
	char **cmd;
	uint32_t gen; /* generation of the newest (re)start round */
	uint32_t pidns;
	struct inst *inst;
	const struct rp_config *cfg;
	int sigpipe[2];
	int stop_requests; /* SIGTERM/SIGINT received */
	bool stopping; /* stop_all() runs: no more restarts */
	bool hup;
	pid_t pending; /* rolling restart: replacement not yet registered */
	pid_t retiring; /* rolling restart: replaced instance being stopped */
} R;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One line per event, one write(2): lines of instances do not cut it. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	static const char prefix[] = "reuseport run: ";
	char line[640];
	size_t len = sizeof(prefix) - 1;
	va_list ap;

	memcpy(line, prefix, len);
	va_start(ap, fmt);
	vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	len = strlen(line);
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
}

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(R.sigpipe[1], &c, 1) < 0) {
		/* pipe full: enough wake-ups are queued already */
	}
	errno = saved;
}

static const char *sig_name(int sig)
{
	const char *s = sigabbrev_np(sig);

	return s ? s : "?";
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: reuseport run -n N [options] [--] CMD [ARGS...]\n"
		"\n"
		"Starts N instances of CMD with libreuseport.so preloaded, sharing\n"
		"their ports. Each gets REUSEPORT_INSTANCE=1..N, every \"{i}\" in CMD\n"
		"and ARGS becomes that number, and REUSEPORT_GENERATION (initial value\n"
		"from the environment, default 0) is managed by the supervisor.\n"
		"CMD must stay in the foreground (nginx: daemon off;).\n"
		"\n"
		"  -n, --instances N      number of instances (1..256), required\n"
		"      --grace S          time for active connections to finish, then\n"
		"                         for SIGTERM to work before SIGKILL (10)\n"
		"      --ready-timeout S  time a replacement may take to register its\n"
		"                         listeners during a rolling restart (10)\n"
		"      --backoff-max S    longest wait before restarting a crashed\n"
		"                         instance (10; starts at 0.1 and doubles)\n"
		"      --policy NAME      REUSEPORT_POLICY for the instances\n"
		"      --lib PATH         libreuseport.so (default: beside reuseport,\n"
		"                         else ../lib/libreuseport.so)\n"
		"  -h, --help             this text\n"
		"Seconds may have decimals (0.5).\n"
		"\n"
		"Signals: HUP = rolling restart (one instance at a time: start the\n"
		"replacement with generation+1, wait until it registered, drain the\n"
		"old one, wait for its connections, SIGTERM it). TERM/INT = drain all,\n"
		"wait, SIGTERM all, exit 0; a second TERM/INT kills at once. USR1,\n"
		"USR2, QUIT, WINCH are forwarded to every instance's process group.\n"
		"Crashed instances are restarted. Every child is reaped (PID 1 too).\n"
		"\n"
		"Exit status: 0 after a requested stop, 2 bad usage, 126/127 when CMD\n"
		"cannot be executed (not executable / not found).\n");
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

/* libreuseport.so beside this executable, else in ../lib. */
static bool find_lib(char *out, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/libreuseport.so", exe);
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof(path), "%s/../lib/libreuseport.so", exe);
	return access(path, R_OK) == 0 && realpath(path, out) &&
	       strlen(out) < len;
}

/* "{i}" in s replaced by i; malloc'ed. */
static char *subst(const char *s, int i)
{
	const char *p;
	char num[16], *out, *o;
	size_t k = 0;

	snprintf(num, sizeof(num), "%d", i);
	for (p = s; (p = strstr(p, "{i}")); p += 3)
		k++;
	out = malloc(strlen(s) + 1 + k * strlen(num));
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
 * LD_PRELOAD for an instance: the shim first, then the inherited entries
 * (ld.so separates them by ':' or ' '), without a second copy of the shim.
 */
static char *preload_value(void)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(R.lib);
	char *out, *copy, *tok, *save;

	out = malloc(len + (old ? strlen(old) : 0) + 2);
	if (!out)
		return NULL;
	strcpy(out, R.lib);
	copy = strdup(old ? old : "");
	if (!copy)
		return out;
	for (tok = strtok_r(copy, ": ", &save); tok;
	     tok = strtok_r(NULL, ": ", &save)) {
		if (strcmp(tok, R.lib)) {
			strcat(out, ":");
			strcat(out, tok);
		}
	}
	free(copy);
	return out;
}

/* In the child between fork and exec; never returns. */
__attribute__((noreturn)) static void exec_instance(int i, uint32_t gen,
						    int errfd)
{
	char buf[32], *pre, **argv;
	sigset_t none;
	int argc = 0, err;

	/*
	 * Own process group: a terminal's Ctrl-C reaches the supervisor only,
	 * and the supervisor can signal the instance with everything it forks.
	 */
	setpgid(0, 0);
	/* handlers were inherited while signals were blocked: reset, unblock */
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	pre = preload_value();
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
	/* the supervisor reads this from the CLOEXEC pipe: exec failed */
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* it will see a crash instead */
	}
	_exit(err == ENOENT ? 127 : 126);
}

/*
 * Start instance i (1-based) of generation gen. Returns its pid, or
 * -errno when CMD cannot be executed (the exec error travels back on a
 * CLOEXEC pipe: EOF means exec succeeded).
 */
static pid_t spawn(int i, uint32_t gen)
{
	sigset_t all, old;
	int pfd[2], err = 0;
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	/*
	 * Signals blocked across fork: the child must never run our handler
	 * (it would write into the shared self-pipe as if we got the signal).
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		exec_instance(i, gen, pfd[1]);
	}
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -err;
	}
	setpgid(pid, pid); /* whichever of us runs first wins; same result */
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(pid, NULL, 0);
		return -err;
	}
	say("event=start instance=%d pid=%d generation=%u", i, (int)pid, gen);
	return pid;
}

/* SIGTERM/SIGKILL/... an instance's process group (or it, if it left). */
static void signal_tree(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (kill(-pid, sig) != 0 && errno == ESRCH)
		kill(pid, sig);
}

/* ppid and process group of pid from /proc; false if it is gone. */
static bool proc_stat(pid_t pid, pid_t *ppid, pid_t *pgrp, char *state)
{
	char path[64], buf[512], *p;
	int pp, pg;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* comm may contain anything, even ')': the last one ends it */
	if (!p || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %d %d", state, &pp, &pg) != 3)
		return false;
	*ppid = pp;
	*pgrp = pg;
	return true;
}

/*
 * Does pid belong to the instance whose leader is root: root itself, a
 * descendant, or a member of its process group (an orphaned worker that
 * was re-parented to us stays in the group)?
 */
static bool in_tree(pid_t pid, pid_t root)
{
	if (root <= 0)
		return false;
	for (int depth = 0; pid > 1 && depth < 32; depth++) {
		pid_t ppid, pgrp;
		char state;

		if (pid == root)
			return true;
		if (!proc_stat(pid, &ppid, &pgrp, &state))
			return false;
		if (pgrp == root)
			return true;
		pid = ppid;
	}
	return false;
}

/* What one pass over the groups of this netns found for a process tree. */
struct tree_scan {
	pid_t root; /* the tree whose slots are counted (and drained) */
	pid_t other; /* 0, or a tree whose groups root must cover */
	bool drain; /* set RP_SLOT_DRAINING on root's live slots */
	long slots; /* live slots of root */
	long active; /* their accepted, not yet closed connections */
	int other_groups; /* groups where other has a live slot */
	int covered; /* of which root has one too */
};

static void scan_group(struct tree_scan *t, struct rp_state *st, int socks_fd)
{
	uint32_t n = __atomic_load_n(&st->hdr.nslots, __ATOMIC_RELAXED);
	bool mine = false, theirs = false;

	for (uint32_t i = 0; i < n && i < RP_MAX_SLOTS; i++) {
		struct rp_slot *s = &st->slots[i];
		uint32_t ns = __atomic_load_n(&s->pidns, __ATOMIC_RELAXED);
		pid_t pid = (pid_t)__atomic_load_n(&s->pid, __ATOMIC_RELAXED);
		int64_t active;

		/*
		 * Pids of another pid namespace sharing this netns (a pod's
		 * other container) are numbers of a different space: skip.
		 */
		if (pid <= 0 || (ns && R.pidns && ns != R.pidns) ||
		    !rp_group_slot_live(socks_fd, i, NULL))
			continue;
		if (in_tree(pid, t->root)) {
			mine = true;
			t->slots++;
			active = __atomic_load_n(&s->active, __ATOMIC_RELAXED);
			t->active += active > 0 ? active : 0;
			if (t->drain &&
			    !(__atomic_fetch_or(&s->flags, RP_SLOT_DRAINING,
						__ATOMIC_RELAXED) &
			      RP_SLOT_DRAINING))
				__atomic_fetch_add(&st->hdr.version, 1,
						   __ATOMIC_RELAXED);
		} else if (in_tree(pid, t->other)) {
			theirs = true;
		}
	}
	if (theirs) {
		t->other_groups++;
		t->covered += mine;
	}
}

/* One pass over every group of this network namespace. */
static void scan_tree(struct tree_scan *t)
{
	char ns[PATH_MAX], dir[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;

	t->slots = t->active = 0;
	t->other_groups = t->covered = 0;
	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)))
		return;
	d = opendir(ns);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct rp_state *st;
		int socks_fd;

		/* "tmp-...": a group being created, not published yet */
		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, RP_TMP_PREFIX, strlen(RP_TMP_PREFIX)))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ns, de->d_name);
		if (rp_group_open_dir(dir, &st, &socks_fd, NULL))
			continue;
		/* counts of killed processes must not hold up a drain */
		rp_group_gc(st);
		scan_group(t, st, socks_fd);
		rp_group_unmap(st);
		close(socks_fd);
	}
	closedir(d);
}

/* Socket inodes held by the processes of a tree. */
static size_t tree_sockets(pid_t root, unsigned long *ino, size_t max)
{
	char path[64], fdpath[320], link[64];
	struct dirent *p, *f;
	DIR *proc, *fds;
	size_t n = 0;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((p = readdir(proc)) && n < max) {
		pid_t pid = (pid_t)atoi(p->d_name);

		if (pid <= 0 || !in_tree(pid, root))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds)) && n < max) {
			ssize_t k;

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path,
				 f->d_name);
			k = readlink(fdpath, link, sizeof(link) - 1);
			if (k <= 0)
				continue;
			link[k] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino[n]) == 1)
				n++;
		}
		closedir(fds);
	}
	closedir(proc);
	return n;
}

/*
 * Does the tree hold a listening TCP or a bound UDP socket? Readiness when
 * steering is off (no bpffs, no CAP_BPF: the shim fell back to plain
 * SO_REUSEPORT and nothing registers), so SIGHUP still replaces instances.
 */
static bool tree_listens(pid_t root)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6",
					     "/proc/net/udp",
					     "/proc/net/udp6" };
	unsigned long ino[MAX_TREE_SOCKETS];
	size_t n = tree_sockets(root, ino, MAX_TREE_SOCKETS);
	bool found = false;
	char line[512];

	for (size_t k = 0; k < 4 && n && !found; k++) {
		FILE *f = fopen(files[k], "re");

		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			unsigned int port, state;
			unsigned long inode;

			/* sl local:port remote st tx:rx tr:tm retr uid tmo inode */
			if (sscanf(line,
				   " %*s %*[^:]:%x %*s %x %*s %*s %*s %*s %*s %lu",
				   &port, &state, &inode) != 3)
				continue; /* the header */
			/* TCP_LISTEN; UDP: TCP_CLOSE with a local port */
			if (k < 2 ? state != 0x0a : state != 0x07 || !port)
				continue;
			for (size_t j = 0; j < n && !found; j++)
				found = ino[j] == inode;
		}
		fclose(f);
	}
	return found;
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
		snprintf(buf, len, "signal=%s%s", sig_name(WTERMSIG(status)),
			 WCOREDUMP(status) ? " core=1" : "");
	else
		snprintf(buf, len, "status=?");
}

static uint64_t clamp_backoff(uint64_t ms)
{
	return ms > R.backoff_max_ms ? R.backoff_max_ms : ms;
}

/* Instance died uninvited (or could not be executed): restart later. */
static void schedule_restart(struct inst *in, uint64_t now)
{
	if (now - in->started_ms >= STABLE_MS)
		in->backoff_ms = BACKOFF_MIN_MS;
	in->backoff_ms = clamp_backoff(in->backoff_ms);
	in->restart_at_ms = now + in->backoff_ms;
}

/* Reap every child, orphans we adopted included; note instance deaths. */
static void reap(void)
{
	char how[48];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct inst *in = inst_of(pid);
		uint64_t now = now_ms();

		describe_exit(status, how, sizeof(how));
		if (pid == R.pending) {
			say("event=exit pid=%d %s role=replacement", (int)pid,
			    how);
			R.pending = 0;
			continue;
		}
		if (pid == R.retiring) {
			say("event=exit pid=%d %s role=replaced", (int)pid,
			    how);
			R.retiring = 0;
			continue;
		}
		if (!in)
			continue; /* an adopted orphan: reaping is all it needs */
		in->pid = 0;
		if (in->stopping || R.stopping) {
			say("event=exit instance=%d pid=%d %s",
			    (int)(in - R.inst) + 1, (int)pid, how);
			in->stopping = false;
			continue;
		}
		schedule_restart(in, now);
		say("event=crash instance=%d pid=%d %s uptime_ms=%llu restart_in_ms=%llu",
		    (int)(in - R.inst) + 1, (int)pid, how,
		    (unsigned long long)(now - in->started_ms),
		    (unsigned long long)in->backoff_ms);
		in->backoff_ms = clamp_backoff(in->backoff_ms * 2);
		/*
		 * Whatever it forked (workers holding its listener) must not
		 * outlive it: the restarted instance takes over, and closing
		 * those listeners migrates what is queued on them.
		 */
		if (kill(-pid, SIGTERM) == 0) {
			kill(-pid, SIGCONT);
			say("event=leftovers pgid=%d action=TERM", (int)pid);
		}
	}
}

/* (Re)start instance i with its generation. */
static void start(int i)
{
	struct inst *in = &R.inst[i];
	pid_t pid = spawn(i + 1, in->gen);
	uint64_t now = now_ms();

	in->restart_at_ms = 0;
	in->started_ms = now;
	if (pid < 0) {
		schedule_restart(in, now);
		say("event=error instance=%d reason=\"cannot execute %s: %s\" restart_in_ms=%llu",
		    i + 1, R.cmd[0], strerror((int)-pid),
		    (unsigned long long)in->backoff_ms);
		in->backoff_ms = clamp_backoff(in->backoff_ms * 2);
		return;
	}
	in->pid = pid;
}

static void forward(int sig)
{
	for (int i = 0; i < R.n; i++)
		signal_tree(R.inst[i].pid, sig);
	signal_tree(R.pending, sig);
	signal_tree(R.retiring, sig);
}

static void on_event(int sig)
{
	switch (sig) {
	case SIGCHLD:
		break;
	case SIGHUP:
		if (R.stopping || R.stop_requests)
			break;
		say("event=signal signal=HUP action=%s",
		    R.hup ? "already_queued" : "rolling_restart");
		R.hup = true;
		break;
	case SIGTERM:
	case SIGINT:
		R.stop_requests++;
		say("event=signal signal=%s action=%s", sig_name(sig),
		    R.stop_requests > 1 ? "kill" : "stop");
		break;
	default:
		say("event=signal signal=%s action=forward", sig_name(sig));
		forward(sig);
	}
}

/*
 * The event loop's one step: wait up to ms for a signal, handle what came,
 * reap, and run due restarts (unless stopping).
 */
static void tick(int ms)
{
	struct pollfd p = { .fd = R.sigpipe[0], .events = POLLIN };
	unsigned char sigs[64];
	uint64_t now;
	ssize_t n;

	if (poll(&p, 1, ms) > 0)
		while ((n = read(R.sigpipe[0], sigs, sizeof(sigs))) > 0)
			for (ssize_t k = 0; k < n; k++)
				on_event(sigs[k]);
	reap();
	if (R.stopping)
		return;
	now = now_ms();
	for (int i = 0; i < R.n; i++)
		if (!R.inst[i].pid && R.inst[i].restart_at_ms &&
		    now >= R.inst[i].restart_at_ms)
			start(i);
}

/*
 * Stop *slot (R.pending or R.retiring) by SIGTERM, SIGKILL after --grace.
 * A stop request hands it over to stop_all(), which stops it with the rest.
 */
static void stop_proc(pid_t *slot)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	pid_t pid = *slot;

	signal_tree(pid, SIGTERM);
	signal_tree(pid, SIGCONT); /* a stopped process cannot act on TERM */
	while (*slot && now_ms() < deadline && !R.stop_requests)
		tick(WAIT_MS);
	if (!*slot || R.stop_requests)
		return;
	say("event=kill pid=%d reason=\"still running after --grace\"",
	    (int)pid);
	signal_tree(pid, SIGKILL);
	while (*slot && !R.stop_requests)
		tick(WAIT_MS);
}

/* Drain pid's slots; wait until their connections are done (--grace). */
static void drain_and_wait(int i, pid_t pid)
{
	struct tree_scan t = { .root = pid, .drain = true };
	uint64_t deadline = now_ms() + R.grace_ms;

	scan_tree(&t);
	say("event=drain instance=%d pid=%d slots=%ld active=%ld", i + 1,
	    (int)pid, t.slots, t.active);
	while (t.active > 0 && now_ms() < deadline && !R.stop_requests &&
	       R.retiring) {
		tick(WAIT_MS);
		scan_tree(&t); /* drain again: sockets it registered since */
	}
	if (t.active > 0 && R.retiring && !R.stop_requests)
		say("event=drain_timeout instance=%d pid=%d active=%ld", i + 1,
		    (int)pid, t.active);
}

/*
 * Has the replacement new registered? Ready when it has a live slot in
 * every group where the instance it replaces (old) has one; at the
 * deadline one group is enough (its configuration may have changed). With
 * steering off nowhere (no live slot of any of our processes), a listening
 * socket will do. 0: not yet.
 */
static bool replacement_ready(int i, pid_t new, pid_t old, bool final)
{
	struct tree_scan t = { .root = new, .other = old };
	struct tree_scan all = { .root = getpid() };

	scan_tree(&t);
	if (t.slots && (t.covered == t.other_groups || final)) {
		say("event=ready instance=%d pid=%d generation=%u slots=%ld missing_groups=%d",
		    i + 1, (int)new, R.gen, t.slots,
		    t.other_groups - t.covered);
		return true;
	}
	if (t.slots)
		return false;
	scan_tree(&all); /* every process we started, and theirs */
	if (!all.slots && tree_listens(new)) {
		say("event=ready instance=%d pid=%d generation=%u steering=off",
		    i + 1, (int)new, R.gen);
		return true;
	}
	return false;
}

/* Replace instance i by one of generation R.gen; false: abort the roll. */
static bool replace(int i)
{
	uint64_t deadline = now_ms() + R.ready_ms;
	struct inst *in = &R.inst[i];
	bool ready = false;
	pid_t pid, old;

	pid = spawn(i + 1, R.gen);
	if (pid < 0) {
		say("event=rolling_abort instance=%d reason=\"cannot execute %s: %s\"",
		    i + 1, R.cmd[0], strerror((int)-pid));
		return false;
	}
	R.pending = pid;
	for (;;) {
		bool final = now_ms() >= deadline;

		/* in->pid may change meanwhile: a crashed old one restarts */
		ready = replacement_ready(i, pid, in->pid, final);
		if (ready || final || !R.pending || R.stop_requests)
			break;
		tick(WAIT_MS);
	}
	if (R.stop_requests)
		return false; /* stop_all() stops R.pending too */
	if (!R.pending) {
		say("event=rolling_abort instance=%d pid=%d reason=\"replacement exited before it registered\"",
		    i + 1, (int)pid);
		return false;
	}
	if (!ready) {
		say("event=rolling_abort instance=%d pid=%d reason=\"replacement did not register within --ready-timeout\"",
		    i + 1, (int)pid);
		stop_proc(&R.pending);
		return false;
	}
	old = in->pid;
	*in = (struct inst){ .pid = pid,
			     .gen = R.gen,
			     .started_ms = now_ms(),
			     .backoff_ms = BACKOFF_MIN_MS };
	R.pending = 0;
	if (old > 0) {
		R.retiring = old;
		drain_and_wait(i, old);
		if (R.retiring)
			stop_proc(&R.retiring);
	}
	return true;
}

/* SIGHUP: every instance replaced, in order, by one of the next generation. */
static void rolling_restart(void)
{
	if (R.gen == UINT32_MAX) {
		say("event=rolling_abort reason=\"generation is at its maximum (4294967295); restart the supervisor with a lower REUSEPORT_GENERATION\"");
		return;
	}
	/*
	 * Generations only grow, even after an abort: a number is never
	 * reused for a different set of instances.
	 */
	R.gen++;
	say("event=rolling_restart generation=%u instances=%d", R.gen, R.n);
	for (int i = 0; i < R.n; i++)
		if (R.stop_requests || !replace(i))
			return;
	say("event=rolling_done generation=%u", R.gen);
}

static int running(void)
{
	int alive = (R.pending > 0) + (R.retiring > 0);

	for (int i = 0; i < R.n; i++)
		alive += R.inst[i].pid > 0;
	return alive;
}

static void signal_all(int sig)
{
	for (int i = 0; i < R.n; i++)
		signal_tree(R.inst[i].pid, sig);
	signal_tree(R.pending, sig);
	signal_tree(R.retiring, sig);
}

/* Children that are none of ours: orphans we adopted. */
static int adopted(pid_t *out, int max)
{
	pid_t self = getpid();
	struct dirent *p;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while ((p = readdir(d)) && n < max) {
		pid_t pid = (pid_t)atoi(p->d_name), ppid, pgrp;
		char state;

		if (pid > 0 && proc_stat(pid, &ppid, &pgrp, &state) &&
		    ppid == self && state != 'Z' && state != 'X')
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/* Orphans of the instances (detached helpers) go with them. */
static void stop_adopted(void)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	bool termed = false, killed = false;
	pid_t pids[256];
	int n;

	while ((n = adopted(pids, 256)) > 0) {
		int sig = 0;

		if (!termed) {
			sig = SIGTERM;
			termed = true;
			say("event=stop_orphans count=%d", n);
		} else if (!killed &&
			   (now_ms() >= deadline || R.stop_requests > 1)) {
			sig = SIGKILL;
			killed = true;
			say("event=kill orphans=%d reason=\"still running after --grace\"",
			    n);
		}
		for (int k = 0; sig && k < n; k++) {
			kill(pids[k], sig);
			kill(pids[k], SIGCONT);
		}
		tick(20);
	}
}

/* SIGTERM/SIGINT: drain all, wait for connections, TERM, KILL leftovers. */
static int stop_all(void)
{
	uint64_t deadline = now_ms() + R.grace_ms;
	bool killed = false;
	long active = 0;

	R.stopping = true;
	for (int i = 0; i < R.n; i++) {
		R.inst[i].restart_at_ms = 0;
		R.inst[i].stopping = R.inst[i].pid > 0;
	}
	say("event=stop processes=%d", running());
	/*
	 * Draining every slot leaves the program nothing eligible, so it keeps
	 * using all of them: nothing is refused while connections finish.
	 */
	do {
		active = 0;
		for (int i = 0; i < R.n; i++) {
			struct tree_scan t = { .root = R.inst[i].pid,
					       .drain = true };

			if (t.root > 0) {
				scan_tree(&t);
				active += t.active;
			}
		}
		if (!active || now_ms() >= deadline || R.stop_requests > 1)
			break;
		tick(WAIT_MS);
	} while (running());
	if (active && R.stop_requests < 2)
		say("event=drain_timeout active=%ld", active);
	signal_all(R.stop_requests > 1 ? SIGKILL : SIGTERM);
	signal_all(SIGCONT);
	deadline = now_ms() + R.grace_ms;
	while (running()) {
		if (!killed && (now_ms() >= deadline || R.stop_requests > 1)) {
			say("event=kill processes=%d reason=\"%s\"", running(),
			    R.stop_requests > 1 ?
				    "second stop signal" :
				    "still running after --grace");
			signal_all(SIGKILL);
			killed = true;
		}
		tick(20);
	}
	stop_adopted();
	say("event=stopped");
	return 0;
}

static void bad_value(const char *opt, const char *what, const char *val)
{
	fprintf(stderr, "reuseport run: %s takes %s, not '%s'\n", opt, what,
		val);
}

static int bad_policy(const char *val)
{
	fprintf(stderr, "reuseport run: --policy takes one of");
	for (int p = 0; p < RP_POLICY_MAX; p++)
		if (rp_policy_supported((enum rp_policy)p))
			fprintf(stderr, " %s",
				rp_policy_name((enum rp_policy)p));
	fprintf(stderr, ", not '%s'\n", val);
	return 2;
}

static int parse_args(int argc, char **argv)
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
	const char *lib = NULL, *env_gen;
	unsigned long v;
	int c, p;

	optind = 1;
	opterr = 0;
	/* '+': options end at CMD, its own options are its business */
	while ((c = getopt_long(argc, argv, "+:n:h", opts, NULL)) != -1) {
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
			if (!parse_seconds(optarg, &R.grace_ms)) {
				bad_value("--grace", "seconds 0..86400",
					  optarg);
				return 2;
			}
			break;
		case 'r':
			if (!parse_seconds(optarg, &R.ready_ms)) {
				bad_value("--ready-timeout", "seconds 0..86400",
					  optarg);
				return 2;
			}
			break;
		case 'b':
			if (!parse_seconds(optarg, &R.backoff_max_ms)) {
				bad_value("--backoff-max", "seconds 0..86400",
					  optarg);
				return 2;
			}
			break;
		case 'p':
			p = rp_policy_from_name(optarg);
			if (p < 0 || !rp_policy_supported((enum rp_policy)p))
				return bad_policy(optarg);
			R.policy = optarg;
			break;
		case 'l':
			lib = optarg;
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
				"reuseport run: unknown option %s; options: -n/--instances N, --grace S, --ready-timeout S, --backoff-max S, --policy NAME, --lib PATH, --help\n",
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
			"reuseport run: cannot find libreuseport.so beside reuseport or in ../lib (use --lib PATH)\n");
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

int rp_run_main(int argc, char **argv, const struct rp_config *cfg)
{
	static const int handled[] = { SIGCHLD, SIGHUP,	 SIGTERM, SIGINT,
				       SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t set;
	int ret;

	R.cfg = cfg;
	R.grace_ms = 10000;
	R.ready_ms = 10000;
	R.backoff_max_ms = 10000;
	ret = parse_args(argc, argv);
	if (ret >= 0)
		return ret;
	R.pidns = rp_pidns();
	R.inst = calloc((size_t)R.n, sizeof(*R.inst));
	if (!R.inst || pipe2(R.sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		perror("reuseport run");
		return 1;
	}
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		sigaction(handled[i], &sa, NULL);
		sigaddset(&set, handled[i]);
	}
	/* a parent may have blocked some (a shell's SIGCHLD...) */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* a closed log pipe must not kill the supervisor */
	signal(SIGPIPE, SIG_IGN);
	/* grandchildren whose parent dies are reaped here, PID 1 or not */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		say("event=warning reason=\"PR_SET_CHILD_SUBREAPER: %s\"",
		    strerror(errno));
	say("event=supervise instances=%d generation=%u pid=%d lib=%s", R.n,
	    R.gen, (int)getpid(), R.lib);

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
					   .backoff_ms = BACKOFF_MIN_MS };
	}
	for (;;) {
		tick(TICK_MS);
		if (R.stop_requests)
			return stop_all();
		if (R.hup) {
			R.hup = false;
			rolling_restart();
		}
	}
}

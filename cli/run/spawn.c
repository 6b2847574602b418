// SPDX-License-Identifier: MIT
/*
 * reuseport run: starting an instance (fork, exec with the shim preloaded,
 * in a process group of its own) and signalling it with all it forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "out.h"
#include "cgroup.h"
#include "spawn.h"
#include "state.h"

/* "{i}" in s replaced by i, "{g}" by gen; malloc'ed. */
static char *subst(const char *s, int i, uint32_t gen)
{
	char num[2][16], *out, *o;
	const char *p;
	size_t k = 0;

	snprintf(num[0], sizeof(num[0]), "%d", i);
	snprintf(num[1], sizeof(num[1]), "%u", gen);
	for (p = s; (p = strchr(p, '{')); p++)
		k++;
	out = malloc(strlen(s) + 1 + k * sizeof(num[0]));
	if (!out)
		return NULL;
	for (o = out, p = s; *p;) {
		if (!strncmp(p, "{i}", 3) || !strncmp(p, "{g}", 3)) {
			o = stpcpy(o, num[p[1] == 'g']);
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
						    int errfd, const int out[4])
{
	char buf[32], *pre, **argv;
	sigset_t none;
	int argc = 0, err;

	/*
	 * Own process group: a terminal's Ctrl-C reaches the supervisor only,
	 * and the supervisor can signal the instance with everything it forks.
	 */
	setpgid(0, 0);
	/* --prefix: stdout and stderr into the supervisor's pipes */
	if (out[1] >= 0 && out[3] >= 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[3], STDERR_FILENO);
	}
	/* handlers were inherited while signals were blocked: reset, unblock */
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* before exec: the bind hook must see the instance's first bind */
	run_cgroup_enter();
	pre = R.mode == MODE_CGROUP ? NULL : preload_value();
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
		argv[k] = subst(R.cmd[k], i, gen);
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
pid_t run_spawn(int i, uint32_t gen)
{
	int pfd[2], out[4] = { -1, -1, -1, -1 }, err = 0;
	sigset_t all, old;
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	if (R.prefix && run_out_pipes(i, out) != 0)
		run_warn(
			"event=warning instance=%d reason=\"no pipe for --prefix: %s\"",
			i, strerror(errno));
	/*
	 * Signals blocked across fork: the child must never run our handler
	 * (it would write into the shared self-pipe as if we got the signal).
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		exec_instance(i, gen, pfd[1], out);
	}
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	run_out_adopt(i, out); /* if the fork failed, EOF ends them */
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
	run_info("event=start instance=%d pid=%d generation=%u", i, (int)pid,
		 gen);
	return pid;
}

/* SIGTERM/SIGKILL/... an instance's process group (or it, if it left). */
void run_signal_tree(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	if (kill(-pid, sig) != 0 && errno == ESRCH)
		kill(pid, sig);
}

/* Every instance, the replacement and the one it replaces (a roll). */
void run_signal_all(int sig)
{
	for (int i = 0; i < R.n; i++)
		run_signal_tree(R.inst[i].pid, sig);
	run_signal_tree(R.pending, sig);
	run_signal_tree(R.retiring, sig);
}

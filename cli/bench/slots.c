// SPDX-License-Identifier: MIT
/* reuseport bench: the group(s) on the port, as their slots say: live
 * members, and how many connections each slot was given. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "sys.h"

struct match {
	const struct bench_opts *o;
	struct bench_slots *s;
	unsigned int live;
};

/* Group names end in _PORT and start with tcp or udp (names.c). */
static bool ours(const struct bench_opts *o, const char *name)
{
	char suffix[16];
	size_t nl = strlen(name), sl;

	snprintf(suffix, sizeof(suffix), "_%u", o->port);
	sl = strlen(suffix);
	return nl > sl && !strcmp(name + nl - sl, suffix) &&
	       !strncmp(name, bench_load_udp(o->load) ? "udp" : "tcp", 3);
}

static int count_group(const char *name, const char *dir, struct rp_state *st,
		       int socks_fd, void *arg)
{
	struct match *m = arg;

	(void)dir;
	if (!ours(m->o, name))
		return 0;
	m->live += rp_group_live_slots(st, socks_fd, 0);
	if (!m->s)
		return 0;
	for (uint32_t i = 0; i < nslots(st) && i < BENCH_MAX_SLOTS; i++) {
		if (!rp_group_slot_live(socks_fd, i, NULL))
			continue;
		m->s->live[i] = true;
		m->s->selected[i] += st->slots[i].r.selected;
		m->s->n++;
	}
	return 0;
}

static unsigned int walk(const struct bench_opts *o, struct bench_slots *s)
{
	struct match m = { .o = o, .s = s };

	if (s)
		memset(s, 0, sizeof(*s));
	/* no group yet is not an error here */
	int saved = dup(2), nul = open("/dev/null", O_WRONLY);

	if (nul >= 0)
		dup2(nul, 2);
	for_each_group(count_group, &m);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (nul >= 0)
		close(nul);
	return m.live;
}

void bench_slots_read(const struct bench_opts *o, struct bench_slots *s)
{
	walk(o, s);
}

/* The shim said it runs without a group (plain SO_REUSEPORT) in log. */
static bool fell_back(const char *log)
{
	char buf[8192];
	size_t k;
	FILE *f = fopen(log, "r");

	if (!f)
		return false;
	k = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[k] = 0;
	return strstr(buf, "event=fallback") != NULL;
}

int bench_wait_members(const struct bench_opts *o, pid_t run, unsigned int n,
		       const char *log)
{
	uint64_t end = rp_now_ns() + (uint64_t)(o->ready_timeout * 1e9);
	unsigned int live = 0;
	int st;

	while (rp_now_ns() < end) {
		if (waitpid(run, &st, WNOHANG) == run) {
			fprintf(stderr,
				"reuseport bench: `reuseport run -n %u` exited (status %d) before %u member(s) registered on port %u\n",
				n, WIFEXITED(st) ? WEXITSTATUS(st) : -1, n,
				o->port);
			return -1;
		}
		live = walk(o, NULL);
		if (live >= n)
			return 0;
		if (fell_back(log)) {
			fprintf(stderr,
				"reuseport bench: the instances run without a steering group (the shim fell back to plain SO_REUSEPORT; the reason is in the log below)\n");
			return -1;
		}
		usleep(100000);
	}
	fprintf(stderr,
		"reuseport bench: %u of %u member(s) registered on %s port %u after %.1f s: does CMD listen on that port (--port)?\n",
		live, n, bench_load_udp(o->load) ? "udp" : "tcp", o->port,
		o->ready_timeout);
	return -1;
}

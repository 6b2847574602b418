// SPDX-License-Identifier: MIT
/*
 * reuseport top (status --watch): a live view of the groups, redrawn every
 * -d seconds from two consecutive snapshots: per group a line, per live
 * slot its share of the new connections of the interval as a bar, conn/s,
 * the kernel's accept queue and backlog, and its state.
 *
 * On a terminal: plain ANSI escapes (alternate screen, cursor home, clear
 * to end of line), no curses; stdin in non-canonical mode without echo so
 * 'q' quits at once; the terminal is restored on q, SIGINT, SIGTERM and
 * SIGHUP. When stdout is not a terminal, successive frames are printed
 * one after the other without escapes (-n bounds their number).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "snapshot.h"

static volatile sig_atomic_t quit;
static bool in_eof;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

struct term {
	bool tty_out, tty_in;
	struct termios saved;
	int cols;
};

static void term_size(struct term *t)
{
	struct winsize ws;

	t->cols = 100;
	if (t->tty_out && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 40)
		t->cols = ws.ws_col;
}

static void term_enter(struct term *t)
{
	struct termios raw;

	t->tty_out = isatty(STDOUT_FILENO);
	t->tty_in = t->tty_out && isatty(STDIN_FILENO) &&
		    tcgetattr(STDIN_FILENO, &t->saved) == 0;
	if (t->tty_in) {
		raw = t->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (t->tty_out)
		fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
}

static void term_leave(struct term *t)
{
	if (t->tty_out)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (t->tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

/* End of a line: clear the rest of it on a terminal. */
static void eol(FILE *f, const struct term *t)
{
	fputs(t->tty_out ? "\033[K\n" : "\n", f);
}

/* The share: a bar of width (none below 4 columns) and a percentage. */
static void bar(FILE *f, double share, int width)
{
	int n = share >= 0 ? (int)(share * width + 0.5) : 0;

	if (width < 4) {
		if (share >= 0)
			fprintf(f, "%5.1f%%", share * 100);
		else
			fprintf(f, "    -");
		return;
	}
	fputc('[', f);
	for (int i = 0; i < width; i++)
		fputc(i < n ? '#' : ' ', f);
	fputc(']', f);
	if (share >= 0)
		fprintf(f, " %5.1f%%", share * 100);
	else
		fprintf(f, "     -");
}

static void group(FILE *f, const struct term *t, const struct snap_group *g)
{
	bool tcp = g->proto[0] == 't';
	/* a slot line is 72 columns before the share, 9 around the bar */
	int width = t->cols - 81;
	char ep[80], r[32];

	if (g->selected_rate >= 0)
		snprintf(r, sizeof(r), "%.1f", g->selected_rate);
	else
		snprintf(r, sizeof(r), "-");
	fprintf(f, "%s  %s %s  %s  live %u  %s conn/s", g->name, g->proto,
		snap_endpoint(g, ep, sizeof(ep)), g->policy, g->live, r);
	eol(f, t);
	/* what the program does now, and what it did not steer */
	if (g->kernel_hash)
		fprintf(f, "  KERNEL HASH: %d unregistered, %u unsteered%s",
			g->unregistered > 0 ? g->unregistered : 0, g->unsteered,
			g->kh_outsider ? ", one seen" : "");
	else if (g->unregistered > 0)
		fprintf(f, "  steering: program; %d UNREGISTERED, NOT SERVED",
			g->unregistered);
	else
		fprintf(f, "  steering: program");
	fprintf(f, "  migrated %llu  unsteered %llu",
		(unsigned long long)g->counters[RP_CNT_MIGRATED],
		(unsigned long long)g->counters[RP_CNT_UNSTEERED]);
	eol(f, t);
	fprintf(f, "  %-5s %-5s %-8s %-5s %-9s %13s %7s %9s  %s", "INST",
		"SLOT", "PID", "GEN", "STATE", tcp ? "QUEUE/BACKLOG" : "RECVQ",
		"ACTIVE", "CONN/S",
		width < 4 ? "SHARE" : "SHARE OF NEW CONNECTIONS");
	eol(f, t);
	for (uint32_t j = 0; j < g->live; j++) {
		const struct snap_slot *o = &g->slots[j];
		char inst[16] = "-", q[32] = "-";
		double share = -1;

		if (o->instance)
			snprintf(inst, sizeof(inst), "%u", o->instance);
		if (o->kernel && tcp)
			snprintf(q, sizeof(q), "%u/%u", o->kqueue, o->kbacklog);
		else if (o->kernel)
			snprintf(q, sizeof(q), "%uB", o->kqueue);
		if (o->selected_rate >= 0)
			snprintf(r, sizeof(r), "%.1f", o->selected_rate);
		else
			snprintf(r, sizeof(r), "-");
		if (o->selected_rate >= 0 && g->selected_rate > 0)
			share = o->selected_rate / g->selected_rate;
		else if (o->selected_rate >= 0)
			share = 0;
		fprintf(f, "  %-5s %-5u %-8u %-5u %-9s %13s %7lld %9s  ", inst,
			o->slot, o->pid, o->generation, o->state, q,
			(long long)o->active, r);
		bar(f, share, width);
		eol(f, t);
	}
	eol(f, t);
}

/*
 * Cut every line of a frame to cols visible columns (a long group name, a
 * narrow terminal): a line never wraps into the next. Escape sequences
 * take no column.
 */
static void clip(char *buf, size_t *len, int cols)
{
	size_t r = 0, w = 0;
	int col = 0;

	while (r < *len) {
		char c = buf[r++];

		if (c == '\033' && r < *len && buf[r] == '[') {
			/* CSI: ESC [ parameters, then one final byte @..~ */
			buf[w++] = c;
			buf[w++] = buf[r++];
			while (r < *len) {
				char p = buf[r++];

				buf[w++] = p;
				if (p >= '@' && p <= '~')
					break;
			}
			continue;
		}
		if (c == '\n')
			col = 0;
		else if (col++ >= cols)
			continue;
		buf[w++] = c;
	}
	*len = w;
}

static void frame(const struct term *t, const struct snapshot *s, double every)
{
	char *buf = NULL, when[16];
	size_t len = 0;
	time_t now = (time_t)s->wall;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (t->tty_out)
		fputs("\033[H", f);
	fprintf(f, "reuseport top  %s  every %.1f s  %d group(s)%s", when,
		every, s->ngroups, t->tty_in ? "  q quits" : "");
	eol(f, t);
	eol(f, t);
	for (int i = 0; i < s->ngroups; i++)
		group(f, t, &s->groups[i]);
	for (int i = 0; i < s->nunsteered; i++) {
		const struct snap_port *u = &s->unsteered[i];

		fprintf(f,
			"UNSTEERED %s %s:%u: %u listeners, no group (kernel hash)",
			u->proto, u->addr, u->port, u->listeners);
		eol(f, t);
	}
	if (!s->ngroups) {
		fprintf(f, "no groups in %s", s->ns_dir);
		eol(f, t);
	}
	if (t->tty_out)
		fputs("\033[J", f);
	fclose(f);
	if (t->tty_out)
		clip(buf, &len, t->cols);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
}

/* Wait until deadline (CLOCK_MONOTONIC ns) or q; false to quit. */
static bool wait_key(const struct term *t, uint64_t deadline)
{
	struct timespec ts;

	while (!quit) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull +
			       (uint64_t)ts.tv_nsec;
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		char c[16];

		if (now >= deadline)
			return true;
		if (poll(&p, t->tty_in && !in_eof ? 1 : 0,
			 (int)((deadline - now) / 1000000) + 1) <= 0)
			continue;
		ssize_t n = read(STDIN_FILENO, c, sizeof(c));

		for (ssize_t k = 0; k < n; k++)
			if (c[k] == 'q' || c[k] == 'Q')
				return false;
		if (n <= 0)
			in_eof = true; /* keep refreshing, stop reading */
	}
	return false;
}

int cmd_top(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double every = 1;
	unsigned long frames = 0;
	struct snapshot prev, cur;
	struct term t = { 0 };
	uint64_t next;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(argv[i], "-d") &&
		    cli_parse_seconds(v, 3600, &every) && every >= 0.1) {
			i++;
		} else if (!strcmp(argv[i], "-n") &&
			   cli_parse_ulong(v, 1000000, &frames)) {
			i++;
		} else {
			return cli_usage_error(
				"top",
				"bad argument %s; accepted: -d SECONDS (0.1 or more), -n FRAMES",
				argv[i]);
		}
	}
	if (snap_take(&prev, &cfg, only_group, stderr))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	term_enter(&t);
	term_size(&t);
	frame(&t, &prev, every);
	next = prev.mono_ns;
	for (unsigned long n = 1; !frames || n < frames; n++) {
		next += (uint64_t)(every * 1e9);
		if (!wait_key(&t, next))
			break;
		if (snap_take(&cur, &cfg, only_group, NULL))
			break;
		snap_rates(&cur, &prev);
		snap_free(&prev);
		prev = cur;
		term_size(&t);
		if (!t.tty_out)
			printf("\n");
		frame(&t, &prev, every);
	}
	snap_free(&prev);
	term_leave(&t);
	return 0;
}

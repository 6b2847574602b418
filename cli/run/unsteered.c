// SPDX-License-Identifier: MIT
/*
 * reuseport run: the shared ports nobody steers. The shim of each instance
 * says why it fell back in its own event=fallback line; the supervisor
 * sees the port from outside (sock_diag: several listeners, no group,
 * snap_neighbours) and finds the cause it can check itself: bpf() refused
 * here (capabilities, a seccomp filter), or no bpffs under the pin dir.
 */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#include "cli.h"
#include "escape.h"
#include "notify.h"
#include "snapshot.h"
#include "state.h"
#include "unsteered.h"

#define CHECK_MS 5000

static void cause(char *buf, size_t len)
{
	const char *what = "";
	int err = cli_probe_bpf(&what);
	char dir[sizeof(R.cfg->pin_dir)], *slash;
	struct statfs sf;

	if (err) {
		snprintf(
			buf, len,
			"creating a %s here: %s (%s): no CAP_BPF+CAP_PERFMON, or a seccomp filter refuses bpf()",
			what, cli_errname(err), strerror(-err));
		return;
	}
	snprintf(dir, sizeof(dir), "%s", R.cfg->pin_dir);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0'; /* the pin dir may not exist yet: its parent */
	if (statfs(dir, &sf) != 0 || sf.f_type != BPF_FS_MAGIC) {
		char esc[RP_ESC_SIZE(sizeof(dir))];

		/* REUSEPORT_PIN_DIR is the environment's */
		snprintf(buf, len, "no bpf filesystem at %s",
			 rp_escape(esc, sizeof(esc), dir, sizeof(dir)));
		return;
	}
	snprintf(
		buf, len,
		"the instances' event=fallback lines say why (a foreign pin, a full group, no shim)");
}

int run_unsteered(char *ports, size_t plen, char *why, size_t wlen)
{
	struct snapshot s;
	size_t n = 0;
	int count;

	ports[0] = why[0] = '\0';
	if (snap_take(&s, R.cfg, NULL, NULL) != 0 && !s.no_bpffs) {
		snap_free(&s);
		return 0;
	}
	for (int i = 0; i < s.nunsteered && n < plen; i++) {
		const struct snap_port *u = &s.unsteered[i];
		bool v6 = !strcmp(u->family, "ipv6");
		int w = snprintf(ports + n, plen - n,
				 "%s%s %s%s%s:%u (%u listeners)", i ? ", " : "",
				 u->proto, v6 ? "[" : "", u->addr,
				 v6 ? "]" : "", u->port, u->listeners);

		n += w > 0 ? (size_t)w : 0;
	}
	count = s.nunsteered;
	if (count)
		cause(why, wlen);
	snap_free(&s);
	return count;
}

void run_unsteered_check(void)
{
	static uint64_t next;
	static char last[1024];
	char ports[sizeof(last)], why[256];

	if (!R.ready || now_ms() < next)
		return;
	next = now_ms() + CHECK_MS;
	run_unsteered(ports, sizeof(ports), why, sizeof(why));
	if (!strcmp(ports, last))
		return;
	memcpy(last, ports, sizeof(last));
	if (ports[0])
		run_warn("event=unsteered ports=\"%s\" reason=\"%s\"", ports,
			 why);
	else
		run_info(
			"event=steered reason=\"every shared port has a group\"");
	run_notify_serving();
}

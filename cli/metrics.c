// SPDX-License-Identifier: MIT
/*
 * reuseport metrics: one snapshot of the groups (snapshot.c) in the
 * Prometheus text format, or --listen: served at /metrics
 * (metrics_http.c) until SIGINT/SIGTERM.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "metrics_http.h"
#include "snapshot.h"

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int serve(const char *addr)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct rp_metrics_srv *m;
	char err[256];

	m = rp_metrics_listen(addr, &cfg, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "reuseport metrics: %s\n", err);
		return 1;
	}
	rp_metrics_only(m, only_group);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "reuseport metrics: serving http://%s/metrics\n",
		rp_metrics_addr(m));
	while (!stop) {
		struct pollfd p = { .fd = rp_metrics_fd(m), .events = POLLIN };

		poll(&p, 1, 1000);
		rp_metrics_handle(m);
	}
	rp_metrics_close(m);
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	struct snapshot s;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--listen"))
		return serve(argv[2]);
	if (argc == 2 && !strncmp(argv[1], "--listen=", 9))
		return serve(argv[1] + 9);
	if (argc > 1)
		return cli_usage_error("metrics", "unexpected argument %s",
				       argv[argc - 1]);
	if (snap_take(&s, &cfg, only_group, stderr)) {
		/* no bpffs: still the ports shared with nobody steering */
		if (s.no_bpffs)
			render_prom(stdout, &s);
		snap_free(&s);
		return 1;
	}
	if (only_group && !s.ngroups) {
		snap_free(&s);
		return 1;
	}
	ret = render_prom(stdout, &s);
	if (s.errors)
		ret = -1;
	snap_free(&s);
	return ret ? 1 : 0;
}

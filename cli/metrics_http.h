/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics over HTTP/1.0 and 1.1 for `reuseport metrics --listen` and
 * `reuseport run --metrics`: one non-blocking server driven by its
 * caller's loop. Every scrape takes a fresh snapshot (snapshot.h) and
 * answers with the Prometheus text format; any other path gets 404, any
 * other method 405; a request that does not end within 8 KiB gets 431, a
 * client silent for 10 s is dropped. Each response closes its connection.
 * A bad client never stops the server: errors on a connection close only
 * that connection.
 */
#ifndef RP_METRICS_HTTP_H
#define RP_METRICS_HTTP_H

#include <stddef.h>

#include "config.h"

struct rp_metrics_srv;

/*
 * Listen on ADDR:PORT, [IPv6]:PORT or :PORT (0.0.0.0). NULL on failure,
 * with the reason in err.
 */
struct rp_metrics_srv *rp_metrics_listen(const char *spec,
					 const struct rp_config *cfg, char *err,
					 size_t errlen);
/* Poll this fd for POLLIN; call rp_metrics_handle when it is readable. */
int rp_metrics_fd(const struct rp_metrics_srv *m);
/* Accept, read, answer what is ready; never blocks. */
void rp_metrics_handle(struct rp_metrics_srv *m);
/* Serve only the groups that match spec (as --group SPEC); NULL: all. */
void rp_metrics_only(struct rp_metrics_srv *m, const char *spec);
/* The address actually bound ("127.0.0.1:9470"). */
const char *rp_metrics_addr(const struct rp_metrics_srv *m);
void rp_metrics_close(struct rp_metrics_srv *m);

#endif

// SPDX-License-Identifier: MIT
/*
 * The group library (libreuseport-steer.so), found beside libreuseport.so
 * and loaded on the first registration: a process that never listens
 * never maps libbpf.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "group.h"
#include "log.h"
#include "shim.h"
#include "shim_impl.h"

#define STEER_LIB "libreuseport-steer.so"

const struct rp_steer_api *rp_steer;
static bool steer_failed;

const struct rp_steer_api *rp_load_steer(void)
{
	/* the install path and dlerror() are the system's, not ours */
	char path[PATH_MAX], shown[RP_ESC_SIZE(512)];
	const struct rp_steer_api *api;
	Dl_info info;
	void *h;
	char *slash;

	if (rp_steer || steer_failed)
		return rp_steer;
	steer_failed = true;
	if (!dladdr((void *)rp_init, &info) || !info.dli_fname) {
		pr_warn("event=fallback reason=\"cannot locate libreuseport.so to find %s\"",
			STEER_LIB);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s", info.dli_fname);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path),
			 "%s", STEER_LIB);
	else
		snprintf(path, sizeof(path), "%s", STEER_LIB);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		pr_warn("event=fallback errno=ELIBACC reason=\"cannot load the steering library: %s\" action=\"plain SO_REUSEPORT (kernel hash)\"",
			rp_escape(shown, sizeof(shown), dlerror(), 512));
		return NULL;
	}
	api = dlsym(h, RP_STEER_API_SYMBOL);
	if (!api || api->abi != RP_STEER_ABI ||
	    api->state_size != sizeof(struct rp_state)) {
		pr_warn("event=fallback errno=ELIBACC reason=\"%s does not match this libreuseport.so (reinstall both together)\" action=\"plain SO_REUSEPORT (kernel hash)\"",
			rp_escape(shown, sizeof(shown), path, 512));
		return NULL;
	}
	api->init(&rp_cfg);
	rp_steer = api;
	steer_failed = false;
	return rp_steer;
}

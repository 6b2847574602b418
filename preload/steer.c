// SPDX-License-Identifier: MIT
/*
 * The steering library (libreuseport-steer.so), loaded on the first
 * registration, and what every registration path shares: the group key of
 * a socket, and the one warning line per group and process.
 */
#include <dlfcn.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "group.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "shim_impl.h"
#include "names.h"

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

#define STEER_LIB "libreuseport-steer.so"

const struct rp_steer_api *rp_steer;
static bool steer_failed;

static const char *errno_name(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENOSPC:
		return "ENOSPC";
	case ENOMEDIUM:
		return "ENOMEDIUM";
	case EPROTO:
		return "EPROTO";
	case ELIBACC:
		return "ELIBACC";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case ENOMEM:
		return "ENOMEM";
	case EBUSY:
		return "EBUSY";
	default:
		return strerrorname_np(err) ? strerrorname_np(err) : "EIO";
	}
}

int rp_make_key(int fd, uint32_t kind, const struct sockaddr *sa,
		struct rp_group_key *key)
{
	int v6only = 0, ifindex = 0;
	socklen_t len = sizeof(int);

	memset(key, 0, sizeof(*key));
	key->proto = kind == RP_FD_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	key->family = sa->sa_family;
	key->port = rp_port_of(sa);
	if (sa->sa_family == AF_INET6 &&
	    libc.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) != 0)
		v6only = 0;
	len = sizeof(int);
	if (libc.getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len) !=
	    0)
		ifindex = 0;
	memcpy(&key->addr, sa,
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in));
	key->ifindex = ifindex;
	key->v6only = v6only != 0;
	return rp_group_name(key->name, sizeof(key->name), key->proto, sa,
			     v6only != 0, ifindex) < 0 ?
		       -EINVAL :
		       0;
}

const struct rp_steer_api *rp_load_steer(void)
{
	char path[PATH_MAX];
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
			dlerror());
		return NULL;
	}
	api = dlsym(h, RP_STEER_API_SYMBOL);
	if (!api || api->abi != RP_STEER_ABI ||
	    api->state_size != sizeof(struct rp_state)) {
		pr_warn("event=fallback errno=ELIBACC reason=\"%s does not match this libreuseport.so (reinstall both together)\" action=\"plain SO_REUSEPORT (kernel hash)\"",
			path);
		return NULL;
	}
	api->init(&rp_cfg);
	rp_steer = api;
	steer_failed = false;
	return rp_steer;
}

/*
 * Warn once per group and process: a server that listens many times on one
 * port (or restarts its listener) must not flood the log.
 */
static bool first_warning(const char *name)
{
	static char warned[16][96];
	static unsigned int nwarned;
	unsigned int i;

	for (i = 0; i < nwarned && i < 16; i++)
		if (!strcmp(warned[i], name))
			return false;
	if (nwarned < 16)
		snprintf(warned[nwarned++], sizeof(warned[0]), "%s", name);
	return true;
}

static const char *reason_of(int err)
{
	if (err == -ELIBACC || !rp_steer)
		return "reason=\"the steering library is not available\"";
	return rp_steer->last_error();
}

void rp_report(const struct rp_group_key *key, const char *call, int err,
	       const char *action)
{
	if (rp_cfg.strict)
		pr_err("event=strict_fail group=%s call=%s errno=%s %s",
		       key->name, call, errno_name(-err), reason_of(err));
	else if (first_warning(key->name))
		pr_warn("event=fallback group=%s errno=%s %s action=\"%s\"",
			key->name, errno_name(-err), reason_of(err), action);
}

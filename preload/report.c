// SPDX-License-Identifier: MIT
/*
 * What a registration that failed says: one line per group and process
 * (a warning and the fallback taken), or with REUSEPORT_STRICT=1 the error
 * of the call that fails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "group.h"
#include "log.h"
#include "shim_impl.h"

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

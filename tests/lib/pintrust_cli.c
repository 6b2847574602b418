// SPDX-License-Identifier: MIT
/*
 * Driver for the pin-tree trust rules (common/pintrust.c), for the
 * attack tests: prints what a root process would accept or refuse.
 *
 *   pintrust_cli dir PATH [--trust-from DIR] [--euid UID] [--group GID]
 *                [--create]
 *   pintrust_cli open DIR NAME [--euid UID] [--group GID]
 *   pintrust_cli remove DIR NAME      (DIR checked with trust_from=DIR)
 *   pintrust_cli log PATH
 *   pintrust_cli tmpname NAME
 *
 * Prints one line, "ok: ..." (exit 0) or "refused: err=ENAME path=...
 * reason=..." (exit 1); usage errors exit 2. --trust-from defaults to
 * $REUSEPORT_PIN_DIR, else /sys/fs/bpf/reuseport when PATH is below it,
 * else PATH itself; --euid defaults to this process's euid.
 *
 * Linked with the code under test (Makefile: HELPER_LINK_pintrust_cli).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pintrust.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: pintrust_cli dir PATH [--trust-from DIR] [--euid UID] [--group GID] [--create]\n"
		"       pintrust_cli open DIR NAME [--euid UID] [--group GID]\n"
		"       pintrust_cli remove DIR NAME\n"
		"       pintrust_cli log PATH\n"
		"       pintrust_cli tmpname NAME\n");
	return 2;
}

static int report(int ret, const char *what, const char *why)
{
	if (ret >= 0) {
		printf("ok: %s\n", what);
		return 0;
	}
	printf("refused: err=%s %s\n", strerrorname_np(-ret), why);
	return 1;
}

static const char *under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0'))
		return dir;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *cmd, *path, *name = NULL, *trust = NULL;
	uid_t euid = geteuid();
	gid_t gid = (gid_t)-1;
	bool create = false;
	char why[1024], what[PATH_MAX + 64];
	int i, ret, fd;

	if (argc < 3)
		return usage();
	cmd = argv[1];
	path = argv[2];
	i = 3;
	if (!strcmp(cmd, "open") || !strcmp(cmd, "remove")) {
		if (argc < 4)
			return usage();
		name = argv[3];
		i = 4;
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--create"))
			create = true;
		else if (!strcmp(argv[i], "--trust-from") && i + 1 < argc)
			trust = argv[++i];
		else if (!strcmp(argv[i], "--euid") && i + 1 < argc)
			euid = (uid_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--group") && i + 1 < argc)
			gid = (gid_t)strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (!trust) {
		const char *env = getenv("REUSEPORT_PIN_DIR");

		if (env && *env && under(path, env))
			trust = env;
		else if (under(path, "/sys/fs/bpf/reuseport"))
			trust = "/sys/fs/bpf/reuseport";
		else
			trust = path;
	}

	if (!strcmp(cmd, "dir")) {
		fd = rp_trusted_dir(path, trust, euid, gid, create, why,
				    sizeof(why));
		snprintf(what, sizeof(what), "path=%s trusted (trust_from=%s)",
			 path, trust);
		if (fd >= 0)
			close(fd);
		return report(fd, what, why);
	}
	if (!strcmp(cmd, "open") || !strcmp(cmd, "remove")) {
		int dfd = rp_trusted_dir(path, path, euid, gid, false, why,
					 sizeof(why));

		if (dfd < 0)
			return report(dfd, "", why);
		if (!strcmp(cmd, "open")) {
			ret = rp_trusted_openat(dfd, name, O_PATH, euid, gid,
						why, sizeof(why));
			if (ret >= 0)
				close(ret);
			snprintf(what, sizeof(what), "path=%s/%s trusted", path,
				 name);
		} else {
			ret = rp_remove_group_dirat(dfd, name, why,
						    sizeof(why));
			snprintf(what, sizeof(what), "path=%s/%s removed", path,
				 name);
		}
		close(dfd);
		return report(ret, what, why);
	}
	if (!strcmp(cmd, "log")) {
		fd = rp_open_log_file(path, why, sizeof(why));
		snprintf(what, sizeof(what), "path=%s opened for appending",
			 path);
		if (fd >= 0)
			close(fd);
		return report(fd, what, why);
	}
	if (!strcmp(cmd, "tmpname")) {
		ret = rp_tmp_name(what, sizeof(what), path);
		if (ret == 0)
			printf("ok: %s\n", what);
		else
			printf("refused: err=%s\n", strerrorname_np(-ret));
		return ret ? 1 : 0;
	}
	return usage();
}

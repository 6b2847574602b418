// SPDX-License-Identifier: MIT
/*
 * Another process's sockets, for registering them on its behalf (reuseport
 * run's cgroup mode, reuseport adopt): a copy of one of its fds, the
 * configuration its shim would read from its environment, and whether the
 * shim in it handles its sockets itself.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "rawsys.h"
#include "sys.h"

int cli_copy_fd(pid_t pid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), copy, err;

	copy = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	if (pidfd >= 0)
		close(pidfd);
	return copy < 0 ? -err : copy;
}

/* pid's environment, as the shim in it would read it */
static char env_buf[65536];
static ssize_t env_len;

static const char *env_get(const char *name)
{
	size_t len = strlen(name);

	for (ssize_t i = 0; i < env_len; i += (ssize_t)strlen(env_buf + i) + 1)
		if (!strncmp(env_buf + i, name, len) && env_buf[i + len] == '=')
			return env_buf + i + len + 1;
	return NULL;
}

/*
 * The configuration pid's shim would have: its REUSEPORT_* environment
 * (policy, weight, role, instance and generation run gave it...). False
 * when it says REUSEPORT_DISABLE=1 or has a bad value: the shim would
 * leave its sockets alone.
 */
bool cli_owner_config(pid_t pid, struct rp_config *cfg)
{
	char p[64];
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	env_len = fd >= 0 ? read(fd, env_buf, sizeof(env_buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (env_len < 0)
		return false;
	env_buf[env_len] = '\0';
	rp_config_parse(cfg, env_get, false);
	return !cfg->disabled && !cfg->invalid;
}

/*
 * Is pid's executable a Go program (a .note.go.buildid section)? Go makes
 * its system calls itself: the shim may be loaded and see none of them.
 */
static bool go_binary(pid_t pid)
{
	char p[64], names[4096];
	Elf64_Ehdr eh;
	Elf64_Shdr sh, str;
	bool go = false;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	    eh.e_shentsize == sizeof(sh) && eh.e_shstrndx < eh.e_shnum &&
	    pread(fd, &str, sizeof(str),
		  (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof(sh))) ==
		    (ssize_t)sizeof(str)) {
		ssize_t n = pread(fd, names, sizeof(names) - 1,
				  (off_t)str.sh_offset);

		names[n > 0 ? n : 0] = '\0';
		for (int i = 0; n > 0 && !go && i < eh.e_shnum && i < 256; i++)
			go = pread(fd, &sh, sizeof(sh),
				   (off_t)(eh.e_shoff +
					   (size_t)i * sizeof(sh))) ==
				     (ssize_t)sizeof(sh) &&
			     sh.sh_name < (size_t)n &&
			     !strcmp(names + sh.sh_name, ".note.go.buildid");
	}
	close(fd);
	return go;
}

/*
 * Does the shim handle pid's sockets (it registers its own, or chose not
 * to, e.g. the application steers itself)? Loaded, and not in a Go
 * program.
 */
bool cli_shim_handles(pid_t pid)
{
	return rp_pid_maps_shim(pid) && !go_binary(pid);
}

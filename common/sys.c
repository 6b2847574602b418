// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "rawsys.h"
#include "sys.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

uint32_t rp_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

int rp_netns(uint64_t *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) != 0)
		return -errno;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

ssize_t rp_proc_read(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	rp_raw_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

bool rp_proc_status(pid_t pid, const char *key, char *val, size_t len)
{
	char buf[4096], *p;
	size_t k = strlen(key);

	if (rp_proc_read(pid, "status", buf, sizeof(buf)) < 0)
		return false;
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ':') {
			p += k + 1 + strspn(p + k + 1, " \t");
			snprintf(val, len, "%.*s", (int)strcspn(p, "\n"), p);
			return true;
		}
	return false;
}

const char *rp_proc_stat_fields(pid_t pid, char *buf, size_t len, char *comm,
				size_t clen)
{
	char *open_paren, *close_paren;

	if (rp_proc_read(pid, "stat", buf, len) < 0)
		return NULL;
	/* comm may contain anything, even ')': the last one ends it */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    close_paren[1] != ' ')
		return NULL;
	if (comm)
		snprintf(comm, clen, "%.*s",
			 (int)(close_paren - open_paren - 1), open_paren + 1);
	return close_paren + 2;
}

bool rp_proc_stat(pid_t pid, pid_t *ppid, pid_t *pgrp, char *state)
{
	char buf[512];
	const char *f = rp_proc_stat_fields(pid, buf, sizeof(buf), NULL, 0);
	int pp, pg;

	if (!f || sscanf(f, "%c %d %d", state, &pp, &pg) != 3)
		return false;
	*ppid = pp;
	*pgrp = pg;
	return true;
}

bool rp_pid_gone(pid_t pid)
{
	pid_t ppid, pgrp;
	char state;

	if (kill(pid, 0) != 0)
		return errno == ESRCH;
	if (!rp_proc_stat(pid, &ppid, &pgrp, &state))
		return false;
	return state == 'Z' || state == 'X';
}

int rp_proc_sockets(pid_t pid, bool (*fn)(unsigned long ino, int fd, void *arg),
		    void *arg)
{
	char path[64], fdpath[96], link[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long ino;
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1 &&
		    !fn(ino, atoi(e->d_name), arg))
			break;
	}
	closedir(d);
	return 0;
}

bool rp_pid_maps_shim(pid_t pid)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libreuseport.so") != NULL;
	fclose(f);
	return found;
}

int rp_is_bpffs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0)
		return -errno;
	return (unsigned long)sf.f_type == (unsigned long)BPF_FS_MAGIC;
}

bool rp_ephemeral_ports(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	unsigned int l, h;
	ssize_t n;
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range",
		      O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	rp_raw_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%u %u", &l, &h) != 2 || !l || l > h || h > 65535)
		return false;
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return true;
}

uint64_t rp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

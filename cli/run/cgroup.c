// SPDX-License-Identifier: MIT
/*
 * reuseport run --mode cgroup|auto: steering for what LD_PRELOAD cannot
 * reach (static and Go binaries, raw system calls, io_uring). The
 * instances run in a cgroup v2 directory of their own, to which the
 * supervisor attaches bpf/cgroup.bpf.c: its bind hooks set SO_REUSEPORT on
 * the ports in scope, so a static binary's second instance binds where a
 * preloaded one would; the supervisor adopts every listener of its
 * instances that nobody registered (a copy by pidfd_getfd, a slot in its
 * group, the program attached through the copy) and tags it, so that the
 * kernel counts the closes of its connections (cgroup/sock_release).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "escape.h"
#include "cgroup.skel.h"
#include "cli.h"
#include "group.h"
#include "kdiag.h"
#include "state.h"
#include "sys.h"
#include "tree.h"

#define ADOPT_EVERY_MS 100
#define MAX_CAND 256
#define MAX_KNOWN 4096

static struct {
	bool on;
	char dir[PATH_MAX];
	struct cgroup_bpf *skel;
	struct bpf_link *links[4];
	uint64_t next_ms;
	/* listeners seen unregistered at the last look: adopted at this one */
	uint64_t seen[MAX_CAND];
	int nseen;
	/* listeners whose adoption failed, said once (first_failure) */
	uint64_t failed[MAX_CAND];
	int nfailed;
} C;

struct cand {
	uint64_t cookie;
	uint32_t inode;
	int proto;
	pid_t pid;
	int fd;
	bool tag_only; /* registered by the shim: only tag it for counting */
};

/* The cgroup v2 mount and this process's place in it: 0 or -errno. */
static int v2_dir(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX] = "", path[PATH_MAX] = "";
	FILE *f = fopen("/proc/mounts", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s cgroup2", mnt) == 1 &&
		    strstr(line, " cgroup2 "))
			break;
		else
			mnt[0] = '\0';
	if (f)
		fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, sizeof(path), "%s", line + 3);
			path[strcspn(path, "\n")] = '\0';
		}
	if (f)
		fclose(f);
	if (!mnt[0] || !path[0])
		return -ENOENT;
	if ((size_t)snprintf(out, len, "%s%s", mnt,
			     strcmp(path, "/") ? path : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* bit p of the scope of proto: the ports the shim would take */
static void fill_scope(volatile __u32 *scope, int proto)
{
	uint16_t lo = 0, hi = 0;
	bool eph = proto == IPPROTO_UDP && R.cfg->all_ports &&
		   rp_ephemeral_ports(&lo, &hi);

	for (uint32_t p = 1; p < 65536; p++)
		if (rp_config_port_in_scope(R.cfg, proto, (uint16_t)p) &&
		    !(eph && p >= lo && p <= hi))
			scope[p / 32] |= 1u << (p % 32);
}

int run_cgroup_setup(char *why, size_t len)
{
	struct bpf_program *progs[4];
	char base[PATH_MAX];
	int err, cgfd, groups;

	err = v2_dir(base, sizeof(base));
	if (err) {
		snprintf(
			why, len,
			"reason=\"no cgroup v2 hierarchy mounted (/proc/mounts)\"");
		return err;
	}
	snprintf(C.dir, sizeof(C.dir), "%s/reuseport-run.%d", base,
		 (int)getpid());
	if (mkdir(C.dir, 0755) != 0 && errno != EEXIST) {
		err = -errno;
		snprintf(why, len, "reason=\"cannot create the cgroup %s: %s\"",
			 C.dir, strerror(errno));
		return err;
	}
	groups = rp_netns_groups_fd(R.cfg, IPPROTO_TCP);
	C.skel = cgroup_bpf__open();
	if (groups < 0 || !C.skel) {
		err = groups < 0 ? groups : -errno;
		snprintf(why, len, "%s",
			 groups < 0 ?
				 rp_group_last_error() :
				 "reason=\"cannot open the cgroup programs\"");
		goto fail;
	}
	fill_scope(C.skel->rodata->tcp_scope, IPPROTO_TCP);
	fill_scope(C.skel->rodata->udp_scope, IPPROTO_UDP);
	err = bpf_map__reuse_fd(C.skel->maps.groups, groups);
	if (!err)
		err = cgroup_bpf__load(C.skel);
	if (err) {
		snprintf(why, len,
			 "reason=\"cannot load the cgroup programs: %s\"",
			 strerror(-err));
		goto fail;
	}
	cgfd = open(C.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	progs[0] = C.skel->progs.rp_bind4;
	progs[1] = C.skel->progs.rp_bind6;
	progs[2] = C.skel->progs.rp_sockops;
	progs[3] = C.skel->progs.rp_release;
	for (int k = 0; k < 4 && cgfd >= 0; k++) {
		C.links[k] = bpf_program__attach_cgroup(progs[k], cgfd);
		if (!C.links[k]) {
			err = -errno;
			snprintf(
				why, len,
				"reason=\"cannot attach %s to the cgroup %s: %s\"",
				bpf_program__name(progs[k]), C.dir,
				strerror(errno));
			break;
		}
	}
	if (cgfd < 0) {
		err = -errno;
		snprintf(why, len, "reason=\"cannot open the cgroup %s: %s\"",
			 C.dir, strerror(errno));
	} else {
		close(cgfd);
	}
	if (err)
		goto fail;
	close(groups);
	C.on = true;
	return 0;
fail:
	if (groups >= 0)
		close(groups);
	run_cgroup_close();
	return err ? err : -EINVAL;
}

const char *run_cgroup_dir(void)
{
	return C.on ? C.dir : NULL;
}

void run_cgroup_enter(void)
{
	char p[PATH_MAX + 16];
	int fd;

	if (!C.on)
		return;
	snprintf(p, sizeof(p), "%s/cgroup.procs", C.dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		char dir[RP_ESC_SIZE(PATH_MAX)];
		int e = errno;

		/*
		 * The supervisor's logger (journal priority, key=value), from
		 * the child: its bind may fail without the cgroup.
		 */
		run_warn(
			"event=warning pid=%d reason=\"cannot enter the cgroup %s: %s\"",
			(int)getpid(),
			rp_escape(dir, sizeof(dir), C.dir, PATH_MAX),
			strerror(e));
	}
	if (fd >= 0)
		close(fd);
}

void run_cgroup_close(void)
{
	for (int k = 0; k < 4; k++) {
		bpf_link__destroy(C.links[k]);
		C.links[k] = NULL;
	}
	cgroup_bpf__destroy(C.skel);
	C.skel = NULL;
	if (C.dir[0] && rmdir(C.dir) != 0 && errno != ENOENT)
		run_warn(
			"event=warning reason=\"cannot remove the cgroup %s: %s\"",
			C.dir, strerror(errno));
	C.dir[0] = '\0';
	C.on = false;
}

/*
 * Cookies of every registered socket of this namespace's groups, and
 * whether the kernel counts its connections yet (TCP).
 */
struct known {
	uint64_t c[MAX_KNOWN];
	bool counted[MAX_KNOWN];
	int n;
};

static void known_one(const struct rp_group_view *g, void *arg)
{
	struct known *k = arg;
	uint32_t n;
	uint64_t cookie;

	if (g->err)
		return;
	n = rp_nslots(g->st);
	for (uint32_t i = 0; i < n && k->n < MAX_KNOWN; i++)
		if (rp_group_slot_live(g->socks_fd, i, &cookie)) {
			k->counted[k->n] =
				g->st->meta->proto != IPPROTO_TCP ||
				(g->st->slots[i].r.flags & RP_SLOT_KCOUNT);
			k->c[k->n++] = cookie;
		}
}

/* -1: not registered, 0: registered, 1: and counted by the kernel */
static int known_has(const struct known *k, uint64_t c)
{
	for (int i = 0; i < k->n; i++)
		if (k->c[i] == c)
			return k->counted[i];
	return -1;
}

/* Listeners in scope that no group has registered. */
static int candidates(struct cand *out, int max)
{
	static struct known k;
	static struct rp_kmember km[MAX_CAND];
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	static const int fams[] = { AF_INET, AF_INET6 };
	char ns[PATH_MAX];
	int n = 0;

	k.n = 0;
	if (rp_group_ns_dir(R.cfg, ns, sizeof(ns)) == 0)
		rp_walk_groups(ns, false, known_one, &k);
	for (int p = 0; p < 2; p++)
		for (int f = 0; f < 2; f++) {
			int m = rp_kernel_all_listeners(protos[p], fams[f], km,
							MAX_CAND);

			for (int i = 0; i < m && i < MAX_CAND && n < max; i++) {
				int has = known_has(&k, km[i].cookie);
				bool eph = false;
				uint16_t lo, hi;

				if (protos[p] == IPPROTO_UDP &&
				    R.cfg->all_ports &&
				    rp_ephemeral_ports(&lo, &hi))
					eph = km[i].port >= lo &&
					      km[i].port <= hi;
				if (!km[i].port || eph ||
				    !rp_config_port_in_scope(R.cfg, protos[p],
							     km[i].port) ||
				    has > 0)
					continue;
				out[n++] = (struct cand){
					km[i].cookie, km[i].inode, protos[p], 0,
					-1,	      has == 0
				};
			}
		}
	return n;
}

struct owning {
	struct cand *c;
	int n;
	pid_t pid;
};

static bool own_one(unsigned long ino, int fd, void *arg)
{
	struct owning *o = arg;

	for (int i = 0; i < o->n; i++)
		if (o->c[i].inode == ino && !o->c[i].pid) {
			o->c[i].pid = o->pid;
			o->c[i].fd = fd;
		}
	return true;
}

/* Which process of the cgroup holds each candidate, and as which fd. */
static void owners(struct cand *c, int n)
{
	char p[PATH_MAX + 32];
	struct owning o = { c, n, 0 };
	FILE *procs;
	int pid;

	snprintf(p, sizeof(p), "%s/cgroup.procs", C.dir);
	procs = fopen(p, "re");
	while (procs && fscanf(procs, "%d", &pid) == 1) {
		o.pid = pid;
		rp_proc_sockets(pid, own_one, &o);
	}
	if (procs)
		fclose(procs);
}

/*
 * A failed adoption is tried again at every look (what refused may
 * change), said once per listener: at warn the first time, then at debug.
 */
static enum rp_log_level first_failure(const struct cand *c)
{
	for (int k = 0; k < C.nfailed; k++)
		if (C.failed[k] == c->cookie)
			return RP_LOG_DEBUG;
	if (C.nfailed < MAX_CAND)
		C.failed[C.nfailed++] = c->cookie;
	else
		C.failed[c->cookie % MAX_CAND] = c->cookie;
	return RP_LOG_WARN;
}

static void copy_failed(const struct cand *c, int err)
{
	rp_log(first_failure(c),
	       "event=adopt_failed pid=%d fd=%d errno=%s reason=\"cannot take a copy of the listener (pidfd_getfd)\"",
	       (int)c->pid, c->fd, strerrorname_np(-err));
}

/*
 * Tag the TCP listener fd (a copy) of slot m so that the kernel counts its
 * connections, then tell the hooks to leave them to it.
 */
static void count_in_kernel(int fd, const struct rp_member *m,
			    const char *group)
{
	struct rp_tag t = { .group = m->state->meta->index,
			    .slot = (uint32_t)m->slot,
			    .cookie = m->cookie };

	if (bpf_map_update_elem(bpf_map__fd(C.skel->maps.tags), &fd, &t,
				BPF_ANY) != 0) {
		run_warn(
			"event=warning group=%s slot=%d reason=\"cannot tag the listener for the kernel's counting: %s\"",
			group, m->slot, strerror(errno));
		return;
	}
	__atomic_fetch_or(&m->slotp->r.flags, RP_SLOT_KCOUNT, __ATOMIC_RELAXED);
}

/* The shim registered c's listener: only the kernel's counting is added. */
static void tag_registered(const struct cand *c)
{
	struct rp_group_key key;
	struct rp_handle h;
	struct rp_member m = { 0 };
	int fd = cli_copy_fd(c->pid, c->fd);

	if (fd < 0) {
		copy_failed(c, fd);
		return;
	}
	if (!rp_group_key_of(fd, &key) && !rp_group_open(R.cfg, &key, &h)) {
		for (uint32_t i = 0; i < rp_nslots(h.st); i++)
			if (h.st->slots[i].r.cookie == c->cookie) {
				m = (struct rp_member){
					.slot = (int)i,
					.cookie = c->cookie,
					.state = h.st,
					.slotp = &h.st->slots[i]
				};
				count_in_kernel(fd, &m, key.name);
				run_info(
					"event=count group=%s slot=%u pid=%d reason=\"the kernel counts its connections (accepts through io_uring or raw system calls are not seen by the shim)\"",
					key.name, i, (int)c->pid);
				break;
			}
		rp_group_close(&h);
	}
	close(fd);
}

/* 1 if c's listener is registered now */
static int adopt(const struct cand *c)
{
	struct rp_config cfg;
	struct rp_group_key key;
	struct rp_member m;
	int fd, err;

	/* auto: the shim's processes register themselves, or chose not to */
	if (!cli_owner_config(c->pid, &cfg) ||
	    (R.mode == MODE_AUTO && cli_shim_handles(c->pid)))
		return 0;
	cfg.defer_truth = true;
	fd = cli_copy_fd(c->pid, c->fd);
	if (fd < 0) {
		copy_failed(c, fd);
		return 0;
	}
	err = rp_group_adopt(&cfg, fd, c->pid, &key, &m);
	if (err) {
		rp_log(first_failure(c),
		       "event=adopt_failed pid=%d fd=%d errno=%s %s",
		       (int)c->pid, c->fd, strerrorname_np(-err),
		       rp_group_last_error());
	} else {
		if (c->proto == IPPROTO_TCP)
			count_in_kernel(fd, &m, key.name);
		run_info(
			"event=adopt instance=%u pid=%d fd=%d group=%s slot=%d reason=\"a listener the shim did not register (a static or Go binary, raw system calls)\"",
			cfg.instance, (int)c->pid, c->fd, key.name, m.slot);
	}
	close(fd);
	return !err;
}

void run_cgroup_tick(void)
{
	static struct cand c[MAX_CAND];
	uint64_t next[MAX_CAND];
	int n, nnext = 0, adopted = 0;

	if (!C.on || now_ms() < C.next_ms)
		return;
	C.next_ms = now_ms() + ADOPT_EVERY_MS;
	n = candidates(c, MAX_CAND);
	if (n > 0)
		owners(c, n);
	for (int i = 0; i < n; i++) {
		bool again = false;

		if (!c[i].pid)
			continue; /* not one of ours */
		if (c[i].tag_only) {
			tag_registered(&c[i]);
			continue;
		}
		for (int k = 0; k < C.nseen && !again; k++)
			again = C.seen[k] == c[i].cookie;
		/* a preloaded instance registers its own: give it a look */
		if (again)
			adopted += adopt(&c[i]);
		else
			next[nnext++] = c[i].cookie;
	}
	/* the kernel truth once every listener found is in */
	if (adopted)
		run_check_groups();
	memcpy(C.seen, next, (size_t)nnext * sizeof(*next));
	C.nseen = nnext;
}

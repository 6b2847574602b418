// SPDX-License-Identifier: MIT
/*
 * Pinned reuseport groups. A group directory is built complete in a private
 * temporary directory and published with one renameat2(RENAME_NOREPLACE),
 * so concurrent first starts never see half a group: the loser of the race
 * removes its copy and opens the winner's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <uthash.h>

#include "group.h"
#include "log.h"
#include "steer.skel.h"

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

_Static_assert(sizeof(struct rp_slot) == 256, "slot is four cache lines");
_Static_assert(sizeof(struct rp_hdr) % 64 == 0, "header is cache aligned");

/* Groups this process joined, keyed by directory path. */
struct rp_group {
	char dir[PATH_MAX];
	struct rp_state *state;
	uint32_t state_id;
	UT_hash_handle hh;
};

static struct rp_group *groups;

/* Reason of the last failure, for the caller's single log line. */
static char last_error[512];

__attribute__((format(printf, 1, 2))) static void set_error(const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *rp_group_last_error(void)
{
	return last_error;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	char buf[512];
	size_t n;

	if (!rp_log_enabled(RP_LOG_DEBUG))
		return 0;
	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	pr_debug("event=libbpf msg=\"%s\"", buf);
	return 0;
}

void rp_group_lib_init(const struct rp_config *cfg)
{
	rp_log_setup(cfg->log_level, cfg->log_file);
	libbpf_set_print(libbpf_print_fn);
}

size_t rp_state_map_len(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return (sizeof(struct rp_state) + (size_t)page - 1) &
	       ~((size_t)page - 1);
}

void rp_group_unmap(struct rp_state *state)
{
	if (state)
		munmap(state, rp_state_map_len());
}

static int close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		syscall(SYS_close, fd);
	errno = saved;
	return -1;
}

int rp_group_ns_dir(const struct rp_config *cfg, char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st) != 0) {
		set_error(
			"reason=\"cannot identify the network namespace (stat /proc/self/ns/net: %s); is /proc mounted?\"",
			strerror(errno));
		return -ENOENT;
	}
	n = snprintf(buf, len, "%s/v%d/%lu", cfg->pin_dir, RP_LAYOUT,
		     (unsigned long)st.st_ino);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The nearest existing ancestor of path must be on bpffs. */
static int check_bpffs(const char *path)
{
	char p[PATH_MAX];
	struct statfs sf;
	char *slash;

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		if (statfs(p, &sf) == 0)
			break;
		if (errno != ENOENT) {
			int err = errno;

			set_error(
				"path=%s reason=\"cannot inspect the pin directory: %s\"",
				p, strerror(err));
			return err == EACCES ? -EACCES : -ENOMEDIUM;
		}
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return -ENOMEDIUM;
		*slash = '\0';
	}
	if ((unsigned long)sf.f_type != (unsigned long)BPF_FS_MAGIC) {
		set_error(
			"path=%s reason=\"REUSEPORT_PIN_DIR %s is not on a bpf filesystem (mount one: mount -t bpf bpf /sys/fs/bpf, or run: reuseport setup)\"",
			p, path);
		return -ENOMEDIUM;
	}
	return 0;
}

/* bpffs refuses names with a '.' (reserved by the kernel) with EPERM. */
static int mkdir_err(const char *p)
{
	const char *base = strrchr(p, '/');

	if (errno == EPERM && base && strchr(base, '.'))
		set_error(
			"path=%s reason=\"bpffs does not allow '.' in file names; choose a REUSEPORT_PIN_DIR without dots below the mount\"",
			p);
	else
		set_error(
			"path=%s reason=\"cannot create the pin directory: %s\"",
			p, strerror(errno));
	return errno == EACCES || errno == EPERM ? -EACCES : -errno;
}

static int mkdir_p(const char *path)
{
	char p[PATH_MAX];
	char *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return mkdir_err(p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return mkdir_err(p);
	return 0;
}

static int obj_get(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

/* The program must be ours and use exactly these two maps. */
static bool prog_matches(int prog_fd, __u32 socks_id, __u32 state_id)
{
	struct bpf_prog_info info;
	__u32 ids[8] = { 0 };
	__u32 len = sizeof(info);
	bool s = false, t = false;
	__u32 i;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
		return false;
	if (info.type != BPF_PROG_TYPE_SK_REUSEPORT)
		return false;
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		s |= ids[i] == socks_id;
		t |= ids[i] == state_id;
	}
	return s && t;
}

static void *map_state(int fd)
{
	void *p = mmap(NULL, rp_state_map_len(), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int rp_group_open_dir(const char *dir, struct rp_state **state, int *socks_fd,
		      int *prog_fd)
{
	int sfd = -1, tfd = -1, pfd = -1, err;
	struct bpf_map_info si, ti;
	struct rp_state *st = NULL;
	const char *what = "";
	struct stat sb;

	/* No directory: no group yet. A directory missing a pin is foreign. */
	if (stat(dir, &sb) != 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	sfd = obj_get(dir, "socks");
	if (sfd < 0) {
		what = "socks";
		goto fail_errno;
	}
	tfd = obj_get(dir, "state");
	if (tfd < 0) {
		what = "state";
		goto fail_errno;
	}
	pfd = obj_get(dir, "prog");
	if (pfd < 0) {
		what = "prog";
		goto fail_errno;
	}
	if (map_info(sfd, &si) || si.type != BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ||
	    si.key_size != 4 || si.value_size != 8) {
		what = "socks is not a REUSEPORT_SOCKARRAY with 8-byte values";
		goto foreign;
	}
	if (map_info(tfd, &ti) || ti.type != BPF_MAP_TYPE_ARRAY ||
	    ti.value_size != sizeof(struct rp_state) || ti.max_entries != 1 ||
	    !(ti.map_flags & BPF_F_MMAPABLE)) {
		what = "state is not a state map of this layout";
		goto foreign;
	}
	if (!prog_matches(pfd, si.id, ti.id)) {
		what = "prog is not the steering program of these maps";
		goto foreign;
	}
	st = map_state(tfd);
	if (!st) {
		what = "state";
		goto fail_errno;
	}
	if (st->hdr.magic != RP_MAGIC || st->hdr.layout != RP_LAYOUT ||
	    st->hdr.max_slots != si.max_entries) {
		what = "state header has a foreign magic or layout";
		goto foreign;
	}
	syscall(SYS_close, tfd);
	*state = st;
	if (socks_fd)
		*socks_fd = sfd;
	else
		syscall(SYS_close, sfd);
	if (prog_fd)
		*prog_fd = pfd;
	else
		syscall(SYS_close, pfd);
	return 0;

fail_errno:
	err = errno;
	close_keep_errno(sfd);
	close_keep_errno(tfd);
	close_keep_errno(pfd);
	if (err == ENOENT) {
		set_error(
			"path=%s reason=\"pins are not a libreuseport v%d group: %s is missing; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
			dir, RP_LAYOUT, what);
		return -EPROTO;
	}
	set_error("path=%s/%s reason=\"cannot open pin: %s\"", dir, what,
		  strerror(err));
	return err == EACCES || err == EPERM ? -EACCES : -EPROTO;
foreign:
	set_error(
		"path=%s reason=\"pins are not a libreuseport v%d group: %s; remove them (reuseport cleanup) or use another REUSEPORT_PIN_DIR\"",
		dir, RP_LAYOUT, what);
	rp_group_unmap(st);
	close_keep_errno(sfd);
	close_keep_errno(tfd);
	close_keep_errno(pfd);
	return -EPROTO;
}

static void remove_tmp(const char *tmp)
{
	static const char *const names[] = { "prog", "socks", "state" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmp, names[i]);
		unlink(p);
	}
	rmdir(tmp);
}

static uint32_t resolve_policy(const struct rp_config *cfg, int proto)
{
	if (cfg->policy != RP_POLICY_AUTO)
		return cfg->policy;
	return proto == IPPROTO_UDP ? RP_POLICY_HASH : RP_POLICY_ROUNDROBIN;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Returns 0 when published, 1 when another process won the race. */
static int create_group(const struct rp_config *cfg,
			const struct rp_group_key *key, const char *dir)
{
	char tmp[PATH_MAX], p[PATH_MAX];
	struct steer_bpf *skel;
	struct rp_state *st;
	const char *slash;
	int err;

	skel = steer_bpf__open();
	if (!skel) {
		err = -errno;
		set_error("reason=\"cannot open the embedded BPF object: %s\"",
			  strerror(-err));
		return err;
	}
	bpf_map__set_max_entries(skel->maps.socks, cfg->max_slots);
	err = steer_bpf__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES) {
			set_error(
				"reason=\"creating the group's BPF maps and program needs CAP_BPF (or CAP_SYS_ADMIN); start one instance with it, or pre-create the group as root\"");
			err = -EPERM;
		} else {
			set_error(
				"reason=\"cannot load the steering program: %s\"",
				strerror(-err));
		}
		goto out;
	}

	st = map_state(bpf_map__fd(skel->maps.state));
	if (!st) {
		err = -errno;
		goto out;
	}
	st->hdr.magic = RP_MAGIC;
	st->hdr.layout = RP_LAYOUT;
	st->hdr.policy = resolve_policy(cfg, key->proto);
	st->hdr.max_slots = cfg->max_slots;
	st->hdr.proto = (uint32_t)key->proto;
	st->hdr.family = (uint32_t)key->family;
	st->hdr.port = key->port;
	st->hdr.max_generation = cfg->generation;
	st->hdr.created_ns = now_ns();
	rp_group_unmap(st);

	slash = strrchr(dir, '/');
	/* "tmp-" never starts a group name; bpffs forbids a leading dot. */
	snprintf(tmp, sizeof(tmp), "%.*s/" RP_TMP_PREFIX "%d-%ld-%s",
		 (int)(slash - dir), dir, getpid(), (long)syscall(SYS_gettid),
		 slash + 1);
	if (mkdir(tmp, 0755) != 0) {
		err = -errno;
		set_error("path=%s reason=\"cannot create directory: %s\"", tmp,
			  strerror(-err));
		goto out;
	}
	snprintf(p, sizeof(p), "%s/socks", tmp);
	err = bpf_map__pin(skel->maps.socks, p);
	if (!err) {
		snprintf(p, sizeof(p), "%s/state", tmp);
		err = bpf_map__pin(skel->maps.state, p);
	}
	if (!err) {
		snprintf(p, sizeof(p), "%s/prog", tmp);
		err = bpf_program__pin(skel->progs.steer, p);
	}
	if (err) {
		set_error(
			"path=%s reason=\"cannot pin the group's objects: %s\"",
			tmp, strerror(-err));
		remove_tmp(tmp);
		goto out;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
		err = -errno;
		remove_tmp(tmp);
		if (err == -EEXIST || err == -ENOTEMPTY) {
			err = 1;
		} else {
			set_error(
				"path=%s reason=\"cannot publish the group: %s\"",
				dir, strerror(-err));
		}
		goto out;
	}
	pr_info("event=create group=%s policy=%s slots=%u", key->name,
		rp_policy_name(resolve_policy(cfg, key->proto)),
		cfg->max_slots);
	err = 0;
out:
	steer_bpf__destroy(skel);
	return err;
}

static int group_dir(const struct rp_config *cfg,
		     const struct rp_group_key *key, char *buf, size_t len)
{
	char ns[PATH_MAX];
	int err = rp_group_ns_dir(cfg, ns, sizeof(ns));
	int n;

	if (err)
		return err;
	n = snprintf(buf, len, "%s/%s", ns, key->name);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static uint32_t map_id_of(const char *dir, const char *name)
{
	struct bpf_map_info info;
	int fd = obj_get(dir, name);
	uint32_t id = 0;

	if (fd < 0)
		return 0;
	if (map_info(fd, &info) == 0)
		id = info.id;
	syscall(SYS_close, fd);
	return id;
}

int rp_group_prepare(const struct rp_config *cfg,
		     const struct rp_group_key *key, struct rp_state **state)
{
	char dir[PATH_MAX], ns[PATH_MAX];
	struct rp_group *g;
	struct rp_state *st = NULL;
	int err, tries;

	err = group_dir(cfg, key, dir, sizeof(dir));
	if (err)
		return err;

	HASH_FIND_STR(groups, dir, g);
	if (g && map_id_of(dir, "state") == g->state_id) {
		*state = g->state;
		return 0;
	}
	/* A group we knew was removed and maybe recreated: map it anew. */

	err = check_bpffs(cfg->pin_dir);
	if (err)
		return err;
	for (tries = 0; tries < 3; tries++) {
		err = rp_group_open_dir(dir, &st, NULL, NULL);
		if (err != -ENOENT)
			break;
		snprintf(ns, sizeof(ns), "%s", dir);
		*strrchr(ns, '/') = '\0';
		err = mkdir_p(ns);
		if (err)
			return err;
		err = create_group(cfg, key, dir);
		if (err < 0)
			return err;
	}
	if (err > 0) {
		set_error(
			"path=%s reason=\"the group directory keeps disappearing while it is opened\"",
			dir);
		err = -EPROTO;
	}
	if (err)
		return err;

	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g) {
			rp_group_unmap(st);
			return -ENOMEM;
		}
		snprintf(g->dir, sizeof(g->dir), "%s", dir);
		HASH_ADD_STR(groups, dir, g);
	}
	/* An old mapping stays valid memory; keep it, accounting may use it. */
	g->state = st;
	g->state_id = map_id_of(dir, "state");
	*state = st;
	return 0;
}

bool rp_group_slot_live(int socks_fd, uint32_t i, uint64_t *cookie)
{
	uint64_t v = 0;

	if (bpf_map_lookup_elem(socks_fd, &i, &v) != 0)
		return false;
	if (cookie)
		*cookie = v;
	return true;
}

static void atomic_max_u32(uint32_t *p, uint32_t v)
{
	uint32_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static int32_t pinned_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 ||
	    CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/*
 * Bring the group's shared configuration in line with who is live: a group
 * whose members are all gone takes the joiner's configuration, and the
 * newest live generation is recomputed (a newer one may have died).
 */
static void reconcile(const struct rp_config *cfg,
		      const struct rp_group_key *key, struct rp_state *st,
		      int socks_fd)
{
	uint32_t n = __atomic_load_n(&st->hdr.nslots, __ATOMIC_RELAXED);
	uint32_t i, live = 0, maxgen = cfg->generation;
	uint32_t want = resolve_policy(cfg, key->proto);
	uint64_t cookie;

	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	for (i = 0; i < n; i++) {
		if (!rp_group_slot_live(socks_fd, i, &cookie))
			continue;
		live++;
		if (st->slots[i].cookie == cookie &&
		    st->slots[i].generation > maxgen)
			maxgen = st->slots[i].generation;
	}
	if (live == 0) {
		if (st->hdr.policy != want)
			pr_info("event=policy group=%s policy=%s previous=%s reason=\"no live member; the joiner's policy applies\"",
				key->name, rp_policy_name(want),
				rp_policy_name(st->hdr.policy));
		__atomic_store_n(&st->hdr.policy, want, __ATOMIC_RELAXED);
		memset(st->hdr.unsteered_pid, 0, sizeof(st->hdr.unsteered_pid));
		__atomic_store_n(&st->hdr.unsteered, 0, __ATOMIC_RELAXED);
	} else if (cfg->policy_explicit && st->hdr.policy != want) {
		pr_warn("event=policy_mismatch group=%s policy=%s requested=%s reason=\"the group's live members use %s; REUSEPORT_POLICY=%s is ignored (change it for all with: reuseport policy)\"",
			key->name, rp_policy_name(st->hdr.policy),
			rp_policy_name(want), rp_policy_name(st->hdr.policy),
			rp_policy_name(want));
	}
	__atomic_store_n(&st->hdr.max_generation, maxgen, __ATOMIC_RELAXED);
}

static int find_own_slot(int socks_fd, struct rp_state *st, uint64_t cookie)
{
	uint32_t n = __atomic_load_n(&st->hdr.nslots, __ATOMIC_RELAXED);
	uint64_t v;

	for (uint32_t i = 0; i < n && i < RP_MAX_SLOTS; i++)
		if (rp_group_slot_live(socks_fd, i, &v) && v == cookie)
			return (int)i;
	return -1;
}

uint32_t rp_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* Exited, or a zombie its parent has not reaped yet. */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) != 0)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void recount_unsteered(struct rp_state *st)
{
	uint32_t n = 0;

	for (int k = 0; k < RP_UNSTEERED_PIDS; k++)
		n += __atomic_load_n(&st->hdr.unsteered_pid[k],
				     __ATOMIC_RELAXED) != 0;
	__atomic_store_n(&st->hdr.unsteered, n, __ATOMIC_RELAXED);
}

void rp_group_unsteered(struct rp_state *st, uint32_t pid, bool on)
{
	for (int k = 0; k < RP_UNSTEERED_PIDS; k++) {
		uint32_t want = on ? 0 : pid;

		if (__atomic_compare_exchange_n(
			    &st->hdr.unsteered_pid[k], &want, on ? pid : 0,
			    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
	}
	if (on)
		__atomic_store_n(&st->hdr.pidns, rp_pidns(), __ATOMIC_RELAXED);
	recount_unsteered(st);
}

void rp_group_gc(struct rp_state *st)
{
	uint32_t n = __atomic_load_n(&st->hdr.nslots, __ATOMIC_RELAXED);
	uint32_t ns = rp_pidns();

	if (ns && __atomic_load_n(&st->hdr.pidns, __ATOMIC_RELAXED) == ns) {
		for (int k = 0; k < RP_UNSTEERED_PIDS; k++) {
			uint32_t pid = __atomic_load_n(
				&st->hdr.unsteered_pid[k], __ATOMIC_RELAXED);

			if (pid && pid_gone((pid_t)pid))
				__atomic_compare_exchange_n(
					&st->hdr.unsteered_pid[k], &pid, 0,
					false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED);
		}
		recount_unsteered(st);
	}

	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	for (uint32_t i = 0; i < n; i++) {
		struct rp_slot *s = &st->slots[i];

		/* pids of another pid namespace mean nothing here */
		if (!ns || __atomic_load_n(&s->pidns, __ATOMIC_RELAXED) != ns)
			continue;
		for (int k = 0; k < RP_ACCT_PIDS; k++) {
			uint32_t pid = __atomic_load_n(&s->acct_pid[k],
						       __ATOMIC_RELAXED);
			int32_t gone;
			int64_t cur;

			if (!pid || !pid_gone((pid_t)pid))
				continue;
			gone = __atomic_exchange_n(&s->acct_active[k], 0,
						   __ATOMIC_RELAXED);
			cur = __atomic_load_n(&s->active, __ATOMIC_RELAXED);
			while (gone > 0 &&
			       !__atomic_compare_exchange_n(
				       &s->active, &cur,
				       cur > gone ? cur - gone : 0, false,
				       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				;
			__atomic_compare_exchange_n(&s->acct_pid[k], &pid, 0,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
		}
	}
}

/*
 * Maglev (Eisenbud et al., NSDI 2016): every live slot fills table buckets
 * in its own permutation order, round robin, until the table is full. A
 * slot joining or leaving changes about 1/N of the buckets; the program
 * probes past a dead slot, so until the next rebuild only its own clients
 * move.
 */
void rp_group_rebuild_sticky(struct rp_state *st, int socks_fd)
{
	uint32_t n = __atomic_load_n(&st->hdr.nslots, __ATOMIC_RELAXED);
	uint32_t *live, *off, *skip, *next, nlive = 0, filled = 0;
	const uint32_t m = RP_STICKY_SIZE;
	uint16_t *table;

	if (n > RP_MAX_SLOTS)
		n = RP_MAX_SLOTS;
	live = calloc(4 * (size_t)n + 1, sizeof(*live));
	table = malloc(m * sizeof(*table));
	if (!live || !table)
		goto out;
	off = live + n;
	skip = off + n;
	next = skip + n;
	for (uint32_t i = 0; i < n; i++)
		if (rp_group_slot_live(socks_fd, i, NULL))
			live[nlive++] = i;
	if (!nlive)
		goto out;
	memset(table, 0xff, m * sizeof(*table));
	for (uint32_t j = 0; j < nlive; j++) {
		uint32_t h = live[j] * 0x9e3779b1u + 0x7f4a7c15u;

		h ^= h >> 15;
		h *= 0x2c1b3c6du;
		h ^= h >> 12;
		off[j] = h % m;
		skip[j] = (h * 0x297a2d39u ^ (h >> 16)) % (m - 1) + 1;
	}
	while (filled < m) {
		for (uint32_t j = 0; j < nlive && filled < m; j++) {
			uint32_t c;

			do {
				c = (uint32_t)((off[j] +
						(uint64_t)next[j] * skip[j]) %
					       m);
				next[j]++;
			} while (table[c] != 0xffff);
			table[c] = (uint16_t)live[j];
			filled++;
		}
	}
	memcpy(st->sticky, table, m * sizeof(*table));
out:
	free(live);
	free(table);
}

static void init_slot(const struct rp_config *cfg, struct rp_state *st,
		      uint32_t i, uint64_t cookie)
{
	struct rp_slot *s = &st->slots[i];

	for (int k = 0; k < RP_ACCT_PIDS; k++) {
		__atomic_store_n(&s->acct_active[k], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->acct_pid[k], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->pidns, rp_pidns(), __ATOMIC_RELAXED);

	/* The previous occupant's numbers must not be charged to us. */
	__atomic_store_n(&s->queued, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->selected, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->migrated, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->accepted, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->current, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->weight, cfg->weight, __ATOMIC_RELAXED);
	__atomic_store_n(&s->generation, cfg->generation, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cpu, pinned_cpu(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->joined_ns, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->flags, 0, __ATOMIC_RELAXED);
	/* a shut down listener that listens again keeps its cookie */
	__atomic_store_n(&s->dead_cookie, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cookie, cookie, __ATOMIC_RELEASE);
}

int rp_group_join(const struct rp_config *cfg, const struct rp_group_key *key,
		  int fd, struct rp_member *out)
{
	char dir[PATH_MAX];
	struct rp_state *st;
	int socks_fd = -1, prog_fd = -1, err, slot = -1;
	uint64_t cookie = 0, val = (uint64_t)fd;
	socklen_t len = sizeof(cookie);
	uint32_t i, max;

	memset(out, 0, sizeof(*out));
	err = rp_group_prepare(cfg, key, &st);
	if (err)
		return err;
	err = group_dir(cfg, key, dir, sizeof(dir));
	if (err)
		return err;
	socks_fd = obj_get(dir, "socks");
	prog_fd = obj_get(dir, "prog");
	if (socks_fd < 0 || prog_fd < 0) {
		err = errno == EACCES || errno == EPERM ? -EACCES : -EPROTO;
		set_error("path=%s reason=\"cannot open the group's pins: %s\"",
			  dir, strerror(errno));
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0) {
		err = -errno;
		goto out;
	}

	reconcile(cfg, key, st, socks_fd);

	max = st->hdr.max_slots;
	for (i = 0; i < max; i++) {
		if (bpf_map_update_elem(socks_fd, &i, &val, BPF_NOEXIST) == 0) {
			slot = (int)i;
			break;
		}
		if (errno == EEXIST)
			continue;
		if (errno == EBUSY) {
			/* fork/dup: the socket already holds a slot */
			slot = find_own_slot(socks_fd, st, cookie);
			out->already = true;
			if (slot >= 0)
				break;
			set_error(
				"reason=\"socket is registered in another sockarray\"");
			err = -EBUSY;
			goto out;
		}
		err = -errno;
		set_error(
			"reason=\"cannot register the socket in the sockarray: %s\"",
			strerror(errno));
		goto out;
	}
	if (slot < 0) {
		set_error(
			"slots=%u reason=\"every slot of the group is taken; the group was created with REUSEPORT_MAX_SLOTS=%u (remove the group's pins when no instance runs to recreate it larger)\"",
			max, max);
		err = -ENOSPC;
		goto out;
	}

	if (!out->already)
		init_slot(cfg, st, (uint32_t)slot, cookie);
	atomic_max_u32(&st->hdr.nslots, (uint32_t)slot + 1);
	atomic_max_u32(&st->hdr.max_generation, cfg->generation);
	__atomic_fetch_add(&st->hdr.version, 1, __ATOMIC_RELAXED);

	rp_group_gc(st);
	rp_group_rebuild_sticky(st, socks_fd);

	/* Idempotent: every member attaches the same pinned instance. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog_fd,
		       sizeof(prog_fd)) != 0) {
		err = -errno;
		set_error("reason=\"cannot attach the steering program: %s\"",
			  strerror(errno));
		if (!out->already) {
			i = (uint32_t)slot;
			bpf_map_delete_elem(socks_fd, &i);
		}
		goto out;
	}
	out->slot = slot;
	out->cookie = cookie;
	out->state = st;
	out->slotp = &st->slots[slot];
	err = 0;
out:
	close_keep_errno(socks_fd);
	close_keep_errno(prog_fd);
	return err;
}

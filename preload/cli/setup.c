// SPDX-License-Identifier: MIT
/*
 * reuseport setup and cleanup: the pin directory itself, what creating a
 * group needs on this kernel (tried, not assumed), and groups prepared for
 * servers without capabilities.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "names.h"
#include "opts.h"
#include "pintrust.h"
#include "registry_names.h"
#include "sys.h"

struct cleanup {
	int nsfd; /* the namespace directory, opened by the trust rules */
	bool dry;
	bool all; /* also groups handed to a user or group by setup */
	int removed;
	int kept;
};

/* Pins not root's alone: a group prepared by reuseport setup --user/--group. */
static bool handed_over(const char *dir, struct stat *sb)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s/socks", dir);
	return lstat(p, sb) == 0 &&
	       (sb->st_uid != 0 || sb->st_gid != 0 || (sb->st_mode & 0077));
}

/* Prepared by reuseport setup (with or without --user/--group). */
static bool prepared(const struct rp_group_view *g)
{
	return !g->err && (g->st->hdr.flags & RP_HDR_PREPARED);
}

static void cleanup_group(const struct rp_group_view *g, void *arg)
{
	struct cleanup *c = arg;
	struct stat sb;
	bool dead;

	if (g->tmp) {
		/* a creator died between pinning and publishing */
		int pid = atoi(g->name + strlen(RP_TMP_PREFIX));

		dead = pid > 0 && rp_pid_gone(pid);
	} else if (!g->err) {
		dead = count_live(g->st, g->socks_fd) == 0;
	} else {
		printf("not a libreuseport group, left alone: %s (%s)\n",
		       g->dir, rp_group_last_error());
		c->kept++;
		return;
	}
	if (!dead) {
		c->kept++;
		return;
	}
	memset(&sb, 0, sizeof(sb));
	if (!g->tmp && !c->all && (handed_over(g->dir, &sb) || prepared(g))) {
		/* its servers cannot create it again: no capability */
		printf("kept: %s (pins of uid %u gid %u mode %04o, as reuseport setup --user/--group leaves them; --all removes it)\n",
		       g->dir, (unsigned)sb.st_uid, (unsigned)sb.st_gid,
		       (unsigned)(sb.st_mode & 07777));
		c->kept++;
		return;
	}
	if (!c->dry) {
		char why[512];

		/* never through a link, never outside this directory */
		if (rp_remove_group_dirat(c->nsfd, g->name, why, sizeof(why))) {
			printf("not removed: %s\n", why);
			c->kept++;
			return;
		}
	}
	printf("%s %s\n", c->dry ? "would remove" : "removed", g->dir);
	c->removed++;
}

static void cleanup_ns(const char *ns_dir, void *arg)
{
	struct cleanup *c = arg;
	char why[512];

	c->nsfd = rp_trusted_dir(ns_dir, cfg.pin_dir, geteuid(), (gid_t)-1,
				 false, why, sizeof(why));
	if (c->nsfd < 0) {
		printf("left alone: %s\n", why);
		c->kept++;
		return;
	}
	rp_walk_groups(ns_dir, true, cleanup_group, c);
	close(c->nsfd);
	if (!c->dry)
		rmdir(ns_dir); /* only succeeds when empty */
}

/* Remove dead groups of every namespace under the pin dir's layout dir. */
int cmd_cleanup(int argc, char **argv)
{
	struct cleanup c = { 0 };
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			c.dry = true;
		else if (!strcmp(argv[i], "--all"))
			c.all = true;
		else
			return usage(stderr, 2);
	}
	n = rp_walk_namespaces(&cfg, cleanup_ns, &c);
	if (n < 0) {
		printf("nothing to clean in %s/v%d (%s)\n", cfg.pin_dir,
		       RP_LAYOUT, strerror(-n));
		return 0;
	}
	printf("%d group(s) %s, %d kept\n", c.removed,
	       c.dry ? "to remove" : "removed", c.kept);
	return 0;
}

/* ---- reuseport setup --------------------------------------------------- */

#define CAPBIT(c) (1ull << (c))

/* The capability sets tried, smallest first. */
static const struct {
	const char *name;
	uint64_t caps;
} cap_tries[] = {
	{ "no capability", 0 },
	{ "CAP_BPF", CAPBIT(CAP_BPF) },
	{ "CAP_BPF+CAP_PERFMON", CAPBIT(CAP_BPF) | CAPBIT(CAP_PERFMON) },
	{ "CAP_SYS_ADMIN", CAPBIT(CAP_SYS_ADMIN) },
};
#define NTRIES (sizeof(cap_tries) / sizeof(cap_tries[0]))

/* The capabilities that may let a process create groups, by number. */
static const struct {
	int cap;
	const char *name;
} group_caps[] = {
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_PERFMON, "CAP_PERFMON" },
	{ CAP_BPF, "CAP_BPF" },
};

static int caps_get(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* Effective = permitted = caps, nothing inheritable (raw capset). */
static int caps_set(uint64_t caps)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)caps, (uint32_t)caps, 0 },
		{ (uint32_t)(caps >> 32), (uint32_t)(caps >> 32), 0 },
	};

	return syscall(SYS_capset, &h, d) != 0 ? -errno : 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/*
 * The smallest group: a REUSEPORT_SOCKARRAY and an SK_REUSEPORT program
 * "r0 = SK_PASS; exit". 0, or -errno and what failed.
 */
static int probe_trivial(const char **what)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = SK_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_REUSEPORT_SOCKARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1;
	*what = "sockarray";
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return -errno;
	close(fd);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
	a.expected_attach_type = BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
	a.insns = (uint64_t)(unsigned long)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uint64_t)(unsigned long)"GPL";
	*what = "program";
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The verifier's reason: the log line before "processed N insns". */
static char verifier_why[256];

static int capture_verifier(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	char *text = NULL, *end, *line;

	(void)level;
	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	end = strstr(text, "\nprocessed ");
	if (end) {
		for (line = end; line > text && line[-1] != '\n'; line--)
			;
		snprintf(verifier_why, sizeof(verifier_why), "%.*s",
			 (int)(end - line), line);
	}
	free(text);
	return 0;
}

struct probe_result {
	int tried; /* 0: this process lacks a capability of the set */
	int trivial; /* 0 or -errno */
	char trivial_what[16];
	int load; /* the steering program: 0 or -errno */
	char why[256];
};

/*
 * fn(arg, res) in a child process, which sends res (size bytes, zeroed
 * first) back and exits: 0 and res filled, or -errno.
 */
static int in_child(void (*fn)(const void *arg, void *res), const void *arg,
		    void *res, size_t size)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	memset(res, 0, size);
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		fn(arg, res);
		_exit(write(p[1], res, size) == (ssize_t)size ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], res, size);
	close(p[0]);
	waitpid(pid, &st, 0);
	return n == (ssize_t)size ? 0 : -EIO;
}

/* In a child dropped to caps: the trivial group, then the real program. */
static void probe_child(const void *arg, void *res)
{
	struct probe_result *r = res;
	const char *what = "";

	if (caps_set(*(const uint64_t *)arg) != 0)
		return; /* tried stays 0 */
	r->tried = 1;
	r->trivial = probe_trivial(&what);
	snprintf(r->trivial_what, sizeof(r->trivial_what), "%s", what);
	libbpf_set_print(capture_verifier);
	r->load = rp_pins_probe_load(&cfg);
	snprintf(r->why, sizeof(r->why), "%s", verifier_why);
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err < 0 ? -err : err);

	return n ? n : "?";
}

/*
 * Which capabilities creating a group needs on this kernel, found by
 * trying: each set in a child process. Returns true if this process may
 * create groups.
 */
static bool report_capabilities(void)
{
	struct probe_result r[NTRIES];
	uint64_t eff = 0, perm = 0;
	char need[256] = "", missing[128] = "";
	struct utsname u;
	bool may = false, any = false;
	size_t i, j;

	caps_get(&eff, &perm);
	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "?");
	printf("capabilities: creating a group (its sockarray, state map and steering program), tried on this kernel (%s) in child processes:\n",
	       u.release);
	for (i = 0; i < NTRIES; i++) {
		if ((cap_tries[i].caps & perm) != cap_tries[i].caps ||
		    in_child(probe_child, &cap_tries[i].caps, &r[i],
			     sizeof(r[i])) != 0 ||
		    !r[i].tried) {
			r[i].tried = 0;
			printf("  %-20s not tried: this process does not have it\n",
			       cap_tries[i].name);
			snprintf(missing + strlen(missing),
				 sizeof(missing) - strlen(missing), "%s%s",
				 *missing ? ", " : "", cap_tries[i].name);
			continue;
		}
		printf("  %-20s sockarray + trivial SK_REUSEPORT program: %s%s%s; steering program: %s%s%s%s\n",
		       cap_tries[i].name,
		       r[i].trivial ? errname(r[i].trivial) : "ok",
		       r[i].trivial ? " at " : "",
		       r[i].trivial ? r[i].trivial_what : "",
		       r[i].load ? errname(r[i].load) : "ok",
		       r[i].load && *r[i].why ? " (verifier: \"" : "",
		       r[i].load && *r[i].why ? r[i].why : "",
		       r[i].load && *r[i].why ? "\")" : "");
	}
	/* the sets that worked and have no smaller set that worked */
	for (i = 0; i < NTRIES; i++) {
		bool minimal = true;

		if (!r[i].tried || r[i].load)
			continue;
		for (j = 0; j < NTRIES; j++)
			if (j != i && r[j].tried && !r[j].load &&
			    (cap_tries[j].caps & cap_tries[i].caps) ==
				    cap_tries[j].caps &&
			    cap_tries[j].caps != cap_tries[i].caps)
				minimal = false;
		if (!minimal)
			continue;
		snprintf(need + strlen(need), sizeof(need) - strlen(need),
			 "%s%s", any ? " or " : "", cap_tries[i].name);
		any = true;
		if ((eff & cap_tries[i].caps) == cap_tries[i].caps)
			may = true;
	}
	if (!any)
		printf("create groups: none of the sets tried works%s%s%s\n",
		       *missing ? " (not tried: " : "", missing,
		       *missing ? ")" : "");
	else
		printf("create groups: %s (tried%s%s)\n", need,
		       *missing ? "; not tried: " : "", missing);
	printf("join groups: no capability, read and write permission on the group's pins (prog, socks, state)\n");
	if (may) {
		printf("ok: this process may create groups\n");
	} else {
		bool some = false;

		printf("note: this process cannot create groups (effective:");
		for (i = 0; i < sizeof(group_caps) / sizeof(group_caps[0]);
		     i++) {
			if (!(eff & CAPBIT(group_caps[i].cap)))
				continue;
			printf(" %s", group_caps[i].name);
			some = true;
		}
		printf("%s); start the first instance with %s, or pre-create its group as root: reuseport setup --user U GROUP-SPEC\n",
		       some ? "" :
			      " none of CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN",
		       any ? need : "what reuseport setup run as root reports");
	}
	return may;
}

/* Add the search and read bits for group and others to a trusted dir. */
static int make_reachable(int fd, const char *path)
{
	char p[64];
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	if ((st.st_mode & 0055) == 0055)
		return 0;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (chmod(p, (st.st_mode & 07777) | 0055) != 0) {
		printf("error: cannot chmod %s: %s\n", path, strerror(errno));
		return -errno;
	}
	printf("changed: %s mode %04o -> %04o (servers of other users must reach their groups)\n",
	       path, st.st_mode & 07777, (st.st_mode & 07777) | 0055);
	return 0;
}

/* A level from the pin dir down: trusted (created 0755 if missing). */
static int prepare_level(const char *path, bool report)
{
	char why[512];
	struct stat st;
	bool existed = lstat(path, &st) == 0;
	int fd, err;

	fd = rp_trusted_dir(path, cfg.pin_dir, geteuid(), (gid_t)-1, true, why,
			    sizeof(why));
	if (fd < 0) {
		if (fd != -EPERM && fd != -ELOOP && fd != -ENOTDIR) {
			printf("error: cannot prepare %s: %s%s\n", path, why,
			       geteuid() ? " (run reuseport setup as root)" :
					   "");
			return -1;
		}
		printf("error: %s is refused by the trust rules: %s\n", path,
		       why);
		printf("  servers refuse it too; if nobody else should own it, remove it (rm -r %s) and run reuseport setup again\n",
		       path);
		return -1;
	}
	err = make_reachable(fd, path);
	if (!err && fstat(fd, &st) == 0 && (report || !existed))
		printf("%s: %s (uid %u, mode %04o)\n",
		       existed ? "ok" : "created", path, (unsigned)st.st_uid,
		       (unsigned)(st.st_mode & 07777));
	close(fd);
	return err ? -1 : 0;
}

/* Mount bpffs on the pin dir's parent unless it is on one already. */
static int ensure_bpffs(void)
{
	char p[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	char *slash;
	int fs;

	snprintf(p, sizeof(p), "%s", cfg.pin_dir);
	while ((fs = rp_is_bpffs(p)) == -ENOENT) {
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	snprintf(parent, sizeof(parent), "%s", cfg.pin_dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		printf("error: the pin directory %s must be below a mount point (e.g. %s)\n",
		       cfg.pin_dir, RP_DEFAULT_PIN_DIR);
		return -1;
	}
	*slash = '\0';
	if (fs == 1) {
		printf("ok: %s is on a bpf filesystem\n", p);
	} else if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
		printf("error: cannot create %s: %s\n", parent,
		       strerror(errno));
		return -1;
	} else if (mount("bpf", parent, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 "mode=0755") != 0) {
		printf("error: cannot mount a bpf filesystem on %s: %s (needs CAP_SYS_ADMIN)\n",
		       parent, strerror(errno));
		return -1;
	} else {
		/* the kernel adds the sticky bit to a bpffs root: 1755 */
		printf("mounted: bpf filesystem on %s (mode %04o)\n", parent,
		       lstat(parent, &st) == 0 ? st.st_mode & 07777 : 0755);
	}
	if (lstat(parent, &st) == 0 && (st.st_mode & S_IWOTH))
		printf("note: %s is mode %04o: any user may create entries in it; the pin directory below it is root's and checked by the trust rules\n",
		       parent, (unsigned)(st.st_mode & 07777));
	return 0;
}

/*
 * GROUP-SPEC: [tcp:|udp:][ADDR:]PORT, ADDR an IPv4 address or [IPv6];
 * default tcp and 0.0.0.0.
 */
static int parse_spec(const char *spec, bool v6only, struct rp_group_key *key)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };
	const struct sockaddr *sa = (const struct sockaddr *)&in;
	char buf[128], *p = buf, *port, *addr = "0.0.0.0", *c;
	unsigned long n;

	memset(key, 0, sizeof(*key));
	key->proto = IPPROTO_TCP;
	if (strlen(spec) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", spec);
	if (!strncmp(p, "tcp:", 4)) {
		p += 4;
	} else if (!strncmp(p, "udp:", 4)) {
		key->proto = IPPROTO_UDP;
		p += 4;
	}
	if (*p == '[') {
		c = strchr(p, ']');
		if (!c || c[1] != ':')
			return -1;
		*c = '\0';
		addr = p + 1;
		port = c + 2;
		sa = (const struct sockaddr *)&in6;
	} else if ((c = strrchr(p, ':'))) {
		*c = '\0';
		addr = p;
		port = c + 1;
	} else {
		port = p;
	}
	if (!cli_parse_ulong(port, 65535, &n) || n == 0)
		return -1;
	if (sa->sa_family == AF_INET6) {
		if (inet_pton(AF_INET6, addr, &in6.sin6_addr) != 1)
			return -1;
		in6.sin6_port = htons((uint16_t)n);
	} else {
		if (inet_pton(AF_INET, addr, &in.sin_addr) != 1)
			return -1;
		in.sin_port = htons((uint16_t)n);
	}
	key->family = sa->sa_family;
	key->port = (uint16_t)n;
	return rp_group_name(key->name, sizeof(key->name), key->proto, sa,
			     v6only, 0) < 0 ?
		       -1 :
		       0;
}

struct access_result {
	int err;
	char why[512];
};

struct access_check {
	const char *dir;
	uid_t uid;
	gid_t gid;
};

/*
 * Can uid/gid (no supplementary groups, no capability) reach and open the
 * group in dir, as its servers will? Asked in a child that becomes them.
 */
static void check_access(const void *arg, void *res)
{
	const struct access_check *a = arg;
	struct access_result *r = res;
	struct rp_state *state = NULL;
	int fd, sfd = -1, pfd = -1;
	char ns[PATH_MAX];

	if (setgroups(0, NULL) || setresgid(a->gid, a->gid, a->gid) ||
	    setresuid(a->uid, a->uid, a->uid)) {
		r->err = -errno;
		snprintf(r->why, sizeof(r->why),
			 "reason=\"cannot become uid %u gid %u: %s\"",
			 (unsigned)a->uid, (unsigned)a->gid, strerror(errno));
		return;
	}
	snprintf(ns, sizeof(ns), "%s", a->dir);
	*strrchr(ns, '/') = '\0';
	fd = rp_trusted_dir(ns, cfg.pin_dir, a->uid, (gid_t)-1, false, r->why,
			    sizeof(r->why));
	if (fd < 0) {
		r->err = fd;
		return;
	}
	close(fd);
	r->err = rp_group_open_dir(a->dir, &state, &sfd, &pfd);
	if (r->err)
		snprintf(r->why, sizeof(r->why), "%s", rp_group_last_error());
}

static void describe_ids(char *buf, size_t len, uid_t uid, gid_t gid)
{
	struct passwd *pw = uid != (uid_t)-1 ? getpwuid(uid) : NULL;
	struct group *gr = gid != (gid_t)-1 ? getgrgid(gid) : NULL;
	int n = 0;

	buf[0] = '\0';
	if (uid != (uid_t)-1)
		n = snprintf(buf, len, "uid %u%s%s%s", (unsigned)uid,
			     pw ? " (" : "", pw ? pw->pw_name : "",
			     pw ? ")" : "");
	if (gid != (gid_t)-1 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%sgid %u%s%s%s",
			 n ? ", " : "", (unsigned)gid, gr ? " (" : "",
			 gr ? gr->gr_name : "", gr ? ")" : "");
}

static int setup_group(const char *spec, const struct rp_config *gcfg,
		       bool v6only, uid_t uid, gid_t gid, gid_t check_gid)
{
	struct access_result ar;
	struct rp_group_key key;
	struct rp_state *st = NULL;
	char dir[PATH_MAX], pin[PATH_MAX + 8], who[256];
	int err, sfd = -1;
	struct stat sb;

	if (parse_spec(spec, v6only, &key)) {
		printf("error: bad GROUP-SPEC %s (examples: 8080, tcp:8080, udp:53, tcp:127.0.0.1:8080, udp:[::1]:53)\n",
		       spec);
		return -1;
	}
	err = rp_group_setup(gcfg, &key, uid, gid, dir, sizeof(dir));
	if (err < 0) {
		printf("error: group %s: %s %s\n", key.name, errname(err),
		       rp_group_last_error());
		return -1;
	}
	snprintf(pin, sizeof(pin), "%s/socks", dir);
	if (lstat(pin, &sb) != 0)
		memset(&sb, 0, sizeof(sb));
	describe_ids(who, sizeof(who), sb.st_uid, sb.st_gid);
	if (rp_group_open_dir(dir, &st, &sfd, NULL) == 0) {
		printf("%s: group %s (policy %s, %u slots, %u live; pins owned by %s, mode %04o)\n",
		       err == 0 ? "created" : "exists", dir,
		       rp_policy_name(st->hdr.policy), st->hdr.max_slots,
		       count_live(st, sfd), who,
		       (unsigned)(sb.st_mode & 07777));
		if (err == 1 && st->hdr.max_slots != gcfg->max_slots)
			printf("note: %s keeps its %u slots (a group's size is fixed when it is created)\n",
			       key.name, st->hdr.max_slots);
		rp_group_unmap(st);
		close(sfd);
	}
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return 0;
	/* what its servers will do: reach and open the pins, no capability */
	uid_t cu = uid != (uid_t)-1 ? uid : 65534;

	const struct access_check ac = { dir, cu, check_gid };

	describe_ids(who, sizeof(who), cu, check_gid);
	if (in_child(check_access, &ac, &ar, sizeof(ar)) != 0) {
		printf("error: cannot check the access of %s\n", who);
		return -1;
	}
	if (ar.err) {
		printf("error: %s (no supplementary groups, no capability) cannot use %s: %s %s\n",
		       who, key.name, errname(ar.err), ar.why);
		return -1;
	}
	printf("ok: %s (no supplementary groups, no capability) can open %s and join it\n",
	       who, key.name);
	return 0;
}

/*
 * --user or --group: a name, else a number 0..4294967294. A user's primary
 * group goes to *pgid (the number itself when the user has no entry).
 */
static int parse_id(const char *s, bool user, uint32_t *id, gid_t *pgid)
{
	struct passwd *pw = user ? getpwnam(s) : NULL;
	struct group *gr = user ? NULL : getgrnam(s);
	unsigned long n;

	if (pw)
		n = pw->pw_uid;
	else if (gr)
		n = gr->gr_gid;
	else if (!cli_parse_ulong(s, 0xfffffffeul, &n))
		return -1;
	else if (user)
		pw = getpwuid((uid_t)n);
	*id = (uint32_t)n;
	if (user)
		*pgid = pw ? pw->pw_gid : (gid_t)n;
	return 0;
}

int cmd_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_ARG("user", 'u'),
		OPT_ARG("group", 'g'),
		OPT_ARG("policy", 'P'),
		OPT_ARG("slots", 's'),
		OPT_FLAG("v6only", '6'),
		OPT_FLAG("help", 'h'),
		OPT_END,
	};
	struct rp_config gcfg = cfg;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1, pgid = (gid_t)-1;
	bool v6only = false;
	char ns[PATH_MAX], v1[PATH_MAX];
	unsigned long n;
	int c, p, ret = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
		case 'g':
			if (parse_id(optarg, c == 'u', c == 'u' ? &uid : &gid,
				     &pgid)) {
				fprintf(stderr, "reuseport: setup: no %s %s\n",
					c == 'u' ? "user" : "group", optarg);
				return 2;
			}
			break;
		case 'P':
			p = rp_policy_from_name(optarg);
			if (p < 0) {
				char names[256];

				rp_policy_list(names, sizeof(names), ", ");
				fprintf(stderr,
					"reuseport: setup: unknown policy %s (one of: %s)\n",
					optarg, names);
				return 2;
			}
			gcfg.policy = (enum rp_policy)p;
			gcfg.policy_explicit = true;
			break;
		case 's':
			if (!cli_parse_ulong(optarg, RP_MAX_SLOTS, &n) ||
			    n == 0) {
				fprintf(stderr,
					"reuseport: setup: --slots must be 1..%d\n",
					RP_MAX_SLOTS);
				return 2;
			}
			gcfg.max_slots = (uint32_t)n;
			break;
		case '6':
			v6only = true;
			break;
		default:
			return usage_for(c);
		}
	}
	if (uid == 0 || (gid == 0 && uid == (uid_t)-1)) {
		fprintf(stderr,
			"reuseport: setup: --user/--group root: groups are root's already\n");
		return 2;
	}
	/* levels and groups 0755 and 0600/0660 whatever the caller's umask */
	umask(022);

	if (ensure_bpffs() || prepare_level(cfg.pin_dir, true))
		ret = 1;
	report_capabilities();
	if (ret || optind >= argc)
		return ret;

	/* the levels below, for this network namespace */
	if (rp_group_ns_dir(&cfg, ns, sizeof(ns))) {
		printf("error: %s\n", rp_group_last_error());
		return 1;
	}
	snprintf(v1, sizeof(v1), "%s/v%d", cfg.pin_dir, RP_LAYOUT);
	if (prepare_level(v1, false) || prepare_level(ns, false))
		return 1;
	for (int i = optind; i < argc; i++)
		if (setup_group(argv[i], &gcfg, v6only, uid, gid,
				gid != (gid_t)-1 ? gid : pgid))
			ret = 1;
	return ret;
}

// SPDX-License-Identifier: MIT
/*
 * reuseport setup: the bpf filesystem and the pin directory, and groups
 * prepared for servers without capabilities (--user/--group).
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

	fs = cli_bpffs_at(cfg.pin_dir, p, sizeof(p));
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

/* GROUP-SPEC (cli_parse_spec) with its defaults: tcp, 0.0.0.0. */
static int parse_spec(const char *spec, bool v6only, struct rp_group_key *key)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&key->addr;
	struct sockaddr_in *in = (struct sockaddr_in *)&key->addr;
	struct cli_spec s;

	memset(key, 0, sizeof(*key));
	if (cli_parse_spec(spec, false, &s))
		return -1;
	key->proto = s.proto ? s.proto : IPPROTO_TCP;
	key->family = s.family ? s.family : AF_INET;
	key->port = s.port;
	key->v6only = v6only && key->family == AF_INET6;
	if (key->family == AF_INET6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(s.port);
		memcpy(&in6->sin6_addr, s.addr, 16);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons(s.port);
		memcpy(&in->sin_addr, s.addr, 4);
	}
	return rp_group_name(key->name, sizeof(key->name), key->proto,
			     (const struct sockaddr *)&key->addr, v6only,
			     0) < 0 ?
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

	parse_spec(spec, v6only, &key); /* checked by cmd_setup */
	err = rp_group_setup(gcfg, &key, uid, gid, dir, sizeof(dir));
	if (err < 0) {
		printf("error: group %s: %s %s\n", key.name, cli_errname(err),
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
		       rp_policy_name(st->hot->policy), st->meta->max_slots,
		       rp_group_live_slots(st, sfd, 0), who,
		       (unsigned)(sb.st_mode & 07777));
		if (err == 1 && st->meta->max_slots != gcfg->max_slots)
			printf("note: %s keeps its %u slots (a group's size is fixed when it is created)\n",
			       key.name, st->meta->max_slots);
		rp_group_unmap(st);
		close(sfd);
	}
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return 0;
	/* what its servers will do: reach and open the pins, no capability */
	uid_t cu = uid != (uid_t)-1 ? uid : 65534;

	const struct access_check ac = { dir, cu, check_gid };

	describe_ids(who, sizeof(who), cu, check_gid);
	if (cli_in_child(check_access, &ac, &ar, sizeof(ar)) != 0) {
		printf("error: cannot check the access of %s\n", who);
		return -1;
	}
	if (ar.err) {
		printf("error: %s (no supplementary groups, no capability) cannot use %s: %s %s\n",
		       who, key.name, cli_errname(ar.err), ar.why);
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
	bool may_create;
	unsigned long n;
	int c, p, ret = 0;

	optind = 0;
	opterr = 0; /* main checked the options: only a missing value is left */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
		case 'g':
			if (parse_id(optarg, c == 'u', c == 'u' ? &uid : &gid,
				     &pgid)) {
				return cli_usage_error(
					argv[0],
					"no %s %s; accepted: a name or a number",
					c == 'u' ? "user" : "group", optarg);
			}
			break;
		case 'P':
			p = rp_policy_from_name(optarg);
			if (p < 0) {
				char names[256];

				rp_policy_list(names, sizeof(names), ", ");
				return cli_usage_error(
					argv[0],
					"unknown policy %s (one of: %s)",
					optarg, names);
			}
			gcfg.policy = (enum rp_policy)p;
			gcfg.policy_explicit = true;
			break;
		case 's':
			if (!cli_parse_ulong(optarg, RP_MAX_SLOTS, &n) ||
			    n == 0) {
				return cli_usage_error(
					argv[0],
					"--slots %s is not accepted; accepted: 1..%d",
					optarg, RP_MAX_SLOTS);
			}
			gcfg.max_slots = (uint32_t)n;
			break;
		case '6':
			v6only = true;
			break;
		case ':':
			return cli_usage_error(argv[0], "%s needs a value",
					       argv[optind - 1]);
		default:
			return usage_for(c);
		}
	}
	if (uid == 0 || (gid == 0 && uid == (uid_t)-1)) {
		return cli_usage_error(
			argv[0],
			"--user/--group root: groups are root's already");
	}
	/* without a group, --user/--group would prepare nothing for them */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && optind >= argc) {
		return cli_usage_error(
			argv[0],
			"--user/--group need a GROUP-SPEC, the group to prepare: e.g. reuseport setup --user www-data tcp:8080");
	}
	for (int i = optind; i < argc; i++) {
		struct rp_group_key key;

		if (parse_spec(argv[i], v6only, &key))
			return cli_usage_error(
				argv[0],
				"bad GROUP-SPEC %s; accepted: [tcp:|udp:][ADDR:]PORT, ADDR an IPv4 address or [IPv6]: 8080, udp:53, tcp:127.0.0.1:8080, udp:[::1]:53",
				argv[i]);
	}
	/* levels and groups 0755 and 0600/0660 whatever the caller's umask */
	umask(022);

	if (ensure_bpffs() || prepare_level(cfg.pin_dir, true))
		ret = 1;
	may_create = cli_report_capabilities();
	if (ret || (optind >= argc && !may_create))
		return ret;

	/* the levels below, for this network namespace */
	if (rp_group_ns_dir(&cfg, ns, sizeof(ns))) {
		printf("error: %s\n", rp_group_last_error());
		return 1;
	}
	snprintf(v1, sizeof(v1), "%s/v%d", cfg.pin_dir, RP_LAYOUT);
	if (prepare_level(v1, false) || prepare_level(ns, false))
		return 1;
	/*
	 * The namespace's programs, verified once here: servers started
	 * later (in a tight memory cgroup too) only create maps or join.
	 */
	if (may_create)
		for (int proto = IPPROTO_TCP; proto;
		     proto = proto == IPPROTO_TCP ? IPPROTO_UDP : 0) {
			int err = rp_netns_setup(&cfg, proto);

			if (err)
				printf("error: the %s steering program of %s: %s %s\n",
				       proto == IPPROTO_TCP ? "TCP" : "UDP", ns,
				       cli_errname(err), rp_group_last_error());
			else
				printf("ok: %s steering program of this network namespace: %s/%s/prog\n",
				       proto == IPPROTO_TCP ? "TCP" : "UDP", ns,
				       proto == IPPROTO_TCP ? "tcp" : "udp");
			ret |= err != 0;
		}
	for (int i = optind; i < argc; i++)
		if (setup_group(argv[i], &gcfg, v6only, uid, gid,
				gid != (gid_t)-1 ? gid : pgid))
			ret = 1;
	return ret;
}

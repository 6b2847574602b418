// SPDX-License-Identifier: MIT
/*
 * What creating a group needs on this kernel, found by trying in child
 * processes with reduced capability sets (reuseport setup).
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
int cli_probe_bpf(const char **what)
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
int cli_in_child(void (*fn)(const void *arg, void *res), const void *arg,
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
	r->trivial = cli_probe_bpf(&what);
	snprintf(r->trivial_what, sizeof(r->trivial_what), "%s", what);
	libbpf_set_print(capture_verifier);
	r->load = rp_pins_probe_load(&cfg);
	snprintf(r->why, sizeof(r->why), "%s", verifier_why);
}

const char *cli_errname(int err)
{
	const char *n = strerrorname_np(err < 0 ? -err : err);

	return n ? n : "?";
}

/*
 * Which capabilities creating a group needs on this kernel, found by
 * trying: each set in a child process. Returns true if this process may
 * create groups.
 */
bool cli_report_capabilities(void)
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
		    cli_in_child(probe_child, &cap_tries[i].caps, &r[i],
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
		       r[i].trivial ? cli_errname(r[i].trivial) : "ok",
		       r[i].trivial ? " at " : "",
		       r[i].trivial ? r[i].trivial_what : "",
		       r[i].load ? cli_errname(r[i].load) : "ok",
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

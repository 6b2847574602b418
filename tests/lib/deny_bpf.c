// SPDX-License-Identifier: MIT
/*
 * deny_bpf ERRNO CMD [ARGS...]: run CMD with every bpf(2) call failing with
 * ERRNO (a number, or EPERM, EACCES, ENOSYS) by a seccomp filter, as a
 * container runtime's profile does. Other system calls are untouched.
 * DENY_SYSCALL=NR in the environment: that system call instead of bpf(2).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "deny_bpf: add this architecture's AUDIT_ARCH"
#endif

static int errno_of(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} names[] = { { "EPERM", EPERM },
		      { "EACCES", EACCES },
		      { "ENOSYS", ENOSYS } };
	char *end;
	long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].err;
	n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < 4096 ? (int)n : -1;
}

int main(int argc, char **argv)
{
	int err = argc > 2 ? errno_of(argv[1]) : -1;
	const char *nr = getenv("DENY_SYSCALL");
	unsigned int sys = nr ? (unsigned int)atoi(nr) : __NR_bpf;

	if (err < 0) {
		fprintf(stderr, "usage: deny_bpf ERRNO CMD [ARGS...]\n");
		return 2;
	}
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sys, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | ((unsigned int)err & 0xffff)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		perror("deny_bpf: seccomp");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror("deny_bpf: exec");
	return 127;
}

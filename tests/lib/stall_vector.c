// SPDX-License-Identifier: MIT
/*
 * Runs the stall guard's test vector (tests/unit/stall_cases.h) in the
 * kernel: bpf/stall.h built by clang -target bpf as the program is
 * (stall_vector.bpf.c), verified and run once per case through
 * BPF_PROG_TEST_RUN. A case passes when the kernel's finding and this
 * process's (the same header, built for user space) both are the case's.
 * Prints a line per case, then "N passed, N failed"; exit status 0 when
 * all passed, 1 when one failed, 2 when the program could not be loaded
 * or run (needs CAP_BPF).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../unit/stall_cases.h"
#include "stall.h"
#include "stall_vector.skel.h"

int main(void)
{
	struct rp_stall_run run __attribute__((aligned(128)));
	struct stall_vector *skel = stall_vector__open_and_load();
	unsigned int passed = 0, failed = 0;
	int fd;

	if (!skel) {
		printf("cannot load the test program: %s\n", strerror(errno));
		return 2;
	}
	fd = bpf_program__fd(skel->progs.stall_decide);
	for (size_t i = 0; i < RP_STALL_NCASES; i++) {
		const struct rp_stall_case *c = &rp_stall_cases[i];
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &run,
			    .ctx_size_in = sizeof(run));
		int user;

		rp_stall_case_fill(c, &run.hdr, &run.slot);
		run.now = c->now;
		if (bpf_prog_test_run_opts(fd, &opts)) {
			printf("cannot run the test program: %s\n",
			       strerror(errno));
			stall_vector__destroy(skel);
			return 2;
		}
		user = rp_stall_decide(&run.hdr, &run.slot.r, &run.slot.a,
				       run.now);
		if (opts.retval == (__u32)c->want && user == (int)c->want) {
			passed++;
			printf("ok   %s: %s\n", c->name,
			       rp_stall_name(c->want));
		} else {
			failed++;
			printf("FAIL %s: kernel %s, user space %s, want %s\n",
			       c->name, rp_stall_name((int)opts.retval),
			       rp_stall_name(user), rp_stall_name(c->want));
		}
	}
	stall_vector__destroy(skel);
	printf("%u passed, %u failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}

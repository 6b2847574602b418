// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stall guard's decision (bpf/stall.h) built as the program is built,
 * for the kernel to verify and run one case of the test vector at a time
 * (tests/lib/stall_vector.c): BPF_PROG_TEST_RUN with the case's header,
 * slot and time as the context, the finding as the return value. A
 * syscall program: the steering program's type has no test run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "stall.h"
#include "../unit/stall_cases.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("syscall")
int stall_decide(struct rp_stall_run *run)
{
	return rp_stall_decide(&run->hdr, &run->slot.r, &run->slot.a, run->now);
}

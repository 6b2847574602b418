#!/bin/bash
# The stall guard's test vector (tests/unit/stall_cases.h) in the kernel:
# bpf/stall.h, the decision the steering program takes, built as the
# program is (clang -target bpf), verified by this kernel and run once per
# case through BPF_PROG_TEST_RUN; each finding must be the case's, and the
# same as user space's (the unit test test_stall runs the vector against
# rp_slot_stalled() under ASan/UBSan). The checks are in
# tests/lib/stall_vector.c; nothing is built here.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
vec=$RP_BUILD/helpers/stall_vector
[[ -x $vec ]] || skip "helper not built: $vec (make)"

"$vec" >"$RP_TMP/vector.txt" 2>&1
rc=$?
cat "$RP_TMP/vector.txt"
# 2: not loaded or not run (the verifier's refusal is a failure too)
((rc == 0)) || fail "stall_vector: exit status $rc"
summary=$(tail -n 1 "$RP_TMP/vector.txt")
assert_match "$summary" '^[1-9][0-9]* passed, 0 failed$' "stall_vector summary"

#!/bin/bash
# The kernel's view of a port (group/kdiag.c, NETLINK_SOCK_DIAG):
# rp_kernel_listeners() returns exactly the SO_COOKIEs of each would-be
# reuseport group (TCP and UDP, IPv4 and IPv6, 0.0.0.0 vs 127.0.0.1,
# dual-stack vs v6only, bound device; not connected UDP sockets, not
# listeners of other ports or netns) and the accept queue of a listener.
# The checks are in tests/lib/kdiag_check.c; nothing is built here.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
kdiag=$RP_BUILD/helpers/kdiag_check # make
[[ -x $kdiag ]] || kdiag=$RP_BUILD/kdiag_check # by hand
[[ -x $kdiag ]] || skip "helper not built: $RP_BUILD/helpers/kdiag_check (make)"
info "using $kdiag"

"$kdiag" >"$RP_TMP/kdiag.txt" 2>&1
rc=$?
cat "$RP_TMP/kdiag.txt"
((rc == 0)) || fail "kdiag_check: exit status $rc"
summary=$(tail -n 1 "$RP_TMP/kdiag.txt")
assert_match "$summary" '^[1-9][0-9]* passed, 0 failed$' "kdiag_check summary"

# Cost of one call, for the record (not asserted: depends on the machine).
"$kdiag" bench 1000 500 >"$RP_TMP/bench.txt" 2>&1 || fail "kdiag_check bench failed: $(tail -n 1 "$RP_TMP/bench.txt")"
while IFS= read -r line; do info "$line"; done <"$RP_TMP/bench.txt"

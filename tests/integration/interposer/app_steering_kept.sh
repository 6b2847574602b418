#!/bin/bash
# What an application asks of its own sockets is what it gets under the
# shim: an ephemeral port stays private (no forced SO_REUSEPORT, no group),
# the application's own SO_ATTACH_REUSEPORT_CBPF program is kept (the shim
# never replaces it), and attaching to a socket the application never made
# reuseport fails with EINVAL as without the shim. The same script's output
# without the shim is the reference.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim

script=$RP_TEST_LIB/app_steering.py
want=$(py "$script" 21000 21001) || fail "reference run failed: $want"
info "without the shim: $(echo "$want" | tr '\n' ';')"
assert_match "$want" "cbpf accepted=10,0" "reference: the program sends all to index 0"

got=$(REUSEPORT_LOG=info LD_PRELOAD=$RP_LIB py "$script" 21010 21011 2>"$RP_TMP/shim.err") ||
	fail "run under the shim failed: $got $(cat "$RP_TMP/shim.err")"
info "under the shim: $(echo "$got" | tr '\n' ';')"
assert_eq "$got" "$want" "same behaviour under the shim"
grep -q "event=app_program group=tcp4_127-0-0-1_21010" "$RP_TMP/shim.err" ||
	fail "the kept program was not reported: $(cat "$RP_TMP/shim.err")"
pass_msg "the application's program is reported as kept"
ns="$(rp_ns_dir)"
left=$(find "$ns" -mindepth 1 -maxdepth 1 ! -name tcp ! -name udp 2>/dev/null | wc -l)
assert_eq "$left" 0 "groups created (none: ephemeral and app-steered ports)"

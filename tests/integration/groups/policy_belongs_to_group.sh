#!/bin/bash
# The policy belongs to the group: the creator's policy holds while members
# are live; a joiner with another explicit REUSEPORT_POLICY says so and is
# overruled; a joiner of a group whose members are all gone sets it anew;
# `reuseport policy` changes it for everyone at run time.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8360
policy() { "$RP_CLI" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["policy"])'; }
REUSEPORT_POLICY="hash" rp_spawn a "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www a a)" $port
wait_listeners tcp $port 1 127.0.0.1 10 || fail "a did not start"
REUSEPORT_POLICY=roundrobin rp_spawn b "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www b b)" $port
wait_listeners tcp $port 2 127.0.0.1 10 || fail "b did not start"
wait_log b 'event=policy_mismatch' 10 || fail "b did not report the mismatch: $(cat "$(rp_logfile b)")"
grep -q 'event=policy_mismatch group=tcp4_127-0-0-1_8360 policy=hash requested=roundrobin' "$(rp_logfile b)" ||
	fail "mismatch line: $(cat "$(rp_logfile b)")"
assert_eq "$(policy)" hash "group policy with live members (creator's)"

# run-time change, for everyone
"$RP_CLI" policy roundrobin | grep -q 'policy roundrobin' || fail "reuseport policy failed"
assert_eq "$(policy)" roundrobin "group policy after reuseport policy"
out=$(rpclient http --port $port -n 40)
assert_eq "$(jget "$out" ids.a 0)" 20 "roundrobin after the change: a"
assert_eq "$(jget "$out" ids.b 0)" 20 "roundrobin after the change: b"
"$RP_CLI" policy bogus 2>"$RP_TMP/err" && fail "unknown policy accepted"
grep -q 'unknown or unsupported policy bogus; supported: auto roundrobin hash leastconn weighted cpu sticky' "$RP_TMP/err" ||
	fail "bad policy message: $(cat "$RP_TMP/err")"

# every member gone: the next joiner's policy applies
rp_stop a; rp_stop b
REUSEPORT_POLICY=leastconn REUSEPORT_LOG=info rp_spawn c "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www c c)" $port
wait_listeners tcp $port 1 127.0.0.1 10 || fail "c did not start"
wait_log c 'event=attach' 10 || fail "c not attached"
assert_eq "$(policy)" leastconn "group policy after a restart with another policy"
grep -q 'event=policy group=tcp4_127-0-0-1_8360 policy=leastconn previous=roundrobin' "$(rp_logfile c)" ||
	fail "c did not log the re-initialisation: $(cat "$(rp_logfile c)")"

#!/bin/bash
# reuseport adopt PID registers the listener of a server outside reuseport
# run that the shim does not reach (here a python server without the shim
# that sets SO_REUSEPORT itself, beside a preloaded one): before, the
# program sees it outside the map and leaves everything to the kernel
# hash; after, it is a member (adopted, for its own pid), round robin is
# exact over both, and adopting it again says so. A preloaded process is
# skipped (its shim handles its sockets); a word that is not a pid is a
# usage error.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

PORT=9420 G=tcp4_127-0-0-1_9420
REUSEPORT_POLICY=roundrobin rp_spawn a "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www a a)" $PORT
wait_live_slots $G 1 || fail "a not registered"
spawn_plain u "$PY" "$RP_TEST_LIB/plain_server.py" $PORT u
wait_log u ready || fail "u did not start"
rpclient http --port $PORT -n 10 >/dev/null
assert_eq "$(jeval "$(status_json)" 'd["groups"][0]["steering"]["mode"]')" kernel_hash "steering before adopt"

out=$("$RP_CLI" adopt "$(rp_pid u)" 2>&1) || fail "reuseport adopt failed: $out"
info "adopt: $out"
assert_match "$out" "^adopted: pid $(rp_pid u) fd [0-9]+ group $G slot 1" "adopt's line"
s=$(status_json)
assert_eq "$(jeval "$s" 'd["groups"][0]["live"]')" 2 "live slots after adopt"
assert_eq "$(jeval "$s" '[x["adopted"] for x in d["groups"][0]["slots"] if x["pid"] == '"$(rp_pid u)"'][0]')" true "u's slot is adopted"
assert_eq "$(jeval "$s" 'd["groups"][0]["steering"]["unregistered"]')" 0 "unregistered listeners after adopt"
rpclient http --port $PORT -n 4 >/dev/null
sleep 0.05
out=$(rpclient http --port $PORT -n 40)
info "after adopt: $out"
assert_eq "$(jget "$out" ids.a 0)" 20 "requests served by a (roundrobin)"
assert_eq "$(jget "$out" ids.u 0)" 20 "requests served by the adopted u (roundrobin)"
assert_eq "$(jeval "$(status_json)" 'd["groups"][0]["steering"]["mode"]')" program "steering after adopt"

out=$("$RP_CLI" adopt "$(rp_pid u)" 2>&1) || fail "adopting again failed: $out"
assert_match "$out" "^registered already: pid $(rp_pid u) " "adopting again"
out=$("$RP_CLI" adopt "$(rp_pid a)" 2>&1) || fail "adopt of a preloaded process failed: $out"
assert_match "$out" "^skipped: pid $(rp_pid a): the shim in it" "a preloaded process"
"$RP_CLI" adopt 12x >/dev/null 2>&1
assert_eq $? 2 "exit status of adopt with a bad pid"
pass_msg "reuseport adopt registers a server the shim does not reach"

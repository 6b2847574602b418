#!/bin/bash
# A full sockarray (REUSEPORT_MAX_SLOTS=1, two instances): the second one
# cannot register; it starts, says so in one line (ENOSPC), and the group
# switches to the kernel hash so that it still serves.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
. "$RP_ITEST_DIR/fallback_lib.sh"
need_shim
need_cli

start_servers 8094 1 REUSEPORT_MAX_SLOTS=1
wait_live_slots 8094 1 || fail "instance 1 not registered"
REUSEPORT_MAX_SLOTS=1 rp_spawn s2 "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www s2 s2)" 8094
wait_listeners tcp 8094 2 127.0.0.1 15 || fail "instance 2 did not start: $(cat "$(rp_logfile s2)")"
all_serve 8094 2 100
assert_eq "$(shim_lines s1)" 0 "shim log lines of instance 1"
assert_eq "$(shim_lines s2)" 1 "shim log lines of instance 2"
grep -q 'event=fallback .*errno=ENOSPC .*every slot of the group is taken' "$(rp_logfile s2)" ||
	fail "no ENOSPC line: $(cat "$(rp_logfile s2)")"
status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'd["groups"][0]["unsteered"]')" 1 "members outside the map"
assert_ge "$(jeval "$status" 'd["groups"][0]["counters"]["unsteered"]')" 100 "selections left to the kernel hash"
"$RP_CLI" status | grep -q UNSTEERED || fail "status does not show the unsteered group"
pass_msg "status shows the degraded group"

# The member outside the map dies without closing (kill -9): once anyone
# looks (status, a join), the group is steered again.
rp_kill s2 KILL
rp_wait_exit s2 10 || fail "instance 2 did not die"
status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'd["groups"][0]["unsteered"]')" 0 "members outside the map after kill -9"
before=$(jeval "$status" 'd["groups"][0]["counters"]["steered"]')
rpclient http --port 8094 -n 10 >/dev/null
after=$(jeval "$("$RP_CLI" status --json)" 'd["groups"][0]["counters"]["steered"]')
assert_eq "$((after - before))" 10 "connections steered by the program again"

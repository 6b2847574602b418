#!/bin/bash
# A full sockarray (REUSEPORT_MAX_SLOTS=1, two instances): the second one
# cannot register; it starts, says so in one line (ENOSPC), and the group
# switches to the kernel hash so that it still serves.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
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
"$RP_CLI" status | grep -q "KERNEL HASH" || fail "status does not show the group on the kernel hash"
"$RP_CLI" status | grep -q "could not register a member" || fail "status does not say why"
pass_msg "status shows the degraded group"

# The member outside the map dies without closing (kill -9): status, which
# writes nothing, no longer counts it at once; the group is steered again
# once a writer takes it back (a join, reuseport run, or a command that
# writes the group: here `reuseport policy`).
rp_kill s2 KILL
rp_wait_exit s2 10 || fail "instance 2 did not die"
status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'd["groups"][0]["unsteered"]')" 0 "members outside the map after kill -9"
"$RP_CLI" policy roundrobin > /dev/null || fail "reuseport policy failed"
status=$("$RP_CLI" status --json)
before=$(jeval "$status" 'd["groups"][0]["counters"]["steered"]')
rpclient http --port 8094 -n 10 >/dev/null
after=$(jeval "$("$RP_CLI" status --json)" 'd["groups"][0]["counters"]["steered"]')
assert_eq "$((after - before))" 10 "connections steered by the program again"

# REUSEPORT_STRICT=1 and the group is full again: listen() fails with ENOSPC
# and that socket is out of the kernel group, although the process keeps it
# open: every connection still reaches instance 1, none waits in a queue
# nobody accepts.
REUSEPORT_STRICT=1 REUSEPORT_MAX_SLOTS=1 LD_PRELOAD=$RP_LIB "$PY" -c '
import errno, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 8094))
try:
    s.listen(64)
    print("listen ok", flush=True)
except OSError as e:
    print("listen", errno.errorcode[e.errno], flush=True)
time.sleep(30)
' >"$RP_TMP/strict.out" 2>"$RP_TMP/strict.err" &
strict=$!
wait_for 10 grep -q listen "$RP_TMP/strict.out" || fail "strict member did not report: $(cat "$RP_TMP/strict.err")"
assert_eq "$(cat "$RP_TMP/strict.out")" "listen ENOSPC" "strict listen on a full group"
out=$(rpclient http --port 8094 -n 20 --timeout 3)
assert_eq "$(jget "$out" ok)" 20 "connections answered while the strict socket is open"
assert_eq "$(jget "$out" ids.s1 0)" 20 "all by instance 1"
kill "$strict"

#!/bin/bash
# HAProxy in master-worker mode (-W), reloaded with SIGUSR2: the master
# re-executes itself and its new workers inherit the listeners without
# calling bind or listen. The counts stay right after the reload: every
# accept is seen (accepted), nothing stays "queued", active returns to 0.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd haproxy

port=8600
backend=9902
spawn_plain backend "$PY" "$RP_TEST_LIB/plain_server.py" $backend origin
wait_log backend ready || fail "backend did not start"
cat >"$RP_TMP/haproxy.cfg" <<CFG
global
	master-worker
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend f
	bind 127.0.0.1:$port
	default_backend b
backend b
	server s1 127.0.0.1:$backend
CFG
REUSEPORT_LOG=info rp_spawn haproxy haproxy -W -db -f "$RP_TMP/haproxy.cfg"
slot() { # FIELD of the group's slots, summed
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
print(sum(s[sys.argv[1]] for g in json.load(sys.stdin)["groups"] for s in g["slots"]))' "$1"
}
wait_for 15 bash -c "'$RP_CLI' status | grep -q ' live '" || fail "haproxy did not register: $(cat "$(rp_logfile haproxy)")"
wait_log haproxy "Loading success" || fail "haproxy did not load"
out=$(rpclient http --port $port --path / -n 30)
assert_eq "$(jget "$out" ok)" 30 "requests through haproxy before the reload"
master=$(rp_pid haproxy)
for round in 1 2; do
	kill -USR2 "$master"
	wait_for 15 bash -c "[ \$(grep -c 'Loading success' '$(rp_logfile haproxy)') -ge $((round + 1)) ]" ||
		fail "reload $round did not finish: $(tail -5 "$(rp_logfile haproxy)")"
	out=$(rpclient http --port $port --path / -n 30)
	assert_eq "$(jget "$out" ok)" 30 "requests through haproxy after reload $round"
done
grep -q "event=adopt group=tcp4_127-0-0-1_$port" "$(rp_logfile haproxy)" ||
	fail "no new worker adopted the inherited listener: $(cat "$(rp_logfile haproxy)")"
assert_eq "$(slot accepted)" 90 "accepts counted over three generations of workers"
wait_for 10 bash -c "[ \"\$($(declare -f slot); RP_CLI='$RP_CLI' PY='$PY' slot active)\" = 0 ]" ||
	fail "active connections left: $("$RP_CLI" status)"
pass_msg "active back to 0"
assert_le "$(slot queued)" 0 "queued after the requests"

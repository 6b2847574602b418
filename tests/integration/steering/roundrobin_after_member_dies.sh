#!/bin/bash
# Round robin stays exact after a member dies. A killed member's slot
# empties (the kernel drops a closed socket from the sockarray) and stays
# in the table until a new member takes it; the program skips the empty
# slot and adds the skip to its cursor, so that the slot after the hole
# does not get the hole's turn besides its own. Of three members, the two
# survivors then get exactly half of N new connections each (without the
# carry: a third and two thirds). Two rows: the middle member dies (the
# next slot is the one tempted), then the last one (the turn wraps around
# to slot 0).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

n=300

# row PORT VICTIM: r1 r2 r3 registered in that order (slots 0 1 2) on
# PORT, rVICTIM killed with SIGKILL, then n connections one after another
row() {
	local port=$1 victim=$2 i pid status out
	for i in 1 2 3; do
		REUSEPORT_POLICY=roundrobin rp_spawn "r$i-$port" "$PY" -m http.server \
			--bind 127.0.0.1 --directory "$(mk_www "r$i-$port" "r$i")" "$port"
		wait_live_slots "$port" "$i" 15 || fail "r$i on $port did not register"
	done
	status=$(status_json)
	for i in 1 2 3; do
		pid=$(rp_pid "r$i-$port")
		assert_eq "$(jeval "$status" "[s['slot'] for s in d['groups'][0]['slots'] if s['pid'] == $pid]")" \
			"[$((i - 1))]" "port $port: slot of r$i"
	done

	rp_kill "r$victim-$port" KILL || fail "r$victim on $port was not running"
	rp_wait_exit "r$victim-$port" 10 || fail "r$victim on $port survived SIGKILL"
	wait_live_slots "$port" 2 || fail "port $port: the killed member's slot is still live"

	out=$(rpclient http --port "$port" -n $n)
	info "port $port, r$victim killed: $out"
	assert_eq "$(jget "$out" ok)" $n "port $port, r$victim killed: answered requests"
	assert_eq "$(jget "$out" "ids.r$victim" 0)" 0 "port $port: requests served by the killed r$victim"
	for i in 1 2 3; do
		((i == victim)) && continue
		assert_eq "$(jget "$out" "ids.r$i" 0)" $((n / 2)) "port $port, r$victim killed: requests served by r$i"
	done
	status=$(status_json)
	assert_eq "$(jeval "$status" 'd["groups"][0]["counters"]["empty"]')" 0 \
		"port $port: program outcome empty (kernel hash)"
}

row 8090 2
row 8091 3

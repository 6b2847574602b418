#!/bin/bash
# REUSEPORT_ROLE=standby: a standby member gets nothing while a primary is
# eligible, everything once the primaries are gone, and nothing again when
# a primary comes back. Also under hash, and for a bad REUSEPORT_ROLE the
# shim says what it accepts and leaves the server alone.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

http() { rp_spawn "$1" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$1" "$1")" "$2"; }

for pol in roundrobin hash; do
	port=8393 g=tcp4_127-0-0-1_8393
	[ $pol = hash ] && port=8394 g=tcp4_127-0-0-1_8394
	REUSEPORT_POLICY=$pol http "$pol-p1" $port
	REUSEPORT_POLICY=$pol REUSEPORT_ROLE=standby http "$pol-s" $port
	REUSEPORT_POLICY=$pol http "$pol-p2" $port
	wait_live_slots "$g" 3 15 || fail "$pol: 3 live slots expected"
	st=$(status_json)
	assert_eq "$(jeval "$st" "[s['role'] for g in d['groups'] if g['name']=='$g' for s in g['slots'] if s['pid']==$(rp_pid "$pol-s")][0]")" standby "$pol: status role of the standby"
	out=$(rpclient http --port $port -n 40 --concurrency 2)
	info "$pol with two primaries: $(jget "$out" ids)"
	assert_eq "$(jget "$out" ok)" 40 "$pol: requests"
	assert_eq "$(jget "$out" "ids.$pol-s" 0)" 0 "$pol: requests to the standby while primaries live"
	assert_ge "$(jget "$out" "ids.$pol-p1" 0)" 5 "$pol: requests to primary 1"
	rp_stop "$pol-p1"
	rp_stop "$pol-p2"
	wait_live_slots "$g" 1 || fail "$pol: primaries did not leave"
	out=$(rpclient http --port $port -n 40 --concurrency 2)
	assert_eq "$(jget "$out" "ids.$pol-s" 0)" 40 "$pol: requests to the standby once the primaries are gone"
	REUSEPORT_POLICY=$pol http "$pol-p3" $port
	wait_live_slots "$g" 2 15 || fail "$pol: primary 3 did not register"
	out=$(rpclient http --port $port -n 40 --concurrency 2)
	assert_eq "$(jget "$out" "ids.$pol-p3" 0)" 40 "$pol: requests to the primary that came back"
done

# a draining primary: the standby first (an operator's wish to drain)
"$RP_CLI" drain "$(rp_pid roundrobin-p3)" >/dev/null || fail "drain failed"
out=$(rpclient http --port 8393 -n 20 --concurrency 2)
assert_eq "$(jget "$out" ids.roundrobin-s 0)" 20 "requests to the standby while the only primary drains"

REUSEPORT_ROLE=backup rp_spawn bad "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www bad bad)" 8395
wait_tcp_port 8395 127.0.0.1 || fail "server with a bad REUSEPORT_ROLE did not listen"
wait_log bad 'REUSEPORT_ROLE=backup: unknown role; accepted: primary \(default\) or standby' 10 ||
	fail "no clear message for a bad REUSEPORT_ROLE: $(cat "$(rp_logfile bad)")"

#!/bin/bash
# UDP flow table (REUSEPORT_UDP_FLOWS): 200 long-lived flows (a datagram
# every 10 ms each) through a rolling restart of 3 instances (a newer
# REUSEPORT_GENERATION joins, then an old instance is stopped, three
# times). With the table no flow changes instance before its instance is
# stopped and none comes back to an instance it left; without it (control)
# the flows move to the new generation at once. One-shot (DNS-style)
# queries keep working and spread over the new instances. The group's flow
# hits never go down when a new instance claims a stopped one's slot (the
# slot's count is handed over to the group, as steered is:
# restarts/rolling_restart_nginx).
# slow: 200 flows through three rolling restarts, twice (with and without the table)
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

FLOWS_PY=$RP_TEST_LIB/udpflows.py

# flow_hits PORT: the group's flow hits counter (status)
flow_hits() {
	status_json | "$PY" -c "import json,sys; print([g for g in json.load(sys.stdin)['groups'] if g['name'] == 'udp4_0-0-0-0_$1'][0]['counters']['flow_hits'])"
}

# roll MODE PORT FLOWS: MODE names the instances; FLOWS is REUSEPORT_UDP_FLOWS;
# the flows' verdict goes to $RP_TMP/MODE.result; the group's flow hits
# before and after each new instance claims a slot (a stopped one's, from
# the second on) to $RP_TMP/MODE.hits.
roll() {
	local mode=$1 port=$2 flows=$3 i old new
	: >"$RP_TMP/$mode.kills"
	: >"$RP_TMP/$mode.hits"
	for i in 1 2 3; do
		REUSEPORT_UDP_FLOWS=$flows REUSEPORT_GENERATION=1 \
			rp_spawn "$mode-o$i" "$PY" "$UDP_SERVER" --port "$port" --id "o$i"
	done
	wait_live_slots "$port" 3 || fail "$mode: 3 old instances did not register"
	rm -f "$RP_TMP/$mode.done"
	spawn_plain "$mode-client" "$PY" "$FLOWS_PY" run --port "$port" --flows 200 \
		--interval 0.01 --duration 60 --until "$RP_TMP/$mode.done"
	sleep 1.5
	for i in 1 2 3; do
		old=$mode-o$i new=$mode-n$i
		echo "before-n$i $(flow_hits "$port")" >>"$RP_TMP/$mode.hits"
		REUSEPORT_UDP_FLOWS=$flows REUSEPORT_GENERATION=2 \
			rp_spawn "$new" "$PY" "$UDP_SERVER" --port "$port" --id "n$i"
		wait_live_slots "$port" 4 || fail "$mode: $new did not register"
		echo "after-n$i $(flow_hits "$port")" >>"$RP_TMP/$mode.hits"
		# one-shot queries in the middle of the roll: to the new generation
		[ "$i" = 2 ] && rpclient udp --port "$port" --flows 30 --per-flow 1 >"$RP_TMP/$mode.oneshot"
		sleep 1
		printf 'o%s %s\n' "$i" "$EPOCHREALTIME" >>"$RP_TMP/$mode.kills"
		rp_stop "$old"
		sleep 0.5
	done
	# the flows run through every stop, however long the roll took
	sleep 1
	touch "$RP_TMP/$mode.done"
	rp_wait_exit "$mode-client" 20 || fail "$mode: flow client did not finish"
	grep -q '"flows"' "$(rp_logfile "$mode-client")" || fail "$mode: no client result: $(tail -3 "$(rp_logfile "$mode-client")")"
	"$PY" "$FLOWS_PY" check --flows-json "$(rp_logfile "$mode-client")" \
		--kills "$RP_TMP/$mode.kills" >"$RP_TMP/$mode.result" || fail "$mode: check failed"
}

roll table 5390 1
out=$(cat "$RP_TMP/table.result")
info "with REUSEPORT_UDP_FLOWS=1: $out"
assert_eq "$(jget "$out" answered)" 200 "flows answered (table)"
assert_eq "$(jget "$out" moved_live)" 0 "flows that changed instance while theirs was still running (table)"
assert_eq "$(jget "$out" returned)" 0 "flows answered again by an instance they had left (table)"
assert_ge "$(jget "$out" changes)" 150 "flow changes at the stop of their instance (table)"
st=$(status_json)
g=$(jeval "$st" '[g for g in d["groups"] if g["name"] == "udp4_0-0-0-0_5390"][0]')
assert_eq "$(jeval "$g" 'd["udp_flows"]["enabled"]')" true "status: udp_flows enabled"
assert_eq "$(jeval "$g" 'd["udp_flows"]["max"]')" 65536 "status: flow table size"
assert_ge "$(jeval "$g" 'd["udp_flows"]["entries"]')" 200 "status: flow table entries"
assert_ge "$(jeval "$g" 'd["counters"]["flow_hits"]')" 10000 "status: flow hits"
# A new instance that claims a stopped one's slot takes over none of its
# hits and the group's counter keeps them (the hand-over at reclaim).
info "flow hits through the roll: $(tr '\n' ' ' <"$RP_TMP/table.hits")"
assert_eq "$(awk 'NR > 1 && $2 < last { bad++ } { last = $2 } END { print bad + 0 }' "$RP_TMP/table.hits")" 0 \
	"times the group's flow hits went down while instances claimed slots"
assert_ge "$(awk 'END { print $2 }' "$RP_TMP/table.hits")" 1000 "flow hits counted before the last claim"
assert_ge "$(jeval "$g" 'd["counters"]["flow_stale"]')" 150 "status: flows whose member was gone"
"$RP_CLI" metrics | grep -q '^reuseport_group_udp_flows{group="udp4_0-0-0-0_5390"} [0-9]' ||
	fail "metrics: no flow table gauge: $("$RP_CLI" metrics | grep udp_flows)"

q=$(cat "$RP_TMP/table.oneshot")
assert_eq "$(jget "$q" ok)" 30 "one-shot queries during the roll answered (table)"
assert_eq "$(jeval "$q" 'sorted(set(d["ids"]) - {"n1", "n2"})')" "[]" "one-shot queries during the roll to the new generation only"
assert_ge "$(jeval "$q" 'len(d["ids"])')" 2 "new instances answering one-shot queries during the roll"

# DNS-style one-shot queries after the roll: answered, spread over n1..n3.
q=$(rpclient udp --port 5390 --flows 60 --per-flow 1)
assert_eq "$(jget "$q" ok)" 60 "one-shot queries answered (table)"
assert_ge "$(jeval "$q" 'len(d["ids"])')" 2 "instances answering one-shot queries (table)"
assert_eq "$(jeval "$q" 'sorted(set(d["ids"]) - {"n1", "n2", "n3"})')" "[]" "one-shot queries only to the new generation"

roll control 5391 0
out=$(cat "$RP_TMP/control.result")
info "control, without the table: $out"
assert_eq "$(jget "$out" answered)" 200 "flows answered (control)"
assert_ge "$(jget "$out" moved_live)" 100 "flows that changed instance while theirs was still running (control)"
st=$(status_json)
assert_eq "$(jeval "$st" '[g["udp_flows"]["enabled"] for g in d["groups"] if g["name"] == "udp4_0-0-0-0_5391"][0]')" false "status: no flow table (control)"

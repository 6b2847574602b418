#!/bin/bash
# kill -9 under load: 4 nginx under `reuseport run`, 16 clients opening new
# connections all the time. One instance (master and worker) is frozen so
# its share of new connections queues on its listener, then killed with
# SIGKILL; the supervisor restarts it. Three times. Every connection that
# was queued is answered by another instance. Connections the frozen worker
# had already accepted (in flight: the established connections the frozen
# processes hold at the kill, from ss) die with it; failures must not
# exceed those. The supervisor does not warn of leftovers: the killed
# group's worker was dying with its master.
# slow: three kill -9 rounds under load
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/nginx_lib.sh"
need_shim
need_cli
need_cmd nginx ss

port=8450
for i in 1 2 3 4; do
	mkdir -p "$RP_TMP/n$i"
	nginx_conf "$RP_TMP/n$i" $port ok > "$RP_TMP/n$i/nginx.conf"
done
spawn_plain sup "$RP_CLI" run -n 4 --policy roundrobin -- nginx -c "$RP_TMP/n{i}/nginx.conf" -e "$RP_TMP/n{i}/error.log"
wait_live_slots $port 4 15 || fail "4 nginx expected"
rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" $port 16 "$RP_TMP/stop" > "$RP_TMP/load.json" &
load=$!
steered() { jget "$(status_json)" groups.0.counters.steered; }
steered_ge() { (($(steered) >= $1)); }
wait_for 10 steered_ge $(($(steered) + 100)) || fail "the load did not start"
total_queued=0 total_active=0
for round in 1 2 3; do
	victim=$("$RP_CLI" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["slots"][0]["pid"])')
	kill -STOP -- "-$victim"
	# its turn in the rotation keeps coming: connections queue on it
	wait_for 10 bash -c "[ \$(ss -Hltn 'sport = :$port' | awk '{q += \$2} END {print q + 0}') -ge 8 ]" ||
		fail "connections did not queue on the frozen instance"
	q=$(ss -Hltn "sport = :$port" | awk '{q += $2} END {print q + 0}')
	total_queued=$((total_queued + q))
	# in flight, as the kernel sees it: connections on the port held by
	# the frozen processes (the shim's "active" misses one whose accept
	# returned just as SIGSTOP landed, before the hook counted it)
	a=$(ss -Htnp state established "sport = :$port" | grep -cE "pid=($(pgrep -d '|' -g "$victim")),") || true
	total_active=$((total_active + a))
	kill -KILL -- "-$victim"
	wait_for 15 grep -q "event=crash .*pid=$victim signal=KILL" "$(rp_logfile sup)" || fail "crash not seen"
	wait_live_slots $port 4 15 || fail "instance not restarted"
	info "round $round: killed $victim with $q connections queued, $a accepted in flight"
done
wait_for 10 steered_ge $(($(steered) + 100)) || fail "no load after the last restart"
touch "$RP_TMP/stop"
wait $load
out=$(cat "$RP_TMP/load.json")
info "load: $out"
assert_ge "$total_queued" 24 "connections queued on killed instances"
echo "kill -9 under load: queued=$total_queued in_flight=$total_active failed=$(jget "$out" failed)"
assert_le "$(jget "$out" failed)" "$total_active" "failed requests (at most the accepted, in-flight ones)"
assert_ge "$("$RP_CLI" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["counters"]["migrated"])')" "$total_queued" "connections migrated by the program"
# the killed group's workers were dying with it: nothing left over to warn of
assert_eq "$(grep -c 'event=leftovers' "$(rp_logfile sup)")" 0 "leftovers warnings after kill -9 of whole groups"

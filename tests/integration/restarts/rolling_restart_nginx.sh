#!/bin/bash
# Rolling restart of 4 nginx instances under `reuseport run`, 10 rounds
# (SIGHUP), while 16 clients keep opening new connections: zero failed
# requests, no stall of a second or more. CONTROL, same load and restarts
# without steering (plain SO_REUSEPORT, no migration, tcp_migrate_req=0):
# instances replaced by start-new-then-SIGTERM-old lose connections, which
# shows the test can see losses.
# Then one more round with instance 1 frozen (SIGSTOP) and 2 connections
# waiting in its accept queue: the supervisor drains it (nothing accepted,
# nothing active) and stops it, and the program must hand both queued
# connections to the new generation: counters.migrated grows by 2, every
# request is answered.
# slow: 10 rolling restarts under load, then the same without steering
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/nginx_lib.sh"
need_shim
need_cli
need_cmd nginx

sysctl -qw net.ipv4.tcp_migrate_req=0 || fail "cannot set tcp_migrate_req"
rounds=${RP_ROUNDS:-10}
port=8410
for i in 1 2 3 4; do
	mkdir -p "$RP_TMP/n$i"
	nginx_conf "$RP_TMP/n$i" $port ok > "$RP_TMP/n$i/nginx.conf"
done

# --- shim: reuseport run, SIGHUP rolling restarts
spawn_plain sup "$RP_CLI" run -n 4 --grace 5 -- nginx -c "$RP_TMP/n{i}/nginx.conf" -e "$RP_TMP/n{i}/error.log"
wait_live_slots $port 4 15 || fail "4 nginx expected: $(cat "$(rp_logfile sup)" "$RP_TMP"/n1/error.log)"
rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" $port 16 "$RP_TMP/stop" > "$RP_TMP/shim.json" &
load=$!
steered() { jget "$(status_json)" groups.0.counters.steered; }
steered_ge() { (($(steered) >= $1)); }
wait_for 10 steered_ge $(($(steered) + 200)) || fail "the load did not start"
for r in $(seq "$rounds"); do
	kill -HUP "$(rp_pid sup)"
	wait_for 60 grep -q "event=rolling_done generation=$r\$" "$(rp_logfile sup)" ||
		fail "round $r did not finish: $(tail -20 "$(rp_logfile sup)")"
done
wait_for 10 steered_ge $(($(steered) + 200)) || fail "no load after the last round"
touch "$RP_TMP/stop"
wait $load
shim=$(cat "$RP_TMP/shim.json")
info "shim: $shim"
"$RP_CLI" status
assert_eq "$(jeval "$(status_json)" 'sorted(set(s["generation"] for s in d["groups"][0]["slots"]))')" "[$rounds]" "generations live after $rounds rounds"
assert_eq "$(jget "$(status_json)" groups.0.counters.migrate_empty)" 0 "migrations that found no live slot"
# every request was a connection the program placed, and the rounds claimed
# the slots of finished instances again: their counts must stay counted
assert_ge "$(jget "$(status_json)" groups.0.counters.runs)" "$(jget "$shim" ok)" "program runs counted across $rounds rounds of reclaimed slots"

# --- one more round with instance 1 frozen and connections in its queue
r=$((rounds + 1))
inst1=$(sed -n 's/.*event=start instance=1 pid=\([0-9]*\) .*/\1/p' "$(rp_logfile sup)" | tail -n1)
wait_live_slots $port 4 || fail "4 live slots expected before round $r"
migrated0=$(jget "$(status_json)" groups.0.counters.migrated)
kill -STOP -- "-$inst1" # nginx master and worker
# 8 connections at once, round robin over 4 slots: 2 wait on instance 1
rpclient http --port $port --path / -n 8 --concurrency 8 --timeout 30 > "$RP_TMP/frozen.json" &
client=$!
queued_on() { jeval "$(status_json)" "sum(s['queued'] for s in d['groups'][0]['slots'] if s['pid'] == $1)"; }
queued_ge() { (($(queued_on "$1") >= $2)); }
wait_for 10 queued_ge "$inst1" 2 || fail "connections did not queue on the frozen instance: $("$RP_CLI" status)"
info "queued on frozen instance 1 (pid $inst1): $(queued_on "$inst1")"
kill -HUP "$(rp_pid sup)"
wait_for 60 grep -q "event=rolling_done generation=$r\$" "$(rp_logfile sup)" ||
	fail "round $r did not finish: $(tail -20 "$(rp_logfile sup)")"
wait $client
frozen=$(cat "$RP_TMP/frozen.json")
info "client of round $r: $frozen"
grep -E "event=(drain|exit|kill).*pid=$inst1( |$)" "$(rp_logfile sup)" | sed 's/^/  | /'
assert_eq "$(jget "$frozen" ok)" 8 "requests answered in round $r (2 were queued on the frozen instance)"
st=$(status_json)
assert_ge "$(($(jget "$st" groups.0.counters.migrated) - migrated0))" 2 "connections migrated when the frozen instance was stopped"
assert_eq "$(jget "$st" groups.0.counters.migrate_empty)" 0 "migrations that found no live slot"
assert_eq "$(jeval "$st" 'sorted(set(s["generation"] for s in d["groups"][0]["slots"]))')" "[$r]" "generations live after round $r"
kill -TERM "$(rp_pid sup)"
rp_wait_exit sup 20 || fail "supervisor did not stop"

# --- control: plain SO_REUSEPORT (the shim cannot steer: no bpffs there)
mkdir -p "$RP_TMP/plain"
export REUSEPORT_PIN_DIR=$RP_TMP/plain/x
port=8411
start_c() { # I GEN: start control instance I as process name cI-GEN
	mkdir -p "$RP_TMP/c$1-$2"
	nginx_conf "$RP_TMP/c$1-$2" $port ok > "$RP_TMP/c$1-$2/nginx.conf"
	rp_spawn "c$1-$2" nginx -c "$RP_TMP/c$1-$2/nginx.conf" -e "$RP_TMP/c$1-$2/error.log"
}
for i in 1 2 3 4; do start_c $i 0; done
wait_listeners tcp $port 4 127.0.0.1 15 || fail "4 control nginx expected"
rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" $port 16 "$RP_TMP/stop" > "$RP_TMP/control.json" &
load=$!
sleep 1
for r in $(seq "$rounds"); do
	for i in 1 2 3 4; do
		start_c "$i" "$r"
		wait_listeners tcp $port 5 127.0.0.1 10 || fail "control replacement did not listen"
		rp_stop "c$i-$((r - 1))" 5
	done
done
sleep 1
touch "$RP_TMP/stop"
wait $load
control=$(cat "$RP_TMP/control.json")
info "control: $control"

echo "shim failed=$(jget "$shim" failed) control failed=$(jget "$control" failed) (rounds=$rounds, 4 instances, 16 clients)"
echo "shim max_latency_ms=$(jget "$shim" max_latency_ms) control max_latency_ms=$(jget "$control" max_latency_ms)"
assert_ge "$(jget "$shim" ok)" 1000 "requests during the shim's rolling restarts"
assert_eq "$(jget "$shim" failed)" 0 "failed requests with the shim"
assert_eq "$(jget "$shim" slow)" 0 "requests of 1 s or more with the shim (SYN retry stalls)"
assert_gt "$(( $(jget "$control" failed) + $(jget "$control" slow) ))" 0 "failed or stalled requests of the control (the test can see losses)"

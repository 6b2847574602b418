#!/bin/bash
# Rolling restart of 4 nginx instances under `reuseport run`, 10 rounds
# (SIGHUP), while 16 clients keep opening new connections: zero failed
# requests, no stall of a second or more. CONTROL, same load and restarts
# without steering (plain SO_REUSEPORT, no migration, tcp_migrate_req=0):
# instances replaced by start-new-then-SIGTERM-old lose connections, which
# shows the test can see losses.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
. "$RP_ITEST_DIR/nginx_lib.sh"
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
wait_for 15 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 4" || fail "4 nginx expected: $(cat "$(rp_logfile sup)" "$RP_TMP"/n1/error.log)"
rm -f "$RP_TMP/stop"
"$PY" "$RP_ITEST_DIR/loadclient.py" $port 16 "$RP_TMP/stop" > "$RP_TMP/shim.json" &
load=$!
sleep 1
for r in $(seq "$rounds"); do
	kill -HUP "$(rp_pid sup)"
	wait_for 60 grep -q "event=rolling_done generation=$r\$" "$(rp_logfile sup)" ||
		fail "round $r did not finish: $(tail -20 "$(rp_logfile sup)")"
done
sleep 1
touch "$RP_TMP/stop"
wait $load
shim=$(cat "$RP_TMP/shim.json")
info "shim: $shim"
"$RP_CLI" status
assert_eq "$("$RP_CLI" status --json | "$PY" -c 'import json,sys; print(sorted(set(s["generation"] for s in json.load(sys.stdin)["groups"][0]["slots"])))')" "[$rounds]" "generations live after $rounds rounds"
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
"$PY" "$RP_ITEST_DIR/loadclient.py" $port 16 "$RP_TMP/stop" > "$RP_TMP/control.json" &
load=$!
sleep 1
for r in $(seq "$rounds"); do
	for i in 1 2 3 4; do
		start_c $i $r
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

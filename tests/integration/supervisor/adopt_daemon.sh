#!/bin/bash
# reuseport run --adopt: lighttpd without -D daemonizes (its first process
# registers its listener, forks, exits 0); the supervisor follows the daemon
# it left (recognised by its REUSEPORT_INSTANCE/GENERATION) instead of
# giving up: both instances serve, a SIGHUP rolls them under load with no
# failed request (each replacement daemonizes too and is followed), SIGTERM
# stops the daemons: no lighttpd is left.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/run_lib.sh"
need_shim
need_cli
need_cmd lighttpd

lighttpd_conf 8486 'index-file.names = ("index.html")'
spawn_plain sup "$RP_CLI" run -n 2 --adopt --grace 3 -- lighttpd -f "$RP_TMP/lighttpd.conf"
wait_live_slots 8486 2 20 || fail "2 lighttpd expected: $(cat "$(rp_logfile sup)")"
adopted() { [[ $(grep -c "event=adopt instance=[12] generation=$1 " "$(rp_logfile sup)") -ge 2 ]]; }
wait_for 10 adopted 0 || fail "2 daemons adopted expected: $(cat "$(rp_logfile sup)")"
two_left() { [[ $(ns_pgrep lighttpd | wc -l) == 2 ]]; }
wait_for 10 two_left || fail "2 lighttpd expected: $(ns_pgrep lighttpd)"
pass_msg "2 lighttpd daemons adopted"

rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" 8486 2 "$RP_TMP/stop" >"$RP_TMP/load.json" &
load=$!
sleep 1
kill -HUP "$(rp_pid sup)"
wait_for 60 grep -q "event=rolling_done generation=1\$" "$(rp_logfile sup)" ||
	fail "the roll did not finish: $(tail -20 "$(rp_logfile sup)")
$(rp_cli status 2>&1)"
sleep 1
touch "$RP_TMP/stop"
wait "$load"
out=$(cat "$RP_TMP/load.json")
info "load across the roll: $out"
assert_ge "$(jget "$out" ok)" 50 "requests across the roll"
assert_eq "$(jget "$out" failed)" 0 "failed requests across the roll"
wait_for 10 adopted 1 || fail "the replacements' daemons were not adopted: $(cat "$(rp_logfile sup)")"
wait_for 10 two_left || fail "2 lighttpd expected after the roll: $(ns_pgrep lighttpd)"
assert_eq "$(jeval "$(status_json)" 'sorted(s["generation"] for s in d["groups"][0]["slots"])')" "[1, 1]" "generations serving"
if grep -q "event=crash\|rolling_abort" "$(rp_logfile sup)"; then fail "crash or abort: $(cat "$(rp_logfile sup)")"; fi

kill -TERM "$(rp_pid sup)"
wait_for 15 grep -q "event=stopped status=0" "$(rp_logfile sup)" || fail "no stop: $(tail "$(rp_logfile sup)")"
wait_for 5 none_left lighttpd || fail "lighttpd left running: $(ns_pgrep lighttpd)"
pass_msg "stopped, no lighttpd left"

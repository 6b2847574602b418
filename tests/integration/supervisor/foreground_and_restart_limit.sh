#!/bin/bash
# reuseport run gives up instead of piling up or looping:
# - lighttpd without -D daemonizes (its first process exits 0, the daemon
#   keeps the port): the supervisor says so, names the foreground flag
#   (lighttpd -D), stops what was left and the other instance, exits 1;
#   no lighttpd is left and none was started a second time.
# - `run -- false` stops after --restart-limit (default 5 restarts within
#   10 s) with false's status (1); a custom limit 2/10 with `exit 7` gives
#   3 starts and status 7.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/run_lib.sh"
need_shim
need_cli
need_cmd lighttpd

lighttpd_conf 8481
out=$RP_TMP/bg.out
rc=0
timeout 30 "$RP_CLI" run -n 2 --grace 2 -- lighttpd -f "$RP_TMP/lighttpd.conf" >"$out" 2>&1 || rc=$?
cat "$out"
assert_eq "$rc" 1 "exit status when the command went to the background"
assert_match "$(cat "$out")" 'exited with status 0 but left [0-9]+ process(es)? running \(lighttpd, pid [0-9]+\): lighttpd went to the background\. Run it in the foreground \(for lighttpd: -D\)' "the message"
assert_match "$(cat "$out")" "apache2 -DFOREGROUND, nginx -g 'daemon off;'" "the usual foreground flags named"
assert_eq "$(grep -c 'event=start instance' "$out")" 2 "instances started (no restart of a daemonizing command)"
wait_for 5 none_left lighttpd || fail "lighttpd left running: $(ns_pgrep lighttpd)"
pass_msg "no lighttpd left"

# a crash loop: false, 1 + 5 restarts, then status 1
rc=0
timeout 30 "$RP_CLI" run -n 1 -- false >"$out" 2>&1 || rc=$?
tail -3 "$out"
assert_eq "$rc" 1 "exit status of run -- false"
assert_eq "$(grep -c 'event=start instance=1' "$out")" 6 "starts of false (1 + 5 restarts)"
assert_match "$(cat "$out")" 'instance 1 exited with status 1 after 5 restarts within 10\.0 s \(--restart-limit 5/10\); giving up' "the message"

# --restart-limit 2/10 with two instances, one of which keeps serving:
# the other's exit status 7 ends the supervisor, the healthy one is stopped
rc=0
timeout 30 "$RP_CLI" run -n 2 --restart-limit 2/10 --grace 2 -- sh -c \
	'if [ "$REUSEPORT_INSTANCE" = 2 ]; then exit 7; fi; exec sleep 60' >"$out" 2>&1 || rc=$?
tail -4 "$out"
assert_eq "$rc" 7 "exit status with --restart-limit 2/10"
assert_eq "$(grep -c 'event=start instance=2' "$out")" 3 "starts of instance 2 (1 + 2 restarts)"
assert_match "$(cat "$out")" 'event=exit instance=1 pid=[0-9]+ signal=TERM' "the healthy instance was stopped"

for bad in 5 5/0 x/10 1001/10 -1/5; do
	rc=0
	"$RP_CLI" run -n 1 --restart-limit "$bad" -- true 2>"$out" || rc=$?
	assert_eq "$rc" 2 "exit status of --restart-limit $bad"
done
assert_match "$(cat "$out")" "--restart-limit takes N/SECONDS" "the message of a bad --restart-limit"

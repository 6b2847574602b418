#!/bin/bash
# reuseport reload PID: a rolling restart that returns when it is done
# (ExecReload= under systemd < 253, which has no Type=notify-reload):
# - it returns 0 only once the roll is done: event=rolling_done is in the
#   supervisor's log when it returns, though the replacements take 1 s to
#   start listening;
# - a roll that fails (the generation-2 replacement exits before it
#   listens) makes it exit 1 with the cause, the old instances serving;
# - a second reload sent during a roll waits for the roll after it;
# - a pid that is not a supervisor is refused and not signalled;
# - with run --reload signal it returns once the HUP is forwarded;
# - a supervisor in a pid namespace below ours is refused (it could not
#   answer: the requester's pid is 0 there).
# And systemd's STATUS= names a shared port nobody steers, with the cause
# the supervisor finds (instances whose pin dir is not on a bpffs).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

P=8495
# generation 2 never listens, later ones start slowly; then inst_server.py
cat >"$RP_TMP/inst.py" <<'PY'
import os, sys, time
gen = int(os.environ["REUSEPORT_GENERATION"])
if gen == 2:
    sys.exit(3)  # a replacement that never listens
if gen > 0:
    time.sleep(1)  # a slow start: the roll takes at least this long
os.execv(sys.executable, [sys.executable] + sys.argv[1:])
PY
ready=$RP_TMP/ready
"$RP_CLI" run -n 2 --grace 2 --ready-timeout 5 --ready-file "$ready" -- \
	"$PY" "$RP_TMP/inst.py" "$RP_TEST_LIB/inst_server.py" $P >"$RP_TMP/out" 2>"$RP_TMP/err" &
sup=$!
rp_on_exit "kill -KILL $sup 2>/dev/null"
wait_for 20 test -e "$ready" || fail "no ready file: $(cat "$RP_TMP/err")"

rc=0
"$RP_CLI" reload "$sup" 2>"$RP_TMP/r1" || rc=$?
assert_eq "$rc" 0 "reload exit status $(cat "$RP_TMP/r1")"
grep -q "event=rolling_done generation=1" "$RP_TMP/err" ||
	fail "reload returned before the roll was done: $(cat "$RP_TMP/err")"
pass_msg "the roll was done when reload returned"
grep -q "event=reload_answer pid=[0-9]* result=done" "$RP_TMP/err" || fail "no reload_answer line"

rc=0
"$RP_CLI" reload "$sup" 2>"$RP_TMP/r2" || rc=$?
assert_eq "$rc" 1 "reload exit status when a replacement fails"
grep -q "rolling restart failed" "$RP_TMP/r2" || fail "the cause is not said: $(cat "$RP_TMP/r2")"
grep -q "event=rolling_abort" "$RP_TMP/err" || fail "no rolling_abort before reload returned"
pass_msg "a failed roll: reload exits 1 with the cause"
assert_eq "$(live_slots $P)" 2 "the old instances keep serving"

# two at once: the second asks during the first roll and waits for its own
"$RP_CLI" reload "$sup" 2>"$RP_TMP/r3" &
first=$!
wait_for 10 grep -q "event=rolling_restart generation=3" "$RP_TMP/err" || fail "no roll 3"
rc=0
"$RP_CLI" reload "$sup" 2>"$RP_TMP/r4" || rc=$?
assert_eq "$rc" 0 "the second reload's exit status ($(cat "$RP_TMP/r4"))"
grep -q "event=rolling_done generation=4" "$RP_TMP/err" ||
	fail "the second reload returned before its own roll was done: $(grep event=rolling "$RP_TMP/err")"
rc=0
wait $first || rc=$?
assert_eq "$rc" 0 "the first reload's exit status ($(cat "$RP_TMP/r3"))"
pass_msg "a reload during a roll waits for the next one"

inst=$(pgrep -P "$sup" -f inst_server.py | head -1)
rc=0
"$RP_CLI" reload "$inst" 2>"$RP_TMP/r5" || rc=$?
assert_eq "$rc" 1 "reload of an instance's pid"
grep -q "not a reuseport run supervisor" "$RP_TMP/r5" || fail "no cause: $(cat "$RP_TMP/r5")"
_rp_pid_alive "$inst" || fail "the instance was signalled"
pass_msg "a pid that is not a supervisor is refused, left alone"
kill -TERM "$sup"
rc=0
wait "$sup" || rc=$?
assert_eq "$rc" 0 "supervisor exit status"

# --reload signal: done once forwarded; and STATUS= names the port nobody
# steers (the instances' pin dir is not on a bpffs: they fall back)
notes=$RP_TMP/notify.txt
spawn_plain listener "$PY" "$RP_TEST_LIB/notify_listen.py" "$RP_TMP/notify.sock" "$notes"
wait_for 10 test -e "$notes" || fail "notify listener did not start"
mkdir -p "$RP_TMP/plain"
REUSEPORT_PIN_DIR=$RP_TMP/plain/reuseport NOTIFY_SOCKET=$RP_TMP/notify.sock \
	"$RP_CLI" run -n 2 --reload signal --grace 2 -- \
	"$PY" "$RP_TMP/inst.py" "$RP_TEST_LIB/inst_server.py" $P >"$RP_TMP/out2" 2>"$RP_TMP/err2" &
sup=$!
rp_on_exit "kill -KILL $sup 2>/dev/null"
wait_for 20 grep -q "^READY=1" "$notes" || fail "no READY=1: $(cat "$RP_TMP/err2")"
info "$(grep ^READY=1 "$notes")"
grep -q "^READY=1|STATUS=2 instances serving, generation 0; NOT STEERED: tcp 127.0.0.1:$P (2 listeners): no bpf filesystem at $RP_TMP/plain" "$notes" ||
	fail "STATUS= does not name the unsteered port and its cause: $(cat "$notes")"
pass_msg "STATUS= names the unsteered port and why"
wait_for 10 grep -q "level=warn event=unsteered" "$RP_TMP/err2" || fail "no event=unsteered line: $(cat "$RP_TMP/err2")"
rc=0
"$RP_CLI" reload "$sup" 2>"$RP_TMP/r6" || rc=$?
assert_eq "$rc" 0 "reload with --reload signal ($(cat "$RP_TMP/r6"))"
grep -q "event=signal signal=HUP action=forward" "$RP_TMP/err2" || fail "HUP not forwarded"
kill -TERM "$sup"
wait "$sup" || true

# a supervisor in a pid namespace below ours (a container's) would see the
# requester as pid 0 and could not answer: refused, with what to do instead
unshare --pid --fork --kill-child "$RP_CLI" run -n 1 --grace 1 -- "$PY" "$RP_TMP/inst.py" "$RP_TEST_LIB/inst_server.py" $((P + 2)) \
	>"$RP_TMP/out4" 2>"$RP_TMP/err4" &
rp_on_exit "kill -KILL $! 2>/dev/null"
wait_for 10 pgrep -f "^$RP_CLI run -n 1 --grace 1 -- $PY $RP_TMP/inst.py $RP_TEST_LIB/inst_server.py $((P + 2))" >/dev/null || fail "no supervisor in a pid namespace"
inner=$(pgrep -f "^$RP_CLI run -n 1 --grace 1 -- $PY $RP_TMP/inst.py $RP_TEST_LIB/inst_server.py $((P + 2))")
rc=0
"$RP_CLI" reload "$inner" 2>"$RP_TMP/r7" || rc=$?
assert_eq "$rc" 1 "reload of a supervisor in another pid namespace"
grep -q "another pid namespace" "$RP_TMP/r7" || fail "no cause: $(cat "$RP_TMP/r7")"
_rp_pid_alive "$inner" || fail "the supervisor in the pid namespace died"
grep -q "event=rolling_restart" "$RP_TMP/err4" && fail "it was signalled"
pass_msg "a supervisor in another pid namespace is refused, not signalled"

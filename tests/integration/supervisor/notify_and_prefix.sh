#!/bin/bash
# reuseport run readiness and output:
# - sd_notify on NOTIFY_SOCKET (a path here, an abstract @name below),
#   captured by a datagram socket: MAINPID=<supervisor>, READY=1 once both
#   instances registered, RELOADING=1 (with MONOTONIC_USEC) then READY=1
#   around a rolling restart, STOPPING=1; the instances do not see
#   NOTIFY_SOCKET.
# - --ready-file: written once every instance registered (both slots live
#   at that moment), removed at stop.
# - --prefix: every line of an instance tagged [i], stdout and stderr kept
#   apart, a partial last line flushed when the instance exits; with its
#   stdout never read the supervisor drops lines (says so in its log) but
#   keeps working: it stops at once on SIGTERM.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

cat >"$RP_TMP/inst.py" <<'PY'
import os, signal, socket, sys
i, port, flood = os.environ["REUSEPORT_INSTANCE"], int(sys.argv[1]), int(sys.argv[2])
def bye(*_):
    sys.stdout.write("bye %s" % i)  # no newline: a partial line
    sys.stdout.flush()
    os._exit(0)
signal.signal(signal.SIGTERM, bye)
print("hello from %s generation %s notify=%s" % (i, sys.argv[3], os.environ.get("NOTIFY_SOCKET", "-")), flush=True)
print("err %s" % i, file=sys.stderr, flush=True)
for n in range(flood):
    print("flood %s %d %s" % (i, n, "x" * 200))
sys.stdout.flush()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.close()
PY
notes=$RP_TMP/notify.txt
spawn_plain listener "$PY" "$RP_TEST_LIB/notify_listen.py" "$RP_TMP/notify.sock" "$notes"
wait_for 10 test -e "$notes" || fail "notify listener did not start"
ready=$RP_TMP/ready
NOTIFY_SOCKET=$RP_TMP/notify.sock "$RP_CLI" run -n 2 --grace 3 --prefix --ready-file "$ready" -- \
	"$PY" "$RP_TMP/inst.py" 8484 0 "{g}" >"$RP_TMP/out" 2>"$RP_TMP/err" &
sup=$!
wait_for 20 test -e "$ready" || fail "no ready file: $(cat "$RP_TMP/err")"
assert_eq "$(live_slots 8484)" 2 "live slots when the ready file appeared"
assert_eq "$(cat "$ready")" ready "ready file contents"
kill -HUP "$sup"
wait_for 30 grep -q "event=rolling_done generation=1" "$RP_TMP/err" || fail "roll: $(cat "$RP_TMP/err")"
wait_for 5 grep -q "^READY=1.*generation 1" "$notes" || fail "no READY=1 after the roll: $(cat "$notes")"
kill -TERM "$sup"
rc=0
wait "$sup" || rc=$?
assert_eq "$rc" 0 "supervisor exit status"
[[ ! -e $ready ]] || fail "ready file left after the stop"
wait_for 5 grep -q "^STOPPING=1" "$notes" || fail "no STOPPING=1: $(cat "$notes")"
info "notify messages:"
sed 's/^/  | /' "$notes"
assert_eq "$(cut -d'|' -f1 "$notes" | tr '\n' ' ')" "MAINPID=$sup READY=1 RELOADING=1 READY=1 STOPPING=1 " "the notify messages in order"
assert_match "$(sed -n 1p "$notes")" "^MAINPID=$sup\|STATUS=starting 2 instances$" "first message"
assert_match "$(sed -n 2p "$notes")" '^READY=1\|STATUS=2 instances serving, generation 0$' "ready message"
assert_match "$(sed -n 3p "$notes")" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|STATUS=rolling restart to generation 1$' "reloading message"

info "stdout:"
sed 's/^/  | /' "$RP_TMP/out"
out=$(sort "$RP_TMP/out" | tr '\n' '/')
assert_eq "$out" "[1] bye 1/[1] bye 1/[1] hello from 1 generation 0 notify=-/[1] hello from 1 generation 1 notify=-/[2] bye 2/[2] bye 2/[2] hello from 2 generation 0 notify=-/[2] hello from 2 generation 1 notify=-/" "stdout lines (tagged, partial last lines flushed, {g}, no NOTIFY_SOCKET)"
assert_eq "$(grep -c '^\[[12]\] err [12]$' "$RP_TMP/err")" 4 "tagged stderr lines"
if grep -q '^\[' "$RP_TMP/out" && grep -q 'err' "$RP_TMP/out"; then fail "stderr in stdout"; fi

# abstract socket; stdout a pipe nobody reads while the instance floods it
: >"$notes"
spawn_plain listener2 "$PY" "$RP_TEST_LIB/notify_listen.py" "@rp-test-$$" "$RP_TMP/notify2.txt"
wait_for 10 test -e "$RP_TMP/notify2.txt" || fail "notify listener 2 did not start"
mkfifo "$RP_TMP/fifo"
sleep 60 <>"$RP_TMP/fifo" &
reader=$!
NOTIFY_SOCKET=@rp-test-$$ "$RP_CLI" run -n 1 --grace 3 --prefix -- \
	"$PY" "$RP_TMP/inst.py" 8485 20000 0 >"$RP_TMP/fifo" 2>"$RP_TMP/err2" &
sup=$!
wait_for 20 grep -q "^READY=1" "$RP_TMP/notify2.txt" || fail "no READY=1 on the abstract socket: $(cat "$RP_TMP/err2")"
wait_for 10 grep -q "event=output_slow dest=stdout action=drop" "$RP_TMP/err2" || fail "no drop logged: $(cat "$RP_TMP/err2")"
out=$(rpclient http --port 8485 --path / -n 5)
assert_eq "$(jget "$out" ok)" 5 "requests answered while the output is stuck"
kill -TERM "$sup"
wait_for 10 eval '! kill -0 '"$sup"' 2>/dev/null' || fail "the supervisor did not stop with its stdout stuck"
pass_msg "stopped with its stdout stuck"
kill "$reader" 2>/dev/null

#!/bin/bash
# reuseport run --rescue: an instance frozen (SIGSTOP) with connections in
# its accept queue is found hung by the kernel's queue length, its queue is
# moved to the other instance (shutdown of its listener through a pidfd
# copy) and it is killed and restarted. Every queued request is answered
# while the frozen process never runs again; nothing is reset; run logs
# event=rescue.
# slow: waits out the rescue delay
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8430 g=tcp4_127-0-0-1_8430
# a blocking server answering with its instance and pid
cat >"$RP_TMP/inst.py" <<'PY'
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
body = ("%s-%d" % (os.environ["REUSEPORT_INSTANCE"], os.getpid())).encode()
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY

# slot_of PID FIELD: FIELD of PID's slot in status --json
slot_of() {
	status_json | "$PY" -c "import json,sys
g=[g for g in json.load(sys.stdin)['groups'] if g['name']=='$g'][0]
print(([s['$2'] for s in g['slots'] if s['pid']==$1] or [0])[0])"
}
sup_log() { cat "$(rp_logfile sup)"; }
started() { grep -c "event=start instance=$1 " "$(rp_logfile sup)"; }
restarted() { [ "$(started 1)" -ge 2 ]; }

spawn_plain sup "$RP_CLI" run -n 2 --rescue 2 --grace 2 --policy roundrobin -- "$PY" "$RP_TMP/inst.py" $port
wait_live_slots "$g" 2 15 || fail "2 live slots expected: $(sup_log)"
out=$(rpclient http --port $port -n 10)
assert_eq "$(jget "$out" ok)" 10 "requests before the freeze"
p1=$(sed -n 's/.*event=start instance=1 pid=\([0-9]*\).*/\1/p' "$(rp_logfile sup)" | head -n1)
[ -n "$p1" ] || fail "no pid for instance 1: $(sup_log)"

kill -STOP "$p1"
spawn_plain held "$PY" "$RPCLIENT" hold --port $port -n 20 --timeout 20 --go-file "$RP_TMP/go"
wait_log held '^held 20$' 10 || fail "could not open 20 connections: $(cat "$(rp_logfile held)")"
q=$(slot_of "$p1" queued)
assert_ge "$q" 5 "connections queued at the frozen instance"
touch "$RP_TMP/go"
rp_wait_exit held 15 || fail "queued requests not answered: $(sup_log)"
out=$(tail -n1 "$(rp_logfile held)")
info "answers: $out"
assert_eq "$(jget "$out" ok)" 20 "queued requests answered"
assert_eq "$(jget "$out" failed)" 0 "requests failed (reset)"
assert_eq "$(jeval "$out" "sum(v for k, v in d['ids'].items() if k == '1-$p1')")" 0 "answers by the frozen process"
assert_match "$(sup_log)" "level=warn event=rescue instance=1 pid=$p1 queued=[0-9]+" "run logs the rescue"
wait_for 5 restarted || fail "instance 1 not restarted: $(sup_log)"
pass_msg "instance 1 restarted"
[ ! -e "/proc/$p1" ] || [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$p1/stat")" = Z ] ||
	fail "the frozen process still lives"
wait_live_slots "$g" 2 15 || fail "2 live slots after the restart: $(sup_log)"
out=$(rpclient http --port $port -n 20)
assert_eq "$(jget "$out" ok)" 20 "requests after the rescue"
assert_ge "$(jeval "$out" "sum(v for k, v in d['ids'].items() if k.startswith('1-'))")" 5 "requests to the new instance 1"

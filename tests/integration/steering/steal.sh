#!/bin/bash
# REUSEPORT_STEAL: two blocking single-threaded servers under roundrobin,
# one frozen (SIGSTOP): the live one answers every connection, the frozen
# one's included (it takes them from the frozen one's queue), and the
# frozen one's slot counts stay consistent (nothing waiting, every
# connection it was given dequeued). The host's accept is untouched: a
# non-blocking listener returns EAGAIN at once, its file status flags
# stay as they were, and a blocking accept returns a working connection.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8470 g=tcp4_127-0-0-1_8470
for n in a b; do
	REUSEPORT_POLICY=roundrobin REUSEPORT_STEAL=10 REUSEPORT_LOG=info rp_spawn "steal-$n" \
		"$PY" "$RP_ROOT/tests/lib/plain_server.py" "$port" "$n"
done
wait_live_slots "$g" 2 15 || fail "2 live slots expected"
out=$(rpclient http --port "$port" -n 20 --concurrency 2)
assert_eq "$(jget "$out" ok)" 20 "requests before the freeze"

# slot_of PID FIELD: FIELD of PID's slot in status --json
slot_of() {
	status_json | "$PY" -c "import json,sys
g=[g for g in json.load(sys.stdin)['groups'] if g['name']=='$g'][0]
print([s['$2'] for s in g['slots'] if s['pid']==$1][0])"
}

a=$(rp_pid steal-a)
kill -STOP "$a"
rp_on_exit kill -CONT "$a"
out=$(rpclient http --port "$port" -n 20 --concurrency 1 --timeout 10)
info "while a is stopped: $(jeval "$out" '{"ok": d["ok"], "ids": d["ids"]}')"
assert_eq "$(jget "$out" ok)" 20 "requests answered while a is stopped"
assert_eq "$(jget "$out" ids.b 0)" 20 "answered by b"
st=$(status_json)
info "a's slot: selected $(slot_of "$a" selected) queued $(slot_of "$a" queued) active $(slot_of "$a" active)"
assert_ge "$(slot_of "$a" selected)" 15 "connections the program gave the stopped a (some before the freeze)"
assert_eq "$(slot_of "$a" queued)" 0 "connections left waiting at the stopped a"
assert_eq "$(slot_of "$a" active)" 0 "connections held by the stopped a"
kill -CONT "$a"
out=$(rpclient http --port "$port" -n 20 --concurrency 2)
assert_eq "$(jget "$out" ok)" 20 "requests after SIGCONT"
assert_ge "$(jget "$out" ids.a 0)" 5 "a answers again"

# The host's accept (a group of its own): a non-blocking member listener
# is never waited on, and a blocking one returns its connection.
LD_PRELOAD=$RP_LIB REUSEPORT_STEAL=10 timeout 20 "$PY" - 8471 <<'PY' || fail "accept under REUSEPORT_STEAL"
import errno, fcntl, socket, sys, time
port = int(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(8)
s.setblocking(False)
fl = fcntl.fcntl(s, fcntl.F_GETFL)
t = time.monotonic()
try:
    s.accept()
    sys.exit("a non-blocking accept on an empty queue returned a connection")
except BlockingIOError as e:
    assert e.errno == errno.EAGAIN, e
dt = time.monotonic() - t
assert dt < 0.005, "a non-blocking accept waited %.3f s" % dt
assert fcntl.fcntl(s, fcntl.F_GETFL) == fl, "file status flags changed"
print("ok: non-blocking accept: EAGAIN at once, flags unchanged")
s.setblocking(True)
c = socket.create_connection(("127.0.0.1", port))
a, peer = s.accept()
assert peer == c.getsockname(), (peer, c.getsockname())
a.sendall(b"x")
assert c.recv(1) == b"x"
print("ok: blocking accept: the connection, working")
PY
pass_msg "a non-blocking listener under REUSEPORT_STEAL is untouched"

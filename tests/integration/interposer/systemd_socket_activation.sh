#!/bin/bash
# systemd socket activation: sockets passed already listening (LISTEN_FDS,
# LISTEN_PID, fds from 3, ReusePort=yes) never go through bind/listen, so
# the shim adopts them at start-up: two activated servers are steered.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

# activate.py PORT ID: what systemd does for a .socket unit with ReusePort=yes
cat > "$RP_TMP/activate.py" <<'PY'
import os, socket, sys
port, ident, lib = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)  # dup2(3, 3) when s already is fd 3
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LD_PRELOAD=lib)
server = """
import os, socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n%s" % (len(ID), ID))
    c.close()
""".replace("ID", repr(ident.encode()))
os.execv(sys.executable, [sys.executable, "-c", server])
PY
# the launcher itself runs without the shim, like systemd
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin REUSEPORT_LOG=info spawn_plain "a$i" "$PY" "$RP_TMP/activate.py" 8340 "a$i" "$RP_LIB"
done
wait_listeners tcp 8340 2 127.0.0.1 10 || fail "2 listeners expected"
wait_live_slots 8340 2 || fail "passed sockets not registered: $("$RP_CLI" status; cat "$RP_TMP"/a*.log)"
grep -q 'event=attach .*slot=' "$(rp_logfile a1)" || fail "no attach line"
out=$(rpclient http --port 8340 --path / -n 40)
info "client: $out"
assert_eq "$(jget "$out" ids.a1 0)" 20 "requests to activated server 1 (roundrobin)"
assert_eq "$(jget "$out" ids.a2 0)" 20 "requests to activated server 2 (roundrobin)"

# A service restarted while its socket unit keeps the listener (systemctl
# restart of a socket-activated service): the new process registers the
# same socket again and the slot follows it, so status and drain by pid
# name the live process, not the dead one.
cat > "$RP_TMP/restarter.py" <<'PY'
import os, signal, socket, sys, time
port, lib, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
server = """
import socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 1\\r\\n\\r\\nr")
    c.close()
"""
def start():
    pid = os.fork()
    if pid == 0:
        os.dup2(s.fileno(), 3)
        os.set_inheritable(3, True)
        os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LD_PRELOAD=lib)
        os.execv(sys.executable, [sys.executable, "-c", server])
    with open(out, "a") as f:
        f.write("%d\n" % pid)
    return pid
child = [start()]
def restart(*_):
    os.kill(child[0], signal.SIGKILL)
    os.waitpid(child[0], 0)
    child[0] = start()
signal.signal(signal.SIGUSR1, restart)
while True:
    time.sleep(1)
PY
REUSEPORT_LOG=info spawn_plain r "$PY" "$RP_TMP/restarter.py" 8341 "$RP_LIB" "$RP_TMP/children"
wait_live_slots 8341 1 || fail "the activated service did not register"
slot_pid() { jeval "$(status_json)" "[s['pid'] for g in d['groups'] if g['port'] == 8341 for s in g['slots']][0]"; }
first=$(sed -n 1p "$RP_TMP/children")
assert_eq "$(slot_pid)" "$first" "slot pid: the first service process"
kill -USR1 "$(rp_pid r)"
second_up() { [[ $(wc -l <"$RP_TMP/children") -ge 2 && $(slot_pid) == "$(sed -n 2p "$RP_TMP/children")" ]]; }
wait_for 10 second_up || fail "the slot still names $(slot_pid), not the restarted service $(sed -n 2p "$RP_TMP/children")"
second=$(sed -n 2p "$RP_TMP/children")
pass_msg "the slot follows the restarted service (pid $first -> $second)"
"$RP_CLI" drain "pid:$second" >/dev/null || fail "drain pid:$second (the live service) failed"
pass_msg "drain by the live service's pid"

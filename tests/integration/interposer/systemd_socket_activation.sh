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

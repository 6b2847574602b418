#!/bin/bash
# An application that explicitly sets SO_REUSEPORT=0 before bind still
# shares the port (the shim swallows the 0 for sockets in scope, and
# getsockopt reports 1); out of scope, the application's 0 is applied.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim

cat > "$RP_TMP/srv0.py" <<'PY'
import socket, sys
port, ident = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 0)
s.bind(("127.0.0.1", port))
s.listen(16)
print("reuseport=%d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT), flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ident), ident))
    c.close()
PY
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin rp_spawn "s$i" "$PY" "$RP_TMP/srv0.py" 8101 "s$i"
	wait_log "s$i" '^reuseport=' 10 || fail "server $i did not start: $(cat "$(rp_logfile "s$i")")"
	assert_eq "$(grep '^reuseport=' "$(rp_logfile "s$i")")" reuseport=1 "getsockopt(SO_REUSEPORT) seen by server $i"
done
out=$(rpclient http --port 8101 --path / -n 20)
info "client: $out"
assert_eq "$(jget "$out" ids.s1 0)" 10 "requests to server 1"
assert_eq "$(jget "$out" ids.s2 0)" 10 "requests to server 2"

# Out of scope (REUSEPORT_PORTS excludes it): the application's 0 holds.
REUSEPORT_PORTS=9000 rp_spawn o1 "$PY" "$RP_TMP/srv0.py" 8102 o1
wait_log o1 '^reuseport=' 10 || fail "out-of-scope server did not start"
assert_eq "$(grep '^reuseport=' "$(rp_logfile o1)")" reuseport=0 "getsockopt out of scope"
REUSEPORT_PORTS=9000 rp_spawn o2 "$PY" "$RP_TMP/srv0.py" 8102 o2
rp_wait_exit o2 10 || fail "second out-of-scope server should fail to bind"
grep -q 'Address already in use' "$(rp_logfile o2)" || fail "expected EADDRINUSE: $(cat "$(rp_logfile o2)")"
pass_msg "out of scope: plain behaviour, EADDRINUSE"

#!/bin/bash
# A connection still in the handshake when its listener closes (a request
# socket, SYN_RECV on the server) is handed to a surviving instance by the
# program (sk_reuseport/migrate) and completes there. The listener uses
# TCP_DEFER_ACCEPT, so the client's final (bare) ACK is held back by the
# server's kernel: the request stays SYN_RECV on instance A until data
# arrives. A is stopped, B is live; then the client sends its request and
# must get B's answer. The kernel counts it (TcpExtTCPMigrateReqSuccess),
# so does the program (counters.migrated). tcp_migrate_req is 0: only the
# program migrates. CONTROL, same steps without the shim: a reset.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd ss nstat

sysctl -qw net.ipv4.tcp_migrate_req=0 || fail "cannot set tcp_migrate_req"

# srv.py PORT ID: SO_REUSEPORT (for the control), TCP_DEFER_ACCEPT, answers ID
cat > "$RP_TMP/srv.py" <<'PY'
import socket, sys
port, ident = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
s.bind(("127.0.0.1", port))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ident), ident))
    c.close()
PY
# hs.py PORT GO: connect (handshake done on the client's side), say so,
# send the request once GO exists, print {"body"} or {"error"}
cat > "$RP_TMP/hs.py" <<'PY'
import errno, json, os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
print("connected", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
try:
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    buf = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        buf += b
    print(json.dumps({"body": buf.partition(b"\r\n\r\n")[2].decode()}))
except OSError as e:
    print(json.dumps({"error": errno.errorcode.get(e.errno, str(e))}))
PY
syn_recv() { ss -Htn state syn-recv "sport = :$1" | wc -l; }
syn_recv_is() { [ "$(syn_recv "$1")" = "$2" ]; }
counter() { nstat -asz "$1" | awk -v n="$1" '$1 == n { print $2 }'; }

# handshake PORT SPAWN: A listens alone, the client's handshake waits on
# A, B joins, A is stopped, the client sends; prints the client's result
handshake() {
	local port=$1 spawn=$2
	$spawn "a$port" "$PY" "$RP_TMP/srv.py" "$port" a >&2
	wait_log "a$port" '^ready$' 10 >&2 || fail "A did not start on $port"
	spawn_plain "cl$port" "$PY" "$RP_TMP/hs.py" "$port" "$RP_TMP/go$port" >&2
	wait_log "cl$port" '^connected$' 10 >&2 || fail "client did not connect to $port"
	wait_for 10 syn_recv_is "$port" 1 || fail "no request socket (SYN_RECV) on $port: $(ss -tan "sport = :$port")"
	$spawn "b$port" "$PY" "$RP_TMP/srv.py" "$port" b >&2
	wait_log "b$port" '^ready$' 10 >&2 || fail "B did not start on $port"
	wait_listeners tcp "$port" 2 127.0.0.1 >&2 || fail "2 listeners expected on $port"
	rp_stop "a$port" >&2
	wait_listeners tcp "$port" 1 127.0.0.1 >&2 || fail "A still listens on $port"
	[ "$(count_listeners tcp "$port")" = 1 ] || fail "A still listens on $port"
	assert_eq "$(syn_recv "$port")" 1 "requests still in the handshake after A closed ($port)" >&2
	touch "$RP_TMP/go$port"
	rp_wait_exit "cl$port" 30 || fail "client on $port did not finish"
	tail -n1 "$(rp_logfile "cl$port")"
}

# --- the shim: roundrobin, program attached as sk_reuseport/migrate
spawn_shim() { REUSEPORT_POLICY=roundrobin rp_spawn "$@"; }
out=$(handshake 8460 spawn_shim)
info "with the shim: $out"
st=$(status_json)
assert_eq "$(jget "$out" body "")" b "answer to the request whose handshake began on A"
assert_ge "$(counter TcpExtTCPMigrateReqSuccess)" 1 "request sockets migrated (kernel: TcpExtTCPMigrateReqSuccess)"
assert_eq "$(counter TcpExtTCPMigrateReqFailure)" 0 "failed migrations (kernel: TcpExtTCPMigrateReqFailure)"
assert_ge "$(jget "$st" groups.0.counters.migrated)" 1 "migrations chosen by the program"
assert_ge "$(jeval "$st" "sum(s['migrated'] for s in d['groups'][0]['slots'] if s['pid'] == $(rp_pid b8460))")" 1 "migrations into B's slot"

# --- control: plain SO_REUSEPORT, no program, no migration
out=$(handshake 8461 spawn_plain)
info "control: $out"
assert_eq "$(jget "$out" error "")" ECONNRESET "control: the same request without the shim"

#!/bin/bash
# A daemon that closes every fd after forking (classic daemonize: fork,
# setsid, close 0..1023, /dev/null on stdio) still gets steered, because the
# shim keeps no fd between calls; and the shim leaks no fd into its host:
# after registration the server holds only its own fds.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

cat > "$RP_TMP/daemon.py" <<'PY'
import os, sys, socket
port, ident, pidfile = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
if os.fork():
    os._exit(0)
os.setsid()
os.closerange(0, 1024)
fd = os.open("/dev/null", os.O_RDWR)
os.dup2(fd, 1); os.dup2(fd, 2)
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(16)
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(ident), ident))
    c.close()
PY
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin LD_PRELOAD=$RP_LIB "$PY" "$RP_TMP/daemon.py" 8097 "d$i" "$RP_TMP/d$i.pid"
done
wait_for 10 test -s "$RP_TMP/d1.pid" -a -s "$RP_TMP/d2.pid" || fail "daemons did not start"
rp_on_exit 'kill $(cat "$RP_TMP"/d*.pid) 2>/dev/null'
wait_listeners tcp 8097 2 127.0.0.1 10 || fail "daemons do not listen"
wait_live_slots 8097 2 || fail "daemons not registered: $("$RP_CLI" status)"

out=$(rpclient http --port 8097 --path / -n 40)
info "client: $out"
assert_eq "$(jget "$out" ids.d1 0)" 20 "requests to daemon 1 (roundrobin)"
assert_eq "$(jget "$out" ids.d2 0)" 20 "requests to daemon 2 (roundrobin)"

for i in 1 2; do
	pid=$(cat "$RP_TMP/d$i.pid")
	fds=$(ls -l /proc/"$pid"/fd | awk 'NR > 1 {print $9, $11}')
	info "daemon $i fds: $(echo "$fds" | tr '\n' ';')"
	assert_eq "$(echo "$fds" | grep -c 'bpf')" 0 "bpf fds left in daemon $i"
	assert_eq "$(echo "$fds" | grep -c 'socket:')" 1 "sockets held by daemon $i (its listener)"
	assert_eq "$(echo "$fds" | wc -l)" 4 "fds of daemon $i (0 1 2 and the listener)"
done

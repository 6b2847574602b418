#!/bin/bash
# Connection counts hold for servers that bypass libc's wrappers:
# - node.js (libuv closes with syscall(SYS_close)) under leastconn: the
#   spread covers both instances and every slot's active count is back to 0
#   once the clients are done;
# - close_range() and a raw syscall(SYS_close) of accepted connections
#   (python through ctypes): active back to 0.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd node

active_sum() { # PORT: sum of "active" over the group's slots
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
print(sum(s["active"] for g in json.load(sys.stdin)["groups"]
          if g["name"].endswith("_" + sys.argv[1]) for s in g["slots"]))' "$1"
}
wait_active_zero() { # PORT
	wait_for 10 bash -c "[ \"\$($(declare -f active_sum); RP_CLI='$RP_CLI' PY='$PY' active_sum $1)\" = 0 ]"
}

port=8390
for i in 1 2; do
	REUSEPORT_POLICY=leastconn rp_spawn "node$i" node "$RP_TEST_LIB/node_server.js" $port "n$i"
	wait_log "node$i" ready || fail "node $i did not start"
done
wait_live_slots_n() { wait_for 10 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx $1"; }
wait_live_slots_n 2 || fail "2 node slots expected: $("$RP_CLI" status)"
out=$(rpclient http --port $port --path / -n 60 -c 4)
info "node: $out"
assert_eq "$(jget "$out" ok)" 60 "requests answered by node"
assert_ge "$(jget "$out" ids.n1 0)" 10 "instance 1's share"
assert_ge "$(jget "$out" ids.n2 0)" 10 "instance 2's share"
wait_active_zero $port || fail "active connections stay counted after node closed them: $("$RP_CLI" status)"
pass_msg "node: active back to 0 after 60 connections"
rp_stop node1
rp_stop node2

# python: close_range() and syscall(SYS_close) on accepted connections
port=8391
LD_PRELOAD=$RP_LIB "$PY" -c '
import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("ready", flush=True)
for i in range(20):
    c, _ = s.accept()
    c.recv(100)
    c.send(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nraw")
    fd = c.detach()
    if i % 2:
        libc.syscall(3, fd)               # SYS_close on x86-64
    else:
        libc.close_range(fd, fd, 0)
print("done", flush=True)
sys.stdin.read()
' $port >"$RP_TMP/raw.out" 2>&1 < <(sleep 60) &
raw=$!
wait_for 10 grep -q ready "$RP_TMP/raw.out" || fail "raw server did not start: $(cat "$RP_TMP/raw.out")"
out=$(rpclient http --port $port -n 20)
assert_eq "$(jget "$out" ok)" 20 "answered by the raw-closing server"
wait_for 10 grep -q "done" "$RP_TMP/raw.out" || fail "raw server did not finish"
wait_active_zero $port || fail "active stays counted after close_range/syscall(SYS_close): $("$RP_CLI" status)"
pass_msg "close_range and syscall(SYS_close): active back to 0"
kill "$raw"

# node under reuseport run: a rolling restart of idle instances drains on
# the kernel's count of open connections, so it never waits for --grace
port=8392
"$RP_CLI" run -n 2 --grace 60 --lib "$RP_LIB" -- node "$RP_TEST_LIB/node_server.js" $port "n{i}" \
	>"$RP_TMP/sup.log" 2>&1 &
sup=$!
rp_on_exit "kill $sup 2>/dev/null"
wait_for 15 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 2" || fail "node instances: $(cat "$RP_TMP/sup.log")"
out=$(rpclient http --port $port --path / -n 40 -c 4)
assert_eq "$(jget "$out" ok)" 40 "requests to supervised node"
kill -HUP $sup
wait_for 50 grep -q "event=rolling_done" "$RP_TMP/sup.log" ||
	fail "rolling restart did not finish: $(cat "$RP_TMP/sup.log")"
if grep -q "event=drain_timeout" "$RP_TMP/sup.log"; then
	fail "a drain waited for --grace: $(grep event=drain "$RP_TMP/sup.log")"
fi
pass_msg "rolling restart of node: every drain ended on a count of 0, none on --grace"
grep "event=drain " "$RP_TMP/sup.log" | sed 's/^/    /'

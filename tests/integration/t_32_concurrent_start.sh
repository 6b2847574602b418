#!/bin/bash
# 16 servers start at the same instant on one port (first start of the
# group included): all register, each in its own slot, exactly one creates
# the group, none falls back.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
need_shim
need_cli
n=16

cat > "$RP_TMP/racer.py" <<'PY'
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.001)
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(16)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    body = str(os.getpid()).encode()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
for i in $(seq $n); do
	REUSEPORT_LOG=info rp_spawn "r$i" "$PY" "$RP_TMP/racer.py" 8220 "$RP_TMP/go"
done
sleep 0.5
touch "$RP_TMP/go"
wait_listeners tcp 8220 $n 127.0.0.1 20 || fail "$n listeners expected"
wait_for 10 bash -c "[ \$('$RP_CLI' status | grep -c ' live ') = $n ]" || fail "$n live slots expected: $("$RP_CLI" status)"

status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'len(set(s["slot"] for s in d["groups"][0]["slots"]))')" $n "distinct slots"
pids=$(jeval "$status" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')
want=$(for i in $(seq $n); do rp_pid "r$i"; done | sort | tr '\n' ' ' | sed 's/ $//')
assert_eq "$pids" "$want" "slot pids are the $n servers"
assert_eq "$(cat "$RP_TMP"/r*.log | grep -c 'event=create ')" 1 "processes that created the group"
assert_eq "$(cat "$RP_TMP"/r*.log | grep -c 'event=attach ')" $n "processes that attached"
assert_eq "$(cat "$RP_TMP"/r*.log | grep -c 'level=warn\|level=error')" 0 "warnings"
assert_eq "$(ls "$(dirname "$(ls -d "$REUSEPORT_PIN_DIR"/v1/*/tcp4_127-0-0-1_8220)")" | tr '\n' ' ')" "tcp4_127-0-0-1_8220 " "no leftover temporary directories"
out=$(rpclient http --port 8220 --path / -n $((n * 5)))
assert_eq "$(jeval "$out" 'sorted(set(d["ids"].values()))')" "[5]" "requests per server (roundrobin)"

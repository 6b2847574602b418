#!/bin/bash
# Unmodified single-process servers, two of each on one port under the
# shim (roundrobin): redis-server (told apart by INFO's process_id) and
# memcached (by its "STAT pid"). Each new connection alternates.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd redis-server memcached

# ask PORT REQUEST FIELD: connect, send REQUEST, print the value of FIELD
cat > "$RP_TMP/ask.py" <<'PY'
import socket, sys, re
port, req, field, n = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode(), sys.argv[3], int(sys.argv[4])
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(req)
    buf = b""
    while not re.search((field + r"[: ](\d+)").encode(), buf):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    m = re.search((field + r"[: ](\d+)").encode(), buf)
    print(m.group(1).decode() if m else "none")
    s.close()
PY
for i in 1 2; do
	mkdir -p "$RP_TMP/redis$i"
	rp_spawn "redis$i" redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no --dir "$RP_TMP/redis$i"
	rp_spawn "mc$i" memcached -l 127.0.0.1 -p 11311 -U 0 -t 1 -u root
done
wait_listeners tcp 6390 2 127.0.0.1 10 || fail "2 redis-servers expected: $(cat "$RP_TMP"/redis*.log)"
wait_listeners tcp 11311 2 127.0.0.1 10 || fail "2 memcached expected: $(cat "$RP_TMP"/mc*.log)"

counts() { sort | uniq -c | awk '{print $1}' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
r=$("$PY" "$RP_TMP/ask.py" 6390 'INFO server\r\n' process_id 40)
assert_eq "$(echo "$r" | sort -u | tr '\n' ' ' | sed 's/ $//')" "$(printf '%s\n' "$(rp_pid redis1)" "$(rp_pid redis2)" | sort | tr '\n' ' ' | sed 's/ $//')" "redis pids that answered"
assert_eq "$(echo "$r" | counts)" "20 20" "connections per redis-server"
m=$("$PY" "$RP_TMP/ask.py" 11311 'stats\r\n' 'STAT pid' 40)
assert_eq "$(echo "$m" | counts)" "20 20" "connections per memcached"
assert_eq "$(cat "$RP_TMP"/redis*.log "$RP_TMP"/mc*.log | grep -c '^libreuseport:')" 0 "shim warnings"

#!/bin/bash
# Connections queued on an instance are handed to a live one however the
# instance goes away: graceful exit, SIGKILL, crash (abort), close() of the
# listener while the process runs on, shutdown(2) of the listener.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd ss

# victim.py PORT MODE: listens, never accepts; on SIGUSR1 leaves by MODE
cat > "$RP_TMP/victim.py" <<'PY'
import os, signal, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
mode = sys.argv[2]
def leave(*_):
    if mode == "exit":
        sys.exit(0)
    if mode == "crash":
        os.abort()
    if mode == "close":
        s.close()
    if mode == "shutdown":
        s.shutdown(socket.SHUT_RDWR)
signal.signal(signal.SIGUSR1, leave)
print("ready", flush=True)
while True:
    time.sleep(1)
PY
port=8420
for mode in exit kill crash close shutdown; do
	port=$((port + 1))
	REUSEPORT_POLICY=roundrobin rp_spawn "b-$mode" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www b b)" $port
	REUSEPORT_POLICY=roundrobin rp_spawn "a-$mode" "$PY" "$RP_TMP/victim.py" $port $mode
	wait_log "a-$mode" '^ready$' 10 || fail "victim ($mode) did not start"
	wait_live_slots tcp4_127-0-0-1_$port 2 || fail "2 live slots expected ($mode)"
	rpclient http --port $port -n 8 --concurrency 8 --timeout 20 > "$RP_TMP/$mode.json" &
	client=$!
	wait_for 10 bash -c "[ \$(ss -Hltn 'sport = :$port' | awk '{q += \$2} END {print q + 0}') -ge 4 ]" ||
		fail "requests did not queue on the victim ($mode)"
	if [ $mode = kill ]; then
		kill -KILL "$(rp_pid "a-$mode")"
	else
		kill -USR1 "$(rp_pid "a-$mode")"
	fi
	wait $client
	out=$(cat "$RP_TMP/$mode.json")
	info "$mode: $out"
	assert_eq "$(jget "$out" ok)" 8 "answered requests when the victim leaves by $mode"
	assert_eq "$(jget "$out" ids.b 0)" 8 "answered by the survivor ($mode)"
	st=$("$RP_CLI" --group tcp4_127-0-0-1_$port status --json)
	assert_ge "$(jeval "$st" 'd["groups"][0]["counters"]["migrated"]')" 4 "connections migrated ($mode)"
	if [ $mode = close ] || [ $mode = shutdown ]; then
		rp_alive "a-$mode" || fail "the victim should still run after $mode"
	fi
done

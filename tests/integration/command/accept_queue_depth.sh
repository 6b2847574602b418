#!/bin/bash
# The accept queue in status and metrics is the kernel's: a member frozen
# with SIGSTOP keeps receiving its round robin share, which waits in its
# listener's accept queue; status --json, the text view and
# reuseport_member_accept_queue show the depth ss shows for that listener,
# the other member shows 0, and the queue empties once the member runs
# again. status --wait N SPEC returns 0 as soon as the group has N live
# members (by port, tcp:PORT or the pin name), 1 with what it saw on
# timeout, 2 on bad arguments.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd ss

port=8375
G=tcp4_127-0-0-1_$port
cat > "$RP_TMP/srv.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    c.close()
PY
for i in 1 2; do
	REUSEPORT_INSTANCE=$i REUSEPORT_POLICY=roundrobin rp_spawn "s$i" "$PY" "$RP_TMP/srv.py" $port
done
wait_live_slots $G 2 || fail "2 slots expected"

# status --wait: timeout with what it saw, bad arguments
"$RP_CLI" status --wait 3 $port --timeout 1 2> "$RP_TMP/wait.err"
assert_eq "$?" 1 "status --wait 3 with 2 members"
assert_match "$(cat "$RP_TMP/wait.err")" "timed out after 1 s waiting for 3 live member\(s\): group $G has 2 live member\(s\)" "timeout message"
"$RP_CLI" status --wait 1 udp:$port --timeout 0.3 2> "$RP_TMP/wait.err"
assert_eq "$?" 1 "status --wait for a group that does not exist"
assert_match "$(cat "$RP_TMP/wait.err")" "no group matches udp:$port" "no group message"
assert_eq "$(grep -c . "$RP_TMP/wait.err")" 1 "lines on stderr (the timeout's alone)"
# a group that appears while status waits: nothing on stderr, exit 0
"$RP_CLI" status --wait 1 $((port + 1)) --timeout 15 >"$RP_TMP/wait2.out" 2>"$RP_TMP/wait2.err" &
waiter=$!
sleep 0.5
REUSEPORT_POLICY=roundrobin rp_spawn late "$PY" "$RP_TMP/srv.py" $((port + 1))
wait "$waiter"
assert_eq "$?" 0 "status --wait for a group that appears"
assert_eq "$(cat "$RP_TMP/wait2.err")" "" "stderr while waiting for it"
rp_kill late
for bad in "--wait 0 $port" "--wait x $port" "--wait 2" "--wait 2 $port --timeout soon"; do
	# shellcheck disable=SC2086 # word splitting wanted
	"$RP_CLI" status $bad 2>/dev/null
	assert_eq "$?" 2 "status $bad"
done
assert_eq "$("$RP_CLI" status --wait 2 "$G" --timeout 5)" "group $G has 2 live member(s)" "status --wait by pin name"

# freeze instance 1, queue connections on it
kill -STOP "$(rp_pid s1)"
"$PY" - $port > "$RP_TMP/clients.out" <<'PY' &
import socket, sys, time
conns = []
for _ in range(24):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    conns.append(c)
print("sent", flush=True)
got = 0
for c in conns:
    if c.recv(100).startswith(b"HTTP/1.0 200"):
        got += 1
print("answered %d" % got, flush=True)
PY
clients=$!
wait_for 10 grep -q sent "$RP_TMP/clients.out" || fail "connections not made"
kq() { ss -Hltn "sport = :$port" | awk '{print $2}' | sort -n | tail -1; }
wait_for 10 bash -c "[[ \$(ss -Hltn 'sport = :$port' | awk '{print \$2}' | sort -n | tail -1) -ge 12 ]]" || fail "connections did not queue: $(ss -Hltn "sport = :$port")"
depth=$(kq)
info "ss: $(ss -Hltn "sport = :$port" | tr -s ' ' | tr '\n' ';')"
js=$(status_json)
q1=$(jeval "$js" "[s['accept_queue'] for g in d['groups'] for s in g['slots'] if s['instance'] == 1][0]")
q2=$(jeval "$js" "[s['accept_queue'] for g in d['groups'] for s in g['slots'] if s['instance'] == 2][0]")
assert_eq "$q1" "$depth" "status --json accept_queue of the frozen instance (kernel, = ss Recv-Q)"
assert_eq "$q2" 0 "accept_queue of the running instance"
assert_eq "$(jeval "$js" "[s['backlog'] for g in d['groups'] for s in g['slots'] if s['instance'] == 1][0]")" 64 "backlog of the frozen instance"
"$RP_CLI" metrics > "$RP_TMP/metrics.txt"
assert_eq "$(grep -F "reuseport_member_accept_queue{group=\"$G\",member=\"instance-1\"}" "$RP_TMP/metrics.txt" | awk '{print $2}')" "$depth" "reuseport_member_accept_queue of instance 1"
text=$("$RP_CLI" status --interval 0)
printf '%s\n' "$text"
assert_match "$text" $'\n  [0-9]+ +1 +'"$(rp_pid s1)"' +0 +100 +live +[0-9]+ +[0-9]+ +[0-9]+ +-?[0-9]+ +'"$depth"' +64' "text line of the frozen instance"

kill -CONT "$(rp_pid s1)"
wait $clients || fail "clients failed"
assert_eq "$(tail -1 "$RP_TMP/clients.out")" "answered 24" "every queued connection answered after SIGCONT"
queues() { jeval "$(status_json)" "sum(s['accept_queue'] for g in d['groups'] for s in g['slots'])"; }
queues_empty() { [[ $(queues) == 0 ]]; }
wait_for 10 queues_empty || fail "accept queue still shown after SIGCONT: $(queues)"
pass_msg "accept queues empty after SIGCONT"

# status --wait returns as soon as a third member registers
(sleep 1; REUSEPORT_INSTANCE=3 LD_PRELOAD=$RP_LIB exec "$PY" "$RP_TMP/srv.py" $port) > "$RP_TMP/s3.log" 2>&1 &
s3=$!
rp_on_exit "kill $s3 2>/dev/null"
out=$("$RP_CLI" status --wait 3 tcp:$port --timeout 20) || fail "status --wait 3 failed: $out"
assert_eq "$out" "group $G has 3 live member(s)" "status --wait 3 tcp:$port"

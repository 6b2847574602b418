#!/bin/bash
# reuseport run: N instances with {i} and REUSEPORT_INSTANCE, all steered;
# a crashed instance is restarted; orphaned grandchildren are reaped (no
# zombies); SIGTERM stops the whole tree and exits 0; a command that cannot
# be executed exits 127.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
need_shim
need_cli

cat > "$RP_TMP/inst.py" <<'PY'
import os, socket, subprocess, sys
# an orphan for the supervisor to reap: a child that outlives its parent
subprocess.Popen(["sh", "-c", "sleep 0.3 &"])
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
body = ("%s %s" % (os.environ["REUSEPORT_INSTANCE"], sys.argv[2])).encode()
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
spawn_plain sup "$RP_CLI" run -n 3 --grace 3 --policy roundrobin -- "$PY" "$RP_TMP/inst.py" 8400 "arg{i}"
wait_listeners tcp 8400 3 127.0.0.1 15 || fail "3 instances expected: $(cat "$(rp_logfile sup)")"
wait_for 10 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 3" || fail "3 live slots expected"
out=$(rpclient http --port 8400 --path / -n 30)
info "client: $out"
for i in 1 2 3; do
	assert_eq "$(jget "$out" "ids.$i arg$i" 0)" 10 "requests to instance $i (REUSEPORT_INSTANCE and {i})"
done

sup=$(rp_pid sup)
zombies() { for f in /proc/[0-9]*/stat; do awk -v p="$sup" '{ if ($4 == p && $3 == "Z") print $1 }' "$f" 2>/dev/null; done | wc -l; }
sleep 1
assert_eq "$(zombies)" 0 "zombie children of the supervisor (orphans reaped)"

victim=$("$RP_CLI" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["slots"][0]["pid"])')
kill -KILL "$victim"
wait_for 10 bash -c "grep -q 'event=crash .*pid=$victim signal=KILL' '$(rp_logfile sup)'" || fail "crash not reported: $(cat "$(rp_logfile sup)")"
wait_for 10 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 3" || fail "crashed instance not restarted: $(cat "$(rp_logfile sup)")"
"$RP_CLI" status --json | grep -q "\"pid\": $victim," && fail "the dead pid is still listed"
out=$(rpclient http --port 8400 --path / -n 30)
assert_eq "$(jeval "$out" 'sorted(d["ids"].values())')" "[10, 10, 10]" "requests per instance after the restart"

kill -TERM "$sup"
rp_wait_exit sup 15 || fail "supervisor did not stop"
assert_eq "${RP_STATUS[sup]}" 0 "supervisor exit status after SIGTERM"
grep -q 'event=stopped' "$(rp_logfile sup)" || fail "no stop line"
assert_eq "$(count_listeners tcp 8400)" 0 "listeners left"
assert_eq "$(pgrep -f "$RP_TMP/inst.py" | wc -l)" 0 "instances left"
pass_msg "SIGTERM stopped the supervisor and every instance"

# As PID 1 of a pid namespace (a container entrypoint)
spawn_plain pid1 unshare --pid --fork --mount-proc "$RP_CLI" run -n 2 --grace 2 -- "$PY" "$RP_TMP/inst.py" 8401 x
wait_listeners tcp 8401 2 127.0.0.1 15 || fail "PID 1 supervisor: 2 instances expected: $(cat "$(rp_logfile pid1)")"
sleep 1
ns_init=$(pgrep -P "$(rp_pid pid1)" | head -1)
[ -n "$ns_init" ] || fail "no supervisor inside the pid namespace"
assert_eq "$(awk '/^NSpid/ {print $NF}' "/proc/$ns_init/status")" 1 "supervisor's pid inside its namespace"
sup=$ns_init
assert_eq "$(zombies)" 0 "zombies under the PID 1 supervisor"
kill -TERM "$ns_init"
rp_wait_exit pid1 15 || fail "PID 1 supervisor did not stop"
assert_eq "$(count_listeners tcp 8401)" 0 "listeners left after PID 1 stop"

# A command that does not exist
"$RP_CLI" run -n 2 -- /nonexistent/server 2>"$RP_TMP/err"
assert_eq "$?" 127 "exit status for a missing command"
grep -q 'cannot execute /nonexistent/server: No such file or directory' "$RP_TMP/err" || fail "message: $(cat "$RP_TMP/err")"
"$RP_CLI" run -n 0 -- true 2>/dev/null
assert_eq "$?" 2 "exit status for -n 0"

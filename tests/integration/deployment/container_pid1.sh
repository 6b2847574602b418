#!/bin/bash
# The container recipe (examples/container/Dockerfile): its ENTRYPOINT +
# CMD, run as PID 1 of a new pid namespace (unshare -p -f --mount-proc, as
# a container runtime starts it; only "reuseport" and /srv/www are replaced
# by the build's command and a scratch directory). Checks: the N instances
# of the Dockerfile register and serve; an instance killed with SIGKILL is
# restarted and leaves no zombie; an orphan left by an `exec` into the
# container (a background sleep) is adopted and reaped by PID 1; SIGTERM to
# PID 1 (docker stop) drains and stops everything and the container exits
# 0 once a request in progress is answered, after stopping the orphan
# itself; nothing had to be killed.
# slow: the container recipe end to end, in a pid namespace
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd unshare nsenter

df=$RP_ROOT/examples/container/Dockerfile
for i in 1 2 3 4 5 6 7 8; do
	mkdir -p "$RP_TMP/www/$i" && echo "container$i" >"$RP_TMP/www/$i/id.txt"
done
# ENTRYPOINT + CMD (exec form), as docker joins them
mapfile -d '' cmd < <("$PY" - "$df" "$RP_CLI" "$RP_TMP/www" <<'EOF'
import json, sys
df, cli, www = sys.argv[1:4]
ep = cmd = None
for line in open(df):
    word, _, rest = line.strip().partition(" ")
    if word == "ENTRYPOINT":
        ep = json.loads(rest)
    elif word == "CMD":
        cmd = json.loads(rest)
assert ep and cmd, "ENTRYPOINT and CMD in exec form expected"
argv = ep + cmd
argv[0] = cli if argv[0] == "reuseport" else argv[0]
for w in argv:
    sys.stdout.write(w.replace("/srv/www", www) + "\0")
EOF
)
((${#cmd[@]} > 4)) || fail "cannot read ENTRYPOINT/CMD of $df"
[[ ${cmd[0]} == "$RP_CLI" && ${cmd[1]} == run ]] || fail "the entrypoint is not reuseport run: ${cmd[*]}"
n=${cmd[3]}
port=${cmd[-1]}
[[ ${cmd[2]} == -n && $n =~ ^[0-9]+$ && $port =~ ^[0-9]+$ ]] || fail "expected run -n N ... PORT: ${cmd[*]}"
info "entrypoint: ${cmd[*]}"

spawn_plain c unshare -p -f --mount-proc "${cmd[@]}"
pid1=
find_pid1() { pid1=$(pgrep -P "$(rp_pid c)" | head -n 1) && [[ -n $pid1 ]]; }
wait_for 5 find_pid1 || fail "no PID 1 under unshare"
nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$pid1/status")
assert_eq "$nspid" 1 "pid of reuseport run in its namespace"
assert_eq "$(cat "/proc/$pid1/comm")" reuseport "PID 1"
wait_live_slots "$port" "$n" 15 || fail "$n instances expected: $(cat "$(rp_logfile c)")"
out=$(rpclient http --port "$port" -n $((5 * n)))
for i in $(seq "$n"); do
	assert_eq "$(jget "$out" "ids.container$i" 0)" 5 "requests answered by instance $i (its own page)"
done

# processes of the container's pid namespace, and those that are zombies
in_ns() { # print the host pids in pid1's pid namespace
	local p ns
	ns=$(readlink "/proc/$pid1/ns/pid") || return 0
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/ns/pid" 2>/dev/null) == "$ns" ]] && echo "${p#/proc/}"
	done
}
zombies() {
	local p
	for p in $(in_ns); do
		awk '{ sub(/.*\) /, ""); if ($1 == "Z") print FILENAME }' "/proc/$p/stat" 2>/dev/null
	done | wc -l
}
victim=$(pgrep -P "$pid1" | head -n 1)
vns=$(awk '/^NSpid:/ { print $NF }' "/proc/$victim/status") # the log's pids are the container's
kill -KILL "$victim"
wait_for 10 grep -q "event=crash .*pid=$vns .*signal=KILL" "$(rp_logfile c)" || fail "the crash was not seen: $(tail "$(rp_logfile c)")"
wait_live_slots "$port" "$n" 15 || fail "the killed instance was not restarted"
assert_eq "$(zombies)" 0 "zombies after a crash and restart"

# `docker exec ... sh -c 'sleep 300 &'`: the orphan is re-parented to PID 1
nsenter -t "$pid1" -p -m -- sh -c 'sleep 300 >/dev/null 2>&1 &'
orphan=
find_orphan() {
	orphan=$(for p in $(in_ns); do [[ $(cat "/proc/$p/comm" 2>/dev/null) == sleep ]] && echo "$p"; done | head -n 1)
	[[ -n $orphan ]]
}
wait_for 5 find_orphan || fail "no orphan sleep in the container"
assert_eq "$(awk '/^PPid:/ { print $2 }' "/proc/$orphan/status")" "$pid1" "parent of the orphan"

# a request in progress (headers half sent) when docker stop comes
spawn_plain slow "$PY" -u -c '
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"GET /id.txt HTTP/1.0\r\n")
print("connected", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"\r\n")
buf = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    buf += b
print("response:", buf.split(b"\r\n")[0].decode(), buf.split(b"\r\n\r\n")[-1].decode().strip())
' "$port" "$RP_TMP/go"
wait_log slow connected || fail "slow client"

# docker stop: SIGTERM to PID 1
info "processes in the container before SIGTERM: $(in_ns | wc -l)"
kill -TERM "$pid1"
wait_log c "event=stop processes=" || fail "no stop"
sleep 1 # the drain waits for the connection in progress
rp_alive c || fail "the container exited with a request in progress: $(tail "$(rp_logfile c)")"
assert_eq "$(count_listeners tcp "$port")" "$n" "listeners kept while draining"
touch "$RP_TMP/go"
rp_wait_exit slow 10 || fail "the slow request did not finish"
assert_match "$(cat "$(rp_logfile slow)")" "response: HTTP/1.0 200 OK container" "request in progress at SIGTERM answered"
rp_wait_exit c 30 || fail "the container did not stop: $(tail "$(rp_logfile c)")"
assert_eq "${RP_STATUS[c]}" 0 "container exit status after SIGTERM"
log=$(cat "$(rp_logfile c)")
assert_match "$log" "event=stop_orphans count=1" "PID 1 stopped the orphan"
assert_match "$log" "event=stopped" "the supervisor finished its stop"
grep -E 'event=(kill|drain_timeout)' <<<"$log" && fail "something had to be killed or timed out"
assert_eq "$(count_listeners tcp "$port")" 0 "listeners left"

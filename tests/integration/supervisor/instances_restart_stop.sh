#!/bin/bash
# reuseport run: N instances with {i} and REUSEPORT_INSTANCE, all steered;
# a crashed instance is restarted; orphaned grandchildren are re-parented
# to the supervisor (child subreaper, or PID 1 of a pid namespace) and
# reaped when they exit (no zombies); SIGTERM stops the whole tree and
# exits 0; a command that cannot be executed exits 127.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd pgrep

# inst.py PORT BODY STOPFILE: before it listens, an instance leaves an
# orphan (double fork, the middle process exits and is reaped): a shell,
# tagged rp-orphan-PORT-INSTANCE in its command line, that runs until
# STOPFILE exists. Its parent is then whoever adopts orphans.
cat > "$RP_TMP/inst.py" <<'PY'
import os, socket, sys
port, body, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
inst = os.environ["REUSEPORT_INSTANCE"]
mid = os.fork()
if mid == 0:
    if os.fork() == 0:
        os.execvp("sh", ["sh", "-c", 'while [ ! -e "$1" ]; do sleep 0.05; done',
                         "rp-orphan-%d-%s" % (port, inst), stop])
    os._exit(0)
os.waitpid(mid, 0)
s = socket.socket()
s.bind(("127.0.0.1", port))
s.listen(64)
body = ("%s %s" % (inst, body)).encode()
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY

ppid_of() { awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }
# zombies PARENT: zombie processes whose parent is PARENT
zombies() {
	local f
	for f in /proc/[0-9]*/stat; do
		awk -v p="$1" '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " ")
			if (a[2] == p && a[1] == "Z") print $1 }' "$f" 2>/dev/null
	done | wc -l
}
no_zombies() { [ "$(zombies "$1")" = 0 ]; }
# orphans TAG N: the pids of the N live orphans tagged TAG (all of them)
orphans() { pgrep -f "rp-orphan-$1-[0-9]" | sort -n; }
has_orphans() { [ "$(orphans "$1" | wc -l)" = "$2" ]; }
all_gone() { local p; for p in "$@"; do [ ! -e "/proc/$p" ] && continue; return 1; done; }

# check_orphans TAG N PARENT STOPFILE WHAT: the N orphans of the instances
# are children of PARENT while they run, and vanish (reaped, not zombies)
# once they exit.
check_orphans() {
	local tag=$1 n=$2 parent=$3 stop=$4 what=$5 p pids
	wait_for 15 has_orphans "$tag" "$n" ||
		fail "$what: $n orphans expected, found: $(orphans "$tag" | tr '\n' ' ')"
	pids=$(orphans "$tag" | tr '\n' ' ')
	for p in $pids; do
		assert_eq "$(ppid_of "$p")" "$parent" "$what: parent of orphan $p (re-parented to the supervisor)"
	done
	touch "$stop"
	# shellcheck disable=SC2086 # a list of pids
	wait_for 10 all_gone $pids ||
		fail "$what: orphans not reaped: $(for p in $pids; do [ -e "/proc/$p" ] && echo "$p: $(cat "/proc/$p/stat")"; done)"
	pass_msg "$what: the $n orphans exited and were reaped"
	assert_eq "$(zombies "$parent")" 0 "$what: zombie children of the supervisor"
}

spawn_plain sup "$RP_CLI" run -n 3 --grace 3 --policy roundrobin -- "$PY" "$RP_TMP/inst.py" 8400 "arg{i}" "$RP_TMP/stop-8400"
wait_listeners tcp 8400 3 127.0.0.1 15 || fail "3 instances expected: $(cat "$(rp_logfile sup)")"
wait_live_slots 8400 3 || fail "3 live slots expected"
out=$(rpclient http --port 8400 --path / -n 30)
info "client: $out"
for i in 1 2 3; do
	assert_eq "$(jget "$out" "ids.$i arg$i" 0)" 10 "requests to instance $i (REUSEPORT_INSTANCE and {i})"
done

sup=$(rp_pid sup)
check_orphans 8400 3 "$sup" "$RP_TMP/stop-8400" "subreaper"

victim=$(jget "$(status_json)" groups.0.slots.0.pid)
kill -KILL "$victim"
wait_for 10 grep -q "event=crash .*pid=$victim signal=KILL" "$(rp_logfile sup)" || fail "crash not reported: $(cat "$(rp_logfile sup)")"
wait_live_slots 8400 3 || fail "crashed instance not restarted: $(cat "$(rp_logfile sup)")"
status_json | grep -q "\"pid\": $victim," && fail "the dead pid is still listed"
# the restarted instance's orphan exits at once (the stop file exists)
wait_for 10 no_zombies "$sup" || fail "zombie children of the supervisor after the restart: $(zombies "$sup")"
out=$(rpclient http --port 8400 --path / -n 30)
assert_eq "$(jeval "$out" 'sorted(d["ids"].values())')" "[10, 10, 10]" "requests per instance after the restart"

kill -TERM "$sup"
rp_wait_exit sup 15 || fail "supervisor did not stop"
assert_eq "${RP_STATUS[sup]}" 0 "supervisor exit status after SIGTERM"
grep -q 'event=stopped' "$(rp_logfile sup)" || fail "no stop line"
assert_eq "$(count_listeners tcp 8400)" 0 "listeners left"
assert_eq "$(pgrep -f "$RP_TMP/inst.py" | wc -l)" 0 "instances left"
pass_msg "SIGTERM stopped the supervisor and every instance"

# As PID 1 of a pid namespace (a container entrypoint): orphans go to PID 1
spawn_plain pid1 unshare --pid --fork --mount-proc "$RP_CLI" run -n 2 --grace 2 -- "$PY" "$RP_TMP/inst.py" 8401 x "$RP_TMP/stop-8401"
wait_listeners tcp 8401 2 127.0.0.1 15 || fail "PID 1 supervisor: 2 instances expected: $(cat "$(rp_logfile pid1)")"
ns_init=$(pgrep -P "$(rp_pid pid1)" | head -1)
[ -n "$ns_init" ] || fail "no supervisor inside the pid namespace"
assert_eq "$(awk '/^NSpid/ {print $NF}' "/proc/$ns_init/status")" 1 "supervisor's pid inside its namespace"
check_orphans 8401 2 "$ns_init" "$RP_TMP/stop-8401" "PID 1"
kill -TERM "$ns_init"
rp_wait_exit pid1 15 || fail "PID 1 supervisor did not stop"
assert_eq "$(count_listeners tcp 8401)" 0 "listeners left after PID 1 stop"

# A command that does not exist
"$RP_CLI" run -n 2 -- /nonexistent/server 2>"$RP_TMP/err"
assert_eq "$?" 127 "exit status for a missing command"
grep -q 'cannot execute /nonexistent/server: No such file or directory' "$RP_TMP/err" || fail "message: $(cat "$RP_TMP/err")"
"$RP_CLI" run -n 0 -- true 2>/dev/null
assert_eq "$?" 2 "exit status for -n 0"

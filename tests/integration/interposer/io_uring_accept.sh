#!/bin/bash
# io_uring accept: no hook sees the accepts of a server that accepts, reads,
# writes and closes through io_uring. Under reuseport run (leastconn), the
# kernel's accept queue replaces the program's "queued" count every second:
# nothing stays queued, and the io_uring instance gets connections in every
# round. Its listener is in run's cgroup, so the supervisor has the kernel
# count its connections (sockops and sock_release, event=count): within a
# burst of 40 the io_uring instance gets its share (20, +-5); before, its
# load only grew and it got 4 of 40.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
uring=$RP_BUILD/helpers/uring_acceptsrv
plain=$RP_BUILD/helpers/acceptsrv
[[ -x $uring && -x $plain ]] || skip "helpers not built (run make; needs liburing-dev)"

port=8590
# instance 1 accepts through io_uring, instance 2 through accept(2)
"$RP_CLI" run -n 2 --policy leastconn --lib "$RP_LIB" -- sh -c \
	"if [ {i} = 1 ]; then exec '$uring' $port 100; else exec '$plain' $port 1000; fi" \
	>"$RP_TMP/sup.log" 2>&1 &
sup=$!
rp_on_exit "kill $sup 2>/dev/null"
wait_for 15 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 2" || fail "instances: $(cat "$RP_TMP/sup.log")"
queued() { # PID: queued of that process's slot
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
print(sum(s["queued"] for g in json.load(sys.stdin)["groups"] for s in g["slots"] if s["pid"] == int(sys.argv[1])))' "$1"
}
upid=$(pgrep -f "uring_acceptsrv $port" | head -1)
[[ -n $upid ]] || fail "no io_uring instance"
declare -A got=()
for round in 1 2 3 4; do
	before=${got[$upid]:-0}
	for _ in $(seq 10); do
		exec {c}<>"/dev/tcp/127.0.0.1/$port" && echo hi >&"$c" && read -r line <&"$c" && exec {c}>&-
		got[${line#ok }]=$((${got[${line#ok }]:-0} + 1))
	done
	# the supervisor's next kernel check corrects queued
	wait_for 5 bash -c "[ \"\$($(declare -f queued); RP_CLI='$RP_CLI' PY='$PY' queued $upid)\" = 0 ]" ||
		fail "round $round: queued of the io_uring instance stays $(queued "$upid")"
	assert_gt "${got[$upid]:-0}" "$before" "round $round: the io_uring instance served"
done
info "answers by pid: $(for p in "${!got[@]}"; do printf '%s=%s ' "$p" "${got[$p]}"; done)"
assert_ge "${got[$upid]:-0}" 4 "connections served by the io_uring instance (of 40)"
grep -q "event=count group=tcp4_127-0-0-1_$port .* pid=$upid " "$RP_TMP/sup.log" ||
	fail "the kernel does not count the io_uring instance's connections: $(cat "$RP_TMP/sup.log")"
# one burst, no check in between
declare -A burst=()
for _ in $(seq 40); do
	exec {c}<>"/dev/tcp/127.0.0.1/$port" && echo hi >&"$c" && read -r line <&"$c" && exec {c}>&-
	burst[${line#ok }]=$((${burst[${line#ok }]:-0} + 1))
done
info "one burst of 40, by pid: $(for p in "${!burst[@]}"; do printf '%s=%s ' "$p" "${burst[$p]}"; done)"
assert_ge "${burst[$upid]:-0}" 15 "connections of a burst of 40 served by the io_uring instance"
assert_le "${burst[$upid]:-0}" 25 "connections of a burst of 40 served by the io_uring instance"

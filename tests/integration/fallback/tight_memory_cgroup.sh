#!/bin/bash
# A server in a tight memory cgroup is never killed by the shim. Verifying
# the steering program charges several MiB to the loading process's memory
# cgroup (the kernel's OOM killer would end a server with less headroom
# than that, without a log line); a group's maps charge a few KiB. Each
# server here runs alone in a memory cgroup whose limit is its own need
# (python3 -m http.server without the shim, measured first: the peak after
# 40 requests) plus 4 MiB.
# 1. No steering program in the namespace yet: the first member does not
#    load one; it serves with plain SO_REUSEPORT and one line naming the
#    limit. Nothing is pinned, no program is attached.
# 2. reuseport setup loads the namespace's programs outside the servers'
#    cgroups: a first member in a tight cgroup creates the group (maps
#    only) and is steered, a joiner in another tight cgroup too; round
#    robin is exact between them.
# Every cgroup's OOM kill count stays 0 and every server stays alive.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim
need_cli

# The memory controller: cgroup v1's memory hierarchy (hybrid hosts) or
# cgroup v2's, whichever has it; tests' cgroups go below this process's own
# (v1) or below the root (v2: a cgroup with processes cannot delegate).
MEMV=
if CG_ROOT=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts) && [[ -n $CG_ROOT ]]; then
	MEMV=1
	own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
	CG_BASE=$CG_ROOT${own%/}
elif CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts) && [[ -n $CG_ROOT ]] &&
	grep -qw memory "$CG_ROOT/cgroup.controllers" 2>/dev/null; then
	MEMV=2
	CG_BASE=$CG_ROOT
	grep -qw memory "$CG_ROOT/cgroup.subtree_control" || echo +memory >"$CG_ROOT/cgroup.subtree_control" ||
		skip "cannot enable the memory controller below $CG_ROOT"
else
	skip "no memory cgroup controller (v1 or v2) mounted"
fi
[[ -w $CG_BASE ]] || skip "cannot create memory cgroups below $CG_BASE"
info "memory cgroup v$MEMV below $CG_BASE"

CGS=()
# the servers first, then their cgroups (a cgroup with a task stays)
rm_cgs() {
	rp_kill_all
	for c in "${CGS[@]}"; do
		wait_for 5 rmdir "$c" 2>/dev/null || info "cgroup $c left behind"
	done
}
rp_on_exit rm_cgs
# mkcg NAME: a new memory cgroup, in CG
mkcg() {
	CG=$CG_BASE/rp-test-$$-$1
	mkdir "$CG" || fail "mkdir $CG"
	CGS+=("$CG")
}
cg_file() { # CG v1-name v2-name
	if ((MEMV == 1)); then cat "$1/$2"; else cat "$1/$3"; fi
}
cg_limit() { # CG BYTES
	if ((MEMV == 1)); then echo "$2" >"$1/memory.limit_in_bytes"; else echo "$2" >"$1/memory.max"; fi
}
cg_peak() { cg_file "$1" memory.max_usage_in_bytes memory.peak; }
cg_ooms() {
	local f=memory.oom_control
	((MEMV == 1)) || f=memory.events
	awk '$1 == "oom_kill" { print $2 }' "$1/$f"
}
# "${IN_CG[@]}" CG CMD...: CMD inside CG (the wrapper moves itself, then
# execs)
IN_CG=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh)

PORT=8440
www=$(mk_www m m)
# the server's own need, without the shim
mkcg need
spawn_plain need "${IN_CG[@]}" "$CG" "$PY" -m http.server --bind 127.0.0.1 --directory "$www" $PORT
wait_tcp_port $PORT 127.0.0.1 15 || fail "server without the shim did not start: $(cat "$(rp_logfile need)")"
out=$(rpclient http --port $PORT -n 40)
assert_eq "$(jget "$out" ok)" 40 "requests answered without the shim"
need=$(cg_peak "$CG")
rp_stop need
LIMIT=$((need + (4 << 20)))
info "the server needs $((need >> 10)) KiB; each cgroup's limit: $((LIMIT >> 10)) KiB"

# tight NAME PORT: a server under the shim in a new cgroup limited to LIMIT
tight() {
	mkcg "$1"
	cg_limit "$CG" $LIMIT
	rp_spawn "$1" "${IN_CG[@]}" "$CG" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$1" "$1")" "$2"
}
# survived NAME: alive, no OOM kill in its cgroup
survived() {
	local c=$CG_BASE/rp-test-$$-$1
	assert_eq "$(cg_ooms "$c")" 0 "OOM kills in $1's cgroup"
	rp_alive "$1" || fail "$1 died: $(cat "$(rp_logfile "$1")")"
}

# 1. the first member would have to load the program: it does not
tight s1 $PORT
wait_tcp_port $PORT 127.0.0.1 15 || fail "first member did not start: $(cat "$(rp_logfile s1)")"
all_serve $PORT 1 40
survived s1
log=$(cat "$(rp_logfile s1)")
info "s1: $log"
assert_eq "$(shim_lines s1)" 1 "shim log lines of the first member"
assert_match "$log" "event=fallback .*memory cgroup.*MiB left of its [0-9.]+ MiB limit" "fallback line naming the limit"
assert_eq "$(kernel_prog tcp $PORT)" none "reuseport program attached to the kernel socket group"
assert_eq "$(pinned_entries)" "" "groups pinned"
[[ ! -e $(rp_ns_dir)/tcp ]] || fail "the namespace's program was loaded: $(ls -l "$(rp_ns_dir)")"
rp_stop s1

# 2. the namespace's programs loaded by setup, outside the servers' cgroups
out=$("$RP_CLI" setup 2>&1) || fail "reuseport setup: $out"
grep -q '^ok: TCP steering program' <<<"$out" || fail "setup did not load the TCP program: $out"
PORT=8441
REUSEPORT_POLICY=roundrobin tight t1 $PORT
wait_live_slots tcp4_127-0-0-1_$PORT 1 || fail "first member in a tight cgroup not registered: $(cat "$(rp_logfile t1)")"
REUSEPORT_POLICY=roundrobin tight t2 $PORT
wait_live_slots tcp4_127-0-0-1_$PORT 2 || fail "joiner in a tight cgroup not registered: $(cat "$(rp_logfile t2)")"
out=$(rpclient http --port $PORT -n 60)
info "client: $out"
for i in 1 2; do
	assert_eq "$(jget "$out" "ids.t$i" 0)" 30 "requests served by t$i (roundrobin)"
	assert_eq "$(shim_lines "t$i")" 0 "shim log lines of t$i"
	survived "t$i"
done
assert_eq "$(kernel_prog tcp $PORT)" attached "reuseport program attached to the kernel socket group"
pass_msg "tight memory cgroups: no kill, a fallback line without the program, steered with it"

#!/bin/bash
# Groups clean up after themselves: 1000 short-lived servers on distinct
# ports, each exiting normally, leave no group behind and no pinned map
# memory; a group whose last member was killed (kill -9, no exit handler)
# is removed by the next shim that creates a group in the netns.
# slow: 1000 short-lived servers
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd bpftool
srv=$RP_BUILD/helpers/acceptsrv
[[ -x $srv ]] || skip "helper not built: $srv (run make)"

ns="$(rp_ns_dir)"
# groups (and groups being created): not the namespace's programs
groups() { find "$ns" -mindepth 1 -maxdepth 1 ! -name tcp ! -name udp 2>/dev/null | wc -l; }
memlock() { # bytes of memory locked by every BPF map on the machine
	bpftool -j map show | "$PY" -c 'import json,sys; print(sum(m.get("bytes_memlock", 0) for m in json.load(sys.stdin)))'
}

before=$(memlock)
# one group first, to measure what a group pins
LD_PRELOAD=$RP_LIB REUSEPORT_LOG=info "$srv" 29999 0 >/dev/null 2>"$RP_TMP/one.err" ||
	fail "acceptsrv failed: $(cat "$RP_TMP/one.err")"
grep -q "event=attach group=tcp4_127-0-0-1_29999" "$RP_TMP/one.err" || fail "not registered: $(cat "$RP_TMP/one.err")"
grep -q "event=release group=tcp4_127-0-0-1_29999" "$RP_TMP/one.err" || fail "not released at exit: $(cat "$RP_TMP/one.err")"
pass_msg "a server that registered and exited removed its group"

# four at a time: each creates its group (the program is verified and
# loaded), registers, exits and removes it
seq 30000 30999 | LD_PRELOAD=$RP_LIB xargs -P 4 -I{} "$srv" {} 0 >/dev/null ||
	fail "an acceptsrv failed"
assert_eq "$(groups)" 0 "groups left after 1000 servers exited"
# the maps die with their last reference (pins and sockets): RCU, give it time
wait_for 10 bash -c "[ \$($(declare -f memlock); PY='$PY' memlock) -le $((before + 1048576)) ]" ||
	fail "pinned map memory grew: before $before, now $(memlock)"
pass_msg "map memory back to within 1 MiB of the start ($before -> $(memlock) bytes)"

# kill -9: no exit handler runs, the group stays...
"$srv" 30300 1 >/dev/null &
plain=$!
LD_PRELOAD=$RP_LIB "$srv" 30301 1 >"$RP_TMP/k.out" &
victim=$!
wait_for 10 grep -q ready "$RP_TMP/k.out" || fail "victim not ready"
kill -9 "$victim"
wait "$victim" 2>/dev/null
kill "$plain" 2>/dev/null
[[ -d $ns/tcp4_127-0-0-1_30301 ]] || fail "the killed server's group should still be pinned"
pass_msg "a kill -9'd member leaves its group pinned"
# ...until the next group is created after the grace period (10 s)
sleep 11
LD_PRELOAD=$RP_LIB REUSEPORT_LOG=info "$srv" 30302 0 >/dev/null 2>"$RP_TMP/next.err"
grep -q "event=reap group=tcp4_127-0-0-1_30301" "$RP_TMP/next.err" ||
	fail "the dead group was not reaped: $(cat "$RP_TMP/next.err")"
assert_eq "$(groups)" 0 "groups left after the next server"

#!/bin/bash
# A damaged group heals. Every member can write the group's state map (its
# slots and counters live there), so a buggy or hostile member can also
# write over the header its creator wrote once. The creator's checksum (and,
# when the whole header is gone, the namespace's owners map, which only its
# creator writes) tells ours-but-damaged from foreign pins:
# 1. a prepared group whose header is all garbage and that has no live
#    member is replaced by the next server of its port, with one line; the
#    server is registered and serves;
# 2. a group with one field changed under a live member keeps serving it;
#    reuseport cleanup keeps it while the member lives and removes it
#    ("damaged") once it is gone; the next server creates a new one;
# 3. pins that are not ours are still left alone by cleanup.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool

# damage DIR whole|port: write over the header (element 1 of state)
damage() {
	bpftool -j map lookup pinned "$1/state" key 1 0 0 0 | "$PY" -c '
import json, sys
mode = sys.argv[1]
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
if mode == "whole":
    v = [0xAA] * len(v)
else:
    v[16] ^= 0x5A  # the port (network order low byte)
print(" ".join(str(b) for b in v))' "$2" >"$RP_TMP/meta"
	# shellcheck disable=SC2046 # one word per byte
	bpftool map update pinned "$1/state" key 1 0 0 0 value $(cat "$RP_TMP/meta") ||
		fail "bpftool could not write the header of $1"
}
serve() { # NAME PORT
	rp_spawn "$1" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$1" "$1")" "$2"
}
NS=$(rp_ns_dir)

# 1. a prepared group, all of its header garbage, nobody in it
out=$("$RP_CLI" setup tcp:127.0.0.1:8470 2>&1) || fail "reuseport setup: $out"
G1=$NS/tcp4_127-0-0-1_8470
damage "$G1" whole
out=$("$RP_CLI" status 2>&1 || true)
info "status: $out"
assert_match "$out" "damaged" "reuseport status names the damaged group"
serve a 8470
wait_live_slots tcp4_127-0-0-1_8470 1 || fail "server not registered in a new group: $(cat "$(rp_logfile a)")"
assert_eq "$(grep -c '^libreuseport:' "$(rp_logfile a)")" 1 "shim lines of the server that replaced the group"
assert_match "$(cat "$(rp_logfile a)")" "event=replace group=tcp4_127-0-0-1_8470 reason=\"the group's state was damaged" "replace line"
out=$(rpclient http --port 8470 -n 20)
assert_eq "$(jget "$out" ids.a 0)" 20 "requests served by the server in the new group"

# 2. one field changed under a live member
serve b 8471
G2=$NS/tcp4_127-0-0-1_8471
wait_live_slots tcp4_127-0-0-1_8471 1 || fail "server b not registered"
damage "$G2" port
out=$(rpclient http --port 8471 -n 20)
assert_eq "$(jget "$out" ids.b 0)" 20 "requests served by the member of the damaged group"
out=$("$RP_CLI" cleanup 2>&1)
info "cleanup with a live member: $out"
assert_match "$out" "kept: $G2 \(its state is damaged, but it has live members" "cleanup keeps it while b lives"
[[ -d $G2 ]] || fail "cleanup removed a group with a live member"
rp_stop b
out=$("$RP_CLI" cleanup 2>&1)
info "cleanup once b is gone: $out"
assert_match "$out" "removed $G2 \(damaged\)" "cleanup removes it once nobody is in it"
[[ ! -e $G2 ]] || fail "$G2 still there"
serve c 8471
wait_live_slots tcp4_127-0-0-1_8471 1 || fail "server c not registered in a new group"
assert_eq "$(grep -c '^libreuseport:' "$(rp_logfile c)")" 0 "shim lines of server c"

# 3. foreign pins stay foreign
mkdir "$NS/tcp4_127-0-0-1_8472"
bpftool map create "$NS/tcp4_127-0-0-1_8472/socks" type array key 4 value 8 entries 4 name foreign ||
	fail "bpftool map create"
bpftool map create "$NS/tcp4_127-0-0-1_8472/state" type array key 4 value 128 entries 64 name foreign ||
	fail "bpftool map create"
out=$("$RP_CLI" cleanup 2>&1)
info "cleanup with foreign pins: $out"
assert_match "$out" "not a libreuseport group, left alone: $NS/tcp4_127-0-0-1_8472" "foreign pins left alone"
pass_msg "damaged groups are replaced or removed, foreign pins left alone"

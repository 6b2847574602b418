#!/bin/bash
# Pins at a group's path that are not a libreuseport group of this layout
# (a foreign map, or a state map of another size as an older build would
# leave): the server starts and serves with plain SO_REUSEPORT, one line
# (EPROTO) names the path, and the foreign pins are left untouched.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim
need_cli
need_cmd bpftool

ns="$(rp_ns_dir)"

# 1. a foreign hash map where the sockarray should be
g1="$ns/tcp4_127-0-0-1_8095"
mkdir -p "$g1"
bpftool map create "$g1/socks" type hash key 4 value 8 entries 4 name foreign
bpftool map create "$g1/state" type array key 4 value 8 entries 1 name foreign2
start_servers 8095 2
all_serve 8095 2 100
assert_eq "$(shim_lines s1)" 1 "shim log lines"
grep -q "event=fallback .*errno=EPROTO .*path=$g1 .*not a libreuseport v$RP_LAYOUT group" "$(rp_logfile s1)" ||
	fail "no EPROTO line naming $g1: $(cat "$(rp_logfile s1)")"
bpftool map show pinned "$g1/socks" | grep -q 'hash' || fail "foreign pin was modified"
pass_msg "foreign pins reported and left alone"

# 2. a real sockarray but a state map of another layout's size
g2="$ns/tcp4_127-0-0-1_8096"
mkdir -p "$g2"
bpftool map create "$g2/socks" type reuseport_sockarray key 4 value 8 entries 16 name socks
bpftool map create "$g2/state" type array key 4 value 4096 entries 1 name state flags 1024
rp_stop s1; rp_stop s2
start_servers 8096 2
all_serve 8096 2 100
grep -q "event=fallback .*errno=EPROTO .*path=$g2 .*state is not a state map of this layout" "$(rp_logfile s1)" ||
	fail "no EPROTO line for the stale layout: $(cat "$(rp_logfile s1)")"
pass_msg "stale layout reported"

"$RP_CLI" status > "$RP_TMP/status.txt" 2>&1 && fail "status should fail on foreign pins"
grep -q "skipping $g1" "$RP_TMP/status.txt" || fail "status does not name the foreign group: $(cat "$RP_TMP/status.txt")"
"$RP_CLI" cleanup | grep -q "not a libreuseport group, left alone: $g1" || fail "cleanup does not report foreign pins"
[ -e "$g1/socks" ] || fail "cleanup removed foreign pins"
pass_msg "status and cleanup leave foreign pins alone"

#!/bin/bash
# Servers that drop privileges between bind and listen stay steered: the
# group is opened at bind (as root) and used at listen (as nobody), with
# no capability left and no access to the root-owned pins. The held fds
# are gone afterwards.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8420
for i in 1 2; do
	rp_spawn "d$i" "$PY" "$RP_TEST_LIB/plain_server.py" $port "d$i" --drop
	wait_log "d$i" "ready uid=65534" || fail "d$i did not start"
done
shim=$(cat "$(rp_logfile d1)" "$(rp_logfile d2)" | grep -c '^libreuseport:' || true)
assert_eq "$shim" 0 "warnings from the shim (none: both registered)"
status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'len(d["groups"][0]["slots"])')" 2 "live slots"
out=$(rpclient http --port $port -n 20)
assert_eq "$(jget "$out" ids.d1 0)" 10 "d1 (round robin)"
assert_eq "$(jget "$out" ids.d2 0)" 10 "d2 (round robin)"
# no bpf fd left behind in the servers after listen
for i in 1 2; do
	pid=$(rp_pid "d$i")
	n=$(find "/proc/$pid/fd" -lname 'anon_inode:bpf-*' 2>/dev/null | wc -l)
	assert_eq "$n" 0 "bpf fds held by d$i after listen"
done

#!/bin/bash
# A listener inherited across exec (HAProxy -W reloads, nginx binary
# upgrades): the new program never calls bind or listen, yet its accepts
# and closes are counted on the listener's slot: active follows the open
# connections and queued does not stay behind.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8490
slot_field() { # FIELD of the group's only slot
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
print(json.load(sys.stdin)["groups"][0]["slots"][0][sys.argv[1]])' "$1"
}
fifo=$RP_TMP/in
mkfifo "$fifo"
REUSEPORT_LOG=info LD_PRELOAD=$RP_LIB "$PY" "$RP_TEST_LIB/exec_inherit.py" $port \
	<"$fifo" >"$RP_TMP/out" 2>"$RP_TMP/err" &
srv=$!
exec 5>"$fifo"
rp_on_exit "kill $srv 2>/dev/null"
wait_for 10 grep -q ready "$RP_TMP/out" || fail "server not ready: $(cat "$RP_TMP/err")"
echo 10 >&5
for _ in $(seq 10); do
	exec {c}<>"/dev/tcp/127.0.0.1/$port" || fail "connect"
	conns+=("$c")
done
wait_for 10 grep -q "accepted 10" "$RP_TMP/out" || fail "not accepted: $(cat "$RP_TMP/out")"
grep -q "event=adopt group=tcp4_127-0-0-1_$port" "$RP_TMP/err" ||
	fail "the inherited listener was not adopted: $(cat "$RP_TMP/err")"
pass_msg "the exec'd program adopted its inherited listener"
assert_eq "$(slot_field accepted)" 10 "accepts counted on the slot"
assert_eq "$(slot_field active)" 10 "active while the 10 connections are open"
assert_eq "$(slot_field queued)" 0 "queued after they were accepted"
echo >&5
wait_for 10 grep -q closed "$RP_TMP/out" || fail "not closed"
assert_eq "$(slot_field active)" 0 "active after they were closed"
for c in "${conns[@]}"; do exec {c}>&-; done
echo >&5

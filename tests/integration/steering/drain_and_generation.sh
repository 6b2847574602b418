#!/bin/bash
# Drain and generations, the two ways to stop new connections to a member
# while it keeps serving: `reuseport drain PID|SLOT` / `undrain`, and a
# newer REUSEPORT_GENERATION joining the group. When every live member is
# ineligible the program still picks a live one (never the kernel hash).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8370
for n in a b; do
	REUSEPORT_GENERATION=1 rp_spawn "$n" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$n" "$n")" $port
done
wait_listeners tcp $port 2 127.0.0.1 10 || fail "a and b did not start"
wait_live_slots $port 2 || fail "2 live slots expected"

"$RP_CLI" drain "$(rp_pid a)" | grep -q 'draining' || fail "drain by pid failed"
"$RP_CLI" status | grep -q ' draining ' || fail "status does not show the draining slot"
out=$(rpclient http --port $port -n 30)
assert_eq "$(jget "$out" ids.b 0)" 30 "requests to b while a drains"
"$RP_CLI" undrain "pid:$(rp_pid a)" >/dev/null || fail "undrain failed"
out=$(rpclient http --port $port -n 30)
assert_ge "$(jget "$out" ids.a 0)" 10 "requests to a after undrain"
slot_b=$("$RP_CLI" status --json | "$PY" -c "import json,sys; print([s['slot'] for s in json.load(sys.stdin)['groups'][0]['slots'] if s['pid']==$(rp_pid b)][0])")
"$RP_CLI" drain "slot:$slot_b" >/dev/null || fail "drain by slot failed"
out=$(rpclient http --port $port -n 20)
assert_eq "$(jget "$out" ids.a 0)" 20 "requests to a while slot $slot_b drains"
"$RP_CLI" undrain "slot:$slot_b" >/dev/null
"$RP_CLI" drain 999999 2>"$RP_TMP/err" && fail "drain of an unknown pid succeeded"
grep -q 'no live slot with index 999999' "$RP_TMP/err" || fail "unknown target message: $(cat "$RP_TMP/err")"

# A newer generation joins: it alone gets new connections, the old ones keep serving.
REUSEPORT_GENERATION=2 rp_spawn c "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www c c)" $port
wait_for 10 bash -c "'$RP_CLI' status | grep -c ' live \| old-gen ' | grep -qx 3" || fail "c not registered: $("$RP_CLI" status)"
assert_eq "$("$RP_CLI" status | grep -c ' old-gen ')" 2 "slots shown as old generation"
out=$(rpclient http --port $port -n 30)
assert_eq "$(jget "$out" ids.c 0)" 30 "requests to the new generation"

# Draining the only new-generation member: the old generation takes over
# (ineligible but live beats the kernel hash).
"$RP_CLI" drain "$(rp_pid c)" >/dev/null
out=$(rpclient http --port $port -n 30)
assert_eq "$(( $(jget "$out" ids.a 0) + $(jget "$out" ids.b 0) ))" 30 "requests to the old generation while the new one drains"
st=$("$RP_CLI" status --json)
assert_ge "$(jeval "$st" 'd["groups"][0]["counters"]["ineligible"]')" 30 "selections among ineligible slots"
assert_eq "$(jeval "$st" 'd["groups"][0]["counters"]["empty"]')" 0 "selections left to the kernel hash"

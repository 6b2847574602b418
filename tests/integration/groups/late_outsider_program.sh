#!/bin/bash
# A listener that joins after the steered members without registering is
# served with no process of ours doing anything: the program itself looks
# at the member the kernel's lookup hit (for IPv4 the newest) once a
# jiffy, sees a socket outside the map and leaves every choice to the
# kernel hash until that member leaves. Three preloaded servers under
# roundrobin, then a server that sets SO_REUSEPORT itself (no shim, no
# supervisor, no command in between): of 80 requests every member gets
# some, the newcomer too (before: 0 of 40, for ever), and status says the
# program is on the kernel hash because of what it saw. Once it stops,
# the first runs find the newest member registered again: exact round
# robin (20/20/20), and status says the program steers.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

PORT=9110 G=tcp4_127-0-0-1_9110
for i in 1 2 3; do
	REUSEPORT_POLICY=roundrobin rp_spawn "a$i" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "a$i" "a$i")" $PORT
	wait_live_slots $G "$i" || fail "a$i not registered"
done
steering() { jeval "$(status_json)" "[g['steering'] for g in d['groups'] if g['name'] == '$G'][0]"; }
assert_eq "$(jeval "$(steering)" 'd["mode"]')" program "steering before the newcomer"

spawn_plain u "$PY" "$RP_TEST_LIB/plain_server.py" $PORT u
wait_log u ready || fail "the unregistered server did not start"
out=$(rpclient http --port $PORT -n 80)
info "with the newcomer: $out"
assert_eq "$(jget "$out" ok)" 80 "answered requests"
for n in a1 a2 a3 u; do
	assert_ge "$(jget "$out" "ids.$n" 0)" 1 "requests served by $n"
done
s=$(steering)
info "status: $s"
assert_eq "$(jeval "$s" 'd["mode"]')" kernel_hash "steering with the newcomer"
assert_eq "$(jeval "$s" 'd["outsider"] is not None')" true "the program's own finding named"
"$RP_CLI" status | grep -A2 "^group $G" | sed 's/^/  | /'
"$RP_CLI" status | grep -q "the program saw a listener outside the map" || fail "status text does not say why"

rp_stop u
rpclient http --port $PORT -n 3 >/dev/null
sleep 0.1
rpclient http --port $PORT -n 3 >/dev/null
out=$(rpclient http --port $PORT -n 60)
info "after it stopped: $out"
for n in a1 a2 a3; do
	assert_eq "$(jget "$out" "ids.$n" 0)" 20 "requests served by $n (roundrobin)"
done
assert_eq "$(jeval "$(steering)" 'd["mode"]')" program "steering after the newcomer left"
pass_msg "a late outsider is served by the program's own look, and steering comes back"

#!/bin/bash
# cpu: instances pinned to CPU 0 and CPU 1, clients pinned likewise: each
# client reaches the instance of its own CPU (loopback packets are
# processed on the sending CPU).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd taskset
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"

port=8330
for c in 0 1; do
	REUSEPORT_POLICY=cpu rp_spawn "c$c" taskset -c $c "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "c$c" "cpu$c")" $port
done
wait_listeners tcp $port 2 127.0.0.1 15 || fail "2 listeners expected"
wait_live_slots $port 2 || fail "2 live slots expected"
"$RP_CLI" status --json | "$PY" -c 'import json,sys; print(sorted(s["cpu"] for s in json.load(sys.stdin)["groups"][0]["slots"]))' |
	grep -qx '\[0, 1\]' || fail "slots do not record the pinned CPUs: $("$RP_CLI" status --json)"
for c in 0 1; do
	out=$(taskset -c $c "$PY" "$RPCLIENT" http --port $port -n 100)
	info "client on CPU $c: $(jget "$out" ids)"
	assert_eq "$(jget "$out" "ids.cpu$c" 0)" 100 "requests from CPU $c served by the CPU $c instance"
done

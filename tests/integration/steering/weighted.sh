#!/bin/bash
# weighted: REUSEPORT_WEIGHT=1 and =3 give 25 % / 75 % (+-3 points) of 4000
# connections (smooth weighted round robin, as a 5 % canary would get 5 %).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8310
REUSEPORT_POLICY=weighted REUSEPORT_WEIGHT=1 rp_spawn light "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www light light)" $port
REUSEPORT_POLICY=weighted REUSEPORT_WEIGHT=3 rp_spawn heavy "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www heavy heavy)" $port
wait_listeners tcp $port 2 127.0.0.1 15 || fail "2 listeners expected"
wait_live_slots $port 2 || fail "2 live slots expected"
"$RP_CLI" status

out=$(rpclient http --port $port -n 4000 --concurrency 4)
info "client: $(jeval "$out" '{k: d[k] for k in ("ok", "failed", "ids")}')"
assert_eq "$(jget "$out" ok)" 4000 "answered requests"
light=$(jget "$out" ids.light 0)
pct=$(( light * 1000 / 4000 ))
info "weight 1 of 4: ${light}/4000 = $((pct / 10)).$((pct % 10)) %"
assert_ge "$light" 880 "connections to weight 1 (22 %)"
assert_le "$light" 1120 "connections to weight 1 (28 %)"

# The weight can be changed at run time: 1:1 now.
"$RP_CLI" weight "$(rp_pid light)" 3 >/dev/null || fail "reuseport weight failed"
out=$(rpclient http --port $port -n 400 --concurrency 4)
assert_ge "$(jget "$out" ids.light 0)" 176 "connections to light after weight 3 (44 %)"
assert_le "$(jget "$out" ids.light 0)" 224 "connections to light after weight 3 (56 %)"

#!/bin/bash
# 4 x unmodified `python3 -m http.server` on one port under the shim, policy
# roundrobin: 400 requests on new connections give exactly 100 each; the
# group's program is the one bpftool lists and status agrees with the client.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool ss

port=8080
for i in 1 2 3 4; do
	www=$(mk_www "w$i" "i$i")
	REUSEPORT_POLICY=roundrobin rp_spawn "w$i" "$PY" -m http.server \
		--bind 127.0.0.1 --directory "$www" $port
done
wait_listeners tcp $port 4 127.0.0.1 15 || fail "4 listeners expected on $port"
wait_for 10 bash -c "[ \$('$RP_CLI' status --json | '$PY' -c 'import json,sys; print(sum(len(g[\"slots\"]) for g in json.load(sys.stdin)[\"groups\"]))') = 4 ]" ||
	fail "4 registered slots expected: $("$RP_CLI" status)"

out=$(rpclient http --port $port -n 400)
info "client: $out"
assert_eq "$(jget "$out" ok)" 400 "answered requests"
for i in 1 2 3 4; do
	assert_eq "$(jget "$out" "ids.i$i" 0)" 100 "requests served by instance $i"
done

status=$("$RP_CLI" status --json)
info "status: $status"
assert_eq "$(jeval "$status" 'd["groups"][0]["name"]')" tcp4_127-0-0-1_8080 "group name"
assert_eq "$(jeval "$status" 'd["groups"][0]["policy"]')" roundrobin "group policy"
assert_eq "$(jeval "$status" 'sorted(s["selected"] for s in d["groups"][0]["slots"])')" "[100, 100, 100, 100]" "selected per slot"
assert_eq "$(jeval "$status" 'sorted(s["accepted"] for s in d["groups"][0]["slots"])')" "[100, 100, 100, 100]" "accepted per slot"
assert_eq "$(jeval "$status" 'd["groups"][0]["counters"]["steered"]')" 400 "program outcome steered"
assert_eq "$(jeval "$status" 'd["groups"][0]["counters"]["empty"]')" 0 "program outcome empty (kernel hash)"
slot_pids=$(jeval "$status" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')
want=$(for i in 1 2 3 4; do rp_pid "w$i"; done | sort | tr '\n' ' ' | sed 's/ $//')
assert_eq "$slot_pids" "$want" "slot pids are the four servers"

# The pinned program (the namespace's, one for every TCP group) is attached
# and is what bpftool shows.
prog=$(rp_prog_of tcp4_127-0-0-1_8080)
show=$(bpftool prog show pinned "$prog") || fail "bpftool cannot show $prog"
info "bpftool: $show"
assert_match "$show" 'sk_reuseport +name steer' "bpftool prog show"
bpftool prog show | grep -q 'sk_reuseport  name steer' || fail "bpftool prog show does not list the program"
pass_msg "bpftool lists the steering program"

#!/bin/bash
# Connections queued on an instance that dies with SIGKILL are not lost:
# the program (sk_reuseport/migrate) hands them to a live instance.
# Instance A is frozen (SIGSTOP) so its share of the requests waits in its
# accept queue, then A is killed; every client must get an answer, from B.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd ss

port=8082
for n in a b; do
	REUSEPORT_POLICY=roundrobin rp_spawn "$n" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "$n" "$n")" $port
done
wait_listeners tcp $port 2 127.0.0.1 15 || fail "2 listeners expected"
wait_live_slots $port 2 || fail "2 live slots expected"

kill -STOP "$(rp_pid a)"
# 10 concurrent requests: 5 queue on A (backlog of http.server is 5), 5 go to B.
rpclient http --port $port -n 10 --concurrency 10 --timeout 20 > "$RP_TMP/client.json" &
client=$!
queued() { ss -Hltn "sport = :$port" | awk '{q += $2} END {print q + 0}'; }
wait_for 10 bash -c "[ \$(ss -Hltn 'sport = :$port' | awk '{q += \$2} END {print q + 0}') -ge 5 ]" ||
	fail "requests did not queue on the frozen instance (queued: $(queued))"
info "queued on frozen instance: $(queued)"

kill -KILL "$(rp_pid a)"
wait "$client" || fail "client failed"
out=$(cat "$RP_TMP/client.json")
info "client: $out"
assert_eq "$(jget "$out" ok)" 10 "answered requests"
assert_eq "$(jget "$out" failed)" 0 "failed requests"
assert_eq "$(jget "$out" ids.b 0)" 10 "requests answered by the survivor"

status=$("$RP_CLI" status --json)
info "status: $status"
assert_ge "$(jeval "$status" 'd["groups"][0]["counters"]["migrated"]')" 5 "connections migrated by the program"

#!/bin/bash
# varnish under the shim: its manager binds as root, its jail (cache-main)
# points every fd at /dev/null, drops to vcache and only then listens. Two
# unmodified varnishd on one port are both steered (exact round robin),
# with no capability and no access to root's pins in the listening process.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
need_shim
need_cli
need_cmd varnishd

port=8500
backend=9901
chmod 755 "$RP_TMP" # the jail's user reads its working directory below
spawn_plain backend "$PY" "$RP_ITEST_DIR/plain_server.py" $backend origin
wait_log backend ready || fail "backend did not start"
for i in 1 2; do
	rp_spawn "varnish$i" varnishd -F -a 127.0.0.1:$port -b 127.0.0.1:$backend \
		-n "$RP_TMP/varnish$i" -s malloc,16m -p vsl_space=1M
done
wait_for 30 bash -c "'$RP_CLI' status --json | '$PY' -c 'import json,sys; sys.exit(sum(len(g[\"slots\"]) for g in json.load(sys.stdin)[\"groups\"]) != 2)'" ||
	fail "2 registered varnish listeners expected: $("$RP_CLI" status) $(cat "$(rp_logfile varnish1)")"
status=$("$RP_CLI" status --json)
for i in 0 1; do
	pid=$(jeval "$status" "d['groups'][0]['slots'][$i]['pid']")
	uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
	assert_eq "$(id -nu "$uid")" vcache "user of the listening process of slot $i"
done
out=$(rpclient http --port $port --path / -n 20)
assert_eq "$(jget "$out" ok)" 20 "requests answered through varnish"
status=$("$RP_CLI" status --json)
assert_eq "$(jeval "$status" 'sorted(s["accepted"] for s in d["groups"][0]["slots"])')" "[10, 10]" "accepted per varnish (round robin)"
assert_eq "$(jeval "$status" 'd["groups"][0]["unregistered"]')" 0 "unregistered listeners"

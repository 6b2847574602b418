#!/bin/bash
# varnish under the shim: its manager binds as root, its jail (cache-main)
# points every fd at /dev/null, drops to vcache and only then listens. Two
# unmodified varnishd on one port are both steered (exact round robin),
# with no capability and no access to root's pins in the listening process.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd varnishd

port=8500
backend=9901
chmod 755 "$RP_TMP" # the jail's user reads its working directory below
spawn_plain backend "$PY" "$RP_TEST_LIB/plain_server.py" $backend origin
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

# squid: binds and listens with its effective uid switched to proxy
need_cmd squid
for i in 1 2; do
	d=$RP_TMP/squid$i
	mkdir -p "$d" && chown proxy:proxy "$d"
	cat >"$d/squid.conf" <<CONF
http_port 127.0.0.1:3128
pid_filename $d/squid.pid
cache_log $d/cache.log
access_log none
cache deny all
coredump_dir $d
http_access allow all
shutdown_lifetime 1 seconds
CONF
	rp_spawn "squid$i" squid -N -f "$d/squid.conf"
done
group=tcp4_127-0-0-1_3128
wait_for 30 bash -c "'$RP_CLI' --group $group status --json 2>/dev/null | '$PY' -c 'import json,sys; g=json.load(sys.stdin)[\"groups\"]; sys.exit(not g or len(g[0][\"slots\"]) != 2)'" ||
	fail "2 registered squid listeners expected: $("$RP_CLI" status) $(cat "$(rp_logfile squid1)")"
# (squid answers a bare GET / with an error page; what counts is who accepted)
rpclient http --port 3128 --path / -n 20 >/dev/null || true
status=$("$RP_CLI" --group $group status --json)
assert_eq "$(jeval "$status" 'sorted(s["accepted"] for s in d["groups"][0]["slots"])')" "[10, 10]" "accepted per squid (round robin)"

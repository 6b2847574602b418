#!/bin/bash
# Short-lived children that inherit LD_PRELOAD must not disturb the group:
# `nginx -t` (config test; it binds and listens, so under the shim it joins
# the group for a moment) run 25 times under the shim, with the same
# config, while 8 clients load two nginx masters: zero failed requests.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
. "$RP_ITEST_DIR/nginx_lib.sh"
need_shim
need_cli
need_cmd nginx

port=8430
for n in a b; do
	mkdir -p "$RP_TMP/$n"
	nginx_conf "$RP_TMP/$n" $port "$n" > "$RP_TMP/$n/nginx.conf"
	rp_spawn "nginx-$n" nginx -c "$RP_TMP/$n/nginx.conf" -e "$RP_TMP/$n/error.log"
done
wait_for 15 bash -c "'$RP_CLI' status | grep -c ' live ' | grep -qx 2" || fail "2 nginx expected"
rm -f "$RP_TMP/stop"
"$PY" "$RP_ITEST_DIR/loadclient.py" $port 8 "$RP_TMP/stop" > "$RP_TMP/load.json" &
load=$!
sleep 0.5
for i in $(seq 25); do
	LD_PRELOAD=$RP_LIB nginx -t -q -c "$RP_TMP/a/nginx.conf" -e "$RP_TMP/a/error.log" ||
		fail "nginx -t failed under the shim"
done
sleep 0.5
touch "$RP_TMP/stop"
wait $load
out=$(cat "$RP_TMP/load.json")
info "load during 25 x nginx -t: $out"
assert_ge "$(jget "$out" ok)" 100 "requests served during the loop"
assert_eq "$(jget "$out" failed)" 0 "failed requests (resets)"
assert_eq "$("$RP_CLI" status | grep -c ' live ')" 2 "live slots after the loop (nginx -t left none behind)"

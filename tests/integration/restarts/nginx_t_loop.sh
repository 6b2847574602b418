#!/bin/bash
# Short-lived children that inherit LD_PRELOAD must not disturb the group:
# `nginx -t` (config test; it binds and listens, so under the shim it joins
# the group for a moment) run 25 times under the shim, with the same
# config, while 8 clients load two nginx masters: every run registered a
# socket in the group (its own attach line, with its own pid), zero failed
# requests, and only the two masters are left in the group.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/nginx_lib.sh"
need_shim
need_cli
need_cmd nginx

port=8430
for n in a b; do
	mkdir -p "$RP_TMP/$n"
	nginx_conf "$RP_TMP/$n" $port "$n" > "$RP_TMP/$n/nginx.conf"
	rp_spawn "nginx-$n" nginx -c "$RP_TMP/$n/nginx.conf" -e "$RP_TMP/$n/error.log"
done
wait_live_slots $port 2 15 || fail "2 nginx expected"
masters=$(jeval "$(status_json)" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')
rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" $port 8 "$RP_TMP/stop" > "$RP_TMP/load.json" &
load=$!
# the load is on before the first nginx -t: wait for some requests
steered() { jeval "$(status_json)" 'd["groups"][0]["counters"]["steered"]'; }
steered_ge() { (($(steered) >= $1)); }
wait_for 10 steered_ge $(($(steered) + 50)) || fail "the load did not start"
for i in $(seq 25); do
	LD_PRELOAD=$RP_LIB REUSEPORT_LOG=info REUSEPORT_LOG_FILE="$RP_TMP/nginx-t.$i.log" \
		nginx -t -q -c "$RP_TMP/a/nginx.conf" -e "$RP_TMP/a/error.log" ||
		fail "nginx -t failed under the shim"
done
touch "$RP_TMP/stop"
wait $load
out=$(cat "$RP_TMP/load.json")
info "load during 25 x nginx -t: $out"
assert_ge "$(jget "$out" ok)" 100 "requests served during the loop"
assert_eq "$(jget "$out" failed)" 0 "failed requests (resets)"
# Each run's socket joined the group: one attach line from a pid that is
# not a master's (the shim logs only after the sockarray update and the
# program attach succeeded).
tpids=
for i in $(seq 25); do
	f=$RP_TMP/nginx-t.$i.log
	[ -f "$f" ] || fail "nginx -t run $i: the shim logged nothing (it never registered a socket)"
	assert_eq "$(grep -c "event=attach group=tcp4_127-0-0-1_$port slot=[0-9]* policy=roundrobin pid=" "$f")" 1 "nginx -t run $i: attach lines"
	assert_eq "$(grep -c 'level=warn\|level=error' "$f")" 0 "nginx -t run $i: warnings"
	p=$(sed -n 's/.*event=attach .* pid=\([0-9]*\)$/\1/p' "$f")
	[[ " $masters $tpids " == *" $p "* ]] && fail "nginx -t run $i: pid $p is not a new process"
	tpids+=" $p"
done
pass_msg "25 nginx -t runs joined the group, each as its own process"
# What the program sent to an nginx -t socket was handed to a master when
# that socket closed: the masters' slots count every steered connection.
st=$(status_json)
info "connections handed over from nginx -t sockets: $(jget "$st" groups.0.counters.migrated)"
info "the program's counters: $(jget "$st" groups.0.counters)"
assert_eq "$(jeval "$st" 'sum(s["selected"] for s in d["groups"][0]["slots"])')" "$(jget "$st" groups.0.counters.steered)" \
	"connections selected for the masters (directly or migrated) = connections steered"
assert_eq "$(jget "$st" groups.0.counters.migrate_empty)" 0 "migrations without a live slot"
# every nginx -t socket was noted or named by its slot whenever the
# program looked at it: never taken for a listener outside the map
assert_eq "$(jget "$st" groups.0.counters.unsteered)" 0 "choices left to the kernel hash"
assert_eq "$(live_slots $port)" 2 "live slots after the loop (nginx -t left none behind)"
assert_eq "$(jeval "$(status_json)" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')" "$masters" "live slots are the two masters"

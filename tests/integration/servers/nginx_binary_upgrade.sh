#!/bin/bash
# nginx's binary upgrade (USR2, WINCH, QUIT) under load, two daemonized
# masters on one port. nginx drops LD_PRELOAD from the new binary's
# environment (no `env LD_PRELOAD;`), so the new master accepts past the
# shim: when the old master exits, the slot of the socket it holds (its
# own, or registered by the daemon's parent, gone) goes to the new one
# marked adopted (accepts unseen, event=handover), never stalled.
# Checked: 0 failed requests through the upgrade, the new master gets its
# half of round robin afterwards, no slot stalled, the slot's pid is the
# new master's.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_ROOT/tests/lib/nginx_lib.sh"
need_shim
need_cli
need_cmd nginx

port=9431
nginx_bin=$(command -v nginx)
export REUSEPORT_POLICY=roundrobin REUSEPORT_LOG=info
group=tcp4_127-0-0-1_$port

stop_masters() {
	local f
	for f in "$RP_TMP"/ngx-*/nginx.pid "$RP_TMP"/ngx-*/nginx.pid.oldbin; do
		[[ -s $f ]] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	return 0
}
rp_on_exit stop_masters

slot_of() { # PID: "state adopted" of the group's slot held by PID
	jeval "$(status_json)" "' '.join(str(s[k]).lower() for g in d['groups'] if g['name'] == '$group' for s in g['slots'] if s['pid'] == $1 for k in ('state', 'adopted'))"
}
stalled() {
	jeval "$(status_json)" "sum(s['state'] == 'stalled' for g in d['groups'] for s in g['slots'])"
}

for n in a b; do
	d=$RP_TMP/ngx-$n
	mkdir -p "$d"
	nginx_conf "$d" $port "$n" | sed 's/^daemon off;/daemon on;/' >"$d/nginx.conf"
	rp_spawn "nginx-$n" "$nginx_bin" -e "$d/error.log" -c "$d/nginx.conf"
	wait_for 15 test -s "$d/nginx.pid" ||
		fail "nginx $n did not start: $(cat "$d/error.log" "$(rp_logfile "nginx-$n")")"
done
wait_live_slots $group 2 || fail "two members expected: $(rp_cli status)"
out=$(rpclient http --port $port --path / -n 40)
assert_eq "$(jget "$out" ids.a 0) $(jget "$out" ids.b 0)" "20 20" "round robin before the upgrade"

stop=$RP_TMP/load.stop
py "$RP_ROOT/tests/lib/loadclient.py" $port 4 "$stop" >"$RP_TMP/load.json" &
load=$!
sleep 0.5

old=$(cat "$RP_TMP/ngx-a/nginx.pid")
kill -USR2 "$old"
wait_for 15 test -s "$RP_TMP/ngx-a/nginx.pid.oldbin" ||
	fail "nginx a: no new binary: $(cat "$RP_TMP/ngx-a/error.log")"
wait_for 15 test -s "$RP_TMP/ngx-a/nginx.pid" || fail "nginx a: no new pid file"
new=$(cat "$RP_TMP/ngx-a/nginx.pid")
info "old master $old, new master $new"
sleep 0.5
kill -WINCH "$old"
sleep 0.5
kill -QUIT "$old"
gone() { ! _rp_pid_alive "$1"; }
wait_for 20 gone "$old" || fail "the old master did not exit"
sleep 1
touch "$stop"
wait "$load"
res=$(cat "$RP_TMP/load.json")
info "load through the upgrade: $res"
assert_gt "$(jget "$res" ok)" 0 "requests through the upgrade"
assert_eq "$(jget "$res" failed)" 0 "failed requests through the upgrade"

assert_eq "$(slot_of "$new")" "live true" "the new master holds the slot (adopted: no shim in it)"

out=$(rpclient http --port $port --path / -n 40)
info "after: $out"
assert_eq "$(jget "$out" ok)" 40 "answered after the upgrade"
assert_eq "$(jget "$out" ids.a 0) $(jget "$out" ids.b 0)" "20 20" "round robin after the upgrade"
sleep 1.2 # past stall_ms: a slot the guard wrongly stalled would show now
out=$(rpclient http --port $port --path / -n 40)
assert_eq "$(jget "$out" ids.a 0) $(jget "$out" ids.b 0)" "20 20" "round robin a second later"
assert_eq "$(stalled)" 0 "stalled slots"

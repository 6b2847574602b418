#!/bin/bash
# reuseport run steers binaries LD_PRELOAD cannot reach. Three kinds, each
# as three instances on one port under run's default mode (auto): a C
# server built -static here (it never sets SO_REUSEPORT), busybox httpd
# (busybox-static) and caddy (Debian's Go build, which sets SO_REUSEPORT
# itself). The instances run in the supervisor's cgroup, whose bind hook
# forces SO_REUSEPORT (without it instances 2 and 3 fail with EADDRINUSE),
# and the supervisor adopts their listeners. For each: every slot is
# adopted, round robin is exact (20/20/20), a drained instance gets
# nothing, and a rolling restart under load fails no request. The static
# server also: a frozen instance killed with -9 hands its queued
# connections over (all answered), and a port out of REUSEPORT_PORTS
# behaves as without the tool (EADDRINUSE). Last, a mixed group: two
# preloaded python servers (registered by the shim) and the static server
# (adopted), round robin exact over the three.
# slow: three kinds of server, three instances each, a roll under load each
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli
need_cmd busybox
need_cmd caddy

STATIC=$RP_TMP/static_srv
cc -static -O2 -o "$STATIC" "$RP_ROOT/tests/lib/static_srv.c" 2>"$RP_TMP/cc.err" ||
	fail "cannot build a static server: $(head -c 300 "$RP_TMP/cc.err")"
file "$STATIC" 2>/dev/null | grep -q 'statically linked' || info "file(1): $(file "$STATIC" 2>&1)"
busybox 2>&1 | head -1 | grep -qi busybox || fail "busybox does not run"
ldd "$(command -v busybox)" 2>&1 | grep -q 'not a dynamic' || info "busybox is not static here: $(ldd "$(command -v busybox)" 2>&1 | head -1)"

SUP=
start_run() { # NAME PORT ARGS... -- CMD...: reuseport run in the background
	local name=$1 port=$2
	shift 2
	"$RP_CLI" run "$@" >"$RP_TMP/$name.log" 2>&1 &
	SUP=$!
	rp_on_exit "kill $SUP 2>/dev/null"
	wait_live_slots "tcp4_127-0-0-1_$port" 3 ||
		fail "$name: 3 live slots expected: $(cat "$RP_TMP/$name.log")"
}
stop_run() {
	kill "$SUP"
	wait "$SUP" || fail "reuseport run exited with $?"
}
adopted() { # GROUP: how many of its slots the supervisor adopted
	jeval "$(status_json)" "sum(s['adopted'] for g in d['groups'] if g['name'] == '$1' for s in g['slots'])"
}
pid_of_instance() { # GROUP I
	jeval "$(status_json)" "[s['pid'] for g in d['groups'] if g['name'] == '$1' for s in g['slots'] if s['instance'] == $2][0]"
}
rr_exact() { # NAME PORT IDPREFIX
	local out i
	out=$(rpclient http --port "$2" -n 60)
	info "$1: $out"
	for i in 1 2 3; do
		assert_eq "$(jget "$out" "ids.$3$i" 0)" 20 "$1: requests served by instance $i (roundrobin)"
	done
}
drained_gets_nothing() { # NAME PORT IDPREFIX
	local g=tcp4_127-0-0-1_$2 out
	"$RP_CLI" drain "pid:$(pid_of_instance "$g" 1)" >/dev/null || fail "$1: drain failed"
	out=$(rpclient http --port "$2" -n 30)
	info "$1 with instance 1 drained: $out"
	assert_eq "$(jget "$out" "ids.${3}1" 0)" 0 "$1: requests to the drained instance"
	assert_eq "$(jget "$out" ok)" 30 "$1: requests answered while one is drained"
	"$RP_CLI" undrain "pid:$(pid_of_instance "$g" 1)" >/dev/null || fail "$1: undrain failed"
}
roll_under_load() { # NAME PORT
	local client out
	rpclient http --port "$2" -n 1500 --concurrency 4 >"$RP_TMP/$1-load.json" &
	client=$!
	sleep 0.3
	kill -HUP "$SUP"
	wait_for 30 grep -q 'event=rolling_done' "$RP_TMP/$1.log" ||
		fail "$1: the roll did not finish: $(tail -20 "$RP_TMP/$1.log")"
	wait "$client"
	out=$(cat "$RP_TMP/$1-load.json")
	info "$1: across the roll: ok $(jget "$out" ok), failed $(jget "$out" failed), errors $(jget "$out" errors)"
	assert_eq "$(jget "$out" failed)" 0 "$1: requests failed across a rolling restart"
	wait_live_slots "tcp4_127-0-0-1_$2" 3 || fail "$1: 3 live slots after the roll"
	assert_eq "$(adopted "tcp4_127-0-0-1_$2")" 3 "$1: slots adopted after the roll"
}

# 1. a static C server
mkdir -p "$RP_TMP/ids"
start_run static 9401 -n 3 --policy roundrobin -- "$STATIC" tcp 9401 "s{i}"
assert_eq "$(adopted tcp4_127-0-0-1_9401)" 3 "static: slots adopted by the supervisor"
grep -q 'event=adopt instance=1 ' "$RP_TMP/static.log" || fail "static: no adopt line"
rr_exact static 9401 s
drained_gets_nothing static 9401 s
# kill -9 of a frozen instance: its queued connections go to the others
victim=$(pid_of_instance tcp4_127-0-0-1_9401 2)
kill -STOP "$victim"
rpclient http --port 9401 -n 12 --concurrency 12 --timeout 20 >"$RP_TMP/kill9.json" &
client=$!
wait_for 10 bash -c "[ \$(ss -Hltn 'sport = :9401' | awk '{q += \$2} END {print q + 0}') -ge 4 ]" ||
	fail "static: nothing queued on the frozen instance"
kill -KILL "$victim"
wait "$client"
out=$(cat "$RP_TMP/kill9.json")
info "static: kill -9 with queued connections: $out"
assert_eq "$(jget "$out" ok)" 12 "static: requests answered across kill -9"
assert_eq "$(jget "$out" ids.s2 0)" 0 "static: requests answered by the killed instance"
wait_live_slots tcp4_127-0-0-1_9401 3 || fail "static: the killed instance was not restarted and adopted"
roll_under_load static 9401
stop_run
# out of REUSEPORT_PORTS: the bind hook leaves it alone, as without the tool
REUSEPORT_PORTS=9401 "$RP_CLI" run -n 2 -- "$STATIC" tcp 9402 "x{i}" >"$RP_TMP/scope.log" 2>&1 &
SUP=$!
rp_on_exit "kill $SUP 2>/dev/null"
wait_for 10 grep -q 'Address already in use' "$RP_TMP/scope.log" ||
	fail "a port out of scope did not fail with EADDRINUSE: $(cat "$RP_TMP/scope.log")"
kill "$SUP" 2>/dev/null
wait "$SUP" 2>/dev/null
pass_msg "a port out of REUSEPORT_PORTS: EADDRINUSE, as without the tool"

# 2. busybox httpd (static)
for i in 1 2 3; do mk_www "b$i" "b$i" >/dev/null; done
start_run busybox 9403 -n 3 --policy roundrobin -- busybox httpd -f -p 127.0.0.1:9403 -h "$RP_TMP/www-b{i}"
assert_eq "$(adopted tcp4_127-0-0-1_9403)" 3 "busybox: slots adopted"
rr_exact busybox 9403 b
drained_gets_nothing busybox 9403 b
roll_under_load busybox 9403
stop_run

# 3. caddy (Go: sets SO_REUSEPORT itself; admin endpoint off)
for i in 1 2 3; do
	mk_www "c$i" "c$i" >/dev/null
	printf '{\n\tadmin off\n}\nhttp://127.0.0.1:9404 {\n\tbind 127.0.0.1\n\troot * %s\n\tfile_server\n}\n' \
		"$RP_TMP/www-c$i" >"$RP_TMP/Caddyfile.$i"
done
export XDG_DATA_HOME=$RP_TMP/xdg XDG_CONFIG_HOME=$RP_TMP/xdg
start_run caddy 9404 -n 3 --policy roundrobin -- caddy run --adapter caddyfile --config "$RP_TMP/Caddyfile.{i}"
assert_eq "$(adopted tcp4_127-0-0-1_9404)" 3 "caddy: slots adopted"
rr_exact caddy 9404 c
drained_gets_nothing caddy 9404 c
roll_under_load caddy 9404
stop_run

# 4. a mixed group: two preloaded python servers and an adopted static one
mk_www m1 m1 >/dev/null
mk_www m2 m2 >/dev/null
start_run mixed 9405 -n 3 --policy roundrobin -- sh -c \
	"if [ {i} = 3 ]; then exec '$STATIC' tcp 9405 m3; else exec '$PY' -m http.server --bind 127.0.0.1 --directory '$RP_TMP/www-m{i}' 9405; fi"
assert_eq "$(adopted tcp4_127-0-0-1_9405)" 1 "mixed: slots adopted (the static one)"
rr_exact mixed 9405 m
stop_run
pass_msg "static, busybox and caddy steered under reuseport run, and a mixed group"

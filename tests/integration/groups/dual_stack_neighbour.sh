#!/bin/bash
# Every listener of the port is shown, in every family. Two preloaded
# servers on 0.0.0.0:PORT (a group under roundrobin), then a server that
# sets SO_REUSEPORT itself on a dual-stack [::]:PORT socket (as caddy
# --listen :PORT does). Without the tool its bind would fail with
# EADDRINUSE; with it, it starts and the kernel's lookup gives it no IPv4
# connection (IPv4 listeners are preferred). Checked: it gets 0 of 40 IPv4
# requests and every IPv6 one, and status shows it, beside the group,
# with a WARNING saying so (text), other_listeners with warning true
# (JSON). Once it stops, the group shows no neighbour.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

PORT=9120 G=tcp4_0-0-0-0_9120
ip -6 addr show dev lo | grep -q '::1' || skip "no IPv6 on lo"
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin rp_spawn "a$i" "$PY" -m http.server --bind 0.0.0.0 \
		--directory "$(mk_www "a$i" "a$i")" $PORT
	wait_live_slots $G "$i" || fail "a$i not registered"
done
others() { jeval "$(status_json)" "[g['other_listeners'] for g in d['groups'] if g['name'] == '$G'][0]"; }
assert_eq "$(others)" "[]" "neighbours before the dual-stack server"

spawn_plain d "$PY" "$RP_TEST_LIB/plain_server.py" $PORT d --bind ::
wait_log d ready || fail "the dual-stack server did not start: $(cat "$(rp_logfile d)")"
out=$(rpclient http --port $PORT -n 40)
info "IPv4: $out"
assert_eq "$(jget "$out" ok)" 40 "answered IPv4 requests"
assert_eq "$(jget "$out" ids.d 0)" 0 "IPv4 requests the dual-stack server got (the kernel prefers IPv4 listeners)"
out6=$(rpclient http --host ::1 --port $PORT -n 10)
info "IPv6: $out6"
assert_eq "$(jget "$out6" ids.d 0)" 10 "IPv6 requests the dual-stack server got"

o=$(others)
info "other_listeners: $o"
assert_eq "$(jeval "$o" 'len(d)')" 1 "neighbours shown"
assert_eq "$(jeval "$o" 'list(map(d[0].get, ("family", "address", "v6only", "listeners", "group", "warning")))')" \
	'["ipv6", "::", false, 1, null, true]' "the dual-stack neighbour"
txt=$("$RP_CLI" status)
grep -A3 "^group $G" <<<"$txt" | sed 's/^/  | /'
grep -q "WARNING: also on port $PORT: \[::\] (dual-stack), 1 listener(s), in no group: no IPv4 connection" <<<"$txt" ||
	fail "status text does not warn about the dual-stack listener"
pass_msg "status warns about the dual-stack listener"

rp_kill d
rp_wait_exit d || fail "the dual-stack server did not stop"
assert_eq "$(others)" "[]" "neighbours after it stopped"

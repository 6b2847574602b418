#!/bin/bash
# reuseport run steers a UDP server LD_PRELOAD cannot reach: a C server
# built -static here (it never sets SO_REUSEPORT) as three instances on one
# port. The bind hook of the instances' cgroup lets instances 2 and 3 bind;
# the supervisor adopts the three bound sockets. Checked: every slot is
# adopted, round robin is exact over datagrams (20/20/20), an instance
# killed with -9 is replaced and adopted again, and the group then
# answers every datagram.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli

STATIC=$RP_TMP/static_srv
cc -static -O2 -o "$STATIC" "$RP_ROOT/tests/lib/static_srv.c" 2>"$RP_TMP/cc.err" ||
	fail "cannot build a static server: $(head -c 300 "$RP_TMP/cc.err")"

port=9450
group=udp4_127-0-0-1_$port
adopted() {
	jeval "$(status_json)" "sum(s['adopted'] for g in d['groups'] if g['name'] == '$group' for s in g['slots'])"
}
pid_of_instance() { # I
	jeval "$(status_json)" "[s['pid'] for g in d['groups'] if g['name'] == '$group' for s in g['slots'] if s['instance'] == $1][0]"
}
"$RP_CLI" run --policy roundrobin -n 3 -- "$STATIC" udp $port 'u{i}' >"$RP_TMP/run.log" 2>&1 &
sup=$!
rp_on_exit "kill $sup 2>/dev/null"
wait_live_slots $group 3 || fail "3 live slots expected: $(cat "$RP_TMP/run.log")"
assert_eq "$(count_listeners udp $port)" 3 "bound UDP sockets on $port"
assert_eq "$(adopted)" 3 "slots adopted by the supervisor"

out=$(rpclient udp --port $port --flows 60 --per-flow 1)
info "client: $out"
for i in 1 2 3; do
	assert_eq "$(jget "$out" "ids.u$i" 0)" 20 "datagrams answered by instance $i (roundrobin)"
done

victim=$(pid_of_instance 2)
kill -9 "$victim"
gone() { [[ $(pid_of_instance 2 2>/dev/null) != "$victim" ]] && [[ $(adopted) == 3 ]]; }
wait_for 15 gone || fail "instance 2 was not replaced and adopted: $(rp_cli status)"
pass_msg "instance 2 replaced and adopted again"
out=$(rpclient udp --port $port --flows 60 --per-flow 1)
info "after: $out"
assert_eq "$(jget "$out" ok)" 60 "datagrams answered after the replacement"
kill "$sup"
wait "$sup" || fail "reuseport run exited with $?"
pass_msg "reuseport run stopped cleanly"

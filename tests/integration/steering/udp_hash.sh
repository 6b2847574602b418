#!/bin/bash
# UDP server pairs, IPv4 and IPv6, under the hash policy (auto for UDP):
# every flow (client socket) stays on one instance and both instances get
# flows; IPv4 and IPv6 are separate groups.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=5300
for fam in 4 6; do
	host=127.0.0.1
	[ $fam = 6 ] && host=::1
	for i in 1 2; do
		rp_spawn "u$fam-$i" "$PY" "$UDP_SERVER" --port $port --id "v$fam-s$i" --host "$host"
		wait_log "u$fam-$i" '^ready$' 10 || fail "udp server $fam/$i not ready: $(cat "$(rp_logfile "u$fam-$i")")"
	done
	out=$(rpclient udp --host "$host" --port $port --flows 64 --per-flow 5)
	info "IPv$fam client: $(jeval "$out" '{k: v for k, v in d.items() if k != "flows"}')"
	assert_eq "$(jget "$out" ok)" 320 "IPv$fam replies"
	assert_eq "$(jget "$out" split_flows)" 0 "IPv$fam flows that changed instance"
	assert_ge "$(jget "$out" "ids.v$fam-s1" 0)" 25 "IPv$fam datagrams of instance 1 (of 320)"
	assert_ge "$(jget "$out" "ids.v$fam-s2" 0)" 25 "IPv$fam datagrams of instance 2 (of 320)"
done

status=$("$RP_CLI" status --json)
names=$(jeval "$status" '" ".join(sorted(g["name"] for g in d["groups"]))')
assert_eq "$names" "udp4_127-0-0-1_5300 udp6_::1_5300" "groups"
assert_eq "$(jeval "$status" '" ".join(sorted(set(g["policy"] for g in d["groups"])))')" hash "policy of UDP groups (auto)"
assert_eq "$(jeval "$status" 'sum(g["counters"]["steered"] for g in d["groups"])')" 640 "steered datagrams (unconnected UDP: one selection per datagram)"

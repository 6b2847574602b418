#!/bin/bash
# Cost of the steering program (bpf_stats: run_time_ns / run_cnt) for UDP
# with and without the flow table, and for TCP with and without the stall
# guard. Reports the figures; asserts only that the program ran for every
# datagram / connection and that the table was used (no timing assertion
# on a shared machine).
# slow: bpf_stats over four loads
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool

cost() { "$PY" "$RP_TEST_LIB/progcost.py" "$(rp_prog_of "$1")" -- "${@:2}"; }

for mode in table plain; do
	port=5392 flows=1
	[ $mode = plain ] && port=5393 flows=0
	for i in 1 2 3; do
		REUSEPORT_UDP_FLOWS=$flows rp_spawn "u$mode$i" "$PY" "$UDP_SERVER" --port $port --id "$mode$i" --host 127.0.0.1
	done
	wait_live_slots "udp4_127-0-0-1_$port" 3 || fail "$mode: 3 UDP servers expected"
	# 200 flows, a datagram every 10 ms each, for 3 s: ~60000 runs
	out=$(cost "udp4_127-0-0-1_$port" "$PY" "$RP_TEST_LIB/udpflows.py" run --port $port --flows 200 \
		--interval 0.01 --duration 3) ||
		fail "$mode: cannot measure: $out"
	info "UDP, $mode (REUSEPORT_UDP_FLOWS=$flows): $out"
	assert_ge "$(jget "$out" runs)" 20000 "UDP $mode: program runs"
	eval "udp_$mode=\$(jget \"\$out\" ns_per_run)"
done
st=$(status_json)
assert_ge "$(jeval "$st" '[g["counters"]["flow_hits"] for g in d["groups"] if g["name"] == "udp4_127-0-0-1_5392"][0]')" 19800 "flow table hits"

for mode in guard off; do
	port=8396 stall=on
	[ $mode = off ] && port=8397 stall=off
	for i in 1 2 3; do
		REUSEPORT_STALL=$stall rp_spawn "t$mode$i" "$PY" -m http.server --bind 127.0.0.1 \
			--directory "$(mk_www "t$mode$i" "$mode$i")" $port
	done
	wait_live_slots "tcp4_127-0-0-1_$port" 3 15 || fail "$mode: 3 HTTP servers expected"
	out=$(cost "tcp4_127-0-0-1_$port" "$PY" "$RPCLIENT" http --port $port -n 600 --concurrency 4) ||
		fail "$mode: cannot measure: $out"
	info "TCP roundrobin, stall guard $stall: $out"
	assert_ge "$(jget "$out" runs)" 600 "TCP $mode: program runs"
	eval "tcp_$mode=\$(jget \"\$out\" ns_per_run)"
done
# shellcheck disable=SC2154 # set by eval above
info "ns per run: UDP hash with flow table $udp_table, without $udp_plain; TCP roundrobin with stall guard $tcp_guard, without $tcp_off"

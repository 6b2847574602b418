# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 9. Datagram rate, the program run per packet: k = 2 udpflood servers
# (recvmmsg, 64 a call) on one UDP port, one udpflood client (sendmmsg, 64
# a call) from 16 flows for a few seconds. native: the servers set
# SO_REUSEPORT (kernel hash); shim-POLICY: plain binds under the shim;
# shim-hash-flows: with the flow table (REUSEPORT_UDP_FLOWS=on). Received
# datagrams a second (the client sends as fast as it can; what the
# receivers' buffers cannot hold is dropped), ratio to native; and the
# program's ns a run (bpf_stats) of the shim variants.
t0=$(date +%s.%N)
if need dgram cc; then
	gdur=3 gflows=16 gk=2 greps=$reps
	[ $quick = 1 ] && gdur=1 greps=1
	gvariants="native shim-roundrobin shim-hash shim-hash-flows"
	sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null || note dgram "no ns a run: cannot set kernel.bpf_stats_enabled=1"
	rec dgram - - duration "$gdur"
	rec dgram - - flows "$gflows"
	rec dgram - - instances "$gk"
	cc -O2 -Wall -o "$out/run/udpflood" "$root/scripts/bench.d/udpflood.c"
	say "datagram rate: $gk recvmmsg servers, sendmmsg client, $gflows flows: $gvariants"
	for r in $(seq "$greps"); do
		for v in $gvariants; do
			next_port
			for i in $(seq $gk); do
				if [ $v = native ]; then
					spawn "dgram-$v-$r-$i" "$out/run/udpflood" serve $port reuseport
				elif [ $v = shim-hash-flows ]; then
	# shellcheck disable=SC2046 # word splitting wanted
					spawn "dgram-$v-$r-$i" env $(shim_env hash) REUSEPORT_UDP_FLOWS=on "$out/run/udpflood" serve $port plain
				else
	# shellcheck disable=SC2046 # word splitting wanted
					spawn "dgram-$v-$r-$i" env $(shim_env "${v#shim-}") "$out/run/udpflood" serve $port plain
				fi
			done
			if wait_listen $port $gk u; then
				pin=
				[ $v != native ] && { pin=$(group_prog $port udp) || pin=; }
				read -r ns0 cnt0 < <(prog_stats "$pin")
				sent=$("$out/run/udpflood" send $port "$gdur" $gflows | awk '{print $2}')
				sleep 0.2
				if [ $v != native ]; then
					group_rec dgram "$v" "$r" $port udp
					# the program may serve other groups: what ran meanwhile
					read -r ns1 cnt1 < <(prog_stats "$pin")
					if [ "$ns0" != - ] && [ "$ns1" != - ]; then
						rec dgram "$v" "$r" run_time_ns $((ns1 - ns0))
						rec dgram "$v" "$r" run_cnt $((cnt1 - cnt0))
					else
						rec dgram "$v" "$r" run_time_ns -
						rec dgram "$v" "$r" run_cnt -
					fi
				fi
				stop_all
				got=$(cat "$out/logs/dgram-$v-$r-"*.log | awk '/^received/ {print $2}' | paste -sd, -)
				rec dgram "$v" "$r" sent "${sent:-0}"
				rec dgram "$v" "$r" received "${got:--}"
			else
				note dgram "$v rep $r: the servers did not start (logs/dgram-$v-$r-*.log)"
			fi
			stop_all
			"$RP" cleanup > /dev/null 2>&1 || true
		done
	done
fi
[ -n "$old_stats" ] && sysctl -qw kernel.bpf_stats_enabled="$old_stats" 2>/dev/null
section_time dgram "$t0"

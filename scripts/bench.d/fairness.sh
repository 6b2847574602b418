# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 6. Fairness with few keep-alive connections: wrk -t1 -c n (keep-alive)
# against k instances; each run is a fresh wrk (new connections). Requests
# per instance from the nginx access log (a line a request: the worker pid
# and its connection number), connections per instance from the same lines
# (distinct connection numbers). Variants: native (one nginx, k workers,
# `listen ... reuseport`: the kernel hash) and shim-POLICY (k nginx masters
# of 1 worker under the shim).
# All server sets are up at once on their own ports, so that the variants
# can take turns run by run.
t0=$(date +%s.%N)
if need fairness nginx wrk; then
	fks="2 4" fns="2 4 8 16 64" fruns=20
	[ $quick = 1 ] && fks="2" fns="2 16" fruns=2
	fvariants="native shim-roundrobin shim-leastconn shim-hash"
	rec fairness - - runs "$fruns"
	rec fairness - - ks "$fks"
	rec fairness - - ns "$fns"
	say "fairness: k in {$fks}, wrk -c in {$fns}, $fruns runs a point: $fvariants"
	declare -A fport
	for k in $fks; do
		for v in $fvariants; do
			next_port
			fport[$v-$k]=$port
			ngx_access=$out/run/fair-$v-$k.access
			: > "$ngx_access"
			case $v in
			native) nginx_start "fair-$v-$k" $port 1 "$k" ;;
			shim-*)
				for i in $(seq "$k"); do
	# shellcheck disable=SC2046 # word splitting wanted
					nginx_start "fair-$v-$k-$i" $port 0 1 $(shim_env "${v#shim-}")
				done
				;;
			esac
			ngx_access=""
			wait_listen $port "$k" || note fairness "$v k=$k: the servers did not start"
		done
	done
	wait_workers 1 || true
	for r in $(seq "$fruns"); do
		for k in $fks; do
			for n in $fns; do
				for v in $fvariants; do
					log=$out/run/fair-$v-$k.access
					size=$(stat -c %s "$log")
					wrk_run "$out/raw/wrk-fair.txt" -c"$n" -d1s "http://127.0.0.1:${fport[$v-$k]}/"
					tail -c +$((size + 1)) "$log" > "$out/raw/fair-run.log"
					req=$(awk '{print $1}' "$out/raw/fair-run.log" | sort | uniq -c | awk '{print $1}' | paste -sd, -)
					conn=$(sort -u "$out/raw/fair-run.log" | awk '{print $1}' | uniq -c | awk '{print $1}' | paste -sd, -)
					rec fairness "$v" "$r" "k$k-n$n-req" "${req:--}"
					rec fairness "$v" "$r" "k$k-n$n-conn" "${conn:--}"
				done
			done
		done
	done
	for k in $fks; do
		for v in $fvariants; do
			case $v in shim-*) group_rec fairness "$v" "k$k" "${fport[$v-$k]}" ;; esac
		done
	done
	unset fport
fi
section_time fairness "$t0"

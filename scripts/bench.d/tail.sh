# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 7. Tail latency under uneven load, open loop: k = 2 blocking single-
# threaded instances (slowsrv.py: one request at a time; 90 % of requests
# cost 1 ms, 10 % 60 ms), one of them frozen (SIGSTOP) 0.3 s every 2 s;
# loadgen.py sends at a fixed rate (30/60/90 % of the capacity, measured
# first in a closed loop against the shared variant), a new connection per
# request, latency from the scheduled start.
# Variants: shared (one socket, k processes), native (k SO_REUSEPORT
# sockets, kernel hash), shim-POLICY (k plain binds under the shim),
# shim-leastconn-steal (leastconn, REUSEPORT_STEAL=10: an idle instance
# takes connections from the frozen or busy one's queue); with k = 4 too
# (variants k4-*: shared, native, leastconn with and without stealing).
t0=$(date +%s.%N)
if need tail python3; then
	py3=/usr/bin/python3
	[ -x $py3 ] || py3=$(command -v python3)
	tdur=8 tloads="30 60 90" treps=$reps tks="2 4"
	[ $quick = 1 ] && tdur=3 tloads="90" treps=1 tks=2
	rec tail - - duration "$tdur"
	rec tail - - instances "$tks"
	rec tail - - loads "$tloads"
	declare -A tport tfreeze tcap
	# k = 2: every variant; k = 4 (prefix k4-): the shared socket, native and
	# leastconn with and without stealing
	tvariants="shared native shim-roundrobin shim-leastconn shim-hash shim-leastconn-steal"
	[ "$tks" = "2 4" ] && tvariants+=" k4-shared k4-native k4-shim-leastconn k4-shim-leastconn-steal"
	# a threaded server (thr-, k = 2): one accepting thread a process, a
	# thread a connection; offered the blocking k = 2 loads
	[ $quick = 1 ] || tvariants+=" thr-shared thr-native thr-shim-leastconn thr-shim-leastconn-steal"
	for v in $tvariants; do
		next_port
		tport[$v]=$port tk=2 tv=$v tthr=0
		case $v in k4-*) tk=4 tv=${v#k4-} ;; thr-*) tv=${v#thr-} tthr=1 ;; esac
		case $tv in
		shared) spawn "tail-$v" env THREADS=$tthr $py3 "$root/scripts/bench.d/slowsrv.py" $port shared $tk; want_n=1 ;;
		native) spawn "tail-$v" env THREADS=$tthr $py3 "$root/scripts/bench.d/slowsrv.py" $port reuseport $tk; want_n=$tk ;;
		shim-*)
			tpol=${tv#shim-} tsteal=off
			case $tpol in *-steal) tpol=${tpol%-steal} tsteal=10 ;; esac
			for i in $(seq $tk); do
				spawn "tail-$v-$i" env THREADS=$tthr "LD_PRELOAD=$LIB" "REUSEPORT_POLICY=$tpol" "REUSEPORT_STEAL=$tsteal" \
					$py3 "$root/scripts/bench.d/slowsrv.py" $port plain 1
			done
			want_n=$tk
			;;
		esac
		wait_listen $port $want_n || note tail "$v: the servers did not start"
		# the instance to freeze: the first pid a server printed
		tfreeze[$v]=$(cat "$out/logs/tail-$v"*.log 2>/dev/null | head -1)
	done
	# capacity, for each k: what the shared variant answers in a closed loop
	# (no freezing); in theory k / (0.9 x 1 ms + 0.1 x 60 ms) = 290 req/s for k = 2
	for tk in $tks; do
		pfx=; [ "$tk" = 2 ] || pfx=k$tk-
		tcap[$tk]=$($py3 "$root/scripts/bench.d/loadgen.py" --port "${tport[${pfx}shared]}" --closed $((8 * tk)) \
			--duration 3 --slow-share 0.1 | awk '$1 == "rate" {printf "%.0f", $2}')
		[ -n "${tcap[$tk]}" ] && [ "${tcap[$tk]}" -gt 0 ] ||
			{ tcap[$tk]=$((145 * tk)); note tail "k=$tk: capacity not measured; ${tcap[$tk]} req/s assumed"; }
		rec tail - - "capacity${pfx:+_k$tk}" "${tcap[$tk]}"
	done
	say "tail latency: k=$tks, capacity ${tcap[*]} req/s (measured), loads $tloads %: $tvariants"
	for r in $(seq "$treps"); do
		for ld in $tloads; do
			for v in $tvariants; do
				f=$out/raw/tail-$v-$ld-$r
				tk=2; case $v in k4-*) tk=4 ;; esac
				rate=$(awk -v c="${tcap[$tk]}" -v l="$ld" 'BEGIN {printf "%.1f", c * l / 100}')
				fz=()
				[ -n "${tfreeze[$v]}" ] && fz=(--freeze "${tfreeze[$v]}")
				if $py3 "$root/scripts/bench.d/loadgen.py" --port "${tport[$v]}" --rate "$rate" \
					--duration "$tdur" --slow-share 0.1 "${fz[@]}" --raw "$f.lat" > "$f.out" 2> "$f.err"; then
					while read -r key val; do rec tail "$v" "$r" "l$ld-$key" "$val"; done < "$f.out"
				else
					note tail "$v load $ld % rep $r: loadgen failed: $(tail -1 "$f.err")"
				fi
			done
		done
	done
	for v in $tvariants; do
		case $v in *shim-*) group_rec tail "$v" all "${tport[$v]}" ;; esac
	done
	unset tport tfreeze tcap
fi
section_time tail "$t0"

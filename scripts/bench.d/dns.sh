# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 8. UDP/DNS: k unbound instances (num-threads 1, so-reuseport no) under the
# shim against one unbound with k threads (its own so-reuseport: one socket
# a thread, the kernel hash); dnsperf -T 1 with c client sockets (flows),
# a local zone answered from memory. Queries/s, loss, and the share of each
# instance: the group's per-slot counts (datagrams steered) for the shim,
# unbound-control's per-thread query counts for the threaded unbound.
t0=$(date +%s.%N)
if need dns unbound dnsperf unbound-control; then
	dks="2 4" dcs="1 4 64" ddur=4 dreps=$reps
	[ $quick = 1 ] && dks="2" dcs="1 16" ddur=2 dreps=1
	dvariants="threads shim-roundrobin shim-hash"
	rec dns - - duration "$ddur"
	rec dns - - ks "$dks"
	rec dns - - cs "$dcs"
	say "dns: k in {$dks}, dnsperf -c in {$dcs}, ${ddur} s a run: $dvariants"
	echo "www.bench.test A" > "$out/run/dns-queries.txt"
	# dns_conf FILE PORT THREADS REUSEPORT(yes|no) CONTROL-SOCKET
	dns_conf() {
		cat > "$1" <<CONF
server:
	interface: 127.0.0.1
	port: $2
	num-threads: $3
	so-reuseport: $4
	do-daemonize: no
	use-syslog: no
	logfile: ""
	verbosity: 0
	username: ""
	chroot: ""
	directory: "$out/run"
	pidfile: ""
	do-ip6: no
	do-tcp: no
	extended-statistics: no
	local-zone: "bench.test." static
	local-data: "www.bench.test. 60 IN A 192.0.2.1"
remote-control:
	control-enable: yes
	control-interface: $5
	control-use-cert: no
CONF
	}
	for r in $(seq "$dreps"); do
		for k in $dks; do
			for c in $dcs; do
				for v in $dvariants; do
					next_port
					name=dns-$v-k$k-c$c-$r
					if [ $v = threads ]; then
						dns_conf "$out/run/$name.conf" $port "$k" yes "$out/run/$name.ctl"
						spawn "$name" unbound -d -c "$out/run/$name.conf"
						want_n=$k
					else
						for i in $(seq "$k"); do
							dns_conf "$out/run/$name-$i.conf" $port 1 no "$out/run/$name-$i.ctl"
	# shellcheck disable=SC2046 # word splitting wanted
							spawn "$name-$i" env $(shim_env "${v#shim-}") unbound -d -c "$out/run/$name-$i.conf"
						done
						want_n=$k
					fi
					if ! wait_listen "$port" "$want_n" u; then
						note dns "$name: unbound did not start (logs/$name*.log)"
						stop_all
						continue
					fi
					f=$out/raw/dnsperf-$name.txt
					dnsperf -s 127.0.0.1 -p $port -d "$out/run/dns-queries.txt" -c "$c" -T 1 -l "$ddur" -t 1 \
						> "$f" 2>&1 || true
					key=k$k-c$c
					awk -v k="$key" '/Queries completed:/ {print k "-completed", $3}
						/Queries lost:/ {print k "-lost", $3}
						/Queries sent:/ {print k "-sent", $3}
						/Queries per second:/ {print k "-qps", $4}' "$f" |
						while read -r kk val; do rec dns "$v" "$r" "$kk" "$val"; done
					if [ $v = threads ]; then
						unbound-control -c "$out/run/$name.conf" stats_noreset > "$f.stats" 2>&1 || true
						share=$(awk -F= '/^thread[0-9]+\.num\.queries=/ {print $2}' "$f.stats" | paste -sd, -)
					else
						"$RP" --group "udp4_127-0-0-1_$port" status --json > "$f.json" 2> /dev/null || true
						share=$(python3 "$root/scripts/bench.d/group.py" "$f.json" | awk '$1 == "slot_selected" {print $2}')
					fi
					rec dns "$v" "$r" "$key-share" "${share:--}"
					stop_all
					"$RP" cleanup > /dev/null 2>&1 || true
				done
			done
		done
	done
fi
section_time dns "$t0"

# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 10. Restarts under load: 2 instances of a tiny nginx (a single process
# each: master_process off) or HAProxy, loadgen.py at a fixed rate (a new
# connection a request, latency from the scheduled start) while one
# instance is restarted about every second. Variants:
#   plain      SO_REUSEPORT in the config: start a new instance, then stop
#              the oldest (SIGQUIT, graceful): what is queued on its
#              listener is reset
#   migrate    the same with net.ipv4.tcp_migrate_req=1, no BPF program
#   shim-roll  `reuseport run -n 2` and SIGHUP every 2 s (a rolling restart
#              of both instances, one at a time)
#   shim-kill9 `reuseport run -n 2`, kill -9 of one instance a second (run
#              restarts it), only while both listen
#   haproxy    HAProxy master-worker (-W), `expose-fd listeners`, answering
#              itself (http-request return), reloaded with USR2 every second:
#              the zero-loss reference
# Failed requests, nstat ListenDrops / TCPMigrateReq*, and the timeline.
t0=$(date +%s.%N)
if need restart nginx python3; then
	py3=/usr/bin/python3
	[ -x $py3 ] || py3=$(command -v python3)
	xdur=15 xrate=400 xreps=$reps
	[ $quick = 1 ] && xdur=4 xrate=300 xreps=1
	xvariants="plain migrate shim-roll shim-kill9 haproxy"
	have haproxy || { xvariants=${xvariants% haproxy}; note restart "variant haproxy skipped: \`haproxy\` is not installed"; }
	rec restart - - duration "$xdur"
	rec restart - - rate "$xrate"
	say "restarts under load: $xrate req/s for $xdur s a run: $xvariants"
	old_migrate=$(sysctl -n net.ipv4.tcp_migrate_req)
	# shellcheck disable=SC2034 # read by nginx_conf
	ngx_main="master_process off;"
	# x_nstat: the restart-relevant counters, "name value" lines
	x_nstat() { nstat -asz TcpExtListenDrops TcpExtListenOverflows TcpExtTCPMigrateReqSuccess TcpExtTCPMigrateReqFailure 2> /dev/null | awk '/^Tcp/ {print $1, $2}'; }
	for r in $(seq "$xreps"); do
		for v in $xvariants; do
			next_port
			name=restart-$v-$r
			sysctl -qw net.ipv4.tcp_migrate_req="$([ $v = migrate ] && echo 1 || echo 0)"
			gen=0 live=()
			case $v in
			plain | migrate)
				for gen in 1 2; do
					nginx_start "$name-$gen" $port 1 1
					live+=("${pids[-1]}")
				done
				want_n=2
				;;
			shim-*)
				for i in 1 2; do nginx_conf "$out/run/$name-$i" $port 0 1; done
				spawn "$name" "$RP" run -n 2 --grace 2 -- nginx -e "$out/run/$name-{i}/error.log" \
					-c "$out/run/$name-{i}/nginx.conf"
				runpid=${pids[-1]}
				want_n=2
				;;
			haproxy)
				cat > "$out/run/$name.cfg" <<CFG
global
	maxconn 4096
	nbthread 1
	stats socket $out/run/$name.sock mode 600 level admin expose-fd listeners
	hard-stop-after 5s
defaults
	mode http
	maxconn 4096
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend front
	bind 127.0.0.1:$port
	http-request return status 200 content-type text/plain string "ok"
CFG
				spawn "$name" haproxy -W -db -f "$out/run/$name.cfg"
				runpid=${pids[-1]}
				want_n=1
				;;
			esac
			if ! wait_listen $port $want_n; then
				note restart "$v rep $r: the servers did not start (logs/$name*.log)"
				stop_all
				continue
			fi
			sleep 0.3
			x_nstat > "$out/raw/$name.nstat0"
			f=$out/raw/$name
			$py3 "$root/scripts/bench.d/loadgen.py" --port $port --rate "$xrate" --duration "$xdur" \
				--timeout 5 --raw "$f.lat" > "$f.out" 2> "$f.err" &
			lg=$!
			: > "$f.restarts"
			k=0
			sleep 0.5
			while alive $lg; do
				k=$((k + 1))
				now=$(date +%s.%N) acted=1
				case $v in
				plain | migrate)
					gen=$((gen + 1))
					nginx_start "$name-$gen" $port 1 1
					live+=("${pids[-1]}")
					wait_listen $port 3 > /dev/null 2>&1 || true
					kill -QUIT "${live[0]}" 2> /dev/null || true
					live=("${live[@]:1}")
					;;
				shim-roll) [ $((k % 2)) = 1 ] && kill -HUP "$runpid" ;;
				shim-kill9)
					# only while both instances listen: killing the last
					# one measures the supervisor's crash backoff (it
					# doubles for instances that keep dying), not the shim
					victim=$(pgrep -P "$runpid" | sed -n "$(((k % 2) + 1))p")
					if [ -n "$victim" ] && [ "$(ss -Hltn "sport = :$port" | wc -l)" -ge 2 ]; then
						kill -KILL "$victim"
					else
						acted=0
					fi
					;;
				haproxy) kill -USR2 "$runpid" ;;
				esac
				[ $acted = 1 ] && echo "$now" >> "$f.restarts"
				for _ in $(seq 10); do alive $lg || break; sleep 0.1; done
			done
			wait $lg || note restart "$v rep $r: loadgen failed: $(tail -1 "$f.err")"
			x_nstat > "$out/raw/$name.nstat1"
			while read -r key val; do rec restart "$v" "$r" "$key" "$val"; done < "$f.out"
			rec restart "$v" "$r" restarts "$(wc -l < "$f.restarts")"
			awk 'NR == FNR {a[$1] = $2; next} {print $1, $2 - a[$1]}' "$out/raw/$name.nstat0" "$out/raw/$name.nstat1" |
				while read -r key val; do rec restart "$v" "$r" "$key" "$val"; done
			stop_all
			"$RP" cleanup > /dev/null 2>&1 || true
		done
	done
	sysctl -qw net.ipv4.tcp_migrate_req="$old_migrate"
	unset ngx_main
fi
section_time restart "$t0"

# shellcheck shell=bash disable=SC2154 # sourced by scripts/bench: its helpers and variables
# 12. Counting in the kernel: what a connection costs when the kernel's
# cgroup programs count it (sockops at PASSIVE_ESTABLISHED, sock_release
# at the close) instead of the shim's accept and close hooks. One small C
# server (tests/lib/static_srv.c: accept, read, answer, close), one
# instance a variant: none (no shim, the baseline), preload (reuseport run
# --mode preload: the hooks count), auto (--mode auto: the shim registers,
# the kernel counts), cgroup (--mode cgroup: no shim, the supervisor
# adopts the listener, the kernel counts).
# One client, one connection at a time (scripts/bench.d/conncost.c), the
# variants taking turns. Also the cgroup programs' own time per
# connection (kernel.bpf_stats_enabled=1).
t0=$(date +%s.%N)
if need kcount cc bpftool; then
	kx=$out/kcount
	mkdir -p "$kx"
	krounds=$((reps * 10)) kchunk=200
	[ $quick = 1 ] && krounds=4 kchunk=100
	rec kcount - - rounds "$krounds"
	rec kcount - - chunk "$kchunk"
	kv=()
	if cc -O2 -Wall -o "$kx/conncost" "$root/scripts/bench.d/conncost.c" 2> "$kx/build.err" &&
		cc -O2 -Wall -o "$kx/srv" "$root/tests/lib/static_srv.c" 2>> "$kx/build.err"; then
		for v in none preload auto cgroup; do
			next_port
			case $v in
			none) spawn "kcount-$v" "$kx/srv" tcp $port $v ;;
			*) spawn "kcount-$v" "$RP" run --mode $v -n 1 -- "$kx/srv" tcp $port $v ;;
			esac
			wait_listen $port 1 || { note kcount "$v: the server did not listen"; continue; }
			kv+=("$v:$port")
		done
	else
		note kcount "skipped: cannot build: $(head -1 "$kx/build.err")"
	fi
	sleep 1 # the supervisors adopt and tag within 200 ms
	for s in "${kv[@]}"; do
		v=${s%%:*} p=${s##*:}
		[ "$v" = none ] || group_rec kcount "$v" 1 "$p"
	done
	# the cgroup programs' run time and runs, summed over both supervisors
	cg_stats() {
		bpftool prog show --json 2> /dev/null | python3 -c '
import json, sys
t = c = 0
for p in json.load(sys.stdin):
    if p.get("name") in ("rp_sockops", "rp_release"):
        t += p.get("run_time_ns", 0); c += p.get("run_cnt", 0)
print(t, c)'
	}
	if [ ${#kv[@]} -gt 1 ]; then
		say "kcount: $krounds rounds of $kchunk connections a variant"
		sysctl -qw kernel.bpf_stats_enabled=1 2> /dev/null || note kcount "cannot set kernel.bpf_stats_enabled=1"
		read -r kt0 kc0 < <(cg_stats)
		"$kx/conncost" "$krounds" "$kchunk" "${kv[@]}" > "$out/raw/kcount.txt" 2> "$kx/drive.err" ||
			note kcount "the driver failed: $(tail -1 "$kx/drive.err")"
		read -r kt1 kc1 < <(cg_stats)
		counted=0
		for s in "${kv[@]}"; do
			case ${s%%:*} in auto | cgroup) counted=$((counted + krounds * kchunk)) ;; esac
		done
		rec kcount - - prog_ns $((kt1 - kt0))
		rec kcount - - prog_runs $((kc1 - kc0))
		rec kcount - - counted $counted
		while read -r v r ns errs; do
			rec kcount "$v" "$r" ns_conn "$ns"
			rec kcount "$v" "$r" errors "$errs"
		done < "$out/raw/kcount.txt"
		for s in "${kv[@]}"; do
			v=${s%%:*} p=${s##*:}
			[ "$v" = none ] || group_rec kcount "$v" 2 "$p"
		done
	fi
fi
section_time kcount "$t0"

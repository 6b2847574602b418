#!/bin/bash
# reuseport metrics add up: in every scrape taken under load (TCP
# round robin, UDP with the flow table, connections queued on a member that
# dies migrated to the other one) `promtool check metrics` passes and,
# for each group, the series of reuseport_program_outcomes_total sum to
# reuseport_program_runs_total; the runs a load adds are the runs the kernel
# counted for the namespace's program (bpf_stats run_cnt), so no run is
# missing from the outcomes and none is counted twice. A real Prometheus
# scraping `reuseport metrics --listen` answers sum by (group) of the
# outcomes with the runs. reuseport_build_info is there.
# slow: scrapes under load, a Prometheus server
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd curl promtool prometheus bpftool

tcp=tcp4_127-0-0-1_8361 udp=udp4_127-0-0-1_5361
mport=9361 pport=9362
url=http://127.0.0.1:$mport/metrics
for n in a b; do
	REUSEPORT_POLICY=roundrobin rp_spawn "$n" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$n" "$n")" 8361
	REUSEPORT_UDP_FLOWS=1 rp_spawn "u$n" "$PY" "$UDP_SERVER" --port 5361 --id "u$n" --host 127.0.0.1
	wait_log "u$n" '^ready$' 10 || fail "udp server $n not ready"
done
wait_live_slots $tcp 2 || fail "2 TCP slots expected"
wait_live_slots $udp 2 || fail "2 UDP slots expected"
spawn_plain metrics "$RP_CLI" metrics --listen 127.0.0.1:$mport
wait_log metrics "serving $url" || fail "metrics --listen did not start: $(cat "$RP_TMP/metrics.log")"

# add_up FILE: promtool clean, outcomes sum to runs per group; prints
# {"group": runs, ...}
add_up() {
	promtool check metrics < "$1" > "$1.promtool" 2>&1 || { cat "$1.promtool"; return 1; }
	"$PY" - "$1" <<'PY'
import json, re, sys
runs, outcomes, info = {}, {}, 0
for line in open(sys.argv[1]):
    m = re.fullmatch(r'(\w+)\{group="([^"]*)"(?:,outcome="(\w+)")?\} (\d+)\n', line)
    if m and m.group(1) == "reuseport_program_runs_total":
        runs[m.group(2)] = int(m.group(4))
    elif m and m.group(1) == "reuseport_program_outcomes_total":
        outcomes.setdefault(m.group(2), {})[m.group(3)] = int(m.group(4))
    elif re.fullmatch(r'reuseport_build_info\{version="[^"]+",layout="\d+"\} 1\n', line):
        info += 1
bad = ["%s: outcomes %s sum to %d, runs %s" % (g, o, sum(o.values()), runs.get(g))
       for g, o in outcomes.items() if sum(o.values()) != runs.get(g)]
bad += ["%s: runs but no outcomes" % g for g in runs if g not in outcomes]
if info != 1:
    bad.append("%d reuseport_build_info series" % info)
if len(runs) != 2:
    bad.append("%d groups with runs" % len(runs))
if bad:
    sys.exit("\n".join(bad))
print(json.dumps(runs, sort_keys=True))
PY
}
scrape() { curl -sSf --max-time 10 -o "$1" "$url"; }

# the kernel counts the runs of the namespace's programs (bpf_stats, on
# while the holder keeps its fd: kernel.bpf_stats_enabled is left alone)
spawn_plain stats "$PY" -c 'import ctypes, sys, time
attr = ctypes.create_string_buffer(8)  # union bpf_attr: u32 type, BPF_STATS_RUN_TIME
fd = ctypes.CDLL(None, use_errno=True).syscall(321, 32, attr, 8)  # x86_64 bpf(BPF_ENABLE_STATS)
print("ready" if fd >= 0 else "BPF_ENABLE_STATS: errno %d" % ctypes.get_errno(), flush=True)
time.sleep(3600)'
wait_log stats '^ready$' 10 || fail "cannot enable bpf_stats: $(cat "$RP_TMP/stats.log")"
run_cnt() { bpftool -j prog show pinned "$(rp_prog_of "$1")" | "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("run_cnt", 0))'; }

scrape "$RP_TMP/m0" || fail "first scrape failed"
r0=$(add_up "$RP_TMP/m0" 2>&1) || fail "idle scrape: $r0"
k0_tcp=$(run_cnt tcp) k0_udp=$(run_cnt udp)

# load, scraped all along: new connections and datagrams, then the
# connections queued on a member that dies, migrated to the other one
# (tcp_migrate_req: the kernel asks the program)
sysctl -qw net.ipv4.tcp_migrate_req=1 || fail "cannot set tcp_migrate_req"
touch "$RP_TMP/loading"
rp_on_exit rm -f "$RP_TMP/loading"
(
	i=0
	while [[ -e $RP_TMP/loading ]]; do
		i=$((i + 1))
		scrape "$RP_TMP/s$i" || echo "scrape $i failed"
		sleep 0.2
	done
	echo "$i scrapes"
) > "$RP_TMP/scrapes.out" &
scraper=$!
out=$("$PY" "$RPCLIENT" http --port 8361 -n 400 -c 4) || fail "TCP load: $out"
assert_eq "$(jget "$out" ok)" 400 "TCP requests"
"$PY" "$RP_TEST_LIB/udpflows.py" run --port 5361 --flows 50 --interval 0.01 --duration 2 > "$RP_TMP/udp.out" ||
	fail "UDP load: $(cat "$RP_TMP/udp.out")"
rp_kill b STOP
spawn_plain hold "$PY" "$RPCLIENT" hold --port 8361 -n 20 --go-file "$RP_TMP/go"
wait_log hold '^held 20$' 10 || fail "20 requests not held: $(cat "$RP_TMP/hold.log")"
queued() { [[ $(ss -Hltn "sport = :8361" | awk '{ q += $2 } END { print q + 0 }') -ge 1 ]]; }
wait_for 10 queued || fail "no connection queued on the stopped member"
rp_kill b KILL
touch "$RP_TMP/go"
rp_wait_exit hold 30 || fail "held requests not answered"
rm "$RP_TMP/loading"
wait $scraper
info "$(tail -1 "$RP_TMP/scrapes.out")"
grep -q failed "$RP_TMP/scrapes.out" && fail "$(grep failed "$RP_TMP/scrapes.out")"
out=$(tail -1 "$RP_TMP/hold.log")
assert_eq "$(jget "$out" ok)" 20 "held requests answered (those queued on the killed member migrated)"
n=0
for f in "$RP_TMP"/s[0-9]*; do
	[[ $f == *.promtool ]] && continue
	out=$(add_up "$f" 2>&1) || fail "scrape under load $(basename "$f"): $out"
	n=$((n + 1))
done
assert_ge "$n" 5 "scrapes under load that pass promtool and add up"

scrape "$RP_TMP/m1" || fail "last scrape failed"
r1=$(add_up "$RP_TMP/m1" 2>&1) || fail "scrape after the load: $r1"
k1_tcp=$(run_cnt tcp) k1_udp=$(run_cnt udp)
assert_ge "$(grep -E "^reuseport_program_outcomes_total\{group=\"$tcp\",outcome=\"migrated\"\}" "$RP_TMP/m1" | awk '{print $2}')" 1 "migrated outcome"
assert_eq "$(($(jget "$r1" $tcp) - $(jget "$r0" $tcp)))" "$((k1_tcp - k0_tcp))" "TCP runs added by the load = run_cnt"
assert_eq "$(($(jget "$r1" $udp) - $(jget "$r0" $udp)))" "$((k1_udp - k0_udp))" "UDP runs added by the load = run_cnt"
assert_ge "$((k1_udp - k0_udp))" 5000 "UDP runs"
grep -Eq "^reuseport_udp_flow_events_total\{group=\"$udp\",event=\"hit\"\} [1-9]" "$RP_TMP/m1" ||
	fail "no flow hits: $(grep udp_flow_events "$RP_TMP/m1")"
grep -q "^reuseport_udp_flow_events_total{group=\"$tcp\"" "$RP_TMP/m1" && fail "flow events for a TCP group"
pass_msg "flow events apart from the outcomes, for the UDP group"

# a real Prometheus: sum by (group) of the outcomes is the runs
cat > "$RP_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: reuseport
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
spawn_plain prom prometheus --config.file="$RP_TMP/prometheus.yml" --storage.tsdb.path="$RP_TMP/prom" \
	--web.listen-address=127.0.0.1:$pport
query() { # PROMQL: {"group": value} of an instant query
	curl -sSf --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		"$PY" -c 'import json, sys
d = json.load(sys.stdin)
print(json.dumps({r["metric"]["group"]: int(float(r["value"][1])) for r in d["data"]["result"]}, sort_keys=True))'
}
scraped() { [[ $(query reuseport_program_runs_total 2>/dev/null) == "$r1" ]]; }
wait_for 60 scraped || fail "Prometheus has not scraped the runs $r1: $(query reuseport_program_runs_total) $(tail -3 "$RP_TMP/prom.log")"
sums=$(query 'sum by (group) (reuseport_program_outcomes_total)') || fail "query failed"
assert_eq "$sums" "$r1" "Prometheus: sum by (group) (reuseport_program_outcomes_total) = reuseport_program_runs_total"

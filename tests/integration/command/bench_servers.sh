#!/bin/bash
# reuseport bench end to end (quick: -n 1,2, 1 s a run) for four real
# servers: python3 -m http.server (http load, wrk), redis-server (redis
# load, redis-benchmark), unbound with a local zone (dns load, dnsperf),
# and memcached at N=2 only (the built-in load).
# Each table has a row per N with nonzero throughput and N per-instance
# shares (the group's per-slot counts) that sum to 100 %; a PNG is written
# when gnuplot is installed. No timing ratio is asserted.
# slow: reuseport bench against four real servers
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/unbound_lib.sh"
need_shim
need_cli
need_cmd wrk
need_cmd redis-server
need_cmd redis-benchmark
need_cmd unbound
need_cmd dnsperf
need_cmd memcached

check() { # NAME N...: the table in $RP_TMP/NAME.out
	local name=$1
	shift
	"$PY" "$RP_TEST_LIB/bench_table.py" "$RP_TMP/$name.out" "$@" ||
		fail "$name: bad table: $(cat "$RP_TMP/$name.out")"
}
bench() { # NAME ARGS...: reuseport bench ARGS, output in $RP_TMP/NAME.out
	local name=$1
	shift
	(cd "$RP_TMP" && "$RP_CLI" bench --duration 1 -c 8 "$@") >"$RP_TMP/$name.out" 2>&1 ||
		fail "$name: reuseport bench failed: $(cat "$RP_TMP/$name.out")"
	cat "$RP_TMP/$name.out"
}

bench http -n 1,2 --load http --port 18094 -- "$PY" -m http.server --bind 127.0.0.1 18094
check http 1 2
grep -q "load generator: connections 8, one thread" "$RP_TMP/http.out" || fail "http: no load generator line"
if command -v gnuplot >/dev/null; then
	head -c 4 "$RP_TMP/reuseport-bench-http.png" | grep -q PNG || fail "http: no PNG written"
	pass_msg "reuseport-bench-http.png is a PNG"
fi

mkdir -p "$RP_TMP/redis"
bench redis -n 1,2 --load redis --port 18095 -- redis-server --port 18095 --bind 127.0.0.1 \
	--save "" --appendonly no --dir "$RP_TMP/redis" --daemonize no
check redis 1 2

unbound_conf 18096 $'\tlocal-zone: "bench.test." static' \
	$'\tlocal-data: "www.bench.test. 60 IN A 192.0.2.1"' >"$RP_TMP/unbound.conf"
bench dns -n 1,2 --load dns --port 18096 --query "www.bench.test A" --no-png -- unbound -d -c "$RP_TMP/unbound.conf"
check dns 1 2
[[ ! -e $RP_TMP/reuseport-bench-dns.png ]] || fail "dns: --no-png wrote a PNG"
bench mc -n 2 --load memcached --port 18093 --no-png -- memcached -U 0 -t 1 -l 127.0.0.1 -p 18093 -u root
check mc 2
pass_msg "four servers benchmarked"

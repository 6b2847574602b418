#!/bin/bash
# reuseport run --metrics serves GET /metrics from the supervisor: every
# scrape (curl, HTTP/1.1 and a raw HTTP/1.0 client) passes `promtool check
# metrics`, scrapes run while the servers are under load and while bad
# clients (garbage, an endless header, a request cut short, 80 idle
# connections, POST and DELETE: 405 with Allow: GET, HEAD, another path:
# 404, a request line without HTTP/1.0 or HTTP/1.1: 400) come and go; the
# series keep their labels (group + member) when instance 1 is killed and
# restarted by the supervisor (only the member's pid value changes) and
# across a rolling restart (SIGHUP: the generation value changes). `reuseport metrics
# --listen` serves the same standalone and stops on SIGTERM with status 0.
# slow: scrapes under load and against bad clients
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd curl promtool

port=8373 mport=9373
url=http://127.0.0.1:$mport/metrics
spawn_plain sup "$RP_CLI" run -n 2 --grace 2 --metrics 127.0.0.1:$mport -- \
	"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www www 1)" $port
wait_live_slots tcp4_127-0-0-1_$port 2 || fail "2 instances expected: $(cat "$RP_TMP/sup.log")"
wait_log sup "event=metrics url=$url" || fail "the supervisor does not announce $url"

scrape() { # FILE: scrape, check with promtool
	local rc=0
	curl -sSf --max-time 10 -o "$1" "$url" 2> "$1.curl" || rc=$?
	((rc == 0)) || { info "scrape $1: curl exit $rc: $(cat "$1.curl")"; return 1; }
	promtool check metrics < "$1" > "$1.promtool" 2>&1 || { cat "$1.promtool"; return 1; }
}
labels() { # FILE: the sorted label sets of the member and group series
	grep -E '^reuseport_(member|group)_' "$1" | sed 's/ [^ ]*$//' | sort
}
value() { # FILE SERIES-PREFIX
	grep -F "$2" "$1" | awk '{print $NF}'
}

scrape "$RP_TMP/m0" || fail "first scrape failed"
pass_msg "scrape passes promtool check metrics"
grep -q "reuseport_member_slots{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"} 1" "$RP_TMP/m0" || fail "no instance-1 series: $(grep member_slots "$RP_TMP/m0")"
grep -q "reuseport_member_slots{group=\"tcp4_127-0-0-1_$port\",member=\"instance-2\"} 1" "$RP_TMP/m0" || fail "no instance-2 series"
grep -Eq 'pid=|generation=' "$RP_TMP/m0" && fail "pid or generation used as a label"
pass_msg "member series labelled by instance, pid and generation are values"

# a request waiting in the backlog behind a flood of idle connections is
# answered: the flood evicts its own idle connections, not the request (the
# supervisor is stopped so that all of them wait for one accept batch)
kill -STOP "$(rp_pid sup)"
"$PY" - "$mport" "$RP_TMP/flood.ready" > "$RP_TMP/flood.out" <<'PY' &
import socket, sys
port, ready = int(sys.argv[1]), sys.argv[2]
req = socket.create_connection(("127.0.0.1", port), timeout=10)
req.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(64)]
open(ready, "w").close()
print(req.recv(200).split(b"\r\n", 1)[0].decode())
PY
floodpid=$!
wait_for 10 test -e "$RP_TMP/flood.ready" || { kill -CONT "$(rp_pid sup)"; fail "the flood did not connect"; }
kill -CONT "$(rp_pid sup)"
wait $floodpid || fail "the request behind the flood got no answer (evicted)"
assert_eq "$(cat "$RP_TMP/flood.out")" "HTTP/1.1 200 OK" "request behind 64 idle connections in one accept batch"

# bad clients while scraping under load
"$PY" - "$mport" > "$RP_TMP/bad.json" <<'PY' &
import json, socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)
def ask(data, whole=False):
    s = conn(); s.sendall(data); r = b""
    while True:
        b = s.recv(65536)
        if not b: break
        r += b
    s.close(); return r.decode() if whole else r.split(b"\r\n", 1)[0].decode()
out = {}
idle = [conn() for _ in range(80)]              # more than the server's 64 clients
cut = conn(); cut.sendall(b"GET /metr"); cut.close()   # a request cut short
endless = conn(); endless.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000)
out["endless"] = endless.recv(200).split(b"\r\n", 1)[0].decode()
out["garbage"] = ask(b"\x00\x01garbage\r\n\r\n")
out["post"] = ask(b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
out["delete_allow"] = " ".join(l for l in ask(b"DELETE /metrics HTTP/1.1\r\n\r\n", True).split("\r\n") if l.startswith("Allow:"))
out["no_version"] = ask(b"GET /metrics\r\n\r\n")
out["http2"] = ask(b"GET /metrics HTTP/2.0\r\n\r\n")
out["trailing"] = ask(b"GET /metrics HTTP/1.1x\r\n\r\n")
out["other_path"] = ask(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
out["http10"] = ask(b"GET /metrics HTTP/1.0\r\n\r\n")
out["head"] = ask(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
for s in idle: s.close()
print(json.dumps(out))
PY
badpid=$!
rpclient http --port $port -n 600 -c 4 > "$RP_TMP/load.json" &
loadpid=$!
fails=0
for i in $(seq 30); do
	scrape "$RP_TMP/s$i" || fails=$((fails + 1))
	if ((i % 10 == 0)); then # and some at once
		pids=()
		for k in 1 2 3 4 5; do
			curl -sSf --max-time 10 -o "$RP_TMP/c$i-$k" "$url" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
		grep -q '^reuseport_member_selected_total' "$RP_TMP/c$i-5" || { info "c$i-5 has no selected_total"; fails=$((fails + 1)); }
	fi
done
wait $loadpid
wait $badpid || fail "bad client script failed"
info "bad clients: $(cat "$RP_TMP/bad.json")"
assert_eq "$fails" 0 "failed scrapes among 45 under load with bad clients"
assert_eq "$(jget @"$RP_TMP/load.json" ok)" 600 "requests answered under scraping"
assert_eq "$(jget @"$RP_TMP/bad.json" endless)" "HTTP/1.1 431 Request Header Fields Too Large" "endless header"
assert_eq "$(jget @"$RP_TMP/bad.json" garbage)" "HTTP/1.1 400 Bad Request" "garbage"
assert_eq "$(jget @"$RP_TMP/bad.json" post)" "HTTP/1.1 405 Method Not Allowed" "POST"
assert_eq "$(jget @"$RP_TMP/bad.json" delete_allow)" "Allow: GET, HEAD" "Allow of a 405 (DELETE)"
for k in no_version http2 trailing; do
	assert_eq "$(jget @"$RP_TMP/bad.json" $k)" "HTTP/1.1 400 Bad Request" "request line $k"
done
assert_eq "$(jget @"$RP_TMP/bad.json" other_path)" "HTTP/1.1 404 Not Found" "GET /"
assert_eq "$(jget @"$RP_TMP/bad.json" http10)" "HTTP/1.1 200 OK" "HTTP/1.0 GET /metrics"
assert_eq "$(jget @"$RP_TMP/bad.json" head)" "HTTP/1.1 200 OK" "HEAD /metrics"
sel0=$(value "$RP_TMP/s1" "reuseport_member_selected_total{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"}")
sel1=$(value "$RP_TMP/s30" "reuseport_member_selected_total{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"}")
assert_gt "$sel1" "$sel0" "instance-1 selected_total grew during the load"
scrape "$RP_TMP/m1" || fail "scrape after the load failed"

# kill -9 instance 1: the supervisor restarts it as instance 1; same series
pid1=$(value "$RP_TMP/m1" "reuseport_member_pid{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"}")
kill -9 "$pid1"
restarted() {
	scrape "$RP_TMP/m2" || return 1
	local p
	p=$(value "$RP_TMP/m2" "reuseport_member_pid{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"}")
	[[ -n $p && $p != "$pid1" ]] && grep -q "reuseport_group_live_slots{group=\"tcp4_127-0-0-1_$port\"} 2" "$RP_TMP/m2"
}
wait_for 20 restarted || fail "instance 1 not restarted: $(tail -5 "$RP_TMP/sup.log")"
pass_msg "instance 1 restarted: pid $pid1 -> $(value "$RP_TMP/m2" "reuseport_member_pid{group=\"tcp4_127-0-0-1_$port\",member=\"instance-1\"}")"
diff <(labels "$RP_TMP/m1") <(labels "$RP_TMP/m2") || fail "series labels changed across the restart"
pass_msg "$(labels "$RP_TMP/m2" | wc -l) series, same labels across the restart"

# a rolling restart (SIGHUP): every instance replaced, generation+1; same series
kill -HUP "$(rp_pid sup)"
wait_for 60 grep -q "event=rolling_done generation=1\$" "$RP_TMP/sup.log" || fail "the roll did not finish: $(tail -5 "$RP_TMP/sup.log")"
rolled() {
	scrape "$RP_TMP/m4" || return 1
	grep -q "reuseport_group_live_slots{group=\"tcp4_127-0-0-1_$port\"} 2" "$RP_TMP/m4" &&
		grep -q "reuseport_member_generation{group=\"tcp4_127-0-0-1_$port\",member=\"instance-2\"} 1" "$RP_TMP/m4"
}
wait_for 20 rolled || fail "not rolled: $(grep -E 'live_slots|member_generation' "$RP_TMP/m4")"
diff <(labels "$RP_TMP/m2") <(labels "$RP_TMP/m4") || fail "series labels changed across the rolling restart"
pass_msg "same labels across a rolling restart, generation 1 as a value"

# standalone endpoint
spawn_plain standalone "$RP_CLI" metrics --listen 127.0.0.1:9374
wait_log standalone "serving http://127.0.0.1:9374/metrics" || fail "metrics --listen did not start: $(cat "$RP_TMP/standalone.log")"
curl -sf --max-time 10 http://127.0.0.1:9374/metrics > "$RP_TMP/m3" || fail "standalone scrape failed"
promtool check metrics < "$RP_TMP/m3" || fail "standalone scrape does not pass promtool"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9374/nope)" 404 "standalone other path"
rp_kill standalone TERM
rp_wait_exit standalone 5 || fail "metrics --listen did not stop on SIGTERM"
assert_eq "${RP_STATUS[standalone]}" 0 "metrics --listen exit status after SIGTERM"
"$RP_CLI" metrics --listen 127.0.0.1:$mport 2> "$RP_TMP/busy.err" && fail "listening on a busy port succeeded"
assert_match "$(cat "$RP_TMP/busy.err")" "cannot listen on 127.0.0.1:$mport: Address already in use" "busy port message"

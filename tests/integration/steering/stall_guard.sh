#!/bin/bash
# Stall guard (REUSEPORT_STALL=QUEUE,MS) under roundrobin, hash and
# weighted: of 3 instances one is frozen (SIGSTOP) with connections
# waiting in its queue; once QUEUE of them wait and it accepted none for MS
# it gets no new connection, every request completes, and after SIGCONT it
# gets its share again. With every member frozen connections still queue:
# connect() succeeds (the kernel completes the handshake), nothing is
# reset, and all are served after SIGCONT.
# slow: three policies, each waiting out a stall
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

# an HTTP server with a listen backlog of 128 (http.server's is 5)
cat >"$RP_TMP/srv.py" <<'PY'
import http.server, sys
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 128
h = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=sys.argv[2], **k)
S(("127.0.0.1", int(sys.argv[1])), h).serve_forever()
PY

# slot_of GROUP PID FIELD: FIELD of PID's slot in status --json
slot_of() {
	status_json | "$PY" -c "import json,sys
g=[g for g in json.load(sys.stdin)['groups'] if g['name']=='$1'][0]
print([s['$3'] for s in g['slots'] if s['pid']==$2][0])"
}

is_stalled() { [ "$(slot_of "$1" "$2" stalled)" = True ]; }

# guard POLICY PORT
guard() {
	local pol=$1 port=$2 g=tcp4_127-0-0-1_$2 n a out before after
	for n in a b c; do
		REUSEPORT_POLICY=$pol REUSEPORT_STALL=8,500 rp_spawn "$pol-$n" \
			"$PY" "$RP_TMP/srv.py" "$port" "$(mk_www "$pol-$n" "$n")"
	done
	wait_live_slots "$g" 3 15 || fail "$pol: 3 live slots expected"
	out=$(rpclient http --port "$port" -n 60 --concurrency 4)
	assert_eq "$(jget "$out" ok)" 60 "$pol: requests before the freeze"
	a=$(rp_pid "$pol-a")
	kill -STOP "$a"
	# connections pile up in a's queue (40 at once: a gets its share)
	spawn_plain "$pol-held" "$PY" "$RPCLIENT" hold --port "$port" -n 40 --timeout 60 \
		--go-file "$RP_TMP/go-$port"
	wait_log "$pol-held" '^held 40$' 20 || fail "$pol: could not open 40 connections"
	assert_ge "$(slot_of "$g" "$a" queued)" 8 "$pol: connections waiting at the frozen instance"
	wait_for 10 is_stalled "$g" "$a" || fail "$pol: frozen instance never shown as stalled: $("$RP_CLI" status)"
	pass_msg "$pol: the frozen instance is shown as stalled"
	before=$(slot_of "$g" "$a" selected)
	out=$(rpclient http --port "$port" -n 60 --concurrency 4 --timeout 30)
	after=$(slot_of "$g" "$a" selected)
	info "$pol while a is stalled: $(jeval "$out" '{"ok": d["ok"], "ids": d["ids"]}')"
	assert_eq "$(jget "$out" ok)" 60 "$pol: requests while a is stalled"
	assert_eq "$((after - before))" 0 "$pol: new connections to the stalled instance"
	assert_ge "$(jeval "$(status_json)" "[g['counters']['stall_skips'] for g in d['groups'] if g['name']=='$g'][0]")" 1 "$pol: stall_skips"
	kill -CONT "$a"
	touch "$RP_TMP/go-$port"
	rp_wait_exit "$pol-held" 60 || fail "$pol: held connections not answered"
	out=$(tail -n1 "$(rp_logfile "$pol-held")")
	assert_eq "$(jget "$out" ok)" 40 "$pol: held connections answered after SIGCONT"
	out=$(rpclient http --port "$port" -n 60 --concurrency 4)
	info "$pol after SIGCONT: $(jeval "$out" '{"ok": d["ok"], "ids": d["ids"]}')"
	assert_eq "$(jget "$out" ok)" 60 "$pol: requests after SIGCONT"
	assert_ge "$(jget "$out" ids.a 0)" 5 "$pol: requests to a again"
}

guard roundrobin 8390
guard hash 8391
REUSEPORT_WEIGHT=100 guard weighted 8392

# Every member frozen: connections queue, no resets, served after SIGCONT.
port=8390 g=tcp4_127-0-0-1_8390
pids=()
for n in a b c; do pids+=("$(rp_pid "roundrobin-$n")"); done
kill -STOP "${pids[@]}"
spawn_plain all-held "$PY" "$RPCLIENT" hold --port $port -n 60 --timeout 60 --go-file "$RP_TMP/go-all"
wait_log all-held '^held 60$' 20 || fail "connections to all-frozen instances: $(cat "$(rp_logfile all-held)")"
pass_msg "60 connections accepted by the kernel while every instance is frozen"
all_stalled() { for p in "${pids[@]}"; do is_stalled "$g" "$p" || return 1; done; }
wait_for 10 all_stalled || fail "not every frozen instance is shown as stalled: $("$RP_CLI" status)"
pass_msg "every instance is shown as stalled"
spawn_plain all-held2 "$PY" "$RPCLIENT" hold --port $port -n 20 --timeout 60 --go-file "$RP_TMP/go-all"
wait_log all-held2 '^held 20$' 20 || fail "connections once every instance is stalled: $(cat "$(rp_logfile all-held2)")"
pass_msg "20 more connections accepted while every instance is stalled"
kill -CONT "${pids[@]}"
touch "$RP_TMP/go-all"
rp_wait_exit all-held 60 || fail "held connections not answered"
rp_wait_exit all-held2 60 || fail "held connections not answered"
assert_eq "$(jget "$(tail -n1 "$(rp_logfile all-held)")" ok)" 60 "connections served after SIGCONT"
assert_eq "$(jget "$(tail -n1 "$(rp_logfile all-held2)")" ok)" 20 "connections made while all were stalled served after SIGCONT"
assert_eq "$(jeval "$(status_json)" "[g['counters']['empty'] + g['counters']['select_error'] for g in d['groups'] if g['name']=='$g'][0]")" 0 "selections left to the kernel or failed"

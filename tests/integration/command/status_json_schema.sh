#!/bin/bash
# reuseport status --json validates against docs/status-schema.json (python3
# jsonschema), idle and with rates (--interval) under load, for a TCP group
# with an unregistered kernel listener and a UDP group, under a pin dir
# whose name needs JSON escaping (quote, backslash). The numbers are the
# kernel's and the servers': REUSEPORT_INSTANCE per slot, the listen
# backlog and the socket inode of the unregistered listener as ss and /proc
# show them, rates only when measured.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd ss
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed (scripts/install-deps)"

# shellcheck disable=SC2089,SC2090 # the quote and backslash are the point
REUSEPORT_PIN_DIR="$RP_TMP/bpffs/we\"ird\\dir"
# shellcheck disable=SC2090
export REUSEPORT_PIN_DIR
port=8372
for i in 1 2; do
	REUSEPORT_INSTANCE=$i rp_spawn "a$i" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "a$i" "a$i")" $port
	REUSEPORT_INSTANCE=$i rp_spawn "u$i" "$PY" "$UDP_SERVER" --port 5372 --id "u$i" --host 127.0.0.1
done
wait_live_slots tcp4_127-0-0-1_$port 2 || fail "2 TCP slots expected"
wait_live_slots udp4_127-0-0-1_5372 2 || fail "2 UDP slots expected"
spawn_plain plain "$PY" "$RP_TEST_LIB/plain_server.py" $port plain
wait_log plain ready || fail "plain server did not start"

validate() { # FILE WHAT
	"$PY" - "$RP_ROOT/docs/status-schema.json" "$1" <<'PY' || fail "$2: not valid against the schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema, cls=jsonschema.Draft202012Validator)
PY
	pass_msg "$2 valid against docs/status-schema.json"
}

"$RP_CLI" status --json > "$RP_TMP/idle.json" || fail "status --json failed"
validate "$RP_TMP/idle.json" "idle status"
assert_eq "$(jget @"$RP_TMP/idle.json" pin_dir)" "$REUSEPORT_PIN_DIR" "pin_dir (quote and backslash escaped)"
assert_eq "$(jget @"$RP_TMP/idle.json" interval_s)" null "interval without --interval"
tcp='[g for g in d["groups"] if g["proto"] == "tcp"][0]'
assert_eq "$(jeval @"$RP_TMP/idle.json" "sorted(s['instance'] for s in ${tcp}['slots'])")" "[1, 2]" "instances of the TCP slots"
assert_eq "$(jeval @"$RP_TMP/idle.json" "sorted(s['instance'] for g in d['groups'] if g['proto'] == 'udp' for s in g['slots'])")" "[1, 2]" "instances of the UDP slots"
# the backlog is the kernel's (python's http.server listens with 5), as ss shows it
ss_backlogs=$(ss -Hltn "sport = :$port" | awk '{print $3}' | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
info "ss listeners on $port (backlog:count): $ss_backlogs"
assert_eq "$(jeval @"$RP_TMP/idle.json" "sorted(s['backlog'] for s in ${tcp}['slots'])")" "[5, 5]" "backlog of the TCP slots"
assert_eq "$(jeval @"$RP_TMP/idle.json" "sorted(s['accept_queue'] for s in ${tcp}['slots'])")" "[0, 0]" "accept queue of idle slots"
assert_eq "$(jeval @"$RP_TMP/idle.json" "${tcp}['unregistered']")" 1 "unregistered listeners"
inode=$(jeval @"$RP_TMP/idle.json" "${tcp}['unregistered_listeners'][0]['inode']")
assert_eq "$(jeval @"$RP_TMP/idle.json" "${tcp}['unregistered_listeners'][0]['backlog']")" 64 "backlog of the unregistered listener"
found=0
for fd in /proc/"$(rp_pid plain)"/fd/*; do
	[[ $(readlink "$fd") == "socket:[$inode]" ]] && found=1
done
((found)) || fail "inode $inode is not the plain server's socket"
pass_msg "the unregistered listener is the plain server's socket (inode $inode)"
rp_stop plain
wait_for 10 bash -c "'$RP_CLI' status --json | grep -q '\"unregistered\": 0'" || fail "unregistered stays after the plain server left"

# rates under load: measured over --interval
rpclient http --port $port -n 3000 -c 4 > "$RP_TMP/load.json" &
loadpid=$!
sleep 0.3
"$RP_CLI" status --json --interval 1 > "$RP_TMP/rates.json" || fail "status --json --interval failed"
wait $loadpid
validate "$RP_TMP/rates.json" "status with rates"
assert_gt "$(jget @"$RP_TMP/rates.json" interval_s)" 0.9 "interval_s"
info "counters during the interval: $(jeval @"$RP_TMP/rates.json" "${tcp}['counters']")"
assert_gt "$(jeval @"$RP_TMP/rates.json" "${tcp}['selected_per_s']")" 0 "TCP group conn/s under load"
assert_eq "$(jeval @"$RP_TMP/rates.json" "all(s['selected_per_s'] is not None for s in ${tcp}['slots'])")" true "every slot has a rate"
assert_eq "$(jget @"$RP_TMP/load.json" ok)" 3000 "requests answered"

# the text form shows the instance, the kernel queue and the rate
text=$("$RP_CLI" status) || fail "status failed"
printf '%s\n' "$text"
assert_match "$text" "acceptq +backlog +conn/s" "text header"
assert_match "$text" $'\n  [0-9]+ +1 +[0-9]+ +0 +100 +live ' "text slot line of instance 1"
pass_msg "status --json follows its schema"

#!/bin/bash
# reuseport --group SPEC against real groups (python http.server on
# 127.0.0.1 and 127.0.0.2 and [::1], a UDP server): every SPEC form selects
# exactly the groups it names, before or after the command; drain by
# selection (a slot index needs one group: refused with the list
# otherwise); the no-match message. Read-only commands write nothing
# shared: a killed forked worker's share of a slot's connections is taken
# back in status's view but stays in the pinned state until a command that
# changes state runs. cleanup --dry-run lists dead groups and removes
# nothing; cleanup removes them and keeps live and setup-prepared groups
# (--all removes those too).
# slow: every --group form against real groups, with drains between
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool

P=8470 # tcp 127.0.0.1 (a, b), tcp 127.0.0.2 (c), udp 127.0.0.1 (u)
P6=8471 # tcp [::1] (d)
T1=tcp4_127-0-0-1_$P T2=tcp4_127-0-0-2_$P U1=udp4_127-0-0-1_$P
for n in a b; do
	REUSEPORT_POLICY=roundrobin rp_spawn $n "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www $n $n)" $P
done
rp_spawn c "$PY" -m http.server --bind 127.0.0.2 --directory "$(mk_www c c)" $P
rp_spawn d "$PY" -m http.server --bind ::1 --directory "$(mk_www d d)" $P6
rp_spawn u "$PY" "$UDP_SERVER" --port $P --id u --host 127.0.0.1
wait_live_slots $T1 2 || fail "a and b not registered"
wait_live_slots $T2 1 || fail "c not registered"
wait_live_slots $U1 1 || fail "u not registered"
wait_live_slots $P6 1 || fail "d not registered"
T6=$(jeval "$(status_json)" '[g["name"] for g in d["groups"] if g["name"].startswith("tcp6_")][0]')
assert_match "$T6" "^tcp6_::1_${P6}" "the IPv6 group's name"

# selected ARGS...: the sorted names of the groups `reuseport ARGS status --json` shows
selected() {
	local out
	out=$("$RP_CLI" "$@" --json) || return 1
	jeval "$out" '" ".join(sorted(g["name"] for g in d["groups"]))'
}
check() { # EXPECTED ARGS...
	local want=$1 got
	shift
	got=$(selected "$@") || fail "reuseport $* failed"
	assert_eq "$got" "$want" "groups of reuseport $*"
}
check "$T1 $T2 $T6 $U1" status
check "$T1 $T2 $U1" --group $P status
check "$T1 $T2" --group tcp:$P status
check "$U1" --group udp:$P status
check "$T1 $U1" --group 127.0.0.1:$P status
check "$T2" --group tcp:127.0.0.2:$P status
check "$U1" --group udp:127.0.0.1:$P status
check "$T6" --group "tcp:[::1]:$P6" status
check "$T6" --group "[::1]:$P6" status
check "$T6" status --group $P6
check "$T1" "--group=$T1" status
check "$T6" status --group "$T6"
check "$T2" status --group=tcp4_127-0-0-2_$P
m=$("$RP_CLI" --group udp:$P metrics) || fail "metrics --group failed"
assert_eq "$(grep -o 'group="[^"]*"' <<<"$m" | sort -u | tr '\n' ' ')" "group=\"$U1\" " "groups in metrics --group udp:$P"
pass_msg "every SPEC form selects its groups"

# no match: one message naming the spec and the groups here, exit 1
for spec in "udp:[::1]:53" 9999 tcp:127.0.0.3:$P tcp4_127-0-0-1_9999; do
	if "$RP_CLI" --group "$spec" status >"$RP_TMP/out" 2>"$RP_TMP/err"; then
		fail "--group $spec status succeeded: $(cat "$RP_TMP/out")"
	fi
	assert_eq "$(cat "$RP_TMP/err")" "reuseport: no group matches $spec; groups here: $(jeval "$(status_json)" '", ".join(sorted(g["name"] for g in d["groups"]))')" "message for --group $spec"
	[[ ! -s $RP_TMP/out ]] || fail "--group $spec status printed: $(cat "$RP_TMP/out")"
done
pass_msg "no group matches: one message listing the groups here"

# --- drain by selection
slot_of() { # GROUP PID
	jeval "$(status_json)" "[s['slot'] for g in d['groups'] if g['name'] == '$1' for s in g['slots'] if s['pid'] == $2][0]"
}
state_of() { # GROUP SLOT
	jeval "$(status_json)" "[s['state'] for g in d['groups'] if g['name'] == '$1' for s in g['slots'] if s['slot'] == $2][0]"
}
sb=$(slot_of $T1 "$(rp_pid b)")
"$RP_CLI" drain "slot:$sb" 2>"$RP_TMP/err"
assert_eq "$?" 2 "exit status of drain slot:$sb without --group (4 groups)"
assert_match "$(head -n1 "$RP_TMP/err")" "slot $sb is ambiguous: 4 groups are selected" "ambiguous drain message"
"$RP_CLI" --group $P drain "slot:$sb" 2>"$RP_TMP/err"
assert_eq "$?" 2 "exit status of drain slot:$sb with --group $P (3 groups)"
assert_match "$(head -n1 "$RP_TMP/err")" "slot $sb is ambiguous: 3 groups are selected \(.*$T1.*\); select one with --group SPEC" "ambiguous drain message"
assert_eq "$(jeval "$(status_json)" "sum(s['draining'] for g in d['groups'] for s in g['slots'])")" 0 "draining slots after refused drains"
out=$("$RP_CLI" --group tcp:127.0.0.1:$P drain "slot:$sb") || fail "drain slot:$sb of $T1 failed: $out"
assert_eq "$out" "$T1 slot $sb (pid $(rp_pid b)): draining" "drain output"
assert_eq "$(state_of $T1 "$sb")" draining "state of b's slot"
assert_eq "$(jeval "$(status_json)" "sum(s['draining'] for g in d['groups'] for s in g['slots'])")" 1 "draining slots in all groups"
out=$(rpclient http --port $P -n 20)
assert_eq "$(jget "$out" ids.a 0)" 20 "requests to a while b drains"
# a PID acts in every selected group where it has a slot
out=$("$RP_CLI" undrain --group $P "$(rp_pid b)") || fail "undrain b failed: $out"
assert_eq "$out" "$T1 slot $sb (pid $(rp_pid b)): undrained" "undrain output"
out=$("$RP_CLI" --group udp:$P drain "pid:$(rp_pid b)" 2>&1) && fail "drain of b in the UDP group succeeded: $out"
assert_eq "$out" "reuseport: drain: no live slot with pid $(rp_pid b) in the groups --group selects: udp:$P" "drain of a pid outside the selection"
out=$("$RP_CLI" --group udp:$P policy sticky) || fail "policy --group failed: $out"
assert_eq "$out" "$U1: policy sticky" "policy output"
assert_eq "$(jeval "$(status_json)" "' '.join(g['policy'] for g in sorted(d['groups'], key=lambda g: g['name']))")" \
	"roundrobin roundrobin roundrobin sticky" "policies (only the UDP group changed)"
pass_msg "drain, undrain and policy act on the selection"

# --- read-only: status takes back a dead worker's share in its view only
Q=8472
cat >"$RP_TMP/forker.py" <<'PY'
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
child = os.fork()
if child == 0:
    c, _ = s.accept()
    print("accepted", flush=True)
    time.sleep(600)
    os._exit(0)
print("child", child, flush=True)
time.sleep(600)
PY
rp_spawn f "$PY" "$RP_TMP/forker.py" $Q
wait_live_slots tcp4_127-0-0-1_$Q 1 || fail "forker not registered"
exec {conn}<>/dev/tcp/127.0.0.1/$Q || fail "cannot connect to $Q"
wait_log f '^accepted' 10 || fail "the worker did not accept"
worker=$(awk '$1 == "child" { print $2 }' "$(rp_logfile f)")
active() { jeval "$(status_json)" "[g['slots'][0]['active'] for g in d['groups'] if g['name'] == 'tcp4_127-0-0-1_$Q'][0]"; }
assert_eq "$(active)" 1 "active connections while the worker lives"
kill -9 "$worker"
exec {conn}>&-
worker_gone() { ! _rp_pid_alive "$worker"; } # a zombie: its parent never waits
wait_for 10 worker_gone || fail "worker $worker still running"
state=$(rp_ns_dir)/tcp4_127-0-0-1_$Q/state
# pid_in_state: 4-byte words of the pinned state (its raw elements, as
# bpftool dumps them) that hold the worker's pid: its entry in the slot's
# owners (acct_pid) while its share is there
pid_in_state() {
	bpftool -j map dump pinned "$state" | "$PY" -c '
import json, struct, sys
pid = int(sys.argv[1])
n = 0
for e in json.load(sys.stdin):
    b = bytes(int(x, 16) for x in e["value"])
    n += sum(1 for (w,) in struct.iter_unpack("<I", b) if w == pid)
print(n)' "$worker"
}
assert_eq "$(pid_in_state)" 1 "the dead worker's share in the pinned state"
assert_eq "$(active)" 0 "active connections in status once the worker is dead"
"$RP_CLI" metrics >/dev/null || fail "metrics failed"
"$RP_CLI" status >/dev/null || fail "status failed"
assert_eq "$(pid_in_state)" 1 "the dead worker's share in the pinned state after status and metrics"
"$RP_CLI" --group $Q undrain "$(rp_pid f)" >/dev/null || fail "undrain of the forker failed"
assert_eq "$(pid_in_state)" 0 "the dead worker's share after undrain (a command that writes)"
assert_eq "$(active)" 0 "active connections after undrain"
pass_msg "status and metrics write nothing shared"
rp_stop f

# --- cleanup
ns=$(rp_ns_dir)
out=$("$RP_CLI" setup tcp:127.0.0.1:8479 2>&1) || fail "setup of a group failed: $out"
assert_match "$out" "created: group $ns/tcp4_127-0-0-1_8479" "setup output"
check tcp4_127-0-0-1_8479 --group tcp:127.0.0.1:8479 status # its header has its address
rp_stop c
rp_stop d
wait_live_slots $T2 0 || fail "c's group still live"
# groups and groups being created: not the namespace's programs (tcp/, udp/)
entries() { find "$ns" -mindepth 1 -maxdepth 1 ! -name tcp ! -name udp -printf '%f\n' | sort | tr '\n' ' '; }
before=$(entries)
for dead in tcp4_127-0-0-1_$Q $T2 $T6; do
	[[ $before == *"$dead "* ]] || fail "$dead not pinned before cleanup: $before"
done
out=$("$RP_CLI" cleanup --dry-run) || fail "cleanup --dry-run failed: $out"
info "dry run: $out"
for dead in tcp4_127-0-0-1_$Q $T2 $T6; do
	assert_match "$out" "would remove $ns/$dead" "dry run lists $dead"
done
assert_match "$out" "kept: $ns/tcp4_127-0-0-1_8479 \\(prepared by reuseport setup, no live member; --all removes it\\)" "dry run keeps the prepared group"
assert_match "$out" "3 group\\(s\\) to remove, 3 kept" "dry run summary"
assert_eq "$(entries)" "$before" "entries after the dry run"
out=$("$RP_CLI" cleanup) || fail "cleanup failed: $out"
info "cleanup: $out"
assert_match "$out" "3 group\\(s\\) removed, 3 kept" "cleanup summary"
assert_eq "$(entries)" "$(tr ' ' '\n' <<<"$T1 $U1 tcp4_127-0-0-1_8479" | sort | tr '\n' ' ')" "entries after cleanup"
out=$(rpclient http --port $P -n 10)
assert_eq "$(jget "$out" ok)" 10 "requests to the live group after cleanup"
out=$("$RP_CLI" cleanup --all) || fail "cleanup --all failed: $out"
assert_match "$out" "removed $ns/tcp4_127-0-0-1_8479" "cleanup --all removes the prepared group"
assert_match "$out" "1 group\\(s\\) removed, 2 kept" "cleanup --all summary"
check "$T1 $U1" status
pass_msg "cleanup: dead groups listed by --dry-run, removed by cleanup; live and prepared ones kept"

#!/bin/bash
# REUSEPORT_STRICT=1 turns a steering failure into a failed call with the
# documented errno (README, "When steering is not possible") and a log
# line; without it the same problem degrades. Every row says which call
# failed and in what state the socket was left: a cause known before the
# kernel call (all but ENOSPC) fails the call before the socket changes
# state. A call that succeeds in strict mode has really registered its
# socket: `reuseport status` shows a live slot with the caller's pid.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool setpriv capsh

# bindlisten.py PROTO PORT [RELEASE]: bind (and listen, TCP) 127.0.0.1:PORT;
# prints "result: CALL ok|ERRNO state=listening|bound|none", then holds
# the socket until the file RELEASE exists (if given).
cat > "$RP_TMP/bindlisten.py" <<'PY'
import errno, os, socket, sys, time
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
call, res = "bind", "ok"
try:
    s.bind(("127.0.0.1", port))
    if proto == "tcp":
        call = "listen"
        s.listen(8)
except OSError as e:
    res = errno.errorcode[e.errno]
if proto == "tcp" and s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
    state = "listening"
elif s.getsockname()[1]:
    state = "bound"
else:
    state = "none"
print("result: %s %s state=%s" % (call, res, state), flush=True)
if len(sys.argv) > 3:
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.05)
PY
# run PROTO PORT: one call under the shim (environment from the caller)
run() { LD_PRELOAD=${LIB:-$RP_LIB} "$PY" "$RP_TMP/bindlisten.py" "$@" 2> "$RP_TMP/err.txt" | sed 's/^result: //'; }
# hold NAME [VAR=VALUE...] ::: [COMMAND PREFIX...] ::: PROTO PORT: the same,
# kept running (process NAME) until release NAME; prints the result
hold() {
	local name=$1 envs=() pre=()
	shift
	while [ "$1" != ::: ]; do envs+=("$1"); shift; done
	shift
	while [ "$1" != ::: ]; do pre+=("$1"); shift; done
	shift
	rp_spawn "$name" "${pre[@]}" env "${envs[@]}" "$PY" "$RP_TMP/bindlisten.py" "$@" "$RP_TMP/release-$name" >&2
	wait_log "$name" '^result: ' 10 >&2 || fail "$name: no result" >&2
	sed -n 's/^result: //p' "$(rp_logfile "$name")"
}
release() { touch "$RP_TMP/release-$1"; rp_wait_exit "$1" 10 || fail "$1 did not exit"; }
# slots_of NAME GROUP: live slots of GROUP registered by process NAME
slots_of() { jeval "$(status_json)" "sum(1 for g in d['groups'] if g['name'] == '$2' for s in g['slots'] if s['pid'] == $(rp_pid "$1"))"; }

mkdir -p "$RP_TMP/plain"
plain=$RP_TMP/plain/x

# --- failures, each with its documented errno
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PIN_DIR=$plain run tcp 8100)" "listen ENOMEDIUM state=bound" "strict, no bpffs, TCP"
grep -q 'event=strict_fail .*call=listen errno=ENOMEDIUM' "$RP_TMP/err.txt" || fail "no strict_fail line: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PIN_DIR=$plain run udp 8100)" "bind ENOMEDIUM state=none" "strict, no bpffs, UDP"
grep -q 'event=strict_fail .*call=bind errno=ENOMEDIUM' "$RP_TMP/err.txt" || fail "no strict_fail line: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_POLICY=fastest run tcp 8100)" "bind EINVAL state=none" "strict, invalid policy, TCP"
grep -q 'REUSEPORT_POLICY=fastest: unknown policy' "$RP_TMP/err.txt" || fail "invalid policy not named: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PORTS=80-70 run udp 8100)" "bind EINVAL state=none" "strict, invalid port range, UDP"
mkdir -p "$RP_TMP/lonely"
cp "$RP_LIB" "$RP_TMP/lonely/" # without libreuseport-steer.so beside it
assert_eq "$(LIB=$RP_TMP/lonely/libreuseport.so REUSEPORT_STRICT=1 run tcp 8100)" "listen ELIBACC state=bound" "strict, steering library missing, TCP"
grep -q 'event=strict_fail .*call=listen errno=ELIBACC' "$RP_TMP/err.txt" || fail "no ELIBACC line: $(cat "$RP_TMP/err.txt")"

# foreign pins at the group's path
ns=$(rp_ns_dir)
mkdir -p "$ns/tcp4_127-0-0-1_8105"
bpftool map create "$ns/tcp4_127-0-0-1_8105/socks" type hash key 4 value 8 entries 4 name foreign
assert_eq "$(REUSEPORT_STRICT=1 run tcp 8105)" "listen EPROTO state=bound" "strict, foreign pins, TCP"
grep -q 'event=strict_fail .*call=listen errno=EPROTO' "$RP_TMP/err.txt" || fail "no EPROTO line: $(cat "$RP_TMP/err.txt")"

# creating a group without CAP_BPF (an unprivileged user)
asnobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
r=$(hold nobody1 REUSEPORT_STRICT=1 ::: "${asnobody[@]}" ::: tcp 8101)
assert_eq "$r" "listen EPERM state=bound" "strict, no CAP_BPF, creating the group, TCP"
grep -q 'event=strict_fail .*call=listen errno=EPERM' "$(rp_logfile nobody1)" || fail "no EPERM line: $(cat "$(rp_logfile nobody1)")"
release nobody1

# --- successes: registered for real
r=$(hold fine-tcp REUSEPORT_STRICT=1 ::: ::: tcp 8100)
assert_eq "$r" "listen ok state=listening" "strict, everything fine, TCP"
assert_eq "$(slots_of fine-tcp tcp4_127-0-0-1_8100)" 1 "live slots of the strict TCP listener"
r=$(hold fine-udp REUSEPORT_STRICT=1 ::: ::: udp 8100)
assert_eq "$r" "bind ok state=bound" "strict, everything fine, UDP"
assert_eq "$(slots_of fine-udp udp4_127-0-0-1_8100)" 1 "live slots of the strict UDP socket"
# a process without CAP_BPF joins the existing group (same user: a
# reuseport group never mixes users)
# shellcheck disable=SC2016,SC2054 # "$@" is for that shell; capsh's list
nocap=(capsh --drop=cap_bpf,cap_sys_admin,cap_perfmon -- -c 'exec "$@"' sh)
r=$(hold nocap1 REUSEPORT_STRICT=1 ::: "${nocap[@]}" ::: tcp 8100)
assert_eq "$r" "listen ok state=listening" "strict, no CAP_BPF, joining a group, TCP"
assert_eq "$(slots_of nocap1 tcp4_127-0-0-1_8100)" 1 "live slots of the unprivileged strict listener"
release nocap1

# a full group (REUSEPORT_MAX_SLOTS=1): known only after the kernel call;
# strict means the socket leaves the group again (shut down: bound, not
# listening), so no connection waits in a queue nobody accepts
r=$(hold full1 REUSEPORT_STRICT=1 REUSEPORT_MAX_SLOTS=1 ::: ::: tcp 8103)
assert_eq "$r" "listen ok state=listening" "strict, first member of a 1-slot group"
assert_eq "$(slots_of full1 tcp4_127-0-0-1_8103)" 1 "live slots of the first member"
assert_eq "$(REUSEPORT_STRICT=1 run tcp 8103)" "listen ENOSPC state=bound" "strict, group full, TCP"
grep -q 'event=strict_fail .*call=listen errno=ENOSPC' "$RP_TMP/err.txt" || fail "no ENOSPC line: $(cat "$RP_TMP/err.txt")"
release full1

# no permission on the pin directory (the namespace's directory made 0700)
chmod 0700 "$ns"
r=$(hold nobody3 REUSEPORT_STRICT=1 ::: "${asnobody[@]}" ::: tcp 8102)
chmod 0755 "$ns"
assert_eq "$r" "listen EACCES state=bound" "strict, no permission on the pins, TCP"
grep -q 'event=strict_fail .*call=listen errno=EACCES' "$(rp_logfile nobody3)" || fail "no EACCES line: $(cat "$(rp_logfile nobody3)")"
release nobody3

# --- without strict, or out of scope: the call succeeds, nothing registers
r=$(hold lax REUSEPORT_PIN_DIR="$plain" ::: ::: tcp 8100)
assert_eq "$r" "listen ok state=listening" "not strict, no bpffs"
assert_eq "$(slots_of lax tcp4_127-0-0-1_8100)" 0 "live slots of the degraded listener"
release lax
r=$(hold passthru REUSEPORT_POLICY=fastest ::: ::: tcp 8106)
assert_eq "$r" "listen ok state=listening" "not strict, invalid policy: pass-through"
assert_eq "$(slots_of passthru tcp4_127-0-0-1_8106)" 0 "live slots of the pass-through listener"
assert_eq "$(grep -c '^libreuseport:' "$(rp_logfile passthru)")" 1 "log lines for an invalid variable"
grep -q 'level=error event=config_invalid error="REUSEPORT_POLICY=fastest: unknown policy; accepted: ' "$(rp_logfile passthru)" ||
	fail "invalid variable line: $(cat "$(rp_logfile passthru)")"
release passthru
r=$(hold scope REUSEPORT_STRICT=1 REUSEPORT_PORTS=9000 REUSEPORT_PIN_DIR="$plain" ::: ::: tcp 8107)
assert_eq "$r" "listen ok state=listening" "strict, port out of scope is untouched"
assert_eq "$(slots_of scope tcp4_127-0-0-1_8107)" 0 "live slots of the out-of-scope listener"
release scope
release fine-tcp
release fine-udp

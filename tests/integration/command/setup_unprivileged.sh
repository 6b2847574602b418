#!/bin/bash
# reuseport setup for servers without any capability: root pre-creates the
# group and hands its pins to a user (--user) or a group (--group); that
# user's servers, run with setpriv and no capability, join and are steered
# (exact round robin), while another user (RP_OTHER, default rptest2,
# created with useradd -M if absent) gets EACCES for every operation:
# opening a pin (bpf OBJ_GET: join, re-attach, drain, weight, policy),
# reuseport drain/weight/policy/status, and joining with the shim (STRICT:
# listen fails with EACCES; otherwise it serves unsteered and says why).
# Also: the capability report, for root and for a process with CAP_BPF only.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd setpriv capsh

U=nobody
OTHER=${RP_OTHER:-rptest2}
id "$U" >/dev/null 2>&1 || skip "no user $U"
UG=$(id -gn "$U")
if ! id "$OTHER" >/dev/null 2>&1; then
	need_cmd useradd
	useradd -M -U -r -s /usr/sbin/nologin "$OTHER" ||
		skip "cannot create the user $OTHER"
	info "created user $OTHER"
fi
as_user() { setpriv --reuid "$U" --regid "$UG" --clear-groups "$@"; }
as_other() { setpriv --reuid "$OTHER" --regid "$(id -g "$OTHER")" --clear-groups "$@"; }

PORT=20029
PORT2=20030
NSI=$(stat -L -c %i /proc/self/ns/net)
G=tcp4_127-0-0-1_$PORT
GDIR=$REUSEPORT_PIN_DIR/v$RP_LAYOUT/$NSI/$G

# live_of GROUP: its "live" count in status --json (absent: -1)
live_of() {
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
g=[g for g in json.load(sys.stdin)["groups"] if g["name"]==sys.argv[1]]
print(g[0]["live"] if g else -1)' "$1"
}
live_is() { [[ $(live_of "$1") == "$2" ]]; }

# 0. a pin dir another user planted in the 1777 bpffs is refused, not used
as_user mkdir "$REUSEPORT_PIN_DIR" || fail "$U could not plant the pin dir"
if out=$("$RP_CLI" setup --user "$U" "tcp:127.0.0.1:$PORT" 2>&1); then
	fail "setup accepted a planted pin dir: $out"
fi
assert_match "$out" "error: $REUSEPORT_PIN_DIR is refused by the trust rules: .*owned by uid $(id -u "$U")" \
	"setup refuses the planted pin dir"
[[ ! -e $REUSEPORT_PIN_DIR/v$RP_LAYOUT ]] || fail "setup created something below the planted pin dir"
rmdir "$REUSEPORT_PIN_DIR"

# 1. capability report of root
out=$("$RP_CLI" setup 2>&1) || fail "setup failed: $out"
info "setup:"
printf '%s\n' "$out" | sed 's/^/  | /'
line=$(grep '^create groups: ' <<<"$out")
assert_match "$line" '^create groups: .*\(tried' "capability summary line"
# the summary is what the probes found: CAP_BPF is listed alone only if it worked alone
bpf_row=$(grep '^  CAP_BPF  ' <<<"$out")
if [[ $bpf_row == *"steering program: ok"* ]]; then
	assert_match "$line" '^create groups: CAP_BPF( |$)' "CAP_BPF alone works here and is reported"
else
	[[ $line != *"create groups: CAP_BPF or"* && $line != "create groups: CAP_BPF (tried"* ]] ||
		fail "CAP_BPF alone failed its probe but is reported sufficient: $line"
	pass_msg "CAP_BPF alone is not reported sufficient ($bpf_row)"
fi
grep -q '^ok: this process may create groups$' <<<"$out" || fail "root not reported able to create groups"
pass_msg "root may create groups"
[[ $(stat -c '%u %a' "$REUSEPORT_PIN_DIR") == "0 755" ]] ||
	fail "pin dir is not root 0755: $(stat -c '%u %a' "$REUSEPORT_PIN_DIR")"
pass_msg "pin dir root-owned 0755"

# 2. a process with CAP_BPF only is told it cannot create groups
out=$(capsh --drop=cap_sys_admin,cap_perfmon -- -c "'$RP_CLI' setup" 2>&1)
info "setup with CAP_BPF only: $(grep -E '^(create groups|ok: this|note: this)' <<<"$out" | tr '\n' '|')"
grep -q '^note: this process cannot create groups (effective: CAP_BPF)' <<<"$out" ||
	fail "CAP_BPF alone is not reported insufficient: $out"
if grep -q '^ok: this process may create groups' <<<"$out"; then
	fail "CAP_BPF alone reported able to create groups"
fi
pass_msg "CAP_BPF alone: cannot create groups (reported)"

# 3. pre-create the group for $U
out=$("$RP_CLI" setup --user "$U" "tcp:127.0.0.1:$PORT" 2>&1) || fail "setup --user failed: $out"
printf '%s\n' "$out" | grep -E '^(created|exists|ok: uid|error|changed)' | sed 's/^/  | /'
grep -q "^created: group $GDIR " <<<"$out" || fail "group not created: $out"
grep -q "^ok: uid $(id -u "$U") .* can open $G and join it" <<<"$out" || fail "access of $U not confirmed: $out"
for p in socks state; do
	assert_eq "$(stat -c '%U %g %a' "$GDIR/$p")" "$U 0 600" "owner and mode of $p"
done
assert_eq "$(stat -c '%u %a' "$GDIR")" "0 755" "group directory owner and mode"
# the namespace's program: every member attaches it (a program fd lets
# its holder attach it to its own reuseport sockets, nothing more); its
# maps and every directory stay root's
NSDIR=$REUSEPORT_PIN_DIR/v$RP_LAYOUT/$NSI
assert_eq "$(stat -c '%u %a' "$NSDIR/tcp/prog")" "0 666" "owner and mode of the namespace's program"
for p in groups socks flows owners; do
	assert_eq "$(stat -c '%u %a' "$NSDIR/tcp/$p")" "0 644" "owner and mode of the namespace's $p"
done
ww=$(find "$REUSEPORT_PIN_DIR" -perm -o+w ! -path "$NSDIR/tcp/prog" ! -path "$NSDIR/udp/prog" | wc -l)
assert_eq "$ww" 0 "world-writable entries below the pin dir (but the namespace's programs)"
# running setup again is harmless
out=$("$RP_CLI" setup --user "$U" "tcp:127.0.0.1:$PORT" 2>&1) || fail "second setup failed: $out"
grep -q "^exists: group $GDIR " <<<"$out" || fail "second setup: $out"
pass_msg "setup is idempotent"

# 4. two servers of $U, no capability, join and are steered
for i in 1 2; do
	rp_spawn "s$i" setpriv --reuid "$U" --regid "$UG" --clear-groups \
		"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "s$i" "s$i")" "$PORT"
done
wait_listeners tcp "$PORT" 2 127.0.0.1 15 || fail "servers of $U did not start: $(cat "$RP_TMP"/s*.log)"
wait_for 10 live_is "$G" 2 || fail "2 live slots expected: $("$RP_CLI" status)"
for i in 1 2; do
	assert_eq "$(awk '/^CapEff/ { print $2 }' "/proc/$(rp_pid "s$i")/status")" 0000000000000000 "capabilities of server $i"
	assert_eq "$(stat -c %U "/proc/$(rp_pid "s$i")")" "$U" "user of server $i"
done
slot_pids=$("$RP_CLI" status --json | "$PY" -c 'import json,sys
g=[g for g in json.load(sys.stdin)["groups"] if g["name"]==sys.argv[1]][0]
print(" ".join(str(s["pid"]) for s in g["slots"]))' "$G")
info "slot pids: $slot_pids (servers $(rp_pid s1) $(rp_pid s2))"
out=$(rpclient http --port "$PORT" -n 20)
info "client: $out"
assert_eq "$(jget "$out" ids.s1 0)" 10 "requests served by s1 (roundrobin)"
assert_eq "$(jget "$out" ids.s2 0)" 10 "requests served by s2 (roundrobin)"
for i in 1 2; do
	assert_eq "$(grep -c '^libreuseport:' "$(rp_logfile "s$i")" || true)" 0 "shim lines of s$i"
done

# 5. the other user: EACCES for every operation
cat >"$RP_TMP/objget.py" <<'PY'
# bpf(BPF_OBJ_GET) on each pin; prints NAME=ok or NAME=ERRNO
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
for name in sys.argv[2:]:
    path = ctypes.create_string_buffer(os.path.join(sys.argv[1], name).encode())
    attr = (ctypes.c_uint8 * 128)()
    ctypes.memmove(attr, ctypes.byref(ctypes.c_uint64(ctypes.addressof(path))), 8)
    fd = libc.syscall(NR_BPF, 7, attr, 128)  # BPF_OBJ_GET, file_flags 0 (read+write)
    print("%s=%s" % (name, "ok" if fd >= 0 else errno.errorcode[ctypes.get_errno()]))
    if fd >= 0:
        os.close(fd)
PY
chmod 0644 "$RP_TMP/objget.py"
assert_eq "$(as_user "$PY" "$RP_TMP/objget.py" "$GDIR" socks state | tr '\n' ' ')" \
	"socks=ok state=ok " "$U opens every pin of the group"
assert_eq "$(as_other "$PY" "$RP_TMP/objget.py" "$GDIR" socks state | tr '\n' ' ')" \
	"socks=EACCES state=EACCES " "$OTHER opens no pin of the group (no join)"
p1=$(rp_pid s1)
for op in "drain pid:$p1" "undrain pid:$p1" "weight pid:$p1 5" "policy hash" "status"; do
	# shellcheck disable=SC2086 # op is words
	if out=$(as_other "$RP_CLI" $op 2>&1); then
		fail "$OTHER: reuseport $op succeeded: $out"
	fi
	assert_match "$out" "Permission denied" "$OTHER: reuseport $op"
done
st=$("$RP_CLI" status --json)
assert_eq "$(jeval "$st" "[s['state'] for g in d['groups'] if g['name']=='$G' for s in g['slots']]")" \
	'["live", "live"]' "slot states after the other user's attempts"
assert_eq "$(jeval "$st" "[g['policy'] for g in d['groups'] if g['name']=='$G']")" '["roundrobin"]' "policy unchanged"

# joining with the shim: the kernel refuses another uid on a live port
# (EADDRINUSE), so the other user tries while the port is free
rp_stop s1
rp_stop s2
wait_for 10 live_is "$G" 0 || fail "slots still live"
cat >"$RP_TMP/listen.py" <<'PY'
import errno, socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(8)
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
chmod 0644 "$RP_TMP/listen.py"
res=$(REUSEPORT_STRICT=1 LD_PRELOAD=$RP_LIB as_other "$PY" "$RP_TMP/listen.py" "$PORT" 2>"$RP_TMP/strict.err")
info "strict: $(cat "$RP_TMP/strict.err")"
assert_eq "$res" EACCES "$OTHER joining with REUSEPORT_STRICT=1: listen()"
grep -q 'errno=EACCES' "$RP_TMP/strict.err" || fail "no EACCES line: $(cat "$RP_TMP/strict.err")"
rp_spawn o1 setpriv --reuid "$OTHER" --regid "$(id -g "$OTHER")" --clear-groups \
	"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www o1 o1)" "$PORT"
wait_tcp_port "$PORT" 127.0.0.1 15 || fail "the other user's server did not start: $(cat "$(rp_logfile o1)")"
wait_log o1 'event=fallback .*errno=EACCES' || fail "no EACCES fallback line"
assert_eq "$(jget "$(rpclient http --port "$PORT" -n 5)" ids.o1 0)" 5 "the other user's server serves, unsteered"
assert_eq "$(live_of "$G")" 0 "live slots while the other user's server runs"
rp_stop o1

# the group is intact: $U's servers join again
for i in 3 4; do
	rp_spawn "s$i" setpriv --reuid "$U" --regid "$UG" --clear-groups \
		"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "s$i" "s$i")" "$PORT"
done
wait_for 10 live_is "$G" 2 || fail "2 live slots expected again: $("$RP_CLI" status)"
out=$(rpclient http --port "$PORT" -n 20)
assert_eq "$(jget "$out" ids.s3 0)/$(jget "$out" ids.s4 0)" 10/10 "round robin after the other user's attempts"
rp_stop s3
rp_stop s4
wait_for 10 live_is "$G" 0 || fail "slots still live"

# cleanup keeps a prepared group without members: its servers could not
# create it again
out=$("$RP_CLI" cleanup 2>&1)
info "cleanup: $out"
assert_match "$out" "kept: $GDIR \\(pins of uid $(id -u "$U") " "cleanup keeps the prepared group"
[[ -d $GDIR ]] || fail "cleanup removed the prepared group"
out=$("$RP_CLI" cleanup --dry-run --all 2>&1)
assert_match "$out" "would remove $GDIR" "cleanup --all would remove it"

# 6. --group: servers of any uid with that gid join; other gids do not
G2=tcp4_127-0-0-1_$PORT2
out=$("$RP_CLI" setup --group "$UG" --policy roundrobin --slots 8 "127.0.0.1:$PORT2" 2>&1) ||
	fail "setup --group failed: $out"
G2DIR=$REUSEPORT_PIN_DIR/v$RP_LAYOUT/$NSI/$G2
grep -q "^created: group $G2DIR (policy roundrobin, 8 slots" <<<"$out" || fail "setup --group: $out"
assert_eq "$(stat -c '%u %G %a' "$G2DIR/socks")" "0 $UG 660" "pin owner, group and mode with --group"
assert_eq "$(stat -c '%u %G %a' "$G2DIR")" "0 $UG 755" "group directory with --group"
for i in 1 2; do
	rp_spawn "g$i" setpriv --reuid "$OTHER" --regid "$UG" --clear-groups \
		"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "g$i" "g$i")" "$PORT2"
done
wait_for 10 live_is "$G2" 2 || fail "2 live slots expected with --group: $("$RP_CLI" status)"
out=$(rpclient http --port "$PORT2" -n 20)
assert_eq "$(jget "$out" ids.g1 0)/$(jget "$out" ids.g2 0)" 10/10 "uid $OTHER with gid $UG: round robin"
assert_eq "$(as_other "$PY" "$RP_TMP/objget.py" "$G2DIR" socks state | tr '\n' ' ')" \
	"socks=EACCES state=EACCES " "uid $OTHER with its own gid opens no pin of the group"
if out=$(as_other "$RP_CLI" drain "pid:$(rp_pid g1)" 2>&1); then
	fail "drain with another gid succeeded: $out"
fi
assert_match "$out" "Permission denied" "drain with another gid"

pass_msg "pre-created groups: steered for their user or group, EACCES for everyone else"

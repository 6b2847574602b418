#!/bin/bash
# The kernel is the truth about a group's members: a listener in the kernel
# group that libreuseport never registered must never get zero connections.
# Each row: who is in the group, then 60 requests; every live member gets a
# share (the kernel hash) while an unregistered one is there, and exact
# round robin comes back when it leaves.
# slow: a row of group shapes, 60 requests each, and a static server built
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

plain=$RP_TEST_LIB/plain_server.py
status_unreg() { # GROUP -> "unregistered" of that group in status --json
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
g=[g for g in json.load(sys.stdin)["groups"] if g["name"]==sys.argv[1]]
print(g[0]["unregistered"] if g else "none")' "$1"
}
shim_server() { # NAME PORT [ENV...]
	local name=$1 port=$2
	shift 2
	rp_spawn "$name" env "$@" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "$name" "$name")" "$port"
}
plain_server() { # NAME PORT
	spawn_plain "$1" "$PY" "$plain" "$2" "$1"
	wait_log "$1" ready || fail "$1 did not start"
}
every_member_served() { # PORT N NAME...
	local port=$1 n=$2 out name
	shift 2
	out=$(rpclient http --port "$port" -n "$n")
	info "$port: $out"
	assert_eq "$(jget "$out" ok)" "$n" "answered on $port"
	for name in "$@"; do
		assert_ge "$(jget "$out" "ids.$name" 0)" 1 "$name served on $port"
	done
}

# 1. an unregistered member first, then two registered ones
plain_server u1 9101
shim_server a1 9101
shim_server a2 9101
wait_listeners tcp 9101 3 127.0.0.1 15 || fail "3 listeners expected"
# (logged once, by whichever of a1 and a2 registered first)
wait_for 10 grep -q "event=unregistered group=tcp4_127-0-0-1_9101 listeners=1" "$(rp_logfile a1)" "$(rp_logfile a2)" ||
	fail "the unregistered member was not named: $(cat "$(rp_logfile a1)" "$(rp_logfile a2)")"
assert_eq "$(status_unreg tcp4_127-0-0-1_9101)" 1 "status: unregistered listeners"
every_member_served 9101 60 u1 a1 a2
# it leaves; the next join sees every listener registered: round robin again
rp_stop u1
shim_server a3 9101
wait_log a3 "event=steered group=tcp4_127-0-0-1_9101" || fail "steering did not come back"
out=$(rpclient http --port 9101 -n 60)
for n in a1 a2 a3; do assert_eq "$(jget "$out" "ids.$n" 0)" 20 "$n after the unregistered member left"; done

# 2. pins removed while two run, then a third starts: nobody starves
shim_server b1 9102
shim_server b2 9102
wait_listeners tcp 9102 2 127.0.0.1 15 || fail "b1 b2"
rm -rf "$(rp_ns_dir)/tcp4_127-0-0-1_9102"
shim_server b3 9102
wait_listeners tcp 9102 3 127.0.0.1 15 || fail "b3"
wait_log b3 "event=unregistered group=tcp4_127-0-0-1_9102 listeners=2" || fail "b3 did not see b1 b2 unregistered"
every_member_served 9102 60 b1 b2 b3

# 3. a member with REUSEPORT_DISABLE=1 and one with another pin dir join later
shim_server c1 9103
shim_server c2 9103
wait_listeners tcp 9103 2 127.0.0.1 15 || fail "c1 c2"
# (a server that sets SO_REUSEPORT itself, as nginx's "reuseport" does)
REUSEPORT_DISABLE=1 rp_spawn c3 "$PY" "$plain" 9103 c3
wait_log c3 ready || fail "c3 did not start"
mkdir -p "$RP_TMP/bpffs2" && mount -t bpf none "$RP_TMP/bpffs2"
shim_server c4 9103 REUSEPORT_PIN_DIR="$RP_TMP/bpffs2/rp"
wait_listeners tcp 9103 4 127.0.0.1 15 || fail "c4"
wait_log c4 "event=unregistered group=tcp4_127-0-0-1_9103 listeners=3" || fail "c4 did not see the others"
every_member_served 9103 80 c1 c2 c3 c4

# 4. under the supervisor, an unregistered member that starts LAST is
# noticed within a second or two, and steering returns when it leaves
"$RP_CLI" run -n 2 --lib "$RP_LIB" -- "$PY" -m http.server --bind 127.0.0.1 \
	--directory "$(mk_www sup sup)" 9104 >"$RP_TMP/sup.log" 2>&1 &
sup=$!
rp_on_exit "kill $sup 2>/dev/null"
wait_listeners tcp 9104 2 127.0.0.1 15 || fail "supervised instances"
plain_server u4 9104
wait_for 10 grep -q "event=unregistered group=tcp4_127-0-0-1_9104 listeners=1" "$RP_TMP/sup.log" ||
	fail "the supervisor did not notice: $(cat "$RP_TMP/sup.log")"
every_member_served 9104 60 u4 sup
rp_stop u4
wait_for 10 grep -q "event=steered group=tcp4_127-0-0-1_9104" "$RP_TMP/sup.log" ||
	fail "steering did not come back under the supervisor"
pass_msg "the supervisor restored steering after the unregistered member left"

# 5. a member whose preparation fails (out of fds: EMFILE, not EPROTO) and
# a statically linked server (LD_PRELOAD never applies): nobody starves
srv=$RP_BUILD/helpers/acceptsrv
[[ -x $srv ]] || fail "helper not built: $srv"
rp_spawn e1 "$srv" 9105 1000
wait_log e1 ready || fail "e1"
rp_spawn e2 bash -c "ulimit -n 5; exec '$srv' 9105 1000"
wait_log e2 ready || fail "e2"
grep -q "event=fallback group=tcp4_127-0-0-1_9105 errno=EMFILE" "$(rp_logfile e2)" ||
	fail "the preparation failure is not named EMFILE: $(cat "$(rp_logfile e2)")"
pass_msg "preparation failure reported as EMFILE"
static=$RP_TMP/acceptsrv-static
if cc -static -O2 -o "$static" "$RP_ROOT/tests/lib/acceptsrv.c" 2>"$RP_TMP/cc.err"; then
	ACCEPTSRV_REUSEPORT=1 spawn_plain e3 "$static" 9105 1000
	wait_log e3 ready || fail "e3"
	n=3
else
	info "no static libc to link with ($(head -c 200 "$RP_TMP/cc.err")): static row left out"
	n=2
fi
declare -A got=()
for _ in $(seq 60); do
	exec {c}<>/dev/tcp/127.0.0.1/9105 && echo hi >&"$c" && read -r line <&"$c" && exec {c}>&-
	got[${line#ok }]=$((${got[${line#ok }]:-0} + 1))
done
info "answers by pid: $(for p in "${!got[@]}"; do printf '%s=%s ' "$p" "${got[$p]}"; done)"
assert_eq "${#got[@]}" "$n" "members that answered on 9105"

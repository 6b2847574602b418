#!/bin/bash
# A process that cannot create a group never creates pin directories. On a
# fresh bpffs (mode 1777) the first server under the shim is memcached -u
# nobody: it drops to nobody before it binds, so it cannot load the
# steering program; it falls back to plain SO_REUSEPORT (one line saying
# why) and leaves nothing in the bpffs, in particular no directory owned by
# nobody that root's servers would then refuse ("owned by uid 65534"), which
# used to deny steering to everyone. Root servers started afterwards create
# the tree root-owned and are steered; a second memcached -u nobody, with
# the tree in place, still falls back and adds nothing of its own.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim
need_cli
need_cmd memcached

bpffs=$(dirname "$REUSEPORT_PIN_DIR")
ns_dir=$(rp_ns_dir)

# owned_by_nobody: whatever in the bpffs belongs to uid 65534
# created: entries of the bpffs, except those the kernel makes (*.debug)
created() { find "$bpffs" -mindepth 1 ! -name '*.debug' -printf '%P ' 2>/dev/null; }
owned_by_nobody() { find "$bpffs" -uid 65534 -printf '%P ' 2>/dev/null; }

# mc NAME PORT: memcached dropping to nobody, TCP only, under the shim
mc() {
	rp_spawn "$1" memcached -u nobody -l 127.0.0.1 -p "$2" -U 0 -t 1
	wait_listeners tcp "$2" 1 127.0.0.1 15 || fail "$1 did not start: $(cat "$(rp_logfile "$1")")"
	assert_eq "$(awk '/^Uid:/ { print $3 }' "/proc/$(rp_pid "$1")/status")" 65534 "$1: effective uid"
	wait_log "$1" 'event=fallback .*errno=EPERM .*needs CAP_BPF' ||
		fail "$1: no fallback line saying why: $(cat "$(rp_logfile "$1")")"
	grep -q "prepare the group as root: reuseport setup --user 65534 tcp:127\.0\.0\.1:$2\"" "$(rp_logfile "$1")" ||
		fail "$1: the advice does not name the setup command of its group: $(cat "$(rp_logfile "$1")")"
	assert_eq "$(shim_lines "$1")" 1 "$1: shim log lines"
	assert_eq "$(owned_by_nobody)" "" "entries of the bpffs owned by nobody after $1"
}

# 1. fresh bpffs, unprivileged first: fallback, nothing created
assert_eq "$(created)" "" "bpffs before (fresh)"
mc mc1 11396
assert_eq "$(created)" "" "bpffs after memcached -u nobody (nothing created)"

# 2. root servers then create a root-owned tree and are steered
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin rp_spawn "r$i" "$PY" -m http.server \
		--bind 127.0.0.1 --directory "$(mk_www "r$i" "r$i")" 8396
done
wait_live_slots tcp4_127-0-0-1_8396 2 15 || fail "root servers not registered: $(cat "$RP_TMP"/r?.log)"
for i in 1 2; do
	assert_eq "$(shim_lines "r$i")" 0 "r$i: shim warnings (none: registered)"
done
for d in "$REUSEPORT_PIN_DIR" "$REUSEPORT_PIN_DIR/v$RP_LAYOUT" "$ns_dir"; do
	assert_eq "$(stat -c '%u %a' "$d")" "0 755" "owner and mode of ${d#"$bpffs"/}"
done
status=$(status_json)
assert_eq "$(jeval "$status" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')" \
	"$(printf '%s\n' "$(rp_pid r1)" "$(rp_pid r2)" | sort | tr '\n' ' ' | sed 's/ $//')" "pids of the live slots"
out=$(rpclient http --port 8396 -n 40)
info "client: $out"
assert_eq "$(jget "$out" ok)" 40 "answered requests"
assert_eq "$(jget "$out" ids.r1 0)" 20 "requests served by r1 (roundrobin)"
assert_eq "$(jget "$out" ids.r2 0)" 20 "requests served by r2 (roundrobin)"

# 3. the tree exists now: another memcached -u nobody still falls back
# without leaving a directory (not even a temporary one) of its own
mc mc2 11397
assert_eq "$(pinned_entries)" "tcp4_127-0-0-1_8396 " "groups in the namespace dir"
for port in 11396 11397; do
	v=$(env -u LD_PRELOAD "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"version\r\n")
print(s.recv(100).decode().split()[0])' "$port")
	assert_eq "$v" VERSION "memcached on $port answers (fallback serves)"
done

#!/bin/bash
# A seccomp profile (as a container runtime sets) that makes bpf(2) fail
# with EPERM or ENOSYS: the server falls back, and its one fallback line
# says the errno its reason names, never another (it used to say
# errno=EACCES beside "Operation not permitted" and errno=EPROTO beside
# "Function not implemented"). Both when it would create the group (first
# on the port) and when it would join a group a server without the filter
# created. With the capabilities bpf() needs (root here), EPERM is the
# filter's and the reason says so (podman's default profile), not "needs
# CAP_BPF". tests/lib/deny_bpf.c installs the filter and execs the server.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim
need_cli
deny=$RP_BUILD/helpers/deny_bpf
[[ -x $deny ]] || skip "no $deny (make all)"
"$deny" ENOSYS "$PY" -c 'import ctypes, os, sys
sys.exit(0 if ctypes.CDLL(None, use_errno=True).syscall(321 if os.uname().machine == "x86_64" else 280, 0, 0, 0) == -1 and ctypes.get_errno() == 38 else 1)' ||
	skip "the seccomp filter does not take here"

# one_line NAME: it wrote its fallback line, and no other shim line
one_line() {
	wait_log "$1" 'event=fallback ' || fail "$1: no fallback line"
	assert_eq "$(shim_lines "$1")" 1 "$1: shim log lines"
}
line_of() { grep 'event=fallback ' "$(rp_logfile "$1")"; }

# 1. first on the port: creating the group's maps fails
port=8470
for e in EPERM ENOSYS; do
	port=$((port + 1))
	rp_spawn "first$e" "$deny" $e "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "first$e" "first$e")" $port
	wait_tcp_port $port 127.0.0.1 15 || fail "first$e did not start: $(cat "$(rp_logfile "first$e")")"
	assert_eq "$(jget "$(rpclient http --port $port -n 3)" ok)" 3 "first$e: requests served (plain SO_REUSEPORT)"
	one_line "first$e"
	line=$(line_of "first$e")
	info "first, bpf() $e: $line"
	case $e in
	# root has the capabilities: the reason names the filter, not them
	EPERM) assert_match "$line" 'errno=EPERM reason="bpf\(\) is refused although this process has CAP_BPF and CAP_PERFMON: a seccomp filter' "first$e: errno and reason" ;;
	ENOSYS) assert_match "$line" 'errno=ENOSYS reason="cannot create the group.s BPF maps: Function not implemented"' "first$e: errno and reason" ;;
	esac
done
assert_eq "$(pinned_entries)" "" "pins and directories left in the pin dir"
pass_msg "first on the port: errno= is the reason's"

# 2. a group exists (a server without the filter made it): opening its pins fails
port=$((port + 1))
rp_spawn creator "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www creator creator)" $port
wait_live_slots "tcp4_127-0-0-1_$port" 1 15 || fail "the creator did not register: $(cat "$(rp_logfile creator)")"
for e in EPERM:'Operation not permitted' ENOSYS:'Function not implemented'; do
	name=join${e%%:*}
	rp_spawn "$name" "$deny" "${e%%:*}" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "$name" "$name")" $port
	one_line "$name"
	line=$(line_of "$name")
	info "joining, bpf() ${e%%:*}: $line"
	assert_match "$line" "errno=${e%%:*} .*reason=\"cannot open pin: ${e#*:}\"" "$name: errno and reason"
	rp_stop "$name"
done
assert_eq "$(jeval "$(status_json)" "[len(g['slots']) for g in d['groups']]")" "[1]" "slots of the group (the creator's only)"
pass_msg "joining: errno= is the reason's"

#!/bin/bash
# Without CAP_BPF/CAP_SYS_ADMIN a server cannot create a group: it starts
# and serves with plain SO_REUSEPORT, one warning line (EPERM). Once a
# privileged instance created the group, an unprivileged one joins it and
# is steered: opening pins, updating the sockarray and attaching need no
# capability on this kernel. Checked from the kernel: the unprivileged
# processes really lack CAP_BPF and CAP_SYS_ADMIN; without a privileged
# creator nothing is pinned and no program is attached to the port's
# socket group; with one, the unprivileged sockets are live slots of its
# group, round robin is exact, and the program is attached.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim
need_cli
need_cmd capsh

# shellcheck disable=SC2054 # capsh's list is comma separated
nocap=(capsh --drop=cap_bpf,cap_sys_admin,cap_perfmon --)
capsh --drop=cap_bpf,cap_sys_admin -- -c 'grep -q "^CapEff:.*" /proc/self/status' || skip "capsh cannot drop capabilities here"

# 1. nobody privileged: fallback
# no_caps NAME: CAP_BPF (39) and CAP_SYS_ADMIN (21) are not effective
no_caps() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$(rp_pid "$1")/status")
	assert_eq "$(((16#$eff >> 39 & 1) + (16#$eff >> 21 & 1)))" 0 "$1: CAP_BPF/CAP_SYS_ADMIN effective (CapEff $eff)"
}
for i in 1 2; do
	rp_spawn "s$i" "${nocap[@]}" -c "exec $PY -m http.server --bind 127.0.0.1 --directory $(mk_www "s$i" "s$i") 8092"
done
wait_listeners tcp 8092 2 127.0.0.1 15 || fail "servers without CAP_BPF did not start: $(cat "$RP_TMP"/s*.log)"
all_serve 8092 2 100
no_caps s1
no_caps s2
assert_eq "$(kernel_prog tcp 8092)" none "reuseport program attached to the kernel socket group of 8092"
for i in 1 2; do
	assert_eq "$(shim_lines "s$i")" 1 "shim log lines of instance $i"
	grep -q 'event=fallback .*errno=EPERM .*needs CAP_BPF' "$(rp_logfile "s$i")" ||
		fail "instance $i: no EPERM fallback line: $(cat "$(rp_logfile "s$i")")"
	# root without the capability: the group's own spec, no --user
	grep -q 'prepare the group as root: reuseport setup tcp:127\.0\.0\.1:8092"' "$(rp_logfile "s$i")" ||
		fail "instance $i: the advice does not name the group's setup command: $(cat "$(rp_logfile "s$i")")"
done
assert_eq "$(pinned_entries)" "" "pins and directories left in the pin dir"
assert_eq "$(jeval "$(status_json)" 'len(d["groups"])')" 0 "groups in reuseport status"
pass_msg "without CAP_BPF: plain SO_REUSEPORT, fallback explained"

# 2. privileged first instance creates the group, unprivileged ones join
REUSEPORT_POLICY=roundrobin rp_spawn p1 "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www p1 p1)" 8093
wait_listeners tcp 8093 1 127.0.0.1 15 || fail "privileged server did not start"
for i in 2 3; do
	rp_spawn "p$i" "${nocap[@]}" -c "exec $PY -m http.server --bind 127.0.0.1 --directory $(mk_www "p$i" "p$i") 8093"
done
wait_listeners tcp 8093 3 127.0.0.1 15 || fail "unprivileged servers did not start"
wait_live_slots tcp4_127-0-0-1_8093 3 || fail "3 live slots expected"
no_caps p2
no_caps p3
assert_eq "$(jeval "$(status_json)" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')" \
	"$(for i in 1 2 3; do rp_pid "p$i"; done | sort | tr '\n' ' ' | sed 's/ $//')" "pids of the live slots (the unprivileged ones joined)"
out=$(rpclient http --port 8093 -n 90)
info "client: $out"
for i in 1 2 3; do
	assert_eq "$(jget "$out" "ids.p$i" 0)" 30 "requests served by instance $i (roundrobin)"
	assert_eq "$(shim_lines "p$i")" 0 "shim log lines of instance $i"
done
assert_eq "$(kernel_prog tcp 8093)" attached "reuseport program attached to the kernel socket group of 8093"

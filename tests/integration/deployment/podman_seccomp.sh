#!/bin/bash
# podman (Debian 12's 4.3) with its default seccomp profile
# (/usr/share/containers/seccomp.json, which CRI-O shares: bpf() only with
# CAP_SYS_ADMIN), reuseport run -n 2 inside, the host's root as the
# container's (--rootfs /:O: the build and python3 as they are here), the
# test's network namespace and bpffs bound in:
# - --cap-add BPF --cap-add PERFMON (enough under docker's profile): bpf()
#   is refused by the filter; the port is served unsteered, and that is
#   visible: run's event=unsteered line, status's UNSTEERED line, the shim's
#   fallback line naming the seccomp filter;
# - --cap-add SYS_ADMIN: steered (2 live slots), both instances answer;
# - --cap-add BPF --cap-add PERFMON with the default profile changed only to
#   allow bpf() and perf_event_open() with CAP_BPF and CAP_PERFMON (what
#   docker's profile does): steered.
# runc, not crun: crun refuses this VM's hybrid cgroup layout; podman's
# default rlimits are lowered to what this root may set.
# slow: three containers
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd podman runc
profile=/usr/share/containers/seccomp.json
[[ -r $profile ]] || skip "no $profile (golang-github-containers-common)"

conf=$RP_TMP/containers.conf
# podman's defaults are above what this root may set (no CAP_SYS_RESOURCE)
printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' >"$conf"
pin=$(dirname "$REUSEPORT_PIN_DIR")
# inside NAME PORT PODMAN-OPTIONS...: run -n 2 for 4 s in a container; its
# output in $RP_TMP/NAME.out, status (text and JSON) taken inside after 2.5 s
inside() {
	local name=$1 port=$2
	shift 2
	CONTAINERS_CONF=$conf timeout 60 podman run --runtime runc --rm --network host \
		--mount "type=bind,source=$pin,destination=$pin" \
		--mount "type=bind,source=$RP_ROOT,destination=$RP_ROOT" \
		--mount "type=bind,source=$RP_TMP,destination=$RP_TMP" \
		-e "REUSEPORT_PIN_DIR=$REUSEPORT_PIN_DIR" "$@" --rootfs /:O /bin/sh -c "
		grep '^Seccomp:' /proc/self/status
		timeout 4 '$RP_CLI' run -n 2 --grace 1 -- '$PY' '$RP_TEST_LIB/plain_server.py' $port {i} &
		sleep 2.5
		'$RP_CLI' status > '$RP_TMP/$name.status' 2>&1
		'$RP_CLI' status --json --group $port > '$RP_TMP/$name.json' 2>/dev/null
		'$PY' '$RP_TEST_LIB/rpclient.py' http --port $port -n 20 > '$RP_TMP/$name.load'
		wait" >"$RP_TMP/$name.out" 2>&1 || fail "$name: podman run failed: $(tail -5 "$RP_TMP/$name.out")"
	info "$name: $(grep -c . "$RP_TMP/$name.out") lines of output"
	grep -q '^Seccomp:[[:space:]]*2' "$RP_TMP/$name.out" || fail "$name: no seccomp filter in the container"
	assert_eq "$(jget "$(cat "$RP_TMP/$name.load")" ok)" 20 "$name: requests answered"
}

# 1. the capabilities docker's profile needs: refused here, and said
inside caps 8621 --cap-add BPF --cap-add PERFMON
grep -q 'event=fallback .*errno=EPERM reason="bpf() is refused although this process has CAP_BPF and CAP_PERFMON: a seccomp filter' \
	"$RP_TMP/caps.out" || fail "the fallback line does not name the filter: $(grep event=fallback "$RP_TMP/caps.out")"
grep -q 'level=warn event=unsteered ports="tcp 127.0.0.1:8621 (2 listeners)"' "$RP_TMP/caps.out" ||
	fail "run does not say the port is unsteered: $(cat "$RP_TMP/caps.out")"
grep -q 'UNSTEERED: tcp 127.0.0.1:8621 is shared by 2 listeners' "$RP_TMP/caps.status" ||
	fail "status does not show the unsteered port: $(cat "$RP_TMP/caps.status")"
pass_msg "BPF+PERFMON under podman's profile: unsteered, and visible"

# 2. CAP_SYS_ADMIN: the profile lets bpf() through
inside sysadmin 8622 --cap-add SYS_ADMIN
assert_eq "$(jeval "$(cat "$RP_TMP/sysadmin.json")" "[g['live'] for g in d['groups']]")" "[2]" "SYS_ADMIN: live slots"
assert_eq "$(jeval "$(cat "$RP_TMP/sysadmin.load")" "sorted(d['ids'])")" '["1", "2"]' "SYS_ADMIN: both instances answered"

# 3. the default profile, bpf() and perf_event_open() allowed with CAP_BPF/CAP_PERFMON
"$PY" - "$profile" "$RP_TMP/bpf-profile.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"].insert(0, {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF"]}})
p["syscalls"].insert(0, {"names": ["perf_event_open"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_PERFMON"]}})
json.dump(p, open(sys.argv[2], "w"))
PY
inside profile 8623 --cap-add BPF --cap-add PERFMON --security-opt "seccomp=$RP_TMP/bpf-profile.json"
assert_eq "$(jeval "$(cat "$RP_TMP/profile.json")" "[g['live'] for g in d['groups']]")" "[2]" "BPF+PERFMON with bpf() allowed: live slots"

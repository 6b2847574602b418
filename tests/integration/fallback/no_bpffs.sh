#!/bin/bash
# No bpf filesystem at the pin dir (the default /sys/fs/bpf unmounted, or a
# REUSEPORT_PIN_DIR on an ordinary filesystem): servers start, share the
# port with plain SO_REUSEPORT, all serve, and each says so in one line.
# The kernel confirms it: no reuseport program is attached to the port's
# socket group (SO_DETACH_REUSEPORT_BPF from a probe socket: ENOENT), so
# the kernel's hash picks the socket.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/fallback_lib.sh"
need_shim

# 1. default pin dir, /sys/fs/bpf not a bpffs in this mount namespace
while [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; do
	umount /sys/fs/bpf || fail "cannot unmount /sys/fs/bpf in the test's mount namespace"
done
unset REUSEPORT_PIN_DIR
start_servers 8090 2
all_serve 8090 2 100
for i in 1 2; do
	assert_eq "$(shim_lines "s$i")" 1 "shim log lines of instance $i"
	grep -q 'event=fallback .*errno=ENOMEDIUM .*not on a bpf filesystem' "$(rp_logfile "s$i")" ||
		fail "instance $i: no ENOMEDIUM fallback line: $(cat "$(rp_logfile "s$i")")"
done
assert_eq "$(kernel_prog tcp 8090)" none "reuseport program attached to the kernel socket group of 8090"
pass_msg "default pin dir without bpffs: fallback explained"
[ ! -e /sys/fs/bpf/reuseport ] || fail "the shim created /sys/fs/bpf/reuseport on a non-bpf filesystem"

# 2. a pin dir on an ordinary filesystem
mkdir -p "$RP_TMP/plain"
export REUSEPORT_PIN_DIR=$RP_TMP/plain/reuseport
rp_stop s1; rp_stop s2
start_servers 8091 2
all_serve 8091 2 100
grep -q "errno=ENOMEDIUM .*REUSEPORT_PIN_DIR $RP_TMP/plain/reuseport is not on a bpf filesystem" "$(rp_logfile s1)" ||
	fail "no ENOMEDIUM line naming the pin dir: $(cat "$(rp_logfile s1)")"
[ ! -e "$RP_TMP/plain/reuseport" ] || fail "the shim created directories on a non-bpf filesystem"
assert_eq "$(kernel_prog tcp 8091)" none "reuseport program attached to the kernel socket group of 8091"
pass_msg "pin dir on a plain filesystem: fallback explained, nothing created"

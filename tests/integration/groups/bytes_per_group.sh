#!/bin/bash
# A group's memory is sized by its slots, and is what docs/DESIGN.md says:
# the kernel's bytes_memlock (bpftool) of its sockarray and state map, for
# groups of 16 and 256 slots, TCP and UDP (no flow table), against the
# line "bytes per group (...): 16 slots N, 256 slots M" of DESIGN.md
# (measured on 2 CPUs; each other CPU adds one 128-byte element to the
# state map, rounded to pages). A group with the UDP flow table adds its
# flows map only. The goal: a 256-slot group (the default) at most 128 KiB.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli
need_cmd bpftool

line=$(grep -oE 'bytes per group [^:]*: 16 slots [0-9]+, 256 slots [0-9]+' "$RP_ROOT/docs/DESIGN.md") ||
	fail "docs/DESIGN.md has no 'bytes per group ...: 16 slots N, 256 slots M' line"
declare -A doc
read -r 'doc[16]' 'doc[256]' < <(sed -E 's/.*16 slots ([0-9]+), 256 slots ([0-9]+)/\1 \2/' <<<"$line")
ncpu=$(nproc)
page=$(getconf PAGESIZE)
# extra bytes the documented figure may grow by on this machine's CPUs
extra=$(((ncpu > 2 ? (ncpu - 2) * 128 + page - 1 : 0) / page * page))

memlock() { bpftool -j map show pinned "$1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["bytes_memlock"])'; }
group_bytes() { # DIR: socks + state (+ flows)
	local t=0 m
	for m in socks state flows; do
		[[ -e $1/$m ]] && t=$((t + $(memlock "$1/$m")))
	done
	printf '%s\n' "$t"
}

NS=$(rp_ns_dir)
for slots in 16 256; do
	out=$("$RP_CLI" setup --slots $slots "tcp:127.0.0.1:9$slots" "udp:127.0.0.1:9$slots" 2>&1) ||
		fail "reuseport setup --slots $slots: $out"
	for p in tcp udp; do
		b=$(group_bytes "$NS/${p}4_127-0-0-1_9$slots")
		info "$p group of $slots slots: $b bytes (docs: ${doc[$slots]}, $ncpu CPUs)"
		assert_ge "$b" "${doc[$slots]}" "bytes of a $slots-slot $p group"
		assert_le "$b" $((${doc[$slots]} + extra)) "bytes of a $slots-slot $p group"
	done
done
assert_le "$(group_bytes "$NS/tcp4_127-0-0-1_9256")" $((128 * 1024 + extra)) "bytes of a 256-slot group (goal: 128 KiB)"

# the flow table is the UDP group's own map, sized by REUSEPORT_UDP_FLOWS
out=$(REUSEPORT_UDP_FLOWS=1024 "$RP_CLI" setup --slots 16 udp:127.0.0.1:9017 2>&1) || fail "setup with flows: $out"
G=$NS/udp4_127-0-0-1_9017
[[ -e $G/flows ]] || fail "no flows map in a group with the flow table: $(ls "$G")"
assert_eq "$(($(group_bytes "$G") - $(memlock "$G/flows")))" "$(group_bytes "$NS/udp4_127-0-0-1_916")" "bytes of a 16-slot UDP group but its flow table"
pass_msg "bytes per group as documented"

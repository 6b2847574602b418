#!/bin/bash
# steer_ab.sh [-n MEMBERS] [-r ROUNDS] [-c COPIES] VARIANT...
# Builds of the steering program side by side (scripts/bench.d/steer_ab.c),
# each loaded COPIES times (other memory, another port) so that placement
# effects average out; ratios of the mean ns a run to the first variant.
# VARIANT as steer_ab takes it; "bare" and "bare-hash" name the baseline
# built here for MEMBERS, e.g. (as root; a private network namespace):
#   scripts/bench.d/steer_ab.sh -n 4 bare 1:build/steer.bpf.o 3:build/steer.bpf.o
#   scripts/bench.d/steer_ab.sh -n 2 ubare-hash u2:build/steer.bpf.o u2+flows:build/steer.bpf.o
# Environment: CHUNK (connections or datagrams a round, default 100),
# STALL, FLOWS (see steer_ab.c). Not part of make bench: for work on the
# program's cost.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=4 rounds=60 copies=3
while getopts n:r:c: o; do
	case $o in
	n) n=$OPTARG ;;
	r) rounds=$OPTARG ;;
	c) copies=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=-I/usr/include/$(cc -dumpmachine)
clang -O2 -g -target bpf -mcpu=v3 "$inc" -DMEMBERS="$n" -c "$root/scripts/bench.d/bare.bpf.c" -o "$tmp/bare.o"
clang -O2 -g -target bpf -mcpu=v3 "$inc" -DMEMBERS="$n" -DBY_HASH -c "$root/scripts/bench.d/bare.bpf.c" -o "$tmp/bare-hash.o"
cc -D_GNU_SOURCE -O2 -I"$root/bpf" -I"$root/group" -o "$tmp/steer_ab" "$root/scripts/bench.d/steer_ab.c" \
	"$root/group/schedule.c" "$root/group/maglev.c" -lbpf
args=()
for v in "$@"; do
	case $v in
	bare | bare-hash) v="bare:$tmp/$v.o" ;;
	ubare | ubare-hash) v="ubare:$tmp/${v#u}.o" ;;
	esac
	for _ in $(seq "$copies"); do args+=("$v"); done
done
unshare --net sh -c 'ip link set lo up; sysctl -qw kernel.bpf_stats_enabled=1; exec "$@"' sh \
	"$tmp/steer_ab" "$n" "${CHUNK:-100}" "$rounds" 17000 "${args[@]}" |
	awk -v c="$copies" -v n="$n" '
	{ ns[NR] = $3; spec[NR] = $2 }
	END {
		for (i = 1; i <= NR; i += c) {
			s = 0
			for (k = 0; k < c; k++) s += ns[i + k]
			if (i == 1) base = s / c
			printf "%3d %-40s %7.1f ns a run  ratio %.3f\n", n, spec[i], s / c, base ? s / c / base : 0
		}
	}'

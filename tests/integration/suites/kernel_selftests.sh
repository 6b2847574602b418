#!/bin/bash
# The kernel's own SO_REUSEPORT selftests (tools/testing/selftests/net/
# reuseport_bpf, reuseport_bpf_cpu, reuseport_dualstack, reuseport_addr_any,
# from Debian's linux-source-6.1) behave the same with the shim as without:
# same exit status and the same output, line for line. reuseport_bpf stops
# at its first failure: when it differs, reuseport_bpf.each (the same source,
# each subtest in a child process, one "subtest NN NAME: ok|FAIL" line each)
# is compared too, to tell every subtest that differs.
#
# Every run gets a fresh network namespace (lo up) of its own: the selftests
# use fixed ports and set net.ipv4.tcp_fastopen there. The shim runs use
# LD_PRELOAD=$RP_LIB and the runner's REUSEPORT_PIN_DIR; the shim's own log
# lines go to REUSEPORT_LOG_FILE (shown, not compared): what is compared is
# what the selftest itself prints.
#
# Built by tests/kselftests/build.sh into build/kselftests/ (cached).
# SKIP when linux-source-6.1 is not installed, or when a selftest fails
# without the shim (the kernel or the machine cannot run it: not the shim's
# doing). FAIL when anything differs under the shim.
# slow: the kernel's reuseport selftests with and without the shim (built first if missing)
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd unshare ip gcc xz timeout

KS=$RP_BUILD/kselftests
selftests=(reuseport_bpf reuseport_bpf_cpu reuseport_dualstack reuseport_addr_any)
RUN_TIMEOUT=120 # one run of one selftest

st=0
"$RP_ROOT/tests/kselftests/build.sh" "$KS" >"$RP_TMP/build.log" 2>&1 || st=$?
if ((st == 3)); then
	skip "$(sed -n 's/^kselftests: error: //p' "$RP_TMP/build.log" | tail -n1)"
elif ((st != 0)); then
	sed 's/^/  | /' "$RP_TMP/build.log"
	fail "tests/kselftests/build.sh failed (exit $st)"
fi
info "$(tail -n1 "$RP_TMP/build.log")"
info "CPUs online: $(nproc); IPv6 on lo: $([[ -e /proc/sys/net/ipv6 ]] && echo yes || echo no)"

# run MODE NAME: run one selftest (MODE plain or shim) in a new network
# namespace; output (stdout + stderr) in $RP_TMP/NAME.MODE.out, exit status
# in $RP_TMP/NAME.MODE.rc.
run() {
	local mode=$1 name=$2 pre=() rc=0 t0=$SECONDS
	[[ $mode == shim ]] && pre=(env "LD_PRELOAD=$RP_LIB" "REUSEPORT_LOG_FILE=$RP_TMP/$name.shimlog")
	(cd "$KS" && timeout --kill-after=5 "$RUN_TIMEOUT" unshare --net -- bash -c \
		'ip link set lo up || exit 125; exec "$@"' run "${pre[@]}" "./$name") \
		>"$RP_TMP/$name.$mode.out" 2>&1 </dev/null || rc=$?
	printf '%s\n' "$rc" >"$RP_TMP/$name.$mode.rc"
	info "$name ($mode): exit $rc, $(wc -l <"$RP_TMP/$name.$mode.out") lines, $((SECONDS - t0))s"
	if [[ $mode == shim && -s $RP_TMP/$name.shimlog ]]; then
		info "the shim logged $(wc -l <"$RP_TMP/$name.shimlog") lines (first 3):"
		head -n 3 "$RP_TMP/$name.shimlog" | sed 's/^/  | /'
	fi
}

# first_diff A B: the first line where two outputs differ.
first_diff() {
	awk 'NR == FNR { a[FNR] = $0; na = FNR; next }
		!done && (FNR > na || a[FNR] != $0) {
			printf "  first difference, line %d:\n    without the shim: %s\n    with the shim:    %s\n",
				FNR, (FNR > na ? "(end of output)" : a[FNR]), $0
			done = 1
		}
		END { if (!done && FNR < na)
			printf "  with the shim the output stops after line %d; without: %s\n", FNR, a[FNR + 1] }' "$1" "$2"
}

# compare NAME: run it both ways; status 1 (and what differs) when the exit
# status or the output differ.
compare() {
	local name=$1 p_rc s_rc
	run plain "$name"
	run shim "$name"
	p_rc=$(cat "$RP_TMP/$name.plain.rc") s_rc=$(cat "$RP_TMP/$name.shim.rc")
	((p_rc == 0)) || plain_failed+=("$name (exit $p_rc: $(tail -n1 "$RP_TMP/$name.plain.out"))")
	if [[ $p_rc == "$s_rc" ]] && cmp -s "$RP_TMP/$name.plain.out" "$RP_TMP/$name.shim.out"; then
		pass_msg "$name: same exit status ($p_rc) and same output with the shim"
		return 0
	fi
	printf 'DIFF: %s: exit %s without the shim, %s with it\n' "$name" "$p_rc" "$s_rc"
	if [[ $p_rc == 124 || $s_rc == 124 ]]; then
		info "(exit 124: killed after ${RUN_TIMEOUT}s)"
	fi
	if [[ $name == *.each ]]; then
		# Each subtest whose line differs, with what it printed under the shim.
		awk 'NR == FNR { if (/^subtest /) want[$0] = 1; next }
			{ block = block "  | " $0 "\n" }
			/^subtest / { if (!($0 in want)) printf "%s", block; block = "" }' \
			"$RP_TMP/$name.plain.out" "$RP_TMP/$name.shim.out"
		return 1
	fi
	first_diff "$RP_TMP/$name.plain.out" "$RP_TMP/$name.shim.out"
	info "its last lines with the shim:"
	tail -n 15 "$RP_TMP/$name.shim.out" | sed 's/^/  | /'
	return 1
}

differ=() plain_failed=()
for name in "${selftests[@]}"; do
	compare "$name" || differ+=("$name")
done
if [[ " ${differ[*]} " == *" reuseport_bpf "* ]]; then
	info "reuseport_bpf stops at its first failure; each of its subtests alone:"
	compare reuseport_bpf.each || differ+=(reuseport_bpf.each)
fi

((${#differ[@]} == 0)) || fail "behave differently under the shim: ${differ[*]}"
pass_msg "all ${#selftests[@]} selftests behave the same with and without the shim"
if ((${#plain_failed[@]})); then
	skip "selftests fail without the shim here: ${plain_failed[*]}"
fi

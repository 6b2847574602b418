#!/bin/bash
# The accept path adds zero system calls: an accept loop (accept, read,
# write, close per connection) makes exactly the same syscalls after its
# listener is registered as it does without the shim. Counted with strace.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd strace
srv=$RP_BUILD/helpers/acceptsrv
[ -x "$srv" ] || skip "helper not built: $srv"
conns=25

# run_traced OUT [LD_PRELOAD value]: trace acceptsrv serving $conns connections
run_traced() {
	local out=$1 port=$2 pre=${3:-}
	env ${pre:+LD_PRELOAD=$pre} strace -f -qq -o "$out" "$srv" "$port" $conns > "$out.stdout" &
	local pid=$!
	wait_for 10 grep -q ready "$out.stdout" || fail "acceptsrv did not start"
	if [ -n "$pre" ]; then
		"$RP_CLI" status | grep -q ' live ' || fail "acceptsrv not registered under the shim"
	fi
	for _ in $(seq $conns); do
		exec 3<>"/dev/tcp/127.0.0.1/$port" && echo hi >&3 && read -r line <&3 && exec 3>&-
		[[ $line == ok* ]] || fail "bad answer: $line"
	done
	wait $pid || fail "acceptsrv failed"
}
# after_ready TRACE: syscall names of the accept loop (from the "ready"
# write to the close of the last connection; what exit does comes after),
# sorted with counts
after_ready() {
	awk '/write\(1, "ready/ {on = 1; next}
		on && !/^[0-9]+ +(\+\+\+|---)/ {sub(/^[0-9]+ +/, ""); sub(/\(.*/, ""); l[++n] = $0; if ($0 == "accept") la = n}
		END {for (i = 1; i <= n; i++) {print l[i]; if (i > la && l[i] == "close") break}}' "$1" |
		sort | uniq -c
}

run_traced "$RP_TMP/plain" 8210
run_traced "$RP_TMP/shim" 8211 "$RP_LIB"
after_ready "$RP_TMP/plain" > "$RP_TMP/plain.counts"
after_ready "$RP_TMP/shim" > "$RP_TMP/shim.counts"
info "syscalls after registration, $conns connections, without / with the shim:"
paste "$RP_TMP/plain.counts" "$RP_TMP/shim.counts"
grep -q "$conns accept" "$RP_TMP/plain.counts" || fail "trace did not capture the accept loop"
diff -u "$RP_TMP/plain.counts" "$RP_TMP/shim.counts" || fail "the shim changes the syscalls of the accept path"
pass_msg "identical syscalls on the accept/close path ($(awk '{s += $1} END {print s}' "$RP_TMP/shim.counts") calls)"
# And the registration did happen inside listen() under the shim:
grep -q 'bpf(BPF_MAP_UPDATE_ELEM' "$RP_TMP/shim" || fail "no sockarray update in the shim trace"
pass_msg "registration happened before the accept loop"

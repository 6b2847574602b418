#!/bin/bash
# A threaded server: 8 threads each open their own listener on one port,
# accept, dup and close concurrently. All 8 register (8 slots, one pid),
# every connection is served, and ThreadSanitizer (shim and server built
# with -fsanitize=thread) finds no data race. Helgrind is not used: it does
# not model C11 atomics, which the lock-free fd table relies on.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
srv=$RP_BUILD/helpers/threadsrv
[ -x "$srv" ] || skip "helper not built: $srv"

client() { # PORT N: N requests, one connection each
	local line
	for _ in $(seq "$2"); do
		exec 3<>"/dev/tcp/127.0.0.1/$1" && echo hi >&3 && read -r line <&3 && exec 3>&-
		[ "$line" = ok ] || fail "bad answer '$line'"
	done
}

# 1. natively
REUSEPORT_LOG=info rp_spawn t "$srv" 8230 8 200
wait_log t '^ready$' 20 || fail "threadsrv did not start: $(cat "$(rp_logfile t)")"
assert_eq "$("$RP_CLI" status --json | "$PY" -c 'import json,sys; g=json.load(sys.stdin)["groups"][0]; print(len(g["slots"]), len(set(s["pid"] for s in g["slots"])))')" "8 1" "slots and pids"
client 8230 200
rp_wait_exit t 20 || fail "threadsrv did not finish"
grep -q '^served 200' "$(rp_logfile t)" || fail "not all served: $(cat "$(rp_logfile t)")"
pass_msg "8 threads, 8 slots, 200 connections served"

# 2. under ThreadSanitizer
tsan_lib=$RP_BUILD/tsan/libreuseport.so tsan_srv=$RP_BUILD/tsan/threadsrv
[ -x "$tsan_srv" ] && [ -f "$tsan_lib" ] || skip "TSan builds missing (make tsan)"
TSAN_OPTIONS="halt_on_error=0 exitcode=66" spawn_plain h env LD_PRELOAD="$tsan_lib" "$tsan_srv" 8231 8 100
wait_log h '^ready$' 60 || fail "threadsrv under TSan did not start: $(cat "$(rp_logfile h)")"
client 8231 100
rp_wait_exit h 60 || fail "threadsrv under TSan did not finish"
cat "$(rp_logfile h)"
grep -q 'WARNING: ThreadSanitizer' "$(rp_logfile h)" && fail "ThreadSanitizer reported a problem"
assert_eq "${RP_STATUS[h]}" 0 "exit status under TSan (66 = reports)"
grep -q '^served 100' "$(rp_logfile h)" || fail "not all served under TSan"

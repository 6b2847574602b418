#!/bin/bash
# run --mode cgroup where taking a copy of an instance's listener is refused
# (pidfd_getfd denied to the supervisor by a seccomp filter, as nspawn's
# does without --system-call-filter=pidfd_getfd): the adoption is tried
# again at every look, but each listener's failure is said once at warn
# (it was said 255 times in 14 s for two instances), and the instances
# serve on the kernel hash.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli
need_cmd busybox
deny=$RP_BUILD/helpers/deny_bpf
[[ -x $deny ]] || skip "no $deny (make all)"
case $(uname -m) in x86_64 | aarch64) nr=438 ;; *) skip "pidfd_getfd's number on $(uname -m)" ;; esac

for i in 1 2; do mkdir -p "$RP_TMP/www$i" && echo "b$i" >"$RP_TMP/www$i/index.html"; done
DENY_SYSCALL=$nr "$deny" EPERM "$RP_CLI" run -n 2 --mode cgroup -- \
	busybox httpd -f -p 127.0.0.1:9471 -h "$RP_TMP/www{i}" >"$RP_TMP/run.log" 2>&1 &
sup=$!
rp_on_exit "kill -KILL $sup 2>/dev/null"
wait_listeners tcp 9471 2 127.0.0.1 10 || fail "busybox did not listen: $(cat "$RP_TMP/run.log")"
wait_for 10 grep -q "event=adopt_failed" "$RP_TMP/run.log" || fail "no adopt_failed line: $(cat "$RP_TMP/run.log")"
sleep 3 # about 10 more looks
assert_eq "$(grep -c 'event=adopt_failed' "$RP_TMP/run.log")" 2 "adopt_failed lines (one per listener)"
grep -q 'event=adopt_failed .*errno=EPERM reason="cannot take a copy of the listener (pidfd_getfd)"' "$RP_TMP/run.log" ||
	fail "the line does not say why: $(grep adopt_failed "$RP_TMP/run.log")"
res=$(rpclient http --port 9471 --path /index.html -n 10)
assert_eq "$(jget "$res" ok)" 10 "requests answered (kernel hash): $res"
kill -TERM "$sup"
wait "$sup" || true

#!/bin/bash
# The hazard of a listener copy (pidfd_getfd) that outlives its owner: an
# instance killed with -9 while another process holds a copy of its
# listener. The socket stays listening, in the kernel's group and in the
# group's sockarray, and gets its share of new connections, which nobody
# accepts. reuseport run --rescue watches the listeners of exited instances
# too: once that queue stood still for S seconds it is migrated to the live
# instances (through a copy from its holder), so every connection is
# answered, late. The supervisor's own copies never outlive the action.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=8431 g=tcp4_127-0-0-1_8431
sup_log() { cat "$(rp_logfile sup)"; }
restarted() { [ "$(grep -c "event=start instance=1 " "$(rp_logfile sup)")" -ge 2 ]; }

spawn_plain sup "$RP_CLI" run -n 2 --rescue 1 --grace 2 --policy roundrobin -- "$PY" "$RP_TEST_LIB/inst_server.py" $port
wait_live_slots "$g" 2 15 || fail "2 live slots expected: $(sup_log)"
p1=$(sed -n 's/.*event=start instance=1 pid=\([0-9]*\).*/\1/p' "$(rp_logfile sup)" | head -n1)
spawn_plain copy "$PY" "$RP_TEST_LIB/hold_copy.py" "$p1" $port
wait_log copy '^holding' 10 || fail "no copy of instance 1's listener"
kill -9 "$p1"
wait_for 5 restarted || fail "instance 1 not restarted: $(sup_log)"
sleep 0.5 # the new instance 1 listens
assert_eq "$(count_listeners tcp $port)" 3 "listeners: 2 instances and the dead one's, held by the copy"
out=$(rpclient http --port $port -n 20 --concurrency 20 --timeout 10)
info "after kill -9 with a copy held: $out"
assert_eq "$(jget "$out" ok)" 20 "connections answered"
assert_eq "$(jget "$out" failed)" 0 "connections unanswered (sent to the dead instance's listener)"
assert_match "$(sup_log)" "level=warn event=rescue instance=1 pid=$(rp_pid copy) queued=[0-9]+ .*held by another process" "run logs the rescue of the held listener"
assert_eq "$(count_listeners tcp $port)" 2 "listeners after the rescue"
out=$(rpclient http --port $port -n 20 --concurrency 20 --timeout 3)
assert_eq "$(jget "$out" ok)" 20 "connections after the rescue, at once"
# the supervisor holds no socket: its copies were closed with the action
assert_eq "$(find "/proc/$(rp_pid sup)/fd" -lname 'socket:*' 2>/dev/null | wc -l)" 0 "sockets the supervisor holds"

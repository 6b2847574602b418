#!/bin/bash
# reuseport run --rescue: an instance frozen (SIGSTOP) with connections in
# its accept queue is found hung by the kernel's queue length, its queue is
# moved to the other instance (shutdown of its listener through a pidfd
# copy) and it is killed and restarted. Every queued request is answered
# while the frozen process never runs again; nothing is reset; run logs
# event=rescue. Then again with another process holding a copy of the
# frozen listener (pidfd_getfd, as a debugger could): killing the instance
# does not close that listener, only the evacuation frees its queue, and
# the listener it leaves behind gets no more connections. Both with the
# shim (--mode preload) and with adopted listeners (--mode cgroup).
# slow: waits out the rescue delay five times, in two modes
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

# a blocking server answering with its instance and pid

# slot_of PID FIELD: FIELD of PID's slot in status --json
slot_of() {
	status_json | "$PY" -c "import json,sys
g=[g for g in json.load(sys.stdin)['groups'] if g['name']=='$g'][0]
print(([s['$2'] for s in g['slots'] if s['pid']==$1] or [0])[0])"
}
sup_log() { cat "$(rp_logfile sup)"; }
started() { grep -c "event=start instance=$1 " "$(rp_logfile sup)"; }
restarted() { [ "$(started 1)" -ge "$1" ]; }

# frozen WHAT N: freeze instance 1 (pid $p), queue 20 requests, all are
# answered once it is rescued; N = how many times instance 1 started then.
frozen() {
	local what=$1 n=$2 tag=${1// /-} p q out
	p=$(sed -n 's/.*event=start instance=1 pid=\([0-9]*\).*/\1/p' "$(rp_logfile sup)" | tail -n1)
	[ -n "$p" ] || fail "$what: no pid for instance 1: $(sup_log)"
	kill -STOP "$p"
	if [ "${what#* }" = copy ]; then
		spawn_plain copy "$PY" "$RP_TEST_LIB/hold_copy.py" "$p" $port
		wait_log copy '^holding' 10 || fail "$what: no copy of the frozen listener"
	fi
	spawn_plain "held-$tag" "$PY" "$RPCLIENT" hold --port $port -n 20 --timeout 20 --go-file "$RP_TMP/go-$tag"
	wait_log "held-$tag" '^held 20$' 10 || fail "$what: could not open 20 connections: $(cat "$(rp_logfile "held-$tag")")"
	q=$(slot_of "$p" queued)
	assert_ge "$q" 5 "$what: connections queued at the frozen instance"
	touch "$RP_TMP/go-$tag"
	rp_wait_exit "held-$tag" 15 || fail "$what: queued requests not answered: $(sup_log)"
	out=$(tail -n1 "$(rp_logfile "held-$tag")")
	info "answers: $out"
	assert_eq "$(jget "$out" ok)" 20 "$what: queued requests answered"
	assert_eq "$(jget "$out" failed)" 0 "$what: requests failed (reset)"
	assert_eq "$(jeval "$out" "sum(v for k, v in d['ids'].items() if k == '1-$p')")" 0 "$what: answers by the frozen process"
	assert_match "$(sup_log)" "level=warn event=rescue instance=1 pid=$p queued=[0-9]+" "$what: run logs the rescue"
	wait_for 5 restarted "$n" || fail "$what: instance 1 not restarted: $(sup_log)"
	pass_msg "$what: instance 1 restarted"
	[ ! -e "/proc/$p" ] || [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$p/stat")" = Z ] ||
		fail "$what: the frozen process still lives"
	wait_live_slots "$g" 2 15 || fail "$what: 2 live slots after the restart: $(sup_log)"
	out=$(rpclient http --port $port -n 20 --timeout 3)
	info "after the rescue: $out"
	assert_eq "$(jget "$out" ok)" 20 "$what: requests after the rescue"
	assert_ge "$(jeval "$out" "sum(v for k, v in d['ids'].items() if k.startswith('1-'))")" 5 "$what: requests to the new instance 1"
}

port=8430
for mode in preload cgroup; do
	if [ "$mode" = cgroup ]; then
		rp_stop sup
		rp_stop copy
		port=8431
	fi
	g=tcp4_127-0-0-1_$port
	spawn_plain sup "$RP_CLI" run -n 2 --mode "$mode" --rescue 2 --grace 2 --policy roundrobin -- "$PY" "$RP_TEST_LIB/inst_server.py" $port
	wait_live_slots "$g" 2 15 || fail "$mode: 2 live slots expected: $(sup_log)"
	out=$(rpclient http --port $port -n 10)
	assert_eq "$(jget "$out" ok)" 10 "$mode: requests before the freeze"
	frozen "$mode plain" 2
	frozen "$mode copy" 3
done

# Every instance frozen: nobody could take a queue, so none is rescued
# (event=rescue_skipped), none is killed, all are served after SIGCONT.
# the newest pid of each instance
pid_of() { sed -n "s/.*event=start instance=$1 pid=\([0-9]*\).*/\1/p" "$(rp_logfile sup)" | tail -n1; }
all=("$(pid_of 1)" "$(pid_of 2)")
[ -n "${all[0]}" ] && [ -n "${all[1]}" ] || fail "all frozen: no pids: $(sup_log)"
kill -STOP "${all[@]}"
spawn_plain held-all "$PY" "$RPCLIENT" hold --port $port -n 20 --timeout 20 --go-file "$RP_TMP/go-all"
wait_log held-all '^held 20$' 10 || fail "all frozen: could not open 20 connections"
wait_log sup 'level=warn event=rescue_skipped instance=[12] ' 10 || fail "all frozen: no event=rescue_skipped"
sleep 2.5 # another rescue period
for p in "${all[@]}"; do
	[ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$p/stat")" = T ] || fail "all frozen: $p was killed"
done
pass_msg "all frozen: no instance killed"
kill -CONT "${all[@]}"
touch "$RP_TMP/go-all"
rp_wait_exit held-all 15 || fail "all frozen: requests not answered after SIGCONT"
out=$(tail -n1 "$(rp_logfile held-all)")
assert_eq "$(jget "$out" ok)" 20 "all frozen: requests answered after SIGCONT"

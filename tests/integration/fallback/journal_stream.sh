#!/bin/bash
# systemd's journal stream: fd 2 is a unix stream socket, which the logger
# otherwise refuses (a daemon's client connection). When JOURNAL_STREAM
# names its device and inode, it is the journal: the supervisor's lines
# (start, ready, stop) and the shim's warnings arrive there, each with its
# syslog priority in front (<6> info, <3> error), as journald reads them.
# With JOURNAL_STREAM unset or naming another inode, nothing is written to
# the socket (the old rule).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

port=9140
for mode in match wrong unset; do
	out=$RP_TMP/journal-$mode.txt
	: >"$out"
	REUSEPORT_POLICY=roundrobin spawn_plain "j-$mode" "$PY" "$RP_TEST_LIB/journal_stream.py" "$out" "$mode" \
		"$RP_CLI" run -n 1 -- env REUSEPORT_STALL=bogus "$PY" -m http.server --bind 127.0.0.1 $port
	wait_log "j-$mode" ready || fail "$mode: the stream did not start"
	wait_listeners tcp $port 1 127.0.0.1 10 || fail "$mode: the instance did not listen"
	if [[ $mode == match ]]; then
		wait_for 10 grep -q "^<6>reuseport run: level=info event=ready_all" "$out" ||
			fail "match: no ready line in the stream: $(cat "$out")"
	else
		sleep 1
	fi
	rp_kill "j-$mode"
	rp_wait_exit "j-$mode" 15 || fail "$mode: did not stop"
	port=$((port + 1))
done
info "match: $(head -c 600 "$RP_TMP/journal-match.txt")"
grep -q "^<6>reuseport run: level=info event=supervise" "$RP_TMP/journal-match.txt" || fail "no supervise line with <6>"
grep -q "^<6>reuseport run: level=info event=stopped" "$RP_TMP/journal-match.txt" || fail "no stopped line"
grep -q "^<3>libreuseport: level=error event=config_invalid" "$RP_TMP/journal-match.txt" ||
	fail "the shim's error is not in the stream with <3>"
pass_msg "JOURNAL_STREAM matching fd 2: the supervisor's and the shim's lines, with priorities"
grep -Ev '^<[0-7]>' "$RP_TMP/journal-match.txt" | grep -q 'level=' && fail "a line without its priority: $(grep -Ev '^<[0-7]>' "$RP_TMP/journal-match.txt")"
pass_msg "every line carries its priority"
for mode in wrong unset; do
	assert_eq "$(grep -c 'level=' "$RP_TMP/journal-$mode.txt")" 0 "lines written to a socket fd 2 with JOURNAL_STREAM $mode"
done

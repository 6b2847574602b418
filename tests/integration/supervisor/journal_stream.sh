#!/bin/bash
# Under systemd, fd 2 of a service is a unix stream socket to the journal
# and JOURNAL_STREAM="DEV:INODE" names it. The logger trusts that socket
# (any other socket on fd 2 may be a daemon's client connection, see
# fallback/log_to_syslog) and starts each line with its syslog priority
# (<3> error, <4> warn, <6> info) for journald. Here the journal is a
# socket pair (tests/lib/journal_stream.py): with JOURNAL_STREAM naming fd 2
# the supervisor's start, ready and stop lines and the shim's error arrive,
# prefixed; without JOURNAL_STREAM or with another inode in it, nothing
# does (the lines go the syslog way, info lines nowhere).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

JS=$RP_TEST_LIB/journal_stream.py

# journal MODE PORT: the supervisor with one http.server instance on PORT,
# fd 2 the stream; ready, then stopped with SIGTERM. Stream in $RP_TMP/MODE.txt.
journal() {
	local mode=$1 port=$2 wrapper sup
	: >"$RP_TMP/$mode.txt"
	spawn_plain "sup-$mode" "$PY" "$JS" "$RP_TMP/$mode.txt" "$mode" \
		"$RP_CLI" run -n 1 --grace 2 -- "$PY" -m http.server "$port" --bind 127.0.0.1
	wrapper=$(rp_pid "sup-$mode")
	wait_tcp_port "$port" 127.0.0.1 15 || fail "$mode: the instance did not listen: $(cat "$RP_TMP/$mode.txt")"
	sup=$(pgrep -P "$wrapper") || fail "$mode: no supervisor under the wrapper"
	if [[ $mode == match ]]; then
		wait_for 10 grep -q 'event=ready_all' "$RP_TMP/$mode.txt" || fail "match: no readiness line"
	else
		sleep 0.5 # as long as the readiness line takes to come with match
	fi
	kill -TERM "$sup"
	rp_wait_exit "sup-$mode" 20 || fail "$mode: the supervisor did not stop"
	info "$mode: the stream:"
	sed 's/^/  | /' "$RP_TMP/$mode.txt"
}

# 1. JOURNAL_STREAM names fd 2: every supervisor line arrives, prefixed <6>
journal match 18601
s=$RP_TMP/match.txt
for ev in supervise start ready_all stop exit; do
	grep -Eq "^<6>reuseport run: level=info event=$ev( |$)" "$s" ||
		fail "no <6> event=$ev line of the supervisor on the journal stream"
done
if grep -v '^<[3467]>' "$s" | grep -q 'reuseport run:'; then
	fail "a supervisor line without its priority: $(grep -v '^<[3467]>' "$s" | grep 'reuseport run:')"
fi
pass_msg "journal stream: the supervisor's lines arrive with their priority"

# 2. no JOURNAL_STREAM, or one naming another socket: fd 2 is a socket that
# may be anyone's connection, nothing of ours is written to it
for mode in none wrong; do
	journal "$mode" 18602
	assert_eq "$(grep -c 'reuseport run:' "$RP_TMP/$mode.txt" || true)" 0 \
		"supervisor lines on a socket fd 2 ($mode)"
done

# 3. a preloaded server: its error line (a bad policy) arrives, prefixed <3>
spawn_plain shim "$PY" "$JS" "$RP_TMP/shim.txt" match env LD_PRELOAD="$RP_LIB" REUSEPORT_POLICY=bogus \
	"$PY" -m http.server 18603 --bind 127.0.0.1
wait_tcp_port 18603 127.0.0.1 || fail "the preloaded server did not listen"
wait_for 5 grep -Eq '^<3>libreuseport: level=error event=config_invalid .*pid=[0-9]+$' "$RP_TMP/shim.txt" ||
	fail "no <3> config_invalid line on the journal stream: $(cat "$RP_TMP/shim.txt")"
pass_msg "journal stream: the shim's error arrives with its priority"
rp_stop shim
spawn_plain shim2 "$PY" "$JS" "$RP_TMP/shim2.txt" wrong env LD_PRELOAD="$RP_LIB" REUSEPORT_POLICY=bogus \
	"$PY" -m http.server 18604 --bind 127.0.0.1
wait_tcp_port 18604 127.0.0.1 || fail "the preloaded server did not listen (wrong inode)"
sleep 0.3
assert_eq "$(grep -c 'libreuseport' "$RP_TMP/shim2.txt" || true)" 0 "shim lines on a socket fd 2 that is not the journal"
rp_stop shim2

#!/bin/bash
# A process names itself (prctl PR_SET_NAME): reuseport run repeats that
# name in its event=adopt and event=background lines escaped, so a name
# with a newline and a terminal escape neither splits the line nor reaches
# the terminal: one line per event, "\x0a" and "\x1b" in place of the
# bytes, no raw control byte anywhere in the supervisor's output. The
# command forks a child that renames itself "ev<LF>il<ESC>[31m" and exits
# 0: with --adopt the supervisor follows the child, without it stops.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli

cat >"$RP_TMP/rename.py" <<'PY'
import ctypes, os, time
r, w = os.pipe()
if os.fork() == 0:
    ctypes.CDLL(None).prctl(15, b"ev\nil\x1b[31m", 0, 0, 0)  # PR_SET_NAME
    os.write(w, b"x")
    time.sleep(120)
    os._exit(0)
os.read(r, 1)  # the child has its name: then go
PY
want='comm="ev\x0ail\x1b[31m"'

# no_raw_control NAME: its output has no control byte but newline and tab
no_raw_control() {
	local bad
	bad=$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$(rp_logfile "$1")" || true)
	assert_eq "$bad" 0 "$1: lines with a raw control byte"
	assert_eq "$(grep -c '^il' "$(rp_logfile "$1")" || true)" 0 "$1: lines split by the name"
}

spawn_plain adopt "$RP_CLI" run -n 1 --adopt -- "$PY" "$RP_TMP/rename.py"
wait_for 10 grep -q 'event=adopt ' "$(rp_logfile adopt)" || fail "no adopt line: $(cat -v "$(rp_logfile adopt)")"
info "adopt: $(grep 'event=adopt ' "$(rp_logfile adopt)")"
assert_eq "$(grep -c 'event=adopt ' "$(rp_logfile adopt)")" 1 "adopt lines"
grep -qF "$want" "$(rp_logfile adopt)" || fail "the adopt line does not show the name escaped: $(cat -v "$(rp_logfile adopt)")"
no_raw_control adopt
kill -TERM "$(rp_pid adopt)"
wait_for 15 grep -q "event=stopped" "$(rp_logfile adopt)" || fail "no stop: $(cat -v "$(rp_logfile adopt)")"
no_raw_control adopt
pass_msg "event=adopt: the child's name escaped, one line"

spawn_plain bg "$RP_CLI" run -n 1 -- "$PY" "$RP_TMP/rename.py"
wait_for 15 grep -q "event=stopped" "$(rp_logfile bg)" || fail "no stop: $(cat -v "$(rp_logfile bg)")"
info "background: $(grep 'event=background ' "$(rp_logfile bg)")"
assert_eq "$(grep -c 'event=background ' "$(rp_logfile bg)")" 1 "background lines"
grep 'event=background ' "$(rp_logfile bg)" | grep -qF "$want" ||
	fail "the background line does not show the name escaped: $(cat -v "$(rp_logfile bg)")"
grep -qF 'left 1 process running (ev\x0ail\x1b[31m, pid' "$(rp_logfile bg)" ||
	fail "the message does not show the name escaped: $(cat -v "$(rp_logfile bg)")"
no_raw_control bg
pass_msg "event=background and its message: the name escaped, one line each"

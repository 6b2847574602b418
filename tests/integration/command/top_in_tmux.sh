#!/bin/bash
# reuseport top in a real terminal (tmux): under load it shows the group,
# every slot with its instance, queue/backlog, conn/s and a bar of its
# share of the new connections; q quits with status 0 and gives the
# terminal back (alternate screen left, echo and canonical mode restored);
# SIGTERM does the same. status --watch is the same view. Not on a
# terminal, top prints successive frames without escape codes. At 80
# columns nothing wraps: the share is a percentage without a bar, and the
# program's state and its migrated and unsteered counts have a line.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd tmux stty

port=8374
for i in 1 2 3; do
	REUSEPORT_INSTANCE=$i rp_spawn "a$i" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "a$i" "a$i")" $port
done
wait_live_slots tcp4_127-0-0-1_$port 3 || fail "3 slots expected"

sock=$RP_TMP/tmux.sock
tm() { tmux -S "$sock" "$@"; }
rp_on_exit 'tmux -S "$RP_TMP/tmux.sock" kill-server 2>/dev/null'
# the pane's shell runs CMD, then reports its status and the terminal modes
run_in_tmux() { # SESSION CMD [COLUMNS]
	local s=$1
	tm new-session -d -s "$s" -x "${3:-150}" -y 30 \
		"$2 ; echo \"exited rc=\$?\"; stty -a | grep -o -- '-\?icanon\|-\?echo ' | tr '\n' ' '; echo; sleep 60"
}
screen() { tm capture-pane -p -t "$1"; }

load() { while [[ ! -e $RP_TMP/stop ]]; do rpclient http --port $port -n 100 -c 3 --fail-on-error > /dev/null || return 1; done; }
load &
loadpid=$!
run_in_tmux top "REUSEPORT_PIN_DIR='$REUSEPORT_PIN_DIR' '$RP_CLI' top -d 0.5"
has_bars() { screen top > "$RP_TMP/screen.txt"; grep -Eq '^  [123] +[0-9]+ +[0-9]+ +0 +live +[0-9]+/5 +[0-9]+ +[0-9.]+ +\[#+ *\] +[0-9.]+%' "$RP_TMP/screen.txt" && [[ $(grep -Ec '\[#+ *\]' "$RP_TMP/screen.txt") == 3 ]]; }
wait_for 15 has_bars || fail "top shows no bar for each of the 3 slots: $(cat "$RP_TMP/screen.txt")"
info "top under load:"
grep -v '^ *$' "$RP_TMP/screen.txt" | sed 's/^/  | /'
grep -q "tcp4_127-0-0-1_$port  tcp 127.0.0.1:$port  roundrobin  live 3" "$RP_TMP/screen.txt" || fail "no group line"
grep -q "q quits" "$RP_TMP/screen.txt" || fail "no key hint"
cp "$RP_TMP/screen.txt" "$RP_TMP/top-capture.txt"
pass_msg "top shows the group, 3 slots with instance, queue/backlog, conn/s and a bar"
# 80 columns: nothing wraps (tmux joins wrapped lines with -J), the
# program's state and counts on a line of their own, the share without a bar
run_in_tmux narrow "REUSEPORT_PIN_DIR='$REUSEPORT_PIN_DIR' '$RP_CLI' top -d 0.5" 80
shows80() { tm capture-pane -p -J -t narrow >"$RP_TMP/screen80.txt"; grep -q "steering: program  migrated [0-9]*  unsteered 0" "$RP_TMP/screen80.txt" && grep -Eq '^  [123] .* +[0-9.]+%$' "$RP_TMP/screen80.txt"; }
wait_for 15 shows80 || fail "top at 80 columns: $(cat "$RP_TMP/screen80.txt")"
grep -v '^ *$' "$RP_TMP/screen80.txt" | sed 's/^/  | /'
assert_le "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$RP_TMP/screen80.txt")" 80 "widest line of top at 80 columns"
tm kill-session -t narrow
tm send-keys -t top q
wait_for 10 bash -c "tmux -S '$sock' capture-pane -p -t top | grep -A1 'exited rc=' | grep -q icanon" || fail "top did not quit on q: $(screen top)"
after=$(screen top)
assert_match "$after" "exited rc=0" "top status after q"
grep -qx 'icanon echo *' <<<"$after" || fail "terminal left in raw mode after q: $after"
[[ $after == *"SHARE OF NEW"* ]] && fail "the alternate screen was not left: $after"
pass_msg "q quits, the terminal is restored"
touch "$RP_TMP/stop"
wait $loadpid || fail "requests failed under load"

# status --watch, stopped by SIGTERM
run_in_tmux watch "REUSEPORT_PIN_DIR='$REUSEPORT_PIN_DIR' '$RP_CLI' status --watch -d 0.3"
wait_for 10 bash -c "tmux -S '$sock' capture-pane -p -t watch | grep -q 'SHARE OF NEW CONNECTIONS'" || fail "status --watch shows no view: $(screen watch)"
shell=$(tm display-message -p -t watch '#{pane_pid}')
viewer=$(pgrep -P "$shell" -x reuseport) || fail "no status --watch process under the pane's shell $shell"
kill -TERM "$viewer"
wait_for 10 bash -c "tmux -S '$sock' capture-pane -p -t watch | grep -q 'exited rc='" || fail "status --watch did not stop on SIGTERM"
after=$(screen watch)
assert_match "$after" "exited rc=0" "status --watch status after SIGTERM"
grep -qx 'icanon echo *' <<<"$after" || fail "terminal left in raw mode after SIGTERM: $after"
pass_msg "SIGTERM stops the view and restores the terminal"

# not a terminal: frames one after the other, no escapes
"$RP_CLI" top -d 0.2 -n 3 > "$RP_TMP/plain.txt" < /dev/null || fail "top -n 3 failed"
assert_eq "$(grep -c '^reuseport top ' "$RP_TMP/plain.txt")" 3 "frames printed without a terminal"
grep -q $'\033' "$RP_TMP/plain.txt" && fail "escape codes written to a non-terminal"
pass_msg "no escape codes off a terminal"
"$RP_CLI" top -d 0 2>/dev/null; assert_eq "$?" 2 "top -d 0 (below 0.1 s) exit status"

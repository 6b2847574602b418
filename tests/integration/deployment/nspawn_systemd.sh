#!/bin/bash
# A real systemd (Debian 12's 252, no Type=notify-reload) booted as PID 1 of
# a container: systemd-nspawn -b of this machine's /usr on a scratch root
# (--volatile=yes) up to basic.target, its own network namespace, the
# test's bpffs bound in, with the flags OPERATIONS.md gives for nspawn
# (CAP_BPF, CAP_PERFMON and bpf()/perf_event_open() let through its seccomp
# filter). A Type=notify
# unit runs reuseport run -n 2 with ExecReload=reuseport reload $MAINPID:
# - systemctl start returns once both instances registered; systemd's
#   status text is the supervisor's STATUS= ("2 instances serving,
#   generation 0", no NOT STEERED part: steered), 2 live slots;
# - systemctl reload returns only when the roll is done (its
#   event=rolling_done line is in the journal when it returns, though each
#   replacement takes 1 s to listen) and the status text says generation 1;
# - a reload whose replacement exits makes systemctl reload fail (with kill
#   -HUP it would succeed), the unit still active on generation 1;
# - the supervisor's lines are in the journal under its identifier
#   (journalctl -t reuseport), at priority info;
# - systemctl stop drains and the supervisor exits 0.
# slow: boots a systemd
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd systemd-nspawn nsenter
[[ -x /lib/systemd/systemd ]] || skip "no systemd to boot (/lib/systemd/systemd)"

pin=$(dirname "$REUSEPORT_PIN_DIR")
inpin=/run/rpbpf/$(basename "$REUSEPORT_PIN_DIR")
# generation 2 fails, later ones start slowly; then inst_server.py
cat >"$RP_TMP/app.py" <<'PY'
import os, sys, time
gen = int(os.environ["REUSEPORT_GENERATION"])
if gen == 2:
    sys.exit(3)  # a replacement that fails: the second reload fails
if gen > 0:
    time.sleep(1)  # a replacement that takes its time: the roll lasts
os.execv(sys.executable, [sys.executable] + sys.argv[1:])
PY
printf '%s\n' "[Unit]" "Description=reuseport run under a real systemd" "[Service]" \
	"Type=notify" "NotifyAccess=main" "Environment=REUSEPORT_PIN_DIR=$inpin" \
	"ExecStart=$RP_CLI run -n 2 --grace 2 -- $PY $RP_TMP/app.py $RP_TEST_LIB/inst_server.py 8710" \
	"ExecReload=$RP_CLI reload \$MAINPID" "KillMode=mixed" "TimeoutStopSec=15" >"$RP_TMP/rp-test.service"
systemd-nspawn -D / --volatile=yes --register=no --keep-unit --private-network -M "rp$$" \
	--capability=CAP_BPF,CAP_PERFMON --system-call-filter="bpf perf_event_open" \
	--bind="$pin:/run/rpbpf" --bind-ro="$RP_ROOT" --bind-ro="$RP_TMP" \
	--bind-ro="$RP_TMP/rp-test.service:/etc/systemd/system/rp-test.service" \
	-b -- systemd.firstboot=off systemd.unit=basic.target </dev/null >"$RP_TMP/boot.log" 2>&1 &
nspawn=$!
rp_on_exit "kill -TERM $nspawn 2>/dev/null; sleep 2; kill -KILL $nspawn 2>/dev/null"
leader=
boot_up() {
	leader=$(pgrep -P "$nspawn" -x systemd | head -1)
	[[ -n $leader ]] && [[ $(nsenter -t "$leader" -a -- systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]
}
wait_for 90 boot_up || fail "systemd did not boot: $(tail -20 "$RP_TMP/boot.log")"
inside() { nsenter -t "$leader" -a -- "$@"; }
info "booted: $(inside systemctl --version | head -1), $(inside systemctl is-system-running)"

inside systemctl start rp-test.service || fail "start: $(inside systemctl status rp-test.service --no-pager)"
status_text() { inside systemctl show -p StatusText --value rp-test.service; }
assert_eq "$(status_text)" "2 instances serving, generation 0" "status text after start (steered: no NOT STEERED)"
assert_eq "$(jeval "$(inside "$RP_CLI" --pin-dir "$inpin" status --json)" "[g['live'] for g in d['groups']]")" \
	"[2]" "live slots after systemctl start"

inside systemctl reload rp-test.service || fail "reload: $(inside journalctl -t reuseport --no-pager | tail)"
inside journalctl -t reuseport --no-pager -o cat >"$RP_TMP/journal"
grep -q "event=rolling_done generation=1" "$RP_TMP/journal" ||
	fail "systemctl reload returned before the roll was done: $(tail -5 "$RP_TMP/journal")"
pass_msg "systemctl reload returned when the roll was done"
assert_eq "$(status_text)" "2 instances serving, generation 1" "status text after the reload"
rc=0
inside systemctl reload rp-test.service 2>"$RP_TMP/reload2.err" || rc=$?
assert_ne_zero() { [[ $1 != 0 ]] || fail "$2: expected a failure, got 0"; pass_msg "$2: $1"; }
assert_ne_zero "$rc" "systemctl reload when a replacement exits"
assert_eq "$(inside systemctl is-active rp-test.service)" active "the unit after the failed reload"
assert_eq "$(jeval "$(inside "$RP_CLI" --pin-dir "$inpin" status --json)" \
	"sorted(set(s['generation'] for s in d['groups'][0]['slots']))")" "[1]" "generation serving after the failed reload"
grep -q "event=supervise instances=2" "$RP_TMP/journal" || fail "no supervise line in journalctl -t reuseport"
inside journalctl -t reuseport --no-pager -p info -o cat | grep -q "event=reload_answer pid=[0-9]* result=done" ||
	fail "no reload_answer line at priority info"
inside journalctl -t reuseport --no-pager -p warning -o cat | grep -q "event=reload_answer" &&
	fail "an info line at priority warning"
pass_msg "the supervisor's lines in journalctl -t reuseport, at their priority"

inside systemctl stop rp-test.service || fail "stop"
inside journalctl -t reuseport --no-pager -o cat | grep -q "event=stopped status=0" || fail "the supervisor did not stop cleanly"
pass_msg "systemctl stop: drained, exit 0"

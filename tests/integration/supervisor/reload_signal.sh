#!/bin/bash
# reuseport run --reload signal: SIGHUP to the supervisor is forwarded to
# every instance instead of rolling them; gunicorn reloads on it by itself
# (new workers, same master and listener): every worker pid changes, the
# masters stay, no rolling restart happens, and a load running throughout
# gets no failed request. Also: --reload takes only roll or signal.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd gunicorn

cat >"$RP_TMP/app.py" <<'PY'
import os
def app(environ, start_response):
    body = ("%s %d\n" % (os.environ.get("REUSEPORT_INSTANCE"), os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
PY
spawn_plain sup "$RP_CLI" run -n 2 --reload signal --grace 5 -- \
	gunicorn --chdir "$RP_TMP" -b 127.0.0.1:8483 -w 2 --graceful-timeout 5 app:app
wait_live_slots 8483 2 30 || fail "2 gunicorn masters expected: $(cat "$(rp_logfile sup)")"

masters() { sed -n 's/.*event=start instance=[0-9]* pid=\([0-9]*\) .*/\1/p' "$(rp_logfile sup)" | sort -n | tr '\n' ' '; }
workers() { local m; for m in $(masters); do pgrep -P "$m"; done | sort -n | tr '\n' ' '; }
nworkers() { [[ $(workers | wc -w) == 4 ]]; }
wait_for 20 nworkers || fail "4 gunicorn workers expected: $(workers)"
m0=$(masters) w0=$(workers)
info "masters $m0 workers $w0"

rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" 8483 4 "$RP_TMP/stop" >"$RP_TMP/load.json" &
load=$!
sleep 1
kill -HUP "$(rp_pid sup)"
# none of the old workers left, 4 new ones
all_new() {
	local w now
	now=$(workers)
	[[ $(wc -w <<<"$now") == 4 ]] || return 1
	for w in $w0; do [[ " $now " == *" $w "* ]] && return 1; done
	return 0
}
wait_for 30 all_new || fail "gunicorn workers did not change: before $w0, now $(workers)"
sleep 1
touch "$RP_TMP/stop"
wait "$load"
out=$(cat "$RP_TMP/load.json")
info "load across the reload: $out; workers now $(workers)"
assert_eq "$(masters)" "$m0" "gunicorn masters (not restarted)"
assert_ge "$(jget "$out" ok)" 50 "requests across the reload"
assert_eq "$(jget "$out" failed)" 0 "failed requests across the reload"
grep -q 'event=signal signal=HUP action=forward' "$(rp_logfile sup)" || fail "no forward logged: $(cat "$(rp_logfile sup)")"
if grep -q 'event=rolling_restart' "$(rp_logfile sup)"; then fail "a rolling restart happened"; fi
pass_msg "SIGHUP forwarded, no rolling restart"
out=$(rpclient http --port 8483 --path / -n 20)
assert_eq "$(jget "$out" ok)" 20 "requests answered after the reload"

rc=0
"$RP_CLI" run -n 1 --reload restart -- true 2>"$RP_TMP/err" || rc=$?
assert_eq "$rc" 2 "exit status of --reload restart"
assert_match "$(cat "$RP_TMP/err")" "--reload takes roll or signal, not 'restart'" "the message"

#!/bin/bash
# The systemd recipes of examples/systemd/:
# 1. every unit passes `systemd-analyze verify` with no message at all
#    (syntax, keys, executables, Documentation= man pages found in
#    docs/man), and a copy with a misspelt KillMode is reported (the check
#    can fail);
# 2. reuseport-nginx.service's own command lines (ExecStartPre, ExecStart,
#    ExecReload; only /usr/bin/reuseport, the nginx config, the runtime
#    directory and the port are replaced by this test's, and {g} by 0 when
#    `reuseport run --help` does not mention it) do what a systemd
#    manager would make of them, with the unit's KillMode=mixed: 4 nginx
#    register, ExecReload rolls them under load with 0 failed requests,
#    SIGTERM to the main process only drains and exits 0 within
#    TimeoutStopSec, nothing is left. When `reuseport run --help` mentions
#    NOTIFY_SOCKET (sd_notify), the messages on a test NOTIFY_SOCKET are
#    checked too: READY=1 after every instance registered, RELOADING=1 then
#    READY=1 around the reload, MAINPID.
# 3. the socket-activation pair reuseport-web@.socket/.service, as systemd
#    would start two instances: a launcher opens the socket unit's
#    ListenStream with ReusePort=yes, passes it as fd 3 (LISTEN_FDS,
#    LISTEN_PID) with the service's Environment= (its LD_PRELOAD replaced by
#    the build's library) and execs the service's ExecStart (gunicorn, with a
#    scratch app for /srv/web): both gunicorn masters register their passed
#    socket and share the requests under the unit's policy.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd systemd-analyze nginx

units=$RP_ROOT/examples/systemd
unitfile() { "$PY" "$RP_TEST_LIB/unitfile.py" "$@"; }

# ---- 1. systemd-analyze verify (needs no running systemd)
v=$RP_TMP/verify
mkdir -p "$v/man/man7" "$v/man/man8"
cp "$RP_ROOT/docs/man/libreuseport.7" "$v/man/man7/"
cp "$RP_ROOT/docs/man/reuseport.8" "$v/man/man8/"
n=0
for f in "$units"/*.service "$units"/*.socket; do
	# /usr/bin/reuseport is not installed here: the build's stands in
	sed "s|/usr/bin/reuseport|$RP_CLI|g" "$f" >"$v/${f##*/}"
	n=$((n + 1))
done
((n >= 3)) || fail "expected at least 3 units in $units, found $n"
verify() { (cd "$v" && MANPATH=$v/man systemd-analyze verify "$@" 2>&1); }
for f in "$v"/*.service "$v"/*.socket; do
	out=$(verify "./${f##*/}")
	rc=$?
	[[ $rc == 0 && -z $out ]] || fail "systemd-analyze verify ${f##*/} (status $rc): $out"
	pass_msg "systemd-analyze verify ${f##*/}: no message"
done
sed 's/^KillMode=mixed/KillMode=mixd/' "$v/reuseport-nginx.service" >"$v/broken.service"
out=$(verify ./broken.service)
assert_match "$out" "KillMode|kill mode" "verify reports a misspelt KillMode"

# the unit's settings that the drain depends on
for kv in Type=notify KillMode=mixed 'ExecReload=/usr/bin/reuseport reload $MAINPID'; do
	assert_eq "$(unitfile "$units/reuseport-nginx.service" Service "${kv%%=*}" --value)" "${kv#*=}" "${kv%%=*}"
done
assert_eq "$(unitfile "$units/reuseport-web@.socket" Socket ReusePort --value)" yes "ReusePort of the socket unit"

# ---- 2. the nginx unit's command lines, run as systemd would
port=8850
run=$RP_TMP/run # RuntimeDirectory=
mkdir -p "$run" "$RP_TMP/nginxlog" "$RP_TMP/www"
echo ok >"$RP_TMP/www/index.html"
sed -e "s|listen 8080;|listen 127.0.0.1:$port;|" -e "s|/var/log/nginx|$RP_TMP/nginxlog|g" \
	-e "s|/var/www/html|$RP_TMP/www|" "$units/nginx-reuseport.conf" >"$RP_TMP/nginx.conf"
subs=("/usr/bin/reuseport=$RP_CLI" "/etc/nginx/reuseport-nginx.conf=$RP_TMP/nginx.conf"
	"/run/reuseport-nginx=$run")
has_g=0
if "$RP_CLI" run --help 2>&1 | grep -q '{g}'; then
	has_g=1
else # nginx would read "{" as a block: a fixed generation instead
	info "reuseport run --help does not mention {g}: the unit's {g} is replaced by 0"
	subs+=("{g}=0")
fi
cmdline() { # KEY -> array cmd
	mapfile -d '' cmd < <(unitfile "$units/reuseport-nginx.service" Service "$1" "${subs[@]}")
	((${#cmd[@]})) || fail "no $1 in the unit"
}
cmdline 'ExecStartPre#1'
"${cmd[@]}" >"$RP_TMP/setup.log" 2>&1 || fail "ExecStartPre ${cmd[*]}: $(cat "$RP_TMP/setup.log")"
pass_msg "ExecStartPre: ${cmd[*]}"
cmdline 'ExecStartPre#2'
"${cmd[@]}" >"$RP_TMP/nginx-t.log" 2>&1 || fail "ExecStartPre ${cmd[*]}: $(cat "$RP_TMP/nginx-t.log")"
pass_msg "ExecStartPre: nginx -t"

notify=0
if "$RP_CLI" run --help 2>&1 | grep -Eq 'NOTIFY_SOCKET|sd_notify'; then
	notify=1
	# what systemd's manager reads: one datagram per notification
	spawn_plain notify "$PY" -u -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    msg = s.recv(4096).decode()
    print(" ".join(msg.split("\n")).strip(), flush=True)' "$RP_TMP/notify.sock"
	wait_log notify listening || fail "notify socket"
	export NOTIFY_SOCKET=$RP_TMP/notify.sock
else
	info "reuseport run --help does not mention NOTIFY_SOCKET: sd_notify checks skipped"
fi
cmdline ExecStart
spawn_plain main "${cmd[@]}"
unset NOTIFY_SOCKET
mainpid=$(rp_pid main)
wait_live_slots $port 4 20 || fail "4 nginx expected: $(tail -20 "$(rp_logfile main)")"
if ((notify)); then
	wait_log notify 'READY=1' || fail "no READY=1"
	assert_match "$(cat "$(rp_logfile notify)")" "MAINPID=$mainpid" "MAINPID sent"
fi
out=$(rpclient http --port $port --path /index.html -n 8)
assert_eq "$(jget "$out" ok)" 8 "requests answered by the unit's nginx"

rm -f "$RP_TMP/stop"
"$PY" "$RP_TEST_LIB/loadclient.py" $port 2 "$RP_TMP/stop" >"$RP_TMP/load.json" &
load=$!
# ExecReload, with $MAINPID as systemd substitutes it
cmdline ExecReload
cmd=("${cmd[@]//\$MAINPID/$mainpid}")
"${cmd[@]}" || fail "ExecReload ${cmd[*]}"
# it returns when the roll is done (systemctl reload waits for ExecReload)
grep -q 'event=rolling_done generation=1$' "$(rp_logfile main)" ||
	fail "ExecReload returned before the roll was done: $(tail -20 "$(rp_logfile main)")"
wait_live_slots $port 4 || fail "4 nginx expected after the reload"
touch "$RP_TMP/stop"
wait $load
res=$(cat "$RP_TMP/load.json")
info "load across ExecReload: $res"
assert_gt "$(jget "$res" ok)" 0 "requests answered across the reload"
assert_eq "$(jget "$res" failed)" 0 "failed requests across the reload"
assert_eq "$(jeval "$(status_json)" 'sorted(set(s["generation"] for s in d["groups"][0]["slots"]))')" "[1]" "generation after the reload"
if ((has_g)); then
	ls "$run"/nginx-*-1.pid >/dev/null 2>&1 || fail "no pid file of generation 1 in $run: $(ls "$run")"
	pass_msg "pid files per generation: $(cd "$run" && echo nginx-*.pid)"
fi
if ((notify)); then
	notes() { grep -oE 'RELOADING=1|READY=1' "$(rp_logfile notify)" | tr '\n' ' '; }
	ready_again() { [[ $(notes) == *RELOADING=1*READY=1* ]]; }
	wait_for 10 ready_again || fail "no RELOADING=1 then READY=1: $(cat "$(rp_logfile notify)")"
	seq=$(notes)
	assert_match "$seq" '^READY=1 RELOADING=1 READY=1 $' "notifications in order"
fi

# KillMode=mixed: SIGTERM to the main process only; SIGKILL for the rest
# after TimeoutStopSec
stop=$(unitfile "$units/reuseport-nginx.service" Service TimeoutStopSec --value)
kill -TERM "$mainpid"
rp_wait_exit main "$stop" || fail "not stopped within TimeoutStopSec=$stop"
assert_eq "${RP_STATUS[main]}" 0 "exit status after SIGTERM"
assert_eq "$(count_listeners tcp $port)" 0 "listeners left"
left=$(pgrep -f "$RP_TMP/nginx.conf" | wc -l)
assert_eq "$left" 0 "nginx processes left"

# ---- 3. socket activation: reuseport-web@.socket + reuseport-web@.service
need_cmd gunicorn
sock=$units/reuseport-web@.socket svc=$units/reuseport-web@.service
listen=$(unitfile "$sock" Socket ListenStream --value)
[[ $listen =~ ^[0-9]+$ ]] || fail "ListenStream is not a port: $listen"
mkdir -p "$RP_TMP/web"
cp "$units/app.py" "$RP_TMP/web/app.py" # the example's app (/srv/web/app.py)
# what systemd does for an instance: socket, environment, exec
cat >"$RP_TMP/activate.py" <<'EOF'
import os, shlex, socket, sys
port, env, lib = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6)  # ListenStream=PORT: [::], dual-stack
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # ReusePort=yes
s.bind(("::", port))
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
for kv in shlex.split(env):
    k, v = kv.split("=", 1)
    os.environ[k] = v.replace("/usr/lib/libreuseport.so", lib)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
argv = sys.argv[4:]
os.execv(argv[0], argv)
EOF
mapfile -d '' cmd < <(unitfile "$svc" Service ExecStart "/srv/web=$RP_TMP/web")
env=$(unitfile "$svc" Service Environment --value)
assert_match "$env" "LD_PRELOAD=/usr/lib/libreuseport.so" "the service preloads the packaged library"
for i in 1 2; do
	REUSEPORT_LOG=info spawn_plain "web$i" "$PY" "$RP_TMP/activate.py" "$listen" "$env" "$RP_LIB" "${cmd[@]}"
done
wait_live_slots "$listen" 2 20 || fail "2 socket-activated gunicorn expected: $(cat "$(rp_logfile web1)" "$(rp_logfile web2)")"
grep -q 'event=attach' "$(rp_logfile web1)" || fail "no attach line: $(cat "$(rp_logfile web1)")"
policy=$(jeval "$(status_json)" '[g["policy"] for g in d["groups"] if g["name"].endswith("_'"$listen"'")][0]')
assert_eq "$policy" "${env##*REUSEPORT_POLICY=}" "policy of the activated group"
out=$(rpclient http --port "$listen" --path / -n 40 --concurrency 4)
info "client: $out"
assert_eq "$(jget "$out" ok)" 40 "requests answered by the activated gunicorns"
assert_eq "$(jeval "$out" 'len(d["ids"])')" 2 "gunicorn masters that answered"

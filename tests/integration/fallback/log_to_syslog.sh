#!/bin/bash
# A failure is always visible: warn and error lines that cannot reach
# stderr (closed at start, a socket, no longer the file it was, /dev/null)
# or the log file (refused, or unwritable later) go to syslog: a datagram
# to /dev/log, LOG_DAEMON, ident libreuseport (the supervisor's: reuseport).
# Info lines never do. The shim keeps no fd for it. This test gives its private mount namespace its
# own /dev (a tmpfs with the host's null, zero, urandom... bound in) and
# catches /dev/log there with a tiny syslog receiver.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim

# ---- a private /dev with a syslog catcher on /dev/log -------------------
[[ $(readlink /proc/self/ns/mnt) != "$(readlink /proc/1/ns/mnt)" ]] ||
	skip "not in a private mount namespace"
nd=$RP_TMP/dev
mkdir -p "$nd"
mount -t tmpfs -o mode=0755 tmpfs "$nd" || skip "cannot mount a tmpfs"
for n in null zero full random urandom tty; do
	[[ -e /dev/$n ]] || continue
	: >"$nd/$n"
	mount --bind "/dev/$n" "$nd/$n" || skip "cannot bind /dev/$n"
done
for d in shm pts mqueue; do
	[[ -d /dev/$d ]] || continue
	mkdir "$nd/$d"
	mount --rbind "/dev/$d" "$nd/$d" 2>/dev/null || true
done
ln -s /proc/self/fd "$nd/fd"
ln -s /proc/self/fd/0 "$nd/stdin"
ln -s /proc/self/fd/1 "$nd/stdout"
ln -s /proc/self/fd/2 "$nd/stderr"
mount --move "$nd" /dev 2>/dev/null || mount --rbind "$nd" /dev || skip "cannot replace /dev"
[[ ! -e /dev/log ]] || fail "/dev/log exists in the private /dev"
pass_msg "private /dev in this mount namespace"

SYSLOG=$RP_TMP/syslog.txt
cat >"$RP_TMP/catcher.py" <<'PY'
# syslog receiver: every datagram on /dev/log becomes one line of argv[1]
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "a") as out:
    print("ready", flush=True)
    while True:
        out.write(s.recv(65536).decode(errors="replace").rstrip("\n\0") + "\n")
        out.flush()
PY
: >"$SYSLOG"
spawn_plain catcher "$PY" "$RP_TMP/catcher.py" "$SYSLOG"
wait_log catcher '^ready' || fail "syslog catcher did not start"

# syslog_has ERE: a caught line matches
syslog_has() { grep -Eq -- "$1" "$SYSLOG"; }
wait_syslog() {
	wait_for "${2:-5}" syslog_has "$1" && return 0
	info "syslog so far:"
	sed 's/^/  | /' "$SYSLOG"
	return 1
}

cat >"$RP_TMP/listen.py" <<'PY'
# listen.py PORT [PORT2 TRIGGER [swap FILE]]: listen on PORT; with PORT2,
# print "ready fds=N", wait for the TRIGGER file, optionally dup2 FILE
# over fd 2 ("swap"), listen on PORT2, print "done fds=N"; sleep.
import os, socket, sys, time
def listen(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s
keep = [listen(int(sys.argv[1]))]
if len(sys.argv) > 2:
    print("ready fds=%d" % len(os.listdir("/proc/self/fd")), flush=True)
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.05)
    if len(sys.argv) > 5 and sys.argv[4] == "swap":
        fd = os.open(sys.argv[5], os.O_WRONLY | os.O_CREAT, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    keep.append(listen(int(sys.argv[2])))
    print("done fds=%d" % len(os.listdir("/proc/self/fd")), flush=True)
else:
    print("ok", flush=True)
time.sleep(600)
PY
mkdir -p "$RP_TMP/plain"
NOPIN=$RP_TMP/plain/x # not on bpffs: every registration warns (ENOMEDIUM)

# 1. stderr closed at start (2>&-)
LD_PRELOAD=$RP_LIB REUSEPORT_PIN_DIR=$NOPIN setsid "$PY" "$RP_TMP/listen.py" 20039 \
	>"$RP_TMP/closed.out" 2>&- </dev/null &
pid=$!
printf 'closed %s\n' "$pid" >>"$RP_SPAWNED"
wait_syslog "^<28>libreuseport\[$pid\]: level=warn event=fallback .*errno=ENOMEDIUM.* pid=$pid$" ||
	fail "no syslog line from the server whose stderr is closed"
info "syslog: $(grep "\[$pid\]" "$SYSLOG")"
wait_for 5 grep -q '^ok' "$RP_TMP/closed.out" || fail "the server did not listen"
pass_msg "stderr closed: the warning went to syslog, the server listens"
kill "$pid"

# 2. stderr is a socket (a daemon reused fd 2 for a connection)
cat >"$RP_TMP/sockerr.py" <<'PY'
# run argv[2:] with fd 2 a socket; what arrives on the peer goes to argv[1]
import os, socket, sys
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    b.close()
    os.dup2(a.fileno(), 2)
    os.execvp(sys.argv[2], sys.argv[2:])
a.close()
with open(sys.argv[1], "wb") as out:
    while True:
        d = b.recv(4096)
        if not d:
            break
        out.write(d)
        out.flush()
PY
spawn_plain sockerr env LD_PRELOAD="$RP_LIB" REUSEPORT_PIN_DIR="$NOPIN" \
	"$PY" "$RP_TMP/sockerr.py" "$RP_TMP/peer.bin" "$PY" "$RP_TMP/listen.py" 20040
wait_tcp_port 20040 127.0.0.1 || fail "server with a socket on fd 2 did not listen"
wait_syslog '^<28>libreuseport\[[0-9]+\]: level=warn event=fallback .*group=tcp4_127-0-0-1_20040 ' ||
	fail "no syslog line from the server whose stderr is a socket"
assert_eq "$(wc -c <"$RP_TMP/peer.bin")" 0 "bytes the shim wrote into the socket on fd 2"
rp_stop sockerr

# 3. REUSEPORT_LOG_FILE refused (a directory): the error and the warnings go
# to stderr as before and to syslog, because stderr is not watched
mkdir -p "$RP_TMP/logdir"
REUSEPORT_LOG_FILE=$RP_TMP/logdir REUSEPORT_PIN_DIR=$NOPIN rp_spawn refused \
	"$PY" "$RP_TMP/listen.py" 20041
wait_tcp_port 20041 127.0.0.1 || fail "server with a refused log file did not listen"
pid=$(rp_pid refused)
wait_syslog "^<27>libreuseport\[$pid\]: level=error event=log_file_refused errno=EISDIR " ||
	fail "log file refusal not in syslog"
wait_syslog "^<28>libreuseport\[$pid\]: level=warn event=fallback .*group=tcp4_127-0-0-1_20041 " ||
	fail "warning after the refusal not in syslog"
grep -q 'event=log_file_refused' "$(rp_logfile refused)" || fail "refusal not on stderr"
pass_msg "refused log file: stderr and syslog"
rp_stop refused

# 4. the log file becomes unwritable while the server runs (read-only
# mount); also: info lines never reach syslog, and no fd is left behind
L=$RP_TMP/logs
mkdir -p "$L"
mount --bind "$L" "$L"
REUSEPORT_LOG=info REUSEPORT_LOG_FILE=$L/rp.log rp_spawn rofile \
	"$PY" "$RP_TMP/listen.py" 20042 20043 "$RP_TMP/go-ro"
wait_log rofile '^ready' || fail "server did not start"
pid=$(rp_pid rofile)
grep -q 'event=attach' "$L/rp.log" || fail "no attach line in the log file: $(cat "$L/rp.log")"
mount -o remount,bind,ro "$L" || fail "cannot make $L read-only"
# the 20043 group is foreign: registering there warns
ns=$(rp_ns_dir)
mkdir "$ns/tcp4_127-0-0-1_20043"
: >"$RP_TMP/go-ro"
wait_log rofile '^done' || fail "server did not listen on 20043"
wait_syslog "^<28>libreuseport\[$pid\]: level=warn event=fallback .*group=tcp4_127-0-0-1_20043 .*errno=EPROTO" ||
	fail "warning with an unwritable log file not in syslog"
if grep "\[$pid\]" "$SYSLOG" | grep -q 'level=info'; then
	fail "info lines reached syslog: $(grep "\[$pid\]" "$SYSLOG")"
fi
pass_msg "info lines stay out of syslog"
before=$(sed -n 's/^ready fds=//p' "$(rp_logfile rofile)")
after=$(sed -n 's/^done fds=//p' "$(rp_logfile rofile)")
assert_eq "$after" "$((before + 1))" "fds after the second listen (only its socket added)"
rp_stop rofile
umount "$L"

# 5. stderr replaced after start (dup2 of another file over fd 2)
rp_spawn swapped env REUSEPORT_PIN_DIR="$NOPIN" \
	"$PY" "$RP_TMP/listen.py" 20044 20045 "$RP_TMP/go-swap" swap "$RP_TMP/other.txt"
wait_log swapped '^ready' || fail "server did not start"
pid=$(rp_pid swapped)
wait_log swapped 'group=tcp4_127-0-0-1_20044 ' || fail "first warning not on stderr"
: >"$RP_TMP/go-swap"
wait_log swapped '^done' || fail "server did not listen on 20045"
wait_syslog "^<28>libreuseport\[$pid\]: level=warn event=fallback .*group=tcp4_127-0-0-1_20045 " ||
	fail "warning after fd 2 was replaced not in syslog"
assert_eq "$(grep -c 'libreuseport' "$RP_TMP/other.txt" || true)" 0 "lines written into the file that replaced fd 2"
if syslog_has "^<28>libreuseport\[$pid\]: .*group=tcp4_127-0-0-1_20044 "; then
	fail "the warning that reached stderr also went to syslog"
fi
pass_msg "replaced stderr: syslog only"
rp_stop swapped

# 6. stderr usable: no syslog line
: >"$SYSLOG"
rp_spawn plain env REUSEPORT_PIN_DIR="$NOPIN" "$PY" "$RP_TMP/listen.py" 20046
wait_log plain 'event=fallback' || fail "no warning on stderr"
sleep 0.3
assert_eq "$(wc -l <"$SYSLOG")" 0 "syslog lines while stderr works"
rp_stop plain

# 7. the supervisor's lines go under its own ident, reuseport (journalctl -t
# reuseport), its instances' under libreuseport
if [[ -x $RP_CLI ]]; then
	REUSEPORT_LOG_FILE=$RP_TMP/logdir spawn_plain sup "$RP_CLI" run -n 1 -- \
		"$PY" "$RP_TMP/listen.py" 20047
	wait_tcp_port 20047 127.0.0.1 || fail "the supervised server did not listen"
	pid=$(rp_pid sup)
	wait_syslog "^<27>reuseport\[$pid\]: level=error event=log_file_refused errno=EISDIR " ||
		fail "the supervisor's refusal not in syslog under ident reuseport"
	wait_syslog "^<27>libreuseport\[[0-9]+\]: level=error event=log_file_refused errno=EISDIR " ||
		fail "the instance's refusal not in syslog under ident libreuseport"
	grep -q '^reuseport run: level=error event=log_file_refused' "$(rp_logfile sup)" ||
		fail "the supervisor's refusal not on its stderr"
	if syslog_has "^<[0-9]+>libreuseport\[$pid\]"; then
		fail "a supervisor line under ident libreuseport: $(grep "\[$pid\]" "$SYSLOG")"
	fi
	pass_msg "supervisor: ident reuseport"
	rp_stop sup
else
	info "reuseport command not built: supervisor ident not checked"
fi

pass_msg "every warning reached stderr, the log file or syslog"

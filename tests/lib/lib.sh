# shellcheck shell=bash
# Helpers sourced by every integration test:
#
#   . "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
#
# tests/run-integration runs each test as `bash tests/integration/AREA/NAME.sh`
# from the repository root, in its own network + mount namespace (lo up,
# private bpffs), and exports:
#
#   REUSEPORT_PIN_DIR  $RP_TMP/bpffs/reuseport (bpffs mounted on $RP_TMP/bpffs)
#   RP_TMP             scratch directory, removed afterwards (kept in
#                      build/test-logs/ when the test fails)
#   RP_ROOT            repository root (also the working directory)
#   RP_BUILD           $RP_ROOT/build
#   RP_LIB             $RP_BUILD/libreuseport.so
#   RP_CLI             $RP_BUILD/reuseport
#   PY                 /usr/bin/python3
#   RP_HOST_NETNS      `readlink /proc/self/ns/net` of the runner
#   RP_TEST_NAME       AREA/NAME (steering/sticky)
#   RP_TEST_TIMEOUT    seconds before the test is killed
# Every other REUSEPORT_* / LIBREUSEPORT_* variable and LD_PRELOAD are unset.
#
# Exit status: 0 PASS, 77 SKIP (reason = last line printed), else FAIL.
# Everything spawned with rp_spawn/spawn_plain is killed when the test
# exits; the runner then kills whatever is left in the namespace.

set -u

: "${RP_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${RP_BUILD:=$RP_ROOT/build}"
: "${RP_LIB:=$RP_BUILD/libreuseport.so}"
: "${RP_CLI:=$RP_BUILD/reuseport}"
: "${PY:=/usr/bin/python3}"
if [[ -z ${RP_TMP:-} ]]; then # run by hand, outside the runner
	RP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rp-manual.XXXXXX")
	echo "lib.sh: not run by tests/run-integration; scratch dir $RP_TMP" >&2
fi
export RP_ROOT RP_BUILD RP_LIB RP_CLI PY RP_TMP

# shellcheck disable=SC2034 # for the tests
RP_TEST_LIB=$RP_ROOT/tests/lib
RPCLIENT=$RP_TEST_LIB/rpclient.py
# shellcheck disable=SC2034 # for the tests
UDP_SERVER=$RP_TEST_LIB/udp_server.py
# the pin layout of this build (bpf/steer.h): $REUSEPORT_PIN_DIR/v$RP_LAYOUT
RP_LAYOUT=$(awk '$1 == "#define" && $2 == "RP_LAYOUT" {print $3}' "$RP_ROOT/bpf/steer.h")
# rp_ns_dir: this network namespace's groups,
# $REUSEPORT_PIN_DIR/v<layout>/<netns inode>
rp_ns_dir() { echo "$REUSEPORT_PIN_DIR/v$RP_LAYOUT/$(stat -L -c %i /proc/self/ns/net)"; }
# rp_prog_of GROUP: the program pin that steers GROUP (a pin name such as
# tcp4_127-0-0-1_8080): its namespace's program of its protocol
rp_prog_of() { echo "$(rp_ns_dir)/${1:0:3}/prog"; }

# ---- messages and verdicts ---------------------------------------------

info() { printf 'info: %s\n' "$*"; }
pass_msg() { printf 'ok: %s\n' "$*"; }

# skip REASON: the test cannot run here. Exit 77 (a failure under CI=true).
skip() {
	printf '%s\n' "$*" >"$RP_TMP/.skip_reason"
	printf '%s\n' "$*"
	exit 77
}

# fail MSG. Note: inside $(...) it only ends the subshell.
fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}

# assert_eq ACTUAL EXPECTED WHAT (string comparison)
assert_eq() {
	[[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
	pass_msg "$3 = $1"
}

# assert_match STRING ERE WHAT
assert_match() {
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
	pass_msg "$3 ~ /$2/"
}

_rp_isnum() { [[ $1 =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }

_rp_cmp() { # OP A B WHAT
	if ! _rp_isnum "$2" || ! _rp_isnum "$3"; then
		fail "$4: not numbers: '$2' '$3'"
	fi
	awk -v a="$2" -v b="$3" -v op="$1" 'BEGIN {
		if (op == "le") exit !(a + 0 <= b + 0)
		if (op == "ge") exit !(a + 0 >= b + 0)
		if (op == "lt") exit !(a + 0 < b + 0)
		exit !(a + 0 > b + 0) }'
}

# assert_le A B WHAT: A <= B (integers or decimals); likewise ge, lt, gt.
assert_le() { _rp_cmp le "$1" "$2" "$3" || fail "$3: expected <= $2, got $1"; pass_msg "$3: $1 <= $2"; }
assert_ge() { _rp_cmp ge "$1" "$2" "$3" || fail "$3: expected >= $2, got $1"; pass_msg "$3: $1 >= $2"; }
assert_lt() { _rp_cmp lt "$1" "$2" "$3" || fail "$3: expected < $2, got $1"; pass_msg "$3: $1 < $2"; }
assert_gt() { _rp_cmp gt "$1" "$2" "$3" || fail "$3: expected > $2, got $1"; pass_msg "$3: $1 > $2"; }

# ---- requirements ------------------------------------------------------

# need_cmd CMD...: SKIP when a command is missing.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "missing command: $c"
	done
}

# need_shim / need_cli: SKIP when build/libreuseport.so / build/reuseport is
# not built.
need_shim() { [[ -f $RP_LIB ]] || skip "shim not built: $RP_LIB (run make)"; }
need_cli() { [[ -x $RP_CLI ]] || skip "reuseport command not built: $RP_CLI (run make)"; }

# ---- programs ----------------------------------------------------------

py() { "$PY" "$@"; }
rpclient() { "$PY" "$RPCLIENT" "$@"; }
rp_cli() { "$RP_CLI" "$@"; }

# jget JSON PATH [DEFAULT]: value at a dotted PATH ("ids.a", "flows.0") of a
# JSON text (or @FILE). Strings print raw, others as JSON. Without DEFAULT a
# missing key is an error (status 1).
jget() {
	"$PY" - "$@" <<'EOF'
import json, sys
src, path = sys.argv[1], sys.argv[2]
d = json.load(open(src[1:])) if src.startswith("@") else json.loads(src)
for k in path.split(".") if path else []:
    if isinstance(d, list) and k.lstrip("-").isdigit() and -len(d) <= int(k) < len(d):
        d = d[int(k)]
    elif isinstance(d, dict) and k in d:
        d = d[k]
    elif len(sys.argv) > 3:
        print(sys.argv[3])
        sys.exit(0)
    else:
        sys.exit("jget: no %r in %s" % (k, path))
print(d if isinstance(d, str) else json.dumps(d))
EOF
}

# jeval JSON EXPR: print a Python expression over the parsed JSON `d`,
# e.g. jeval "$out" 'len(d["ids"])'.
jeval() {
	"$PY" - "$@" <<'EOF'
import json, sys
src = sys.argv[1]
d = json.load(open(src[1:])) if src.startswith("@") else json.loads(src)
v = eval(sys.argv[2], {"json": json}, {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# mk_www NAME ID: make $RP_TMP/www-NAME/id.txt containing ID; print the dir.
mk_www() {
	local d=$RP_TMP/www-$1
	mkdir -p "$d" && printf '%s\n' "$2" >"$d/id.txt" && chmod -R a+rX "$d"
	printf '%s\n' "$d"
}

# ---- background processes ----------------------------------------------
#
# rp_spawn NAME CMD [ARGS...]     start CMD with LD_PRELOAD=$RP_LIB (SKIP if
#                                 the shim is not built); environment
#                                 assignments in front apply:
#                                 REUSEPORT_POLICY=hash rp_spawn a CMD...
# spawn_plain NAME CMD [ARGS...]  same without the shim
#
# Output goes to $RP_TMP/NAME.log (a previous NAME.log is renamed
# NAME.log.1, .2, ...). Each process is started in its own session/process
# group (setsid), so rp_stop/rp_kill_all also reach its children
# (nginx workers...). NAME can be reused once the previous one has exited.

declare -gA RP_PIDS=()
RP_SPAWNED=$RP_TMP/.spawned # one "NAME PID" line per spawn, for rp_kill_all

_rp_start() {
	local preload=$1 name=$2 log n pid
	shift 2
	[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || fail "bad process name '$name'"
	(($#)) || fail "rp_spawn $name: no command"
	if rp_alive "$name"; then
		fail "rp_spawn $name: already running (pid ${RP_PIDS[$name]})"
	fi
	log=$RP_TMP/$name.log
	if [[ -e $log ]]; then
		n=1
		while [[ -e $log.$n ]]; do n=$((n + 1)); done
		mv "$log" "$log.$n"
	fi
	if ((preload)); then
		LD_PRELOAD=$RP_LIB setsid "$@" >"$log" 2>&1 </dev/null &
	else
		setsid "$@" >"$log" 2>&1 </dev/null &
	fi
	pid=$!
	RP_PIDS[$name]=$pid
	printf '%s %s\n' "$name" "$pid" >>"$RP_SPAWNED"
	info "started $name pid $pid: $*"
}

rp_spawn() {
	need_shim
	_rp_start 1 "$@"
}

spawn_plain() { _rp_start 0 "$@"; }

# rp_pid NAME: print the pid of a spawned process (status 1 if unknown).
rp_pid() {
	local pid=${RP_PIDS[$1]:-}
	if [[ -z $pid && -f $RP_SPAWNED ]]; then
		pid=$(awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$RP_SPAWNED")
	fi
	[[ -n $pid ]] || return 1
	printf '%s\n' "$pid"
}

# rp_logfile NAME: path of its output.
rp_logfile() { printf '%s\n' "$RP_TMP/$1.log"; }

_rp_pid_alive() { # PID: running, not a zombie
	local stat
	[[ -r /proc/$1/stat ]] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != [ZX] ]]
}

# rp_alive NAME: is it still running?
rp_alive() {
	local pid
	pid=$(rp_pid "$1") || return 1
	_rp_pid_alive "$pid"
}

# rp_kill NAME [SIGNAL]: send SIGNAL (default TERM) to its main pid only
# (e.g. KILL to simulate a crash); does not wait. Status 1 if not running.
rp_kill() {
	local pid
	pid=$(rp_pid "$1") || fail "rp_kill: no process named $1"
	_rp_pid_alive "$pid" || return 1
	kill -s "${2:-TERM}" "$pid"
}

_rp_now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s\n' "$((10#$t))"; }
_rp_deadline() { # SECONDS (may be decimal) -> absolute microseconds
	local s=${1%%.*} f=${1#*.}
	[[ $1 == *.* ]] || f=
	f=${f}000000
	printf '%s\n' "$(($(_rp_now_us) + 10#${s:-0} * 1000000 + 10#${f:0:6}))"
}

# rp_wait_exit NAME [TIMEOUT_S=10]: wait until it has exited; status 1 if it
# is still running after TIMEOUT. Its exit status is then in RP_STATUS[NAME].
# shellcheck disable=SC2034 # for the tests
declare -gA RP_STATUS=()
rp_wait_exit() {
	local name=$1 pid end st
	pid=$(rp_pid "$name") || fail "rp_wait_exit: no process named $name"
	end=$(_rp_deadline "${2:-10}")
	while _rp_pid_alive "$pid"; do
		(($(_rp_now_us) < end)) || return 1
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	st=$?
	# shellcheck disable=SC2034 # read by the tests
	RP_STATUS[$name]=$st
	return 0
}

# _rp_members PID...: set _rp_m to the live processes of this network
# namespace that are one of PID or in the process group of one. Pids are
# machine-wide, so a pid is only signalled while it is still ours.
_rp_m=()
_rp_members() {
	local -A want=()
	local p pid pgid
	for p in "$@"; do want[$p]=1; done
	_rp_m=()
	while read -r pid pgid; do
		[[ -n ${want[$pid]:-} || -n ${want[$pgid]:-} ]] || continue
		[[ /proc/$pid/ns/net -ef /proc/$$/ns/net ]] || continue
		_rp_m+=("$pid")
	done < <(ps -e -o pid=,pgid= 2>/dev/null)
}

_rp_stop_pids() { # TIMEOUT PID... : TERM them and their groups, wait, KILL
	local timeout=$1 end p
	shift
	_rp_members "$@"
	if ((${#_rp_m[@]})); then
		kill -TERM "${_rp_m[@]}" 2>/dev/null
		kill -CONT "${_rp_m[@]}" 2>/dev/null
		end=$(_rp_deadline "$timeout")
		while (($(_rp_now_us) < end)); do
			sleep 0.05
			_rp_members "$@"
			((${#_rp_m[@]})) || break
		done
		_rp_members "$@"
		((${#_rp_m[@]})) && kill -KILL "${_rp_m[@]}" 2>/dev/null
	fi
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
	return 0
}

# rp_stop NAME [TIMEOUT_S=5]: TERM its process group, wait, then KILL.
rp_stop() {
	local pid
	pid=$(rp_pid "$1") || fail "rp_stop: no process named $1"
	_rp_stop_pids "${2:-5}" "$pid"
}

# rp_kill_all: stop everything spawned so far (silently). Runs at exit.
rp_kill_all() {
	local -a pids=()
	local name pid
	[[ -f $RP_SPAWNED ]] || return 0
	while read -r name pid; do
		[[ $pid =~ ^[0-9]+$ ]] && pids+=("$pid")
	done <"$RP_SPAWNED"
	((${#pids[@]})) && _rp_stop_pids 3 "${pids[@]}" 2>/dev/null
	return 0
}

# rp_on_exit CMD...: run CMD (eval'ed) at exit, before rp_kill_all.
RP_EXIT_HOOKS=()
rp_on_exit() { RP_EXIT_HOOKS+=("$*"); }

_rp_exit() {
	local h
	for h in "${RP_EXIT_HOOKS[@]}"; do
		eval "$h" || true
	done
	rp_kill_all
}
trap _rp_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# ---- waiting -------------------------------------------------------------

# wait_for TIMEOUT_S CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
	local end
	end=$(_rp_deadline "$1")
	shift
	until "$@"; do
		(($(_rp_now_us) < end)) || return 1
		sleep 0.1
	done
}

# count_listeners tcp|udp PORT [ADDR]: number of listening TCP sockets /
# bound UDP sockets on PORT in this namespace (several processes may share
# one port), optionally only those bound to ADDR (127.0.0.1, ::, ::1,
# 0.0.0.0; "" or "any" = all addresses).
count_listeners() {
	local proto=$1 port=$2 addr=${3:-} flag
	case $proto in
	tcp) flag=-Hltn ;;
	udp) flag=-Hlun ;;
	*) fail "count_listeners: protocol must be tcp or udp, not '$proto'" ;;
	esac
	[[ $addr == any ]] && addr=
	ss "$flag" | awk -v port="$port" -v want="$addr" '
	{
		local_ = $4
		i = match(local_, /:[^:]*$/)
		if (!i || substr(local_, i + 1) != port) next
		h = substr(local_, 1, i - 1)
		gsub(/^\[|\]$/, "", h); sub(/%.*/, "", h)
		if (want != "") {
			w = want; gsub(/^\[|\]$/, "", w)
			if (!(h == w || (w == "::" && h == "*") || (w == "*" && h == "::")))
				next
		}
		c++
	}
	END { print c + 0 }'
}

_rp_has_listeners() { # PROTO PORT N ADDR
	(($(count_listeners "$1" "$2" "$4") >= $3))
}

# wait_listeners tcp|udp PORT N [ADDR] [TIMEOUT_S=10]: until >= N sockets.
wait_listeners() {
	wait_for "${5:-10}" _rp_has_listeners "$1" "$2" "$3" "${4:-}" && return 0
	info "timeout: $(count_listeners "$1" "$2" "${4:-}") of $3 $1 listeners on port $2 ${4:-}"
	return 1
}

# wait_tcp_port PORT [ADDR] [TIMEOUT_S=10] / wait_udp_port PORT [ADDR]
# [TIMEOUT_S=10]: until something listens (TCP) / is bound (UDP) there.
# Status 1 on timeout: use `wait_tcp_port 8080 || fail "..."`.
wait_tcp_port() { wait_listeners tcp "$1" 1 "${2:-}" "${3:-10}"; }
wait_udp_port() { wait_listeners udp "$1" 1 "${2:-}" "${3:-10}"; }

# wait_log NAME ERE [TIMEOUT_S=10]: until $RP_TMP/NAME.log has a matching line.
wait_log() {
	local f=$RP_TMP/$1.log
	wait_for "${3:-10}" grep -Eq -- "$2" "$f" 2>/dev/null && return 0
	info "timeout waiting for /$2/ in $1.log; its last lines:"
	tail -n 5 "$f" 2>/dev/null | sed 's/^/  | /'
	return 1
}

# ---- groups (reuseport status --json) ------------------------------------

# status_json: `reuseport status --json` (stderr dropped: groups it skips
# are reported there; the JSON is complete anyway).
status_json() { "$RP_CLI" status --json 2>/dev/null; }

# live_slots GROUP|PORT: live slots (registered sockets that are alive) of
# the group named GROUP (tcp4_127-0-0-1_8080), or summed over every group
# on PORT (any protocol, family, address), as `reuseport status --json`
# reports them.
live_slots() {
	status_json | "$PY" -c '
import json, sys
want = sys.argv[1]
try:
    groups = json.load(sys.stdin)["groups"]
except ValueError:
    groups = []
def mine(name):
    if want.isdigit():
        parts = name.split("_")
        return len(parts) > 2 and parts[2] == want
    return name == want
print(sum(g["live"] for g in groups if mine(g["name"])))' "$1"
}

_rp_live_is() { [[ $(live_slots "$1") == "$2" ]]; }

# wait_live_slots GROUP|PORT N [TIMEOUT_S=10]: until exactly N live slots
# (see live_slots). Status 1 on timeout, after printing `reuseport status`.
wait_live_slots() {
	wait_for "${3:-10}" _rp_live_is "$1" "$2" && return 0
	info "timeout: $(live_slots "$1") of $2 live slots in $1; reuseport status:"
	"$RP_CLI" status 2>&1 | sed 's/^/  | /'
	return 1
}

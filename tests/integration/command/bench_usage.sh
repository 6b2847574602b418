#!/bin/bash
# reuseport bench: usage errors exit 2 with a message naming the problem;
# --help exits 0; a command that never listens on the port, one that cannot
# run, one whose instances the shim cannot steer (memcached -u nobody drops
# the capabilities creating a group needs: the shim falls back), and a load
# generator that is not installed, exit 1 saying so before starting anything.
# slow: reuseport bench runs, each waiting for servers that never come
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd memcached

usage_err() { # PATTERN ARGS...: exit 2, PATTERN on stderr
	local pat=$1 out st
	shift
	out=$("$RP_CLI" bench "$@" 2>&1 >/dev/null)
	st=$?
	assert_eq "$st" 2 "bench $* exit status"
	assert_match "$out" "$pat" "bench $* message"
}

usage_err "--load TYPE is required" -- true
usage_err "--load tcpx: one of http, redis" --load tcpx -- true
usage_err "-n 0: a list of instance counts" --load tcp -n 0 -- true
usage_err "-n 1,,2: a list" --load tcp -n 1,,2 -- true
usage_err "-n 1,2,: a list" --load tcp -n 1,2, -- true
usage_err "-n 300: a list" --load tcp -n 300 -- true
usage_err "--duration x: seconds" --load tcp --duration x -- true
usage_err "--port 0: a port number" --load tcp --port 0 -- true
usage_err "--port 70000: a port number" --load tcp --port 70000 -- true
usage_err "--connections 0" --load tcp -c 0 -- true
usage_err "--path x: must start with /" --load http --path x -- true
usage_err "--query www: \"NAME TYPE\"" --load dns --query www -- true
usage_err "no command to benchmark" --load tcp
usage_err "Usage: reuseport bench" --load tcp --bogus -- true

out=$("$RP_CLI" bench --help)
assert_eq "$?" 0 "bench --help exit status"
assert_match "$out" "Usage: reuseport bench --load TYPE" "bench --help text"

# a command that does not listen where bench looks
out=$("$RP_CLI" bench --load tcp -n 1 --duration 1 --port 18097 --ready-timeout 1 --no-png \
	-- "$PY" -c 'import time; time.sleep(30)' 2>&1)
st=$?
assert_eq "$st" 1 "bench of a command that never listens: exit status"
assert_match "$out" "0 of 1 member\(s\) registered on tcp port 18097" "never listens: message"
assert_match "$out" "N=1 failed" "never listens: the row"

# a command that exits at once
out=$("$RP_CLI" bench --load tcp -n 1 --duration 1 --port 18097 --no-png -- /nonexistent-server 2>&1)
assert_eq "$?" 1 "bench of a command that cannot run: exit status"
assert_match "$out" "exited \(status 127\)" "cannot run: message"

# the load generator is not installed (PATH without it)
mkdir -p "$RP_TMP/empty"
out=$(PATH=$RP_TMP/empty "$RP_CLI" bench --load http -n 1 --duration 1 --port 18098 --no-png \
	-- "$PY" -m http.server --bind 127.0.0.1 18098 2>&1)
assert_eq "$?" 1 "bench without wrk: exit status"
assert_match "$out" "--load http needs wrk, which is not installed \(Debian: apt install wrk\); nothing was started" "without wrk: message"
[[ $out != *"event=start"* && $out != *"instances"* ]] || fail "without wrk, servers were started: $out"
pass_msg "without wrk: no server started"

# the shim falls back to plain SO_REUSEPORT: said at once, not after the
# timeout (last: memcached as nobody leaves the pin dir to nobody)
out=$("$RP_CLI" bench --load memcached -n 1 --duration 1 --port 18099 --ready-timeout 20 --no-png \
	-- memcached -U 0 -t 1 -l 127.0.0.1 -p 18099 -u nobody 2>&1)
assert_eq "$?" 1 "bench of instances without a group: exit status"
assert_match "$out" "run without a steering group" "without a group: message"
assert_match "$out" "event=fallback.*CAP_BPF" "without a group: the shim's reason shown"

# shellcheck shell=bash
# Shared by the failure-mode tests: start N http.servers on PORT with extra
# environment, check every one serves and count the shim's log lines.

# start_servers PORT N [VAR=VALUE...]: instances s1..sN, ids s1..sN
start_servers() {
	local port=$1 n=$2 i
	shift 2
	for i in $(seq "$n"); do
		rp_spawn "s$i" env "$@" "$PY" -m http.server --bind 127.0.0.1 \
			--directory "$(mk_www "s$i" "s$i")" "$port"
	done
	wait_listeners tcp "$port" "$n" 127.0.0.1 15 ||
		fail "$n listeners expected on $port: $(cat "$RP_TMP"/s*.log)"
}

# all_serve PORT N REQUESTS: every instance answers some of the requests
all_serve() {
	local port=$1 n=$2 req=$3 out i
	out=$(rpclient http --port "$port" -n "$req")
	info "client: $out"
	assert_eq "$(jget "$out" ok)" "$req" "answered requests"
	for i in $(seq "$n"); do
		assert_ge "$(jget "$out" "ids.s$i" 0)" 1 "requests served by instance $i"
	done
}

# shim_lines NAME: the shim's log lines of a spawned process
shim_lines() { grep -c '^libreuseport:' "$(rp_logfile "$1")" || true; }

# kernel_prog tcp|udp PORT: ask the kernel whether a reuseport program is
# attached to the socket group on 127.0.0.1:PORT. A plain socket (no shim)
# joins the group (SO_REUSEPORT, same user, same address) and asks to
# detach the group's program (SO_DETACH_REUSEPORT_BPF): prints "none"
# (ENOENT: no program) or "attached" (there was one, and it is detached
# now: use this last).
kernel_prog() {
	env -u LD_PRELOAD "$PY" - "$1" "$2" <<'PY'
import errno, socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", port))
if proto == "tcp":
    s.listen(1)
try:
    s.setsockopt(socket.SOL_SOCKET, 68, 0)  # SO_DETACH_REUSEPORT_BPF
    print("attached")
except OSError as e:
    print("none" if e.errno == errno.ENOENT else errno.errorcode.get(e.errno, str(e.errno)))
PY
}

# pinned_entries: files and directories under the pin dir's v<layout>/NETNS
# directory of this network namespace (groups, temporary directories), not
# the namespace's programs (tcp/, udp/)
pinned_entries() {
	local d
	d=$(rp_ns_dir)
	[ -d "$d" ] || return 0
	find "$d" -mindepth 1 -maxdepth 1 ! -name tcp ! -name udp -printf '%f\n' | sort | tr '\n' ' '
}

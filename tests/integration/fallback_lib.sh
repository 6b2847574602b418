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

#!/bin/bash
# The test environment itself: own network namespace with lo up, a private
# bpffs under REUSEPORT_PIN_DIR, spawned servers reachable and reaped.
# Needs no shim.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"

need_cmd ip ss stat setsid

# A separate network namespace.
ns=$(readlink /proc/self/ns/net)
info "netns $ns, runner's ${RP_HOST_NETNS:-?}"
[[ -n ${RP_HOST_NETNS:-} ]] || fail "RP_HOST_NETNS not set by the runner"
[[ $ns != "$RP_HOST_NETNS" ]] || fail "test runs in the runner's network namespace"
pass_msg "own network namespace"

# lo is up; nothing else but lo exists.
flags=$(ip -o link show lo) || fail "no lo"
assert_match "$flags" '<[^>]*[<,]UP[,>]' "lo flags"
assert_eq "$(ip -o link show | wc -l)" 1 "number of links"

# The pin dir lives on a bpffs of our own.
[[ $REUSEPORT_PIN_DIR == /* ]] || fail "REUSEPORT_PIN_DIR not absolute: $REUSEPORT_PIN_DIR"
parent=$(dirname "$REUSEPORT_PIN_DIR")
assert_eq "$(stat -f -c %T "$parent")" bpf_fs "filesystem type of $parent"
[[ ! -e $REUSEPORT_PIN_DIR ]] || fail "$REUSEPORT_PIN_DIR exists in a fresh bpffs"

# The variables the tests rely on.
for v in RP_TMP RP_ROOT RP_BUILD RP_LIB RP_CLI PY RP_TEST_NAME RP_TEST_TIMEOUT; do
	[[ -n ${!v:-} ]] || fail "$v not set"
done
assert_eq "$PY" /usr/bin/python3 "PY"
assert_eq "$PWD" "$RP_ROOT" "working directory"
assert_eq "$RP_TEST_NAME" harness/environment "RP_TEST_NAME"
[[ -z ${LD_PRELOAD:-} ]] || fail "LD_PRELOAD leaked into the test: $LD_PRELOAD"

# A real server, spawned, reachable, and listed by the helpers.
www=$(mk_www web a)
port=8080
assert_eq "$(count_listeners tcp $port)" 0 "listeners before start"
spawn_plain web "$PY" -m http.server --bind 127.0.0.1 --directory "$www" $port
wait_tcp_port $port 127.0.0.1 10 || fail "http.server did not listen"
assert_eq "$(count_listeners tcp $port)" 1 "tcp listeners on $port"
assert_eq "$(count_listeners tcp $port 127.0.0.1)" 1 "tcp listeners on 127.0.0.1:$port"
assert_eq "$(count_listeners tcp $port ::)" 0 "tcp listeners on [::]:$port"
rp_alive web || fail "web not alive"

out=$(rpclient http --port $port -n 5)
info "rpclient: $out"
assert_eq "$(jget "$out" ok)" 5 "ok responses"
assert_eq "$(jget "$out" failed)" 0 "failed responses"
assert_eq "$(jget "$out" ids.a)" 5 "responses from server a"

# UDP helper server and client.
spawn_plain udp "$PY" "$UDP_SERVER" --port 5353 --id u1 --host 127.0.0.1
wait_log udp '^ready$' 10 || fail "udp_server not ready"
assert_eq "$(count_listeners udp 5353)" 1 "udp sockets on 5353"
out=$(rpclient udp --port 5353 --flows 4 --per-flow 3)
info "rpclient udp: $out"
assert_eq "$(jget "$out" ok)" 12 "udp replies"
assert_eq "$(jget "$out" split_flows)" 0 "split flows"

# rp_stop really stops, and the port is free again.
rp_stop web
rp_alive web && fail "web survived rp_stop"
wait_for 5 bash -c "[[ \$(ss -Hltn 'sport = :$port' | wc -l) == 0 ]]" ||
	fail "port $port still listening after rp_stop"
pass_msg "environment works"

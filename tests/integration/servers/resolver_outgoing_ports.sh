#!/bin/bash
# A resolver's outgoing ports do not become groups. Both resolvers bind
# each upstream query's UDP socket to a port of their own choosing: unbound
# any unassigned port above 1024 (then connects it: a connected UDP socket
# is a client's, so it leaves its group and the group goes), named one of
# the kernel's ephemeral range (ip_local_port_range: out of the default
# scope for UDP). named gives up CAP_BPF at start, so its ports are
# prepared by reuseport setup; an outgoing port in scope would cost it a
# warning line each (it could not create the group). Under the shim with
# the default scope, after 200 recursive queries each through an upstream
# stub: every query answered, the only groups are the resolvers' listening
# ports, their UDP groups still steer (one live slot), and named wrote no
# line of the shim's.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/unbound_lib.sh"
need_shim
need_cli
need_cmd unbound
need_cmd named

STUB=$RP_TEST_LIB/dnsstub.py
spawn_plain upstream "$PY" "$STUB" serve 5399
wait_log upstream '^ready$' 10 || fail "upstream stub not ready: $(cat "$(rp_logfile upstream)")"

groups() { jeval "$(status_json)" '" ".join(sorted(g["name"] for g in d["groups"]))'; }

# 1. unbound: outgoing sockets on random ports, connected
unbound_conf 5353 $'\tmodule-config: "iterator"' $'\tdo-not-query-localhost: no' \
	$'\tqname-minimisation: no' $'\tudp-connect: yes' \
	'forward-zone:' $'\tname: "."' $'\tforward-addr: 127.0.0.1@5399' >"$RP_TMP/unbound.conf"
REUSEPORT_LOG=info rp_spawn unbound unbound -d -c "$RP_TMP/unbound.conf"
wait_udp_port 5353 127.0.0.1 15 || fail "unbound did not start: $(cat "$(rp_logfile unbound)")"
out=$("$PY" "$STUB" query 5353 200 unbound)
info "queries to unbound: $out"
assert_eq "$(jget "$out" ok)" 200 "answers from unbound"
left=$(grep -c 'event=leave .*errno=0' "$(rp_logfile unbound)" || true)
info "unbound: $left outgoing sockets left the group they were registered in"
assert_ge "$left" 1 "outgoing sockets of unbound that left their group (ports below the ephemeral range)"
assert_eq "$(groups)" "udp4_127-0-0-1_5353" "groups after 200 recursive queries through unbound"
assert_eq "$(live_slots udp4_127-0-0-1_5353)" 1 "live slots of unbound's listening port"
rp_stop unbound

# 2. named: outgoing ports from the ephemeral range
mkdir -p "$RP_TMP/named"
cat >"$RP_TMP/named.conf" <<CONF
options {
	directory "$RP_TMP/named";
	pid-file none;
	session-keyfile none;
	listen-on port 5354 { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-query { any; };
	forwarders { 127.0.0.1 port 5399; };
	forward only;
	dnssec-validation no;
};
controls { };
CONF
out=$("$RP_CLI" setup tcp:127.0.0.1:5354 udp:127.0.0.1:5354 2>&1) || fail "reuseport setup: $out"
rp_spawn named named -g -4 -n 1 -c "$RP_TMP/named.conf"
wait_udp_port 5354 127.0.0.1 15 || fail "named did not start: $(tail -20 "$(rp_logfile named)")"
out=$("$PY" "$STUB" query 5354 200 named)
info "queries to named: $out"
assert_eq "$(jget "$out" ok)" 200 "answers from named"
assert_eq "$(groups)" "tcp4_127-0-0-1_5354 udp4_127-0-0-1_5354" "groups after 200 recursive queries through named"
assert_eq "$(live_slots udp4_127-0-0-1_5354)" 1 "live slots of named's UDP port"
assert_eq "$(grep -c '^libreuseport:' "$(rp_logfile named)")" 0 "lines of the shim in named's log"
pass_msg "resolvers: only their listening ports are groups"

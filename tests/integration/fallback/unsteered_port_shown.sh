#!/bin/bash
# A port shared with no group is shown, not silent: two servers that set
# SO_REUSEPORT themselves and run without the shim (as servers whose shim
# fell back: no capabilities, seccomp, a foreign pin) share 127.0.0.1:PORT;
# status says UNSTEERED (text), lists the port in unsteered_ports (JSON)
# and metrics in reuseport_unsteered_port_listeners, with its two
# listeners, even with no group in the namespace; a steered
# group on another port is not listed there, and a single listener is not
# a shared port. With no bpffs under the pin dir (no group can exist),
# status and metrics still show the port, and exit 1 saying bpffs is missing.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

P=9130 Q=9131 R=9132
for i in 1 2; do
	spawn_plain "u$i" "$PY" "$RP_TEST_LIB/plain_server.py" $P "u$i"
done
spawn_plain single "$PY" "$RP_TEST_LIB/plain_server.py" $R single
wait_listeners tcp $P 2 127.0.0.1 10 || fail "2 listeners on $P expected"
wait_listeners tcp $R 1 127.0.0.1 10 || fail "1 listener on $R expected"
mkdir -p "$REUSEPORT_PIN_DIR" # setup's pin dir, with no group in it
unst() { jeval "$(status_json)" "d['unsteered_ports']"; }
assert_eq "$(unst)" '[{"proto": "tcp", "family": "ipv4", "address": "127.0.0.1", "port": '$P', "listeners": 2}]' \
	"unsteered ports with no group in the namespace"
txt=$("$RP_CLI" status)
info "status: $txt"
grep -q "UNSTEERED: tcp 127.0.0.1:$P is shared by 2 listeners with no group" <<<"$txt" ||
	fail "status text does not show the unsteered port"
pass_msg "status text shows the unsteered port"
assert_eq "$("$RP_CLI" metrics | grep '^reuseport_unsteered_port_listeners')" \
	"reuseport_unsteered_port_listeners{proto=\"tcp\",address=\"127.0.0.1\",port=\"$P\"} 2" "the metric of the unsteered port"
mkdir -p "$RP_TMP/plain"
rc=0
txt=$(REUSEPORT_PIN_DIR=$RP_TMP/plain/reuseport "$RP_CLI" status 2>"$RP_TMP/nobpffs.err") || rc=$?
assert_eq "$rc" 1 "status exit status with no bpffs"
grep -q "bpffs is not mounted" "$RP_TMP/nobpffs.err" || fail "no bpffs message: $(cat "$RP_TMP/nobpffs.err")"
grep -q "UNSTEERED: tcp 127.0.0.1:$P is shared by 2 listeners" <<<"$txt" || fail "status with no bpffs hides the port: $txt"
rc=0
txt=$(REUSEPORT_PIN_DIR=$RP_TMP/plain/reuseport "$RP_CLI" metrics 2>/dev/null) || rc=$?
assert_eq "$rc" 1 "metrics exit status with no bpffs"
grep -q "^reuseport_unsteered_port_listeners{proto=\"tcp\",address=\"127.0.0.1\",port=\"$P\"} 2" <<<"$txt" ||
	fail "metrics with no bpffs hide the port: $txt"
pass_msg "with no bpffs, status and metrics still show the unsteered port"

for i in 1 2; do
	REUSEPORT_POLICY=roundrobin rp_spawn "s$i" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "s$i" "s$i")" $Q
	wait_live_slots $Q "$i" || fail "s$i not registered"
done
assert_eq "$(jeval "$(unst)" '[u["port"] for u in d]')" "[$P]" "unsteered ports beside a steered group"

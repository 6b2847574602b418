#!/bin/bash
# REUSEPORT_STRICT=1 turns a steering failure into a failed call with a
# documented errno and a log line; without it the same problem degrades.
. "${RP_ROOT:?run me with tests/run-integration}/tests/integration/lib.sh"
need_shim

cat > "$RP_TMP/bindlisten.py" <<'PY'
import errno, socket, sys
proto, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", port))
    if proto == "tcp":
        s.listen(8)
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
run() { LD_PRELOAD=$RP_LIB "$PY" "$RP_TMP/bindlisten.py" "$@" 2> "$RP_TMP/err.txt"; }

mkdir -p "$RP_TMP/plain"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PIN_DIR=$RP_TMP/plain/x run tcp 8100)" ENOMEDIUM "strict, no bpffs, TCP listen"
grep -q 'event=strict_fail .*call=listen errno=ENOMEDIUM' "$RP_TMP/err.txt" || fail "no strict_fail line: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PIN_DIR=$RP_TMP/plain/x run udp 8100)" ENOMEDIUM "strict, no bpffs, UDP bind"
assert_eq "$(REUSEPORT_PIN_DIR=$RP_TMP/plain/x run tcp 8100)" ok "not strict, no bpffs"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_POLICY=fastest run tcp 8100)" EINVAL "strict, invalid policy"
grep -q 'REUSEPORT_POLICY=fastest: unknown policy' "$RP_TMP/err.txt" || fail "invalid policy not named: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PORTS=80-70 run udp 8100)" EINVAL "strict, invalid port range"
assert_eq "$(REUSEPORT_POLICY=fastest run tcp 8100)" ok "not strict, invalid policy: pass-through"
assert_eq "$(grep -c '^libreuseport:' "$RP_TMP/err.txt")" 1 "log lines for an invalid variable"
grep -q 'level=error event=config_invalid error="REUSEPORT_POLICY=fastest: unknown policy; accepted: ' "$RP_TMP/err.txt" ||
	fail "invalid variable line: $(cat "$RP_TMP/err.txt")"
assert_eq "$(REUSEPORT_STRICT=1 run tcp 8100)" ok "strict, everything fine"
assert_eq "$(REUSEPORT_STRICT=1 REUSEPORT_PORTS=9000 REUSEPORT_PIN_DIR=$RP_TMP/plain/x run tcp 8100)" ok "strict, port out of scope is untouched"

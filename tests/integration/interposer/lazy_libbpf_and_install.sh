#!/bin/bash
# A process that never listens does not load libbpf (lazy loading), one
# that listens does; `make install` gives a working library + command
# (libreuseport-steer.so is found beside libreuseport.so).
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd make

maps_of() { # LD_PRELOAD-value CODE: /proc/self/maps after running CODE
	LD_PRELOAD=$1 "$PY" -c "import socket
$2
print(open('/proc/self/maps').read())"
}
m=$(maps_of "$RP_LIB" 's = socket.socket(); s.connect_ex(("127.0.0.1", 9))')
echo "$m" | grep -q 'libreuseport.so' || fail "the shim is not loaded"
echo "$m" | grep -q 'libbpf\|libreuseport-steer' && fail "a process that never listened loaded libbpf"
pass_msg "no libbpf in a process that never listens"
m=$(maps_of "$RP_LIB" 's = socket.socket(); s.bind(("127.0.0.1", 8350)); s.listen()')
echo "$m" | grep -q 'libreuseport-steer.so' || fail "a listening process did not load the steering library"
echo "$m" | grep -q 'libbpf' || fail "libbpf not loaded after listen"
pass_msg "libbpf loaded on the first listen"

make -s -C "$RP_ROOT" install DESTDIR="$RP_TMP/inst" PREFIX=/usr >/dev/null || fail "make install failed"
lib=$RP_TMP/inst/usr/lib/libreuseport.so
for f in "$lib" "$RP_TMP/inst/usr/lib/libreuseport-steer.so" "$RP_TMP/inst/usr/bin/reuseport"; do
	[ -e "$f" ] || fail "not installed: $f"
done
for i in 1 2; do
	REUSEPORT_POLICY=roundrobin spawn_plain "i$i" env LD_PRELOAD="$lib" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "i$i" "i$i")" 8351
done
wait_listeners tcp 8351 2 127.0.0.1 10 || fail "servers with the installed library did not start"
wait_for 10 bash -c "'$RP_TMP/inst/usr/bin/reuseport' status | grep -c ' live ' | grep -qx 2" ||
	fail "installed command does not see 2 live slots: $("$RP_TMP/inst/usr/bin/reuseport" status)"
out=$(rpclient http --port 8351 -n 20)
assert_eq "$(jget "$out" ids.i1 0)" 10 "requests to instance 1 (installed library, roundrobin)"
assert_eq "$(jget "$out" ids.i2 0)" 10 "requests to instance 2"
assert_eq "$(cat "$RP_TMP"/i*.log | grep -c '^libreuseport:')" 0 "shim warnings"

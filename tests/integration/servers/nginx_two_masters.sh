#!/bin/bash
# Two unmodified nginx masters (worker_processes 1), each with its own
# config, on one port: both serve, alternately (roundrobin over 2 slots).
# nginx's master binds+listens and its worker inherits the socket, so each
# master is one group member.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd nginx

port=8081
for n in a b; do
	mkdir -p "$RP_TMP/nginx-$n"
	cat > "$RP_TMP/nginx-$n/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $RP_TMP/nginx-$n/nginx.pid;
error_log $RP_TMP/nginx-$n/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $RP_TMP/nginx-$n;
	proxy_temp_path $RP_TMP/nginx-$n;
	fastcgi_temp_path $RP_TMP/nginx-$n;
	uwsgi_temp_path $RP_TMP/nginx-$n;
	scgi_temp_path $RP_TMP/nginx-$n;
	server {
		listen 127.0.0.1:$port;
		location / { return 200 "$n\n"; }
	}
}
CONF
	rp_spawn "nginx-$n" nginx -e "$RP_TMP/nginx-$n/error.log" -c "$RP_TMP/nginx-$n/nginx.conf"
	wait_listeners tcp $port "$([ $n = a ] && echo 1 || echo 2)" 127.0.0.1 15 ||
		fail "nginx $n did not start: $(cat "$RP_TMP/nginx-$n/error.log" "$(rp_logfile "nginx-$n")")"
done
assert_eq "$(count_listeners tcp $port)" 2 "listeners on $port (two masters)"

out=$(rpclient http --port $port --path / -n 100)
info "client: $out"
assert_eq "$(jget "$out" ok)" 100 "answered requests"
assert_eq "$(jget "$out" ids.a 0)" 50 "requests served by master a"
assert_eq "$(jget "$out" ids.b 0)" 50 "requests served by master b"
for n in a b; do
	grep -q 'event=fallback\|level=error' "$(rp_logfile "nginx-$n")" "$RP_TMP/nginx-$n/error.log" &&
		fail "nginx $n logged a fallback: $(cat "$(rp_logfile "nginx-$n")")"
done
pass_msg "no fallback logged"

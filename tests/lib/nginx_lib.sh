# shellcheck shell=bash
# nginx_conf DIR PORT BODY: a one-worker nginx config answering BODY,
# all paths under DIR.
nginx_conf() {
	local dir=$1 port=$2 body=$3
	cat <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $dir;
	proxy_temp_path $dir;
	fastcgi_temp_path $dir;
	uwsgi_temp_path $dir;
	scgi_temp_path $dir;
	server {
		listen 127.0.0.1:$port backlog=1024;
		location / { return 200 "$body\n"; }
	}
}
CONF
}

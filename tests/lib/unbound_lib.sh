# shellcheck shell=bash
# unbound_conf PORT [LINE...]: an unbound config serving UDP on
# 127.0.0.1:PORT in the foreground, no daemon, no chroot, no remote
# control, files under $RP_TMP; each LINE is added to its server: clause
# (a further clause may follow in a LINE without a leading tab).
unbound_conf() {
	local port=$1 line
	shift
	cat <<CONF
server:
	interface: 127.0.0.1
	port: $port
	do-daemonize: no
	use-syslog: no
	username: ""
	chroot: ""
	directory: "$RP_TMP"
	pidfile: ""
	num-threads: 1
	do-ip6: no
	do-tcp: no
CONF
	for line in "$@"; do printf '%s\n' "$line"; done
	printf 'remote-control:\n\tcontrol-enable: no\n'
}

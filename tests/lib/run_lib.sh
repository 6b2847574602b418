# shellcheck shell=bash
# Helpers of the `reuseport run` tests (supervisor/), sourced after lib.sh.

# ns_pgrep ERE: pids of the processes of this network namespace whose
# name matches ERE exactly (other tests run the same servers elsewhere).
ns_pgrep() {
	local p
	for p in $(pgrep -x "$1"); do
		[[ /proc/$p/ns/net -ef /proc/$$/ns/net ]] && echo "$p"
	done
	return 0
}

# none_left ERE: no such process is left in this network namespace.
none_left() { [[ -z $(ns_pgrep "$1") ]]; }

# lighttpd_conf PORT [LINE...]: a lighttpd.conf in $RP_TMP serving
# $RP_TMP/www (an index.html saying ok) on 127.0.0.1:PORT, plus LINEs.
lighttpd_conf() {
	local port=$1
	shift
	mkdir -p "$RP_TMP/www"
	echo ok >"$RP_TMP/www/index.html"
	{
		printf 'server.document-root = "%s"\n' "$RP_TMP/www"
		printf 'server.port = %s\n' "$port"
		printf 'server.bind = "127.0.0.1"\n'
		printf 'server.errorlog = "%s"\n' "$RP_TMP/lighttpd-error.log"
		printf '%s\n' "$@"
	} >"$RP_TMP/lighttpd.conf"
}

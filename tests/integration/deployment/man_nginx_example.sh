#!/bin/bash
# reuseport(8)'s nginx example works as written on Debian: its command
# (EXAMPLES, rendered by man) is run with the example configuration of the
# repository in place of the package's copy, /run replaced by a scratch
# directory and two instances instead of four; every request is answered
# with a page (200), by both instances.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd nginx man

text=$(MANWIDTH=1000 man -l "$RP_ROOT/docs/man/reuseport.8" 2>/dev/null |
	awk '$0 == "EXAMPLES" { on = 1; next } /^[A-Z]/ { on = 0 } on')
# the run command: from "reuseport run -n 4 -- nginx" to the line ending in "&"
cmdline=$(awk '/reuseport run -n 4 -- nginx/ { on = 1 } on { print } on && /&$/ { exit }' <<<"$text" |
	sed 's/\\$//' | tr '\n' ' ')
[[ -n $cmdline ]] || fail "no nginx example in reuseport(8) EXAMPLES"
info "the example: $cmdline"
conf=/usr/share/doc/libreuseport/examples/systemd/nginx-reuseport.conf
[[ $cmdline == *"$conf"* ]] || fail "the example does not use $conf"
mkdir -p "$RP_TMP/run" "$RP_TMP/nginxlog"
sed -e "s|/var/log/nginx|$RP_TMP/nginxlog|g" "$RP_ROOT/examples/systemd/nginx-reuseport.conf" >"$RP_TMP/nginx.conf"
cmdline=${cmdline//$conf/$RP_TMP/nginx.conf}
cmdline=${cmdline//\/run\//$RP_TMP\/run\/}
cmdline=${cmdline/-n 4/-n 2}
cmdline=${cmdline%&*}
eval "set -- $cmdline"
[[ $1 == reuseport && $2 == run ]] || fail "not a reuseport run command: $*"
shift
spawn_plain ex "$RP_CLI" "$@"
wait_live_slots tcp4_0-0-0-0_8080 2 15 || fail "2 nginx expected: $(cat "$(rp_logfile ex)" "$RP_TMP/nginxlog/error.log" 2>/dev/null)"
codes=$(for _ in $(seq 10); do curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/; done | sort | uniq -c | tr -s ' ')
assert_eq "$codes" " 10 200" "answers of the example (status codes)"
assert_eq "$(jeval "$(status_json)" "[s['accepted'] > 0 for g in d['groups'] if g['port'] == 8080 for s in g['slots']]")" \
	"[true, true]" "both instances answered"
ls "$RP_TMP"/run/nginx-1.0.pid "$RP_TMP"/run/nginx-2.0.pid >/dev/null || fail "no pid file per instance: $(ls "$RP_TMP/run")"
pass_msg "a pid file per instance and generation"

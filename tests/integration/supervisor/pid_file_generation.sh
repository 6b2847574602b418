#!/bin/bash
# reuseport run with servers that refuse to start while their pid file names
# a live process (apache2, squid): `{g}` (the generation) in the pid file
# keeps old and new instance i apart, so SIGHUP rolls them under load with
# zero failed requests. apache2 prefork (-DFOREGROUND, PidFile given with -c)
# serves :8480; squid (-N, an accelerator in front of apache, its pid file
# named after `-n s{i}g{g}`) serves :8482. Then a roll whose replacement
# cannot start (apache given a bad directive in generation 2, through a
# file only that generation reads) is reported with the replacement's real
# exit status, and the old instances keep serving.
# slow: apache2 and squid rolled under load, then a failed roll
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/run_lib.sh"
need_shim
need_cli
need_cmd apache2
need_cmd squid

mods=/usr/lib/apache2/modules
d=$RP_TMP/apache
mkdir -p "$d/www" "$d/extra"
echo ok >"$d/www/index.html"
cat >"$d/apache2.conf" <<CONF
ServerRoot $d
ServerName localhost
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
Listen 127.0.0.1:8480
User www-data
Group www-data
DocumentRoot $d/www
DirectoryIndex index.html
TypesConfig /etc/mime.types
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 16
KeepAlive Off
ErrorLog $d/error.log
<Directory $d/www>
  Require all granted
</Directory>
CONF
# a generation-specific include: gen{g}.conf (empty unless written below)
apache=(apache2 -d "$d" -f "$d/apache2.conf" -DFOREGROUND
	-c "PidFile $d/apache.{i}.{g}.pid" -c "DefaultRuntimeDir $d"
	-c "Include $d/extra/gen{g}.conf")
for g in 0 1; do : >"$d/extra/gen$g.conf"; done

spawn_plain sup_a "$RP_CLI" run -n 2 --grace 5 -- "${apache[@]}"
wait_live_slots 8480 2 20 || fail "2 apache expected: $(cat "$(rp_logfile sup_a)" "$d/error.log")"

s=$RP_TMP/squid
mkdir -p "$s" && chown proxy:proxy "$s"
cat >"$s/squid.conf" <<CONF
http_port 127.0.0.1:8482 accel defaultsite=localhost no-vhost
cache_peer 127.0.0.1 parent 8480 0 no-query originserver name=apache
cache_peer_access apache allow all
http_access allow all
pid_filename $s/squid.\${service_name}.pid
cache_log $s/cache.\${service_name}.log
access_log none
cache deny all
coredump_dir $s
shutdown_lifetime 1 seconds
CONF
spawn_plain sup_s "$RP_CLI" run -n 2 --grace 5 --ready-timeout 20 -- squid -N -n "s{i}g{g}" -f "$s/squid.conf"
wait_live_slots 8482 2 30 || fail "2 squid expected: $(cat "$(rp_logfile sup_s)")"

# roll SUP PORT ROUNDS: SIGHUP ROUNDS times under 4 clients of PORT; 0 failures
roll() {
	local sup=$1 port=$2 rounds=$3 r out
	rm -f "$RP_TMP/stop"
	"$PY" "$RP_TEST_LIB/loadclient.py" "$port" 4 "$RP_TMP/stop" >"$RP_TMP/load.json" &
	local load=$!
	sleep 1
	for r in $(seq "$rounds"); do
		kill -HUP "$(rp_pid "$sup")"
		wait_for 60 grep -q "event=rolling_done generation=$r\$" "$(rp_logfile "$sup")" ||
			fail "$sup: round $r did not finish: $(tail -20 "$(rp_logfile "$sup")")"
	done
	sleep 1
	touch "$RP_TMP/stop"
	wait "$load"
	out=$(cat "$RP_TMP/load.json")
	info "$sup: $rounds rolls: $out"
	assert_ge "$(jget "$out" ok)" 100 "$sup: requests during the rolls"
	assert_eq "$(jget "$out" failed)" 0 "$sup: failed requests during the rolls"
	assert_eq "$(jeval "$(status_json)" "sorted(set(s['generation'] for g in d['groups'] if g['name'].endswith('_%d' % $port) for s in g['slots']))")" "[$rounds]" "$sup: generation live after $rounds rolls"
}
roll sup_a 8480 1
ls "$d"/apache.*.pid
[[ -s $d/apache.1.1.pid && -s $d/apache.2.1.pid ]] || fail "pid files of generation 1 expected: $(ls "$d")"
roll sup_s 8482 1
[[ -s $s/squid.s1g1.pid && -s $s/squid.s2g1.pid ]] || fail "squid pid files of generation 1 expected: $(ls "$s")"

# generation 2 of apache cannot start: the roll reports its exit status
echo "NoSuchDirective on" >"$d/extra/gen2.conf"
kill -HUP "$(rp_pid sup_a)"
wait_for 30 grep -q "event=rolling_abort" "$(rp_logfile sup_a)" || fail "no rolling_abort: $(tail "$(rp_logfile sup_a)")"
line=$(grep "event=rolling_abort" "$(rp_logfile sup_a)")
info "$line"
assert_match "$line" 'instance 1 generation 2 exited with status 1 before registering' "the failed roll's reason"
assert_eq "$(jeval "$(status_json)" "sorted(s['generation'] for g in d['groups'] if g['name'].endswith('_8480') for s in g['slots'])")" "[1, 1]" "generations serving after the failed roll"
out=$(rpclient http --port 8480 --path / -n 20)
assert_eq "$(jget "$out" ok)" 20 "requests answered after the failed roll"

# a requested stop: both supervisors exit 0, nothing of theirs is left
for sup in sup_s sup_a; do
	kill -TERM "$(rp_pid $sup)"
done
for sup in sup_s sup_a; do
	wait_for 20 grep -q "event=stopped status=0" "$(rp_logfile $sup)" || fail "$sup did not stop: $(tail "$(rp_logfile $sup)")"
done
wait_for 5 none_left "apache2|squid" || fail "left running: $(ns_pgrep "apache2|squid")"
pass_msg "stopped, no apache2 or squid left"

#!/bin/bash
# REUSEPORT_LOG_FILE that must not be used: a FIFO (would block the server
# inside listen), a directory, a relative path, a symlink, /dev/full, and
# regular files of kernel filesystems (/proc/sys/kernel/hostname would take
# the warning as the host's name, /proc/self/mem swallows it). In every row
# the server starts (in a UTS namespace of its own: a shim that wrote the
# hostname would change only its own), is steered, serves, and stderr has
# exactly one line saying why the file was refused; a regular file works.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

mkfifo "$RP_TMP/fifo"
mkdir "$RP_TMP/dir"
touch "$RP_TMP/real.log"
ln -s "$RP_TMP/real.log" "$RP_TMP/link.log"
rows=(
	"$RP_TMP/fifo|is a FIFO"
	"$RP_TMP/dir|directory"
	"relative.log|not an absolute path"
	"$RP_TMP/link.log|symbolic link"
	"/dev/full|character device"
	"/proc/sys/kernel/hostname|is on procfs"
	"/proc/self/mem|is on procfs"
)
need_cmd unshare nsenter
host=$(cat /proc/sys/kernel/hostname)
port=8440
for row in "${rows[@]}"; do
	file=${row%%|*} why=${row#*|} port=$((port + 1))
	name=s$port
	spawn_plain "$name" unshare --uts env LD_PRELOAD="$RP_LIB" REUSEPORT_LOG=info REUSEPORT_LOG_FILE="$file" \
		"$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$name" "$name")" $port
	wait_tcp_port $port 127.0.0.1 15 || fail "$file: the server did not start: $(cat "$(rp_logfile "$name")")"
	out=$(rpclient http --port $port -n 3)
	assert_eq "$(jget "$out" ok)" 3 "$file: requests served"
	assert_eq "$(nsenter --uts="/proc/$(rp_pid "$name")/ns/uts" cat /proc/sys/kernel/hostname)" "$host" \
		"$file: the server's hostname"
	assert_eq "$(grep -c 'event=log_file_refused' "$(rp_logfile "$name")")" 1 "$file: refusal lines on stderr"
	grep -q "event=log_file_refused.*$why" "$(rp_logfile "$name")" || fail "$file: the reason is not '$why'"
	grep -q "event=attach group=tcp4_127-0-0-1_$port" "$(rp_logfile "$name")" || fail "$file: not steered"
	pass_msg "$file: refused ($why), the server serves, steered"
	rp_stop "$name"
done
[[ ! -s $RP_TMP/real.log ]] || fail "something was written through the symlink"
pass_msg "nothing written through the symlink"
# a regular file: used
port=$((port + 1))
REUSEPORT_LOG=info REUSEPORT_LOG_FILE=$RP_TMP/good.log rp_spawn good "$PY" -m http.server \
	--bind 127.0.0.1 --directory "$(mk_www good good)" $port
wait_tcp_port $port 127.0.0.1 15 || fail "good: the server did not start"
wait_for 10 grep -q "event=attach group=tcp4_127-0-0-1_$port" "$RP_TMP/good.log" ||
	fail "the regular log file got no attach line"
pass_msg "a regular file gets the lines"

#!/bin/bash
# 64 servers start at the same instant on one port (first start of the
# group included): a barrier holds every racer, its shim already
# initialised, until all 64 wait on it; then all bind and listen at once.
# The kernel and the pins must show one group: one group directory with
# one program pin, 64 distinct live slots, every listening socket of the
# port in that group's sockarray, no other sk_reuseport program holding
# any of them, and the pinned program run for every connection. Exactly
# one process logs that it created the group; none falls back, and none
# takes a sibling between its listen() and its registration for an
# unregistered listener (2 CPUs: many are in that moment at once).
# slow: 64 Python servers started at once
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
need_cmd bpftool ss
n=64
port=8220
group=tcp4_127-0-0-1_$port

# racer.py PORT READYDIR FIFO: socket() (the shim initialises), say ready,
# block opening the FIFO until the test opens it for writing, then race.
cat > "$RP_TMP/racer.py" <<'PY'
import os, socket, sys
port, ready, fifo = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
open(os.path.join(ready, str(os.getpid())), "w").close()
open(fifo, "rb").close()
s.bind(("127.0.0.1", port))
s.listen(16)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.recv(4096)
    body = str(os.getpid()).encode()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
PY
mkdir "$RP_TMP/ready"
mkfifo "$RP_TMP/go"
for i in $(seq $n); do
	REUSEPORT_LOG=info rp_spawn "r$i" "$PY" "$RP_TMP/racer.py" $port "$RP_TMP/ready" "$RP_TMP/go"
done
# blocked: every racer said ready and sleeps in the FIFO's open()
blocked() {
	local i pid
	for i in $(seq $n); do
		pid=$(rp_pid "r$i")
		[ -e "$RP_TMP/ready/$pid" ] || return 1
		[ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = wait_for_partner ] || return 1
	done
}
# shellcheck disable=SC2012 # pids and group names
wait_for 60 blocked || fail "racers did not all reach the barrier: $(ls "$RP_TMP/ready" | wc -l) ready"
assert_eq "$(count_listeners tcp $port)" 0 "listeners before the barrier opens"
exec 3>"$RP_TMP/go" # every racer's open() returns
exec 3>&-
wait_listeners tcp $port $n 127.0.0.1 20 || fail "$n listeners expected"
wait_live_slots $group $n || fail "$n live slots expected"

# One group in the pins
status=$(status_json)
nsdir=$(jget "$status" namespace_dir)
# shellcheck disable=SC2012 # bpffs names have no odd characters
assert_eq "$(ls "$nsdir" | tr '\n' ' ')" "tcp $group " "entries of the namespace's pin directory (one group, the namespace's TCP program, no temporary directories)"
gdir=$nsdir/$group
# shellcheck disable=SC2012
assert_eq "$(ls "$gdir" | tr '\n' ' ')" "socks state " "pins of the group (its maps; no program of its own)"
# shellcheck disable=SC2012
assert_eq "$(ls "$nsdir/tcp" | tr '\n' ' ')" "flows groups owners prog socks " "pins of the namespace's TCP program"
assert_eq "$(jeval "$status" 'len(d["groups"])')" 1 "groups in reuseport status"
assert_eq "$(jeval "$status" 'len(set(s["slot"] for s in d["groups"][0]["slots"]))')" $n "distinct live slots"
slot_pids=$(jeval "$status" '" ".join(sorted(str(s["pid"]) for s in d["groups"][0]["slots"]))')
want=$(for i in $(seq $n); do rp_pid "r$i"; done | sort | tr '\n' ' ' | sed 's/ $//')
assert_eq "$slot_pids" "$want" "slot pids are the $n servers"

# The kernel: the namespace's pinned program uses its pinned outer maps,
# which hold the group's pinned maps; the group's sockarray holds exactly
# the port's listening sockets (by socket cookie); no other sk_reuseport
# program in the system reaches any of them.
prog=$(bpftool -j prog show pinned "$nsdir/tcp/prog")
prog_id=$(jget "$prog" id)
assert_eq "$(jget "$prog" type)" sk_reuseport "type of the pinned program"
maps="$(for m in groups socks flows; do jget "$(bpftool -j map show pinned "$nsdir/tcp/$m")" id; done | tr '\n' ' ')"
outer_of_prog=$(for m in $(jeval "$prog" '" ".join(str(m) for m in d["map_ids"])'); do
	[ "$(jget "$(bpftool -j map show id "$m")" type)" = array_of_maps ] && echo "$m"
done | sort -n | tr '\n' ' ')
assert_eq "$outer_of_prog" "$(tr ' ' '\n' <<<"$maps" | grep . | sort -n | tr '\n' ' ')" "outer maps of the pinned program (its groups, socks and flows pins)"
# an outer map's entries: the ids of the maps it holds
inner() { bpftool -j map dump "$@" 2>/dev/null | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("value")
    print(v if isinstance(v, int) else int.from_bytes(bytes(int(b, 16) for b in v), "little"))'; }
gsocks=$(jget "$(bpftool -j map show pinned "$gdir/socks")" id)
gstate=$(jget "$(bpftool -j map show pinned "$gdir/state")" id)
inner pinned "$nsdir/tcp/socks" | grep -qx "$gsocks" || fail "the group's sockarray is not in the namespace's outer map"
inner pinned "$nsdir/tcp/groups" | grep -qx "$gstate" || fail "the group's state is not in the namespace's outer map"
# sockarray values are socket cookies; ss -e prints them as sk:HEX
cookies() { # MAP_SPEC...: the cookies in a sockarray, sorted
	bpftool -j map dump "$@" 2>/dev/null | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    v = e.get("value")
    if isinstance(v, list):
        print(int.from_bytes(bytes(int(b, 16) for b in v), "little"))' | sort -n
}
ss -Htlne "sport = :$port" | sed -n 's/.* sk:\([0-9a-f]*\) .*/\1/p' | while read -r h; do echo $((16#$h)); done | sort -n > "$RP_TMP/sockets"
cookies pinned "$gdir/socks" > "$RP_TMP/registered"
assert_eq "$(wc -l < "$RP_TMP/sockets")" $n "listening sockets on the port (cookies from ss -e)"
assert_eq "$(tr '\n' ' ' <"$RP_TMP/registered")" "$(tr '\n' ' ' <"$RP_TMP/sockets")" "sockets in the pinned sockarray = the port's listening sockets"
holders=
for id in $(bpftool -j prog show | "$PY" -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("type") == "sk_reuseport":
        print(p["id"], *p.get("map_ids", []))' | tr ' ' ':'); do
	p=${id%%:*}
	for m in $(tr ':' ' ' <<<"${id#*:}"); do
		[ "$m" = "$p" ] && continue
		case $(jget "$(bpftool -j map show id "$m" 2>/dev/null || echo '{}')" type '') in
		reuseport_sockarray) arrays=$m ;;
		array_of_maps | hash_of_maps) arrays=$(inner id "$m") ;;
		*) continue ;;
		esac
		for a in $arrays; do
			[ "$(jget "$(bpftool -j map show id "$a" 2>/dev/null || echo '{}')" type '')" = reuseport_sockarray ] || continue
			if [ -n "$(comm -12 "$RP_TMP/sockets" <(cookies id "$a"))" ]; then
				holders+="$p "
				break 2
			fi
		done
	done
done
assert_eq "$holders" "$prog_id " "sk_reuseport programs whose sockarray holds the port's sockets"

assert_eq "$(cat "$RP_TMP"/r*.log | grep -c 'event=create ')" 1 "processes that created the group"
assert_eq "$(cat "$RP_TMP"/r*.log | grep -c 'event=attach ')" $n "processes that attached"
warnings=$(cat "$RP_TMP"/r*.log | grep 'level=warn\|level=error' || true)
[ -z "$warnings" ] || info "warnings: $warnings"
assert_eq "$(grep -c . <<<"$warnings")" 0 "warnings"

# Every connection ran the pinned program (its counters are in the pinned
# state map) and was steered round robin over the 64 sockets.
out=$(rpclient http --port $port --path / -n $((n * 5)))
assert_eq "$(jeval "$out" 'sorted(set(d["ids"].values()))')" "[5]" "requests per server (roundrobin)"
status=$(status_json)
assert_eq "$(jget "$status" groups.0.counters.runs)" $((n * 5)) "runs of the pinned program"
assert_eq "$(jget "$status" groups.0.counters.steered)" $((n * 5)) "connections it steered"

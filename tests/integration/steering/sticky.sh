#!/bin/bash
# sticky: 64 client addresses (127.0.0.2-65) always reach the same one of 4
# instances. When one instance goes away exactly its clients move (the
# program probes past the dead slot until the next rebuild) and nobody
# else: bounds on both sides, so a policy that moves everything or nothing
# fails. UDP also checks a join: a 5th instance takes about a fifth of
# the clients, from every instance, while Maglev moves almost nobody
# between the others (0.2 % of the buckets); hash-mod-N would move ~80 %.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

# moves BEFORE AFTER (by_src maps, address -> instance): which sources
# changed instance: {"moved", "pct", "from": {inst: n}, "to": {inst: n},
# "had": {inst: sources it had before}}
moves() {
	"$PY" -c '
import collections, json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
mv = [k for k in a if a[k] != b.get(k)]
print(json.dumps({"moved": len(mv), "pct": round(100 * len(mv) / len(a)),
                  "from": collections.Counter(a[k] for k in mv),
                  "to": collections.Counter(str(b.get(k)) for k in mv),
                  "had": collections.Counter(a.values())}))' "$1" "$2"
}
by_src() { "$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["by_src"]))' "$1"; }

# only_gone_moved MOVES INSTANCE WHAT: all of INSTANCE's clients moved, and
# only they did (at least 5 of them), at most 35 % of all
only_gone_moved() {
	local m=$1 gone=$2 what=$3
	info "$what: $m"
	assert_ge "$(jget "$m" "had.$gone" 0)" 5 "$what: clients $gone had"
	assert_eq "$(jget "$m" "from.$gone" 0)" "$(jget "$m" "had.$gone")" "$what: clients of $gone that moved (all)"
	assert_eq "$(jget "$m" moved)" "$(jget "$m" "had.$gone")" "$what: clients that moved (only those of $gone)"
	assert_le "$(jget "$m" pct)" 35 "$what: % of clients moved"
	assert_ge "$(jget "$m" pct)" 5 "$what: % of clients moved"
}

# TCP
port=8320
for i in 1 2 3 4; do
	REUSEPORT_POLICY=sticky rp_spawn "s$i" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "s$i" "s$i")" $port
done
wait_listeners tcp $port 4 127.0.0.1 15 || fail "4 listeners expected"
wait_live_slots $port 4 || fail "4 live slots expected"
out=$(rpclient http --port $port -n 256 --src-addrs 127.0.0.2-127.0.0.65 --concurrency 4)
assert_eq "$(jget "$out" ok)" 256 "answered requests"
assert_eq "$(jget "$out" split_srcs)" 0 "client addresses that reached two instances"
assert_eq "$(jeval "$out" 'len(d["by_src"])')" 64 "client addresses"
assert_ge "$(jeval "$out" 'min(d["ids"].values())')" 20 "requests of the least used instance (all 4 used)"
before=$(by_src "$out")
rp_stop s2
wait_live_slots $port 3 || fail "s2 still registered"
out=$(rpclient http --port $port -n 128 --src-addrs 127.0.0.2-127.0.0.65 --concurrency 4)
assert_eq "$(jget "$out" split_srcs)" 0 "client addresses that reached two instances after the change"
only_gone_moved "$(moves "$before" "$(by_src "$out")")" s2 "TCP, s2 of 4 left"

# UDP: a client per source address, several source ports each
cat > "$RP_TMP/udpsrc.py" <<'PY'
import json, socket, sys
port, rounds = int(sys.argv[1]), int(sys.argv[2])
by_src, split = {}, 0
for a in range(2, 66):
    src = "127.0.0.%d" % a
    seen = set()
    for r in range(rounds):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))  # a new source port each round: a new flow
        s.settimeout(2)
        s.sendto(b"ping", ("127.0.0.1", port))
        seen.add(s.recvfrom(100)[0].decode())
        s.close()
    split += len(seen) > 1
    by_src[src] = sorted(seen)[0]
print(json.dumps({"by_src": by_src, "split": split}))
PY
for i in 1 2 3 4; do
	REUSEPORT_POLICY=sticky rp_spawn "u$i" "$PY" "$UDP_SERVER" --port 5320 --id "u$i" --host 127.0.0.1
	wait_log "u$i" '^ready$' 10 || fail "udp server $i not ready"
done
wait_live_slots 5320 4 || fail "4 live UDP slots expected"
out=$("$PY" "$RP_TMP/udpsrc.py" 5320 3)
assert_eq "$(jget "$out" split)" 0 "UDP client addresses that reached two instances (3 flows each)"
assert_eq "$("$PY" -c 'import json,sys; print(len(set(json.loads(sys.argv[1])["by_src"].values())))' "$out")" 4 "UDP instances used"
before=$(by_src "$out")

# a 5th instance joins (a new slot: the table is rebuilt with 5)
REUSEPORT_POLICY=sticky rp_spawn u5 "$PY" "$UDP_SERVER" --port 5320 --id u5 --host 127.0.0.1
wait_log u5 '^ready$' 10 || fail "udp server 5 not ready"
wait_live_slots 5320 5 || fail "5 live UDP slots expected"
out=$("$PY" "$RP_TMP/udpsrc.py" 5320 2)
assert_eq "$(jget "$out" split)" 0 "UDP client addresses that reached two instances after u5 joined"
mid=$(by_src "$out")
m=$(moves "$before" "$mid")
info "UDP, u5 joined 4: $m"
assert_ge "$(jget "$m" pct)" 8 "UDP, u5 joined: % of clients moved (ideal 20)"
assert_le "$(jget "$m" pct)" 35 "UDP, u5 joined: % of clients moved (ideal 20)"
assert_le "$(($(jget "$m" moved) - $(jget "$m" to.u5 0)))" 2 "UDP, u5 joined: clients that moved to another old instance"
assert_ge "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["from"]))' "$m")" 3 "UDP, u5 joined: instances it took clients from"

rp_stop u3
wait_live_slots 5320 4 || fail "u3 still registered"
out=$("$PY" "$RP_TMP/udpsrc.py" 5320 2)
assert_eq "$(jget "$out" split)" 0 "UDP client addresses that reached two instances after u3 left"
only_gone_moved "$(moves "$mid" "$(by_src "$out")")" u3 "UDP, u3 of 5 left"

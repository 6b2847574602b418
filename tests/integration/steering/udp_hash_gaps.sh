#!/bin/bash
# UDP hash (the UDP default) spreads over the live members only, whatever
# gaps the slots have. Three unbound instances on one port, each answering
# www.gaps.test with its own address; 300 queries, each from a new socket
# (a new flow), per phase. With three live members each gets 100 +- 4
# standard deviations of the binomial (67-133); with the middle one (slot
# 1) killed (-9), and later stopped for good (SIGTERM), the two others get
# 150 +- 4 sd (115-185) each: a dead slot's share does not go to its
# neighbour (before: 102 and 198). After the restart the three share again.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
. "$RP_TEST_LIB/unbound_lib.sh"
need_shim
need_cli
need_cmd unbound

PORT=5360 N=300
STUB=$RP_TEST_LIB/dnsstub.py
start() { # I: unbound instance I answers 192.0.2.I
	unbound_conf "$PORT" $'\tlocal-zone: "gaps.test." static' \
		"$(printf '\tlocal-data: "www.gaps.test. 60 IN A 192.0.2.%s"' "$1")" >"$RP_TMP/u$1.conf"
	rp_spawn "u$1" unbound -d -c "$RP_TMP/u$1.conf"
}
# spread WHAT LO HI I...: N queries; each instance I answers LO..HI, the
# others none
spread() {
	local what=$1 lo=$2 hi=$3 out i k
	shift 3
	out=$("$PY" "$STUB" ask $PORT $N www.gaps.test)
	info "$what: $out"
	assert_eq "$(jget "$out" ok)" $N "$what: answers"
	for i in 1 2 3; do
		k=$(jeval "$out" "d['by'].get('192.0.2.$i', 0)")
		if [[ " $* " == *" $i "* ]]; then
			assert_ge "$k" "$lo" "$what: answers of instance $i"
			assert_le "$k" "$hi" "$what: answers of instance $i"
		else
			assert_eq "$k" 0 "$what: answers of instance $i"
		fi
	done
}
slot_of() { # I: the slot of instance I's process
	jeval "$(status_json)" "[s['slot'] for g in d['groups'] for s in g['slots'] if s['pid'] == $(rp_pid "u$1")][0]"
}

G=udp4_127-0-0-1_$PORT
for i in 1 2 3; do
	start $i
	wait_live_slots $G $i || fail "instance $i not registered: $(cat "$(rp_logfile "u$i")")"
done
assert_eq "$(jeval "$(status_json)" 'd["groups"][0]["policy"]')" hash "policy of the UDP group"
assert_eq "$(slot_of 2)" 1 "slot of the middle instance"
spread "three live" 67 133 1 2 3

rp_kill u2 KILL
wait_live_slots $G 2 || fail "slot of the killed instance still live"
spread "middle killed" 115 185 1 3

start 2
wait_live_slots $G 3 || fail "restarted instance not registered"
assert_eq "$(slot_of 2)" 1 "slot of the restarted instance"
spread "middle restarted" 67 133 1 2 3

rp_stop u2
wait_live_slots $G 2 || fail "slot of the stopped instance still live"
spread "middle stopped for good" 115 185 1 3
pass_msg "UDP hash: the live members share equally across gaps"

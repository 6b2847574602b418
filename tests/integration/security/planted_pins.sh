#!/bin/bash
# Planted pins under the real shim with real servers: a pin directory owned
# by another user is refused (the server serves, unsteered, and says why);
# a group directory that is a symlink to another port's group is never
# joined; cleanup never follows a planted link. (The trust functions
# themselves: security/pin_trust_rules and tests/unit/test_pintrust.c.)
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

ns="$(rp_ns_dir)"
slots_of() { # GROUP: live slots of that group in status --json (0 if none)
	"$RP_CLI" status --json | "$PY" -c 'import json,sys
g=[g for g in json.load(sys.stdin)["groups"] if g["name"]==sys.argv[1]]
print(len(g[0]["slots"]) if g else 0)' "$1"
}

# 1. the pin directory was created by another user (uid 65534) first
mkdir -p "$REUSEPORT_PIN_DIR"
chown 65534:65534 "$REUSEPORT_PIN_DIR"
rp_spawn planted "$PY" -m http.server --bind 127.0.0.1 \
	--directory "$(mk_www planted p1)" 20009
wait_tcp_port 20009 127.0.0.1 || fail "server did not start"
wait_log planted "owned by uid 65534" || fail "no refusal naming the owner"
assert_eq "$(jget "$(rpclient http --port 20009 -n 5)" ok)" 5 "the server serves anyway"
[[ ! -e $REUSEPORT_PIN_DIR/v$RP_LAYOUT ]] || fail "something was created in the planted dir"
pass_msg "nothing created below the planted pin dir"
rp_stop planted
rm -rf "$REUSEPORT_PIN_DIR"

# 2. a group of port 20011 that is a symlink to the group of port 20010
for i in 1 2; do
	rp_spawn "a$i" "$PY" -m http.server --bind 127.0.0.1 \
		--directory "$(mk_www "a$i" "a$i")" 20010
done
wait_for 10 bash -c "[ \"\$($(declare -f slots_of); RP_CLI='$RP_CLI' PY='$PY' slots_of tcp4_127-0-0-1_20010)\" = 2 ]" ||
	fail "2 slots expected in the 20010 group: $("$RP_CLI" status)"
ln -s "$ns/tcp4_127-0-0-1_20010" "$ns/tcp4_127-0-0-1_20011"
REUSEPORT_LOG=info rp_spawn b1 "$PY" -m http.server --bind 127.0.0.1 \
	--directory "$(mk_www b1 b1)" 20011
wait_tcp_port 20011 127.0.0.1 || fail "20011 server did not start"
wait_log b1 "links are never followed" || fail "the linked group was not refused"
assert_eq "$(slots_of tcp4_127-0-0-1_20010)" 2 "the 20010 group still has only its 2 members"
assert_eq "$(jget "$(rpclient http --port 20011 -n 5)" "ids.b1" 0)" 5 "20011 served by its own server"
out=$(rpclient http --port 20010 -n 20)
assert_eq "$(( $(jget "$out" ids.a1 0) + $(jget "$out" ids.a2 0) ))" 20 "20010 served by its 2 servers"
rp_stop b1
rm "$ns/tcp4_127-0-0-1_20011"

# 3. cleanup with a planted temporary-name link to a directory with files
victim=$RP_TMP/victim
mkdir -p "$victim" && echo keep >"$victim/prog" && echo keep >"$victim/state"
ln -s "$victim" "$ns/tmp-999999-1-x"
rp_stop a1
rp_stop a2
wait_for 10 bash -c "[ \"\$($(declare -f slots_of); RP_CLI='$RP_CLI' PY='$PY' slots_of tcp4_127-0-0-1_20010)\" = 0 ]" || fail "20010 members still live"
out=$("$RP_CLI" cleanup 2>&1)
info "cleanup: $out"
[[ -f $victim/prog && -f $victim/state ]] || fail "cleanup deleted files through a link"
pass_msg "the link's target is intact"
assert_match "$out" "symbolic link" "cleanup names the link it refused"
[[ ! -e $ns/tcp4_127-0-0-1_20010 ]] || fail "the dead 20010 group was not removed"
pass_msg "the real dead group was removed"

#!/bin/bash
# reuseport setup: mounts a bpf filesystem on a directory that does not
# exist yet, creates the pin dir, is idempotent, and servers can use the
# result. reuseport cleanup: removes a dead group and a dead creator's
# temporary directory (--dry-run only lists them), leaves a live group
# (still steered afterwards) and a live creator's temporary directory,
# and removes the namespace directory once it is empty.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

# --- setup
mnt=$RP_TMP/fresh/bpf
pin=$mnt/reuseport
mkdir "$RP_TMP/fresh" # setup creates the mount point, not its parents
mounts() { awk -v m="$mnt" '$2 == m' /proc/self/mounts | wc -l; }
out=$("$RP_CLI" --pin-dir "$pin" setup) || fail "setup failed: $out"
info "setup: $out"
assert_match "$out" "mounted: bpf filesystem on $mnt" "setup output"
assert_match "$out" "created: $pin \\(uid 0, mode 0755\\)" "setup output"
assert_eq "$(stat -f -c %T "$mnt")" bpf_fs "filesystem at $mnt"
[ -d "$pin" ] || fail "no pin directory $pin"
out=$("$RP_CLI" --pin-dir "$pin" setup) || fail "second setup failed: $out"
assert_match "$out" "ok: $pin is on a bpf filesystem" "second setup output"
assert_eq "$(mounts)" 1 "bpf mounts on $mnt after two setups"
REUSEPORT_PIN_DIR=$pin rp_spawn s0 "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www s0 s0)" 8370
wait_for 10 bash -c "'$RP_CLI' --pin-dir '$pin' status | grep -q ' live '" || fail "server did not register under $pin: $(cat "$(rp_logfile s0)")"
pass_msg "a server registers under the pin dir setup made"
rp_stop s0

# --- cleanup
ns=$(rp_ns_dir)
for n in live dead; do
	port=8371
	[ $n = dead ] && port=8372
	rp_spawn "$n" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$n" "$n")" $port
	wait_live_slots tcp4_127-0-0-1_$port 1 || fail "$n server not registered"
done
rp_stop dead
wait_live_slots tcp4_127-0-0-1_8372 0 || fail "dead group still has a live slot"
true & deadpid=$!
wait $deadpid
mkdir "$ns/tmp-$deadpid-1-tcp4_127-0-0-1_8373" "$ns/tmp-$$-1-tcp4_127-0-0-1_8374"
# groups and groups being created: not the namespace's programs (tcp/, udp/)
entries() { find "$ns" -mindepth 1 -maxdepth 1 ! -name tcp ! -name udp -printf '%f\n' | sort | tr '\n' ' '; }
before=$(entries)
info "before: $before"

out=$("$RP_CLI" cleanup --dry-run) || fail "cleanup --dry-run failed: $out"
info "dry run: $out"
assert_match "$out" "would remove $ns/tcp4_127-0-0-1_8372" "dry run lists the dead group"
assert_match "$out" "would remove $ns/tmp-$deadpid-1-tcp4_127-0-0-1_8373" "dry run lists the dead creator's directory"
assert_match "$out" "2 group\\(s\\) to remove, 2 kept" "dry run summary"
assert_eq "$(entries)" "$before" "entries after the dry run"

steered() { jeval "$(status_json)" "[g['counters']['steered'] for g in d['groups'] if g['name'] == 'tcp4_127-0-0-1_8371'][0]"; }
steered0=$(steered)
out=$("$RP_CLI" cleanup) || fail "cleanup failed: $out"
info "cleanup: $out"
assert_match "$out" "removed $ns/tcp4_127-0-0-1_8372" "cleanup names the dead group"
assert_match "$out" "2 group\\(s\\) removed, 2 kept" "cleanup summary"
assert_eq "$(entries)" "tcp4_127-0-0-1_8371 tmp-$$-1-tcp4_127-0-0-1_8374 " "entries after cleanup"
# shellcheck disable=SC2012 # pin names
assert_eq "$(ls "$ns/tcp4_127-0-0-1_8371" | tr '\n' ' ')" "socks state " "pins of the live group (its maps; the program is the namespace's)"
out=$(rpclient http --port 8371 -n 10)
assert_eq "$(jget "$out" ids.live 0)" 10 "requests to the live server after cleanup"
assert_eq "$(($(steered) - steered0))" 10 "connections steered by the live group's program"

# everything dead: the namespace directory goes too
rp_stop live
rmdir "$ns/tmp-$$-1-tcp4_127-0-0-1_8374"
out=$("$RP_CLI" cleanup) || fail "cleanup failed: $out"
assert_match "$out" "1 group\\(s\\) removed, 0 kept" "last cleanup summary"
[ ! -e "$ns" ] || fail "namespace directory left: $(entries)"
pass_msg "the empty namespace directory was removed"

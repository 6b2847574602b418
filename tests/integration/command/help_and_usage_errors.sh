#!/bin/bash
# reuseport's command line: every command's --help (stdout, exit 0, its
# options named), help CMD, --version; usage errors name the wrong word and
# the accepted ones on one stderr line, then a hint, exit 2; a runtime
# failure (no bpffs at the pin dir) is exit 1 and never "no groups".
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cli

# run ARGS...: OUT, ERR and RC of the command
run() {
	"$RP_CLI" "$@" >"$RP_TMP/out" 2>"$RP_TMP/err"
	RC=$?
	OUT=$(cat "$RP_TMP/out")
	ERR=$(cat "$RP_TMP/err")
}

# --- help, per command and global
declare -A opts=(
	[status]="--json --watch --group" [metrics]="--listen --group" [top]="--group"
	[drain]="PID|SLOT --group" [undrain]="PID|SLOT --group" [weight]="PID|SLOT --group"
	[policy]="NAME roundrobin leastconn sticky --group" [cleanup]="--dry-run --all"
	[setup]="--user --group --policy --slots --v6only GROUP-SPEC"
	[run]="--instances --grace" [help]="COMMAND" [version]="VERSION"
)
for cmd in "${!opts[@]}"; do
	for form in "$cmd --help" "$cmd -h" "help $cmd"; do
		# shellcheck disable=SC2086 # words
		run $form
		assert_eq "$RC" 0 "exit status of reuseport $form"
		[[ -z $ERR ]] || fail "reuseport $form wrote to stderr: $ERR"
		[[ $OUT == *"reuseport $cmd"* ]] || fail "reuseport $form does not show the synopsis: $OUT"
		for o in ${opts[$cmd]}; do
			[[ $OUT == *"$o"* ]] || fail "reuseport $form does not mention $o: $OUT"
		done
	done
done
pass_msg "--help, -h and help CMD of ${#opts[@]} commands"
run policy --help
[[ $OUT != *"unknown policy"* ]] || fail "policy --help: $OUT"
run --help
assert_eq "$RC" 0 "reuseport --help"
for w in status metrics top drain undrain weight policy cleanup setup run "Exit status: 0 ok, 1 runtime failure" "2 usage error" \
	"udp:[::1]:53" tcp4_127-0-0-1_8080; do
	[[ $OUT == *"$w"* ]] || fail "global help does not mention '$w': $OUT"
done
want="reuseport $(sed -n 's/^VERSION *:= *//p' "$RP_ROOT/Makefile")"
for form in --version -V version; do
	run $form
	assert_eq "$RC $OUT" "0 $want" "reuseport $form"
done
run st --help # a unique prefix names the command
assert_match "$OUT" "^Usage: reuseport status" "reuseport st --help"

# --- usage errors: one line naming the wrong word and an accepted one, a hint, exit 2
# usage_error WRONG ACCEPTED HINT ARGS...
usage_error() {
	local wrong=$1 accepted=$2 hint=$3
	shift 3
	run "$@"
	assert_eq "$RC" 2 "exit status of reuseport $*"
	[[ -z $OUT ]] || fail "reuseport $*: output on stdout: $OUT"
	assert_eq "$(wc -l <<<"$ERR")" 2 "stderr lines of reuseport $*"
	local first=${ERR%%$'\n'*}
	[[ $first == *"$wrong"* ]] || fail "reuseport $*: '$first' does not name $wrong"
	[[ $first == *"$accepted"* ]] || fail "reuseport $*: '$first' does not name '$accepted'"
	assert_eq "${ERR#*$'\n'}" "try 'reuseport $hint'" "hint of reuseport $*"
}
usage_error stauts "did you mean status?" --help stauts
usage_error frobnicate "commands: status metrics" --help frobnicate
usage_error "ambiguous command s" "status setup" --help s
usage_error "unknown option --jsn" "accepted: --json" "status --help" status --jsn
usage_error "unknown option --dryrun" "--dry-run" "cleanup --help" cleanup --dryrun
usage_error "unknown option --usr" "--user U" "setup --help" setup --usr www-data
usage_error "unknown option --bogus" "--pin-dir DIR" --help --bogus status
usage_error "abc is neither a PID nor a slot" "pid:PID, slot:SLOT" "drain --help" drain abc
usage_error "pid:x is neither" "PID, SLOT" "undrain --help" undrain pid:x
usage_error "missing PID|SLOT" "reuseport drain PID|SLOT" "drain --help" drain
usage_error "weight 0 is not accepted" "1..10000" "weight --help" weight 1 0
usage_error "unknown or unsupported policy bogus" "roundrobin" "policy --help" policy bogus
usage_error "unexpected argument b" "unexpected" "policy --help" policy hash b
usage_error "bad GROUP-SPEC foo" "udp:[::1]:53" "setup --help" setup foo
usage_error "bad GROUP-SPEC tcp4_127-0-0-1_8080" "[tcp:|udp:][ADDR:]PORT" "setup --help" setup tcp4_127-0-0-1_8080
usage_error "--slots 0 is not accepted" "1..4096" "setup --help" setup --slots 0
usage_error "--user" "needs a value" "setup --help" setup --user
usage_error "--user/--group need a GROUP-SPEC" "reuseport setup --user www-data tcp:8080" "setup --help" setup --user nobody
usage_error "--user/--group need a GROUP-SPEC" "reuseport setup --user www-data tcp:8080" "setup --help" setup --group nogroup --policy hash
usage_error "--group SPEC does not apply to setup" "setup's --group G is a Unix group" "setup --help" --group 8080 setup
usage_error "bad --group foo:bar" "udp:[::1]:53" --help --group foo:bar status
usage_error "bad --group 70000" "ADDR:PORT" "--help" status --group 70000
usage_error "does not apply to cleanup" "--group SPEC" "cleanup --help" --group 8080 cleanup
usage_error "unknown command nope" "commands:" --help help nope
usage_error "--pin-dir rel" "absolute path" --help --pin-dir rel status
pass_msg "usage errors name the wrong word and what is accepted, exit 2"

# --- runtime failures: exit 1, never "no groups"
run status
assert_eq "$RC $OUT" "0 no groups in this network namespace (pin dir $REUSEPORT_PIN_DIR)" "status with a bpffs and no groups"
run --group 8080 status
assert_eq "$RC" 1 "status --group with no groups"
assert_eq "$ERR" "reuseport: no group matches 8080: no groups in this network namespace (pin dir $REUSEPORT_PIN_DIR)" "no match message"
run drain 1234
assert_eq "$RC" 1 "drain with no groups"
assert_match "$ERR" "no groups in this network namespace" "drain with no groups"
mkdir -p "$RP_TMP/plain"
for form in "--pin-dir $RP_TMP/plain/reuseport status" "--pin-dir $RP_TMP/plain status --json" "--pin-dir $RP_TMP/plain metrics"; do
	# shellcheck disable=SC2086 # words
	run $form
	assert_eq "$RC" 1 "exit status of reuseport $form (no bpffs)"
	[[ $OUT != *"no groups"* ]] || fail "reuseport $form says no groups: $OUT"
	assert_eq "$(grep -c 'bpffs is not mounted' <<<"$ERR")" 1 "'bpffs is not mounted' lines of reuseport $form"
	assert_match "$ERR" "reuseport setup mounts it" "reuseport $form"
done
# the default pin dir with bpffs unmounted (this test's own mount namespace)
bpf=${REUSEPORT_PIN_DIR%/*}
umount "$bpf" || fail "cannot unmount the test's bpffs $bpf"
run status
assert_eq "$RC" 1 "status once $bpf is unmounted"
assert_eq "$ERR" "reuseport: bpffs is not mounted on $bpf ($REUSEPORT_PIN_DIR is not on a bpf filesystem; reuseport setup mounts it)" "status without bpffs"
run cleanup
assert_eq "$RC" 0 "cleanup without bpffs (nothing to clean)"
assert_match "$OUT" "nothing to clean: bpffs is not mounted on $bpf" "cleanup without bpffs"
pass_msg "no bpffs: exit 1 with the reason, never 'no groups'"

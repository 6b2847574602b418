#!/bin/bash
# Pin-tree trust rules against a local attacker (common/pintrust.c,
# driven by build/helpers/pintrust_cli). The runner's fresh bpffs is root
# 1777 (sticky): any user may create entries in it. An unprivileged user
# (RP_ATTACKER, default nobody) plants directories, symlinks, renames, FIFOs;
# each must be refused by the root-side check with one clear line, and
# nothing must be created or removed through a planted link.
#
# Every attack prints "attack: WHAT" and "result: LINE".
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cmd setpriv timeout

CLI=$RP_BUILD/helpers/pintrust_cli
[[ -x $CLI ]] || skip "helper not built: $CLI (run make)"
ATT=${RP_ATTACKER:-nobody}
id "$ATT" >/dev/null 2>&1 || skip "no user $ATT"
AUID=$(id -u "$ATT")
AGID=$(id -g "$ATT")
as_attacker() { setpriv --reuid "$AUID" --regid "$AGID" --clear-groups "$@"; }

# the attacker must reach the bpffs: RP_TMP is a private 0700 scratch dir
chmod 0755 "$RP_TMP"
B=$RP_TMP/bpffs
[[ $(stat -c %a "$B") == 1777 ]] || skip "bpffs at $B is not mode 1777"
PIN=$B/reuseport
NSI=$(stat -L -c %i /proc/self/ns/net)
G=$PIN/v$RP_LAYOUT/$NSI/tcp4_0-0-0-0_8080

res=""
# attack WHAT; then check CMD...: run the root-side check, keep its line
attack() { info "attack: $*"; }
check() {
	res=$("$@" 2>&1)
	info "result: $res"
}
expect() { # ERE WHAT
	assert_match "$res" "$1" "$2"
}

# 1. the attacker creates the pin dir before root does
attack "uid $AUID plants the pin dir (mkdir $PIN) before root's first server"
as_attacker mkdir "$PIN" || fail "attacker could not mkdir in the 1777 bpffs"
check "$CLI" dir "$G" --trust-from "$PIN" --create
expect "^refused: err=EPERM path=$PIN reason=\"owned by uid $AUID \(not root or this process's uid 0\)" \
	"planted pin dir refused"
[[ ! -e $PIN/v$RP_LAYOUT ]] || fail "root created $PIN/v$RP_LAYOUT inside the attacker's dir"
as_attacker rmdir "$PIN"

# 2. the pin dir as a symlink to an attacker-owned dir
attack "uid $AUID plants the pin dir as a symlink to its own directory"
as_attacker mkdir "$B/evil"
as_attacker ln -s "$B/evil" "$PIN"
check "$CLI" dir "$G" --trust-from "$PIN" --create
expect "^refused: err=ELOOP path=$PIN reason=\"is a symbolic link" \
	"symlinked pin dir refused"
assert_eq "$(find "$B/evil" -mindepth 1 | wc -l)" 0 "entries created through the link"
as_attacker rm "$PIN"

# 3. a symlink to a root directory: root must not create anything there
attack "uid $AUID plants the pin dir as a symlink to a root-owned directory ($RP_TMP/rootdir)"
mkdir -m 0755 "$RP_TMP/rootdir"
as_attacker ln -s "$RP_TMP/rootdir" "$PIN"
check "$CLI" dir "$G" --trust-from "$PIN" --create
expect "^refused: err=ELOOP path=$PIN " "symlink to a root dir refused"
assert_eq "$(find "$RP_TMP/rootdir" -mindepth 1 | wc -l)" 0 "entries created in the link target"
as_attacker rm "$PIN"

# root builds the real tree
check "$CLI" dir "$G" --trust-from "$PIN" --create
expect "^ok: path=$G trusted" "root's own tree accepted"

# 4. renaming root's pin dir away in the sticky mount
attack "uid $AUID renames root's pin dir (mv $PIN $B/stolen) in the sticky bpffs"
if as_attacker mv "$PIN" "$B/stolen" 2>"$RP_TMP/mv.err"; then
	fail "the attacker renamed root's pin dir in a sticky directory"
fi
res="kernel: $(head -n1 "$RP_TMP/mv.err")"
info "result: $res"
expect "Operation not permitted" "rename refused by the sticky bit"

# 5. the mount made 0777 without the sticky bit: rename and replace
attack "mount chmod 0777 (no sticky); uid $AUID renames the pin dir away and plants its own tree"
chmod 0777 "$B"
as_attacker mv "$PIN" "$B/stolen" || fail "rename in a 0777 dir failed"
as_attacker mkdir -p "$G"
check "$CLI" dir "$G" --trust-from "$PIN"
expect "^refused: err=EPERM path=$B reason=\"writable by others \(mode 0777, gid 0\) and not sticky" \
	"non-sticky world-writable parent refused"
chmod 1777 "$B"
check "$CLI" dir "$G" --trust-from "$PIN"
expect "^refused: err=EPERM path=$PIN reason=\"owned by uid $AUID " \
	"with the sticky bit back, the planted tree is still refused"
as_attacker rm -r "$PIN"
as_attacker mv "$B/stolen" "$PIN" 2>/dev/null ||
	mv "$B/stolen" "$PIN" || fail "could not restore the pin dir"
check "$CLI" dir "$G" --trust-from "$PIN"
expect "^ok: " "restored tree accepted"

# 6. a world-writable level below the pin dir: the attacker swaps a group
attack "namespace dir chmod 0777; uid $AUID replaces a group with a symlink"
chmod 0777 "$PIN/v$RP_LAYOUT/$NSI"
as_attacker mv "$G" "${G}_old" || fail "rename in a 0777 dir failed"
as_attacker ln -s "$B/evil" "$G"
check "$CLI" dir "$G" --trust-from "$PIN"
expect "^refused: err=EPERM path=$PIN/v$RP_LAYOUT/$NSI reason=\"writable by others \(mode 0777\)" \
	"world-writable level below the pin dir refused"
# the admin fixes the mode; the planted link stays and is still refused
chmod 0755 "$PIN/v$RP_LAYOUT/$NSI"
check "$CLI" dir "$G" --trust-from "$PIN"
expect "^refused: err=ELOOP path=$G reason=\"is a symbolic link" \
	"planted group symlink refused after the mode is fixed"

# 7. cleanup must not follow a planted link into a directory with files
attack "left-over symlink tmp-999999-1-x -> a root directory with files; reuseport cleanup removes it"
mkdir -m 0755 "$RP_TMP/keep"
: >"$RP_TMP/keep/a"
: >"$RP_TMP/keep/b"
chmod 0777 "$PIN/v$RP_LAYOUT/$NSI"
as_attacker ln -s "$RP_TMP/keep" "$PIN/v$RP_LAYOUT/$NSI/tmp-999999-1-x"
chmod 0755 "$PIN/v$RP_LAYOUT/$NSI"
check "$CLI" remove "$PIN/v$RP_LAYOUT/$NSI" tmp-999999-1-x
expect "^refused: err=ELOOP path=$PIN/v$RP_LAYOUT/$NSI/tmp-999999-1-x reason=\"is a symbolic link; not followed, nothing removed\"" \
	"cleanup refuses the link"
[[ -e $RP_TMP/keep/a && -e $RP_TMP/keep/b ]] || fail "files of the link target were removed"
pass_msg "link target's files kept"
check "$CLI" remove "$PIN/v$RP_LAYOUT/$NSI" "$(basename "${G}_old")"
expect "^ok: path=.* removed" "a real group directory is removed"
rm "$G" "$PIN/v$RP_LAYOUT/$NSI/tmp-999999-1-x"

# 8. group-writable pin dir: only with reuseport setup --group
attack "pin dir chmod 0775 with group $AGID (setup --group $AGID), checked without and with --group"
chgrp "$AGID" "$PIN"
chmod 0775 "$PIN"
check "$CLI" dir "$PIN" --trust-from "$PIN"
expect "^refused: err=EPERM path=$PIN reason=\"group-writable \(mode 0775, gid $AGID\) and no group is allowed" \
	"group-writable refused without --group"
check "$CLI" dir "$PIN" --trust-from "$PIN" --group "$AGID"
expect "^ok: " "group-writable accepted for the allowed group"
chgrp 0 "$PIN"
chmod 0755 "$PIN"

# 9. the log file in a sticky world-writable directory
L=$RP_TMP/logs
mkdir -m 1777 "$L"
echo secret >"$RP_TMP/secret"
chmod 0600 "$RP_TMP/secret"

attack "uid $AUID plants REUSEPORT_LOG_FILE=$L/rp.log as a symlink to a root file"
as_attacker ln -s "$RP_TMP/secret" "$L/rp.log"
check "$CLI" log "$L/rp.log"
expect "^refused: err=ELOOP path=$L/rp.log reason=\"is a symbolic link" "log symlink refused"
assert_eq "$(cat "$RP_TMP/secret")" secret "root file untouched"
as_attacker rm "$L/rp.log"

attack "uid $AUID plants the log file as a FIFO nobody reads"
as_attacker mkfifo "$L/rp.log"
check timeout 5 "$CLI" log "$L/rp.log"
expect "^refused: err=EINVAL path=$L/rp.log reason=\"is a FIFO, not a regular file\"" \
	"log FIFO refused without blocking"
as_attacker rm "$L/rp.log"

attack "uid $AUID plants the log file as a hard link to a root file"
if as_attacker ln "$RP_TMP/secret" "$L/rp.log" 2>"$RP_TMP/ln.err"; then
	check "$CLI" log "$L/rp.log"
	expect "^refused: err=EMLINK " "hard-linked log file refused"
	rm "$L/rp.log"
else
	res="kernel: $(head -n1 "$RP_TMP/ln.err") (fs.protected_hardlinks)"
	info "result: $res"
	ln "$RP_TMP/secret" "$L/rp.log"
	check "$CLI" log "$L/rp.log"
	expect "^refused: err=EMLINK path=$L/rp.log reason=\"regular file with 2 hard links" \
		"hard-linked log file (made by root) refused"
	rm "$L/rp.log"
fi
assert_eq "$(cat "$RP_TMP/secret")" secret "root file untouched"

attack "REUSEPORT_LOG_FILE=/dev/full"
check "$CLI" log /dev/full
expect "^refused: err=EINVAL path=/dev/full reason=\"is a character device, not a regular file" \
	"/dev/full refused"

attack "REUSEPORT_LOG_FILE=rp.log (relative)"
check "$CLI" log rp.log
expect "^refused: err=EINVAL path=rp.log reason=\"not an absolute path" "relative log path refused"

attack "uid $AUID pre-creates $L/rp.log as its own regular file"
as_attacker touch "$L/rp.log"
check "$CLI" log "$L/rp.log"
expect "^ok: " "attacker-owned regular log file is accepted (documented limit)"
rm -f "$L/rp.log"

pass_msg "every planted directory, symlink, rename and FIFO was refused"

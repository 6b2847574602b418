#!/bin/bash
# The shim never changes what the application sees: a list of socket calls
# (failing and succeeding) gives the same return values and errno with and
# without the shim, steering active. errno is compared after successful
# calls too (the helper sets a sentinel before each call): a hook must not
# leave the errno of its own work behind when the call succeeds.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
errnos=$RP_BUILD/helpers/errnos
[ -x "$errnos" ] || skip "helper not built: $errnos"

"$errnos" 8200 > "$RP_TMP/plain.txt" 2>&1
LD_PRELOAD=$RP_LIB "$errnos" 8201 > "$RP_TMP/shim.txt" 2> "$RP_TMP/shim.err"
cat "$RP_TMP/shim.txt"
# The one intended difference: a second bind to a port in scope succeeds
# (that is the product); everything else must be identical.
grep -q '^bind taken port *-1 EADDRINUSE' "$RP_TMP/plain.txt" || fail "plain: second bind should fail"
grep -q '^bind taken port *ok -$' "$RP_TMP/shim.txt" ||
	fail "shim: second bind to a shared port should succeed, errno untouched"
pass_msg "second bind to a port in scope: EADDRINUSE without the shim, shared with it"
diff -u <(grep -v '^bind taken port' "$RP_TMP/plain.txt") <(grep -v '^bind taken port' "$RP_TMP/shim.txt") ||
	fail "return values or errno differ under the shim"
pass_msg "$(($(wc -l < "$RP_TMP/plain.txt") - 1)) other calls: identical results"
# REUSEPORT_STEAL waits in a blocking accept of a member: the same again
LD_PRELOAD=$RP_LIB REUSEPORT_STEAL=10 timeout 20 "$errnos" 8202 > "$RP_TMP/steal.txt" 2>&1 ||
	fail "errnos under REUSEPORT_STEAL=10: $(tail -2 "$RP_TMP/steal.txt")"
diff -u "$RP_TMP/shim.txt" "$RP_TMP/steal.txt" || fail "return values or errno differ under REUSEPORT_STEAL"
pass_msg "REUSEPORT_STEAL=10: identical results"
assert_eq "$(grep -c . "$RP_TMP/shim.err")" 0 "shim log lines (must be silent)"
grep -q 'getsockopt reuseport *ok' "$RP_TMP/shim.txt" || fail "getsockopt line missing"
# the listener's file status flags: O_RDWR, nothing added (O_NONBLOCK...)
grep -q '^fcntl getfl *0x2 -$' "$RP_TMP/plain.txt" || fail "plain: F_GETFL of the listener is not O_RDWR"
pass_msg "F_GETFL of the listener: O_RDWR with and without the shim"

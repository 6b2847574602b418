#!/bin/bash
# The Debian package: `make deb` (dpkg-buildpackage, into a scratch BUILD),
# `dpkg -c` lists the library and the steering library in the multiarch
# directory (/usr/lib/<triplet>/) with a link to each in /usr/lib, the
# command, the man pages, the bash completion and the examples; lintian
# reports no error;
# the man pages render without a warning and document every option of
# `reuseport --help` / `reuseport run --help` and every REUSEPORT_*
# variable the configuration parser reads. Then, without installing it:
# extracted with dpkg-deb -x, the packaged reuseport runs, the packaged
# libreuseport.so preloaded through its /usr/lib link into python3 -m
# http.server registers it in a group (the steering library found beside
# the link), the packaged bash completion offers the group's name, and the
# packaged `reuseport run` finds the library in ../lib/<triplet>/ by itself.
# slow: builds the Debian package (dpkg-buildpackage, lintian)
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_cmd dpkg-buildpackage dh dpkg-deb dpkg-architecture man
need_shim

b=$RP_TMP/build
# no -dbgsym package: the test needs only the main one
DEB_BUILD_OPTIONS=noddebs make -C "$RP_ROOT" --no-print-directory BUILD="$b" deb >"$RP_TMP/make-deb.log" 2>&1 ||
	fail "make deb: $(tail -n 30 "$RP_TMP/make-deb.log")"
deb=$(ls "$b"/deb/libreuseport_*.deb 2>/dev/null | head -n 1)
[[ -f $deb ]] || fail "no package in $b/deb: $(ls "$b/deb")"
pass_msg "make deb: ${deb##*/}"
git -C "$RP_ROOT" status --porcelain --ignored=no 2>/dev/null | grep -E '^\?\? debian/|^ M debian/' &&
	fail "make deb left files in the source tree's debian/"

# ---- contents
contents=$(dpkg -c "$deb")
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in usr/bin/reuseport usr/lib/"$ma"/libreuseport.so usr/lib/"$ma"/libreuseport-steer.so \
	usr/share/man/man8/reuseport.8.gz usr/share/man/man7/libreuseport.7.gz \
	usr/share/bash-completion/completions/reuseport \
	usr/share/doc/libreuseport/copyright \
	usr/share/doc/libreuseport/examples/systemd/reuseport-nginx.service \
	usr/share/doc/libreuseport/examples/container/Dockerfile \
	usr/share/doc/libreuseport/examples/kubernetes/daemonset.yaml; do
	grep -q " \./$f\$" <<<"$contents" || fail "dpkg -c: no $f in the package:
$contents"
done
for f in libreuseport.so libreuseport-steer.so; do
	grep -q " \./usr/lib/$f -> $ma/$f\$" <<<"$contents" || fail "dpkg -c: no link usr/lib/$f -> $ma/$f:
$contents"
done
pass_msg "dpkg -c lists the libraries (in usr/lib/$ma, linked from usr/lib), the command, man pages, completion, examples"
depends=$(dpkg-deb -f "$deb" Depends)
assert_match "$depends" 'libbpf1' "Depends"
dpkg --simulate -i "$deb" >"$RP_TMP/simulate.log" 2>&1 || fail "dpkg --simulate -i: $(cat "$RP_TMP/simulate.log")"
pass_msg "dpkg --simulate -i: dependencies satisfied here"

if command -v lintian >/dev/null; then
	lintian "$deb" >"$RP_TMP/lintian.log" 2>&1
	grep -E '^[WI]: ' "$RP_TMP/lintian.log" | sed 's/^/  lintian | /'
	errors=$(grep -c '^E: ' "$RP_TMP/lintian.log")
	[[ $errors == 0 ]] || fail "lintian errors: $(grep '^E: ' "$RP_TMP/lintian.log")"
	pass_msg "lintian: no error ($(grep -c '^W: ' "$RP_TMP/lintian.log") warnings)"
else
	info "lintian not installed: not run"
fi

# ---- extracted, not installed
root=$RP_TMP/root
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x"
cli=$root/usr/bin/reuseport
"$cli" --help >"$RP_TMP/help.txt" || fail "packaged reuseport --help failed"
"$cli" run --help >"$RP_TMP/run-help.txt" || fail "packaged reuseport run --help failed"
pass_msg "packaged reuseport --help and run --help"

# man pages: no warning, and every option and variable documented
for m in "$root"/usr/share/man/man8/reuseport.8.gz "$root"/usr/share/man/man7/libreuseport.7.gz; do
	warn=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
	[[ -z $warn ]] || fail "man --warnings ${m##*/}: $warn"
	lines=$(MANWIDTH=80 man -l "$m" 2>/dev/null | wc -l)
	assert_gt "$lines" 100 "lines of ${m##*/}"
done
man8=$(zcat "$root/usr/share/man/man8/reuseport.8.gz" | sed 's/\\-/-/g')
man7=$(zcat "$root/usr/share/man/man7/libreuseport.7.gz" | sed 's/\\-/-/g')
undoc=()
for o in $(grep -ohE -- '--[a-z][a-z0-9-]+' "$RP_TMP/help.txt" "$RP_TMP/run-help.txt" | sort -u); do
	grep -qF -- "$o" <<<"$man8" || undoc+=("$o")
done
# each command is a tagged paragraph of COMMANDS (7 columns in)
rendered=$(MANWIDTH=80 man -l "$root/usr/share/man/man8/reuseport.8.gz" 2>/dev/null |
	awk '/^COMMANDS/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
for c in $(grep -oE '^  [a-z]+( |$)' "$RP_TMP/help.txt" | sort -u); do
	grep -qE "^       $c( |\$)" <<<"$rendered" || undoc+=("command $c")
done
((${#undoc[@]} == 0)) || fail "reuseport(8) does not document: ${undoc[*]}"
pass_msg "reuseport(8) documents every command of --help and every option of --help and run --help"
undoc=()
for v in $(grep -ohE '"(LIB)?REUSEPORT_[A-Z_]+"' "$RP_ROOT"/common/*.c "$RP_ROOT"/cli/run/*.c |
	tr -d '"' | sort -u); do
	grep -qF "$v" <<<"$man7" || undoc+=("$v")
done
((${#undoc[@]} == 0)) || fail "libreuseport(7) does not document: ${undoc[*]}"
pass_msg "libreuseport(7) documents every variable the sources read"

# the packaged library, preloaded into a server, registers it
export REUSEPORT_LOG=info
port=8880
mkdir -p "$RP_TMP/www" && echo packaged >"$RP_TMP/www/id.txt"
LD_PRELOAD=$root/usr/lib/libreuseport.so spawn_plain web "$PY" -m http.server -b 127.0.0.1 -d "$RP_TMP/www" $port
wait_live_slots $port 1 || fail "the packaged library did not register: $(cat "$(rp_logfile web)")"
grep -q "event=attach" "$(rp_logfile web)" || fail "no attach line: $(cat "$(rp_logfile web)")"
group=$("$cli" status --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["groups"][0]["name"])')
assert_eq "$group" "tcp4_127-0-0-1_$port" "group seen by the packaged reuseport status"

# the packaged completion offers it (no bash-completion package needed)
comp=$(bash -c '. "$1"; COMP_WORDS=(reuseport --group ""); COMP_CWORD=2; _reuseport; echo "${COMPREPLY[*]}"' _ \
	"$root/usr/share/bash-completion/completions/reuseport")
assert_eq "$comp" "$group" "bash completion of --group"
comp=$(bash -c '. "$1"; COMP_WORDS=(reuseport policy le); COMP_CWORD=2; _reuseport; echo "${COMPREPLY[*]}"' _ \
	"$root/usr/share/bash-completion/completions/reuseport")
assert_eq "$comp" leastconn "bash completion of a policy"
comp=$(PATH=$root/usr/bin:$PATH bash -c '. "$1"; COMP_WORDS=(reuseport status --); COMP_CWORD=2; _reuseport; echo "${COMPREPLY[*]}"' _ \
	"$root/usr/share/bash-completion/completions/reuseport")
assert_match "$comp" "--json" "bash completion of status options (from its help)"
rp_stop web

# the packaged `reuseport run` finds ../lib/<triplet>/libreuseport.so by
# itself (the links of /usr/lib gone, as on a system that has none)
rm "$root"/usr/lib/libreuseport.so "$root"/usr/lib/libreuseport-steer.so
spawn_plain sup "$cli" run -n 2 -- "$PY" -m http.server -b 127.0.0.1 -d "$RP_TMP/www" $port
wait_live_slots $port 2 || fail "packaged reuseport run: $(cat "$(rp_logfile sup)")"
assert_match "$(cat "$(rp_logfile sup)")" "lib=$root/usr/lib/$ma/libreuseport\.so([[:space:]]|$)" "library used by the packaged run"
out=$(rpclient http --port $port -n 10)
assert_eq "$(jget "$out" ids.packaged 0)" 10 "requests answered under the packaged run"
kill -TERM "$(rp_pid sup)"
rp_wait_exit sup 20 || fail "packaged run did not stop"
assert_eq "${RP_STATUS[sup]}" 0 "exit status of the packaged run"

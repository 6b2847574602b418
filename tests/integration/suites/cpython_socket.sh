#!/bin/bash
# CPython's own socket tests (Debian's libpython3.11-testsuite: test_socket
# and test_socketserver, run by `python3 -m test`) give the same results
# with the shim as without: the same tests pass, fail, error out and are
# skipped. Results come from --junit-xml; every test whose outcome differs
# is listed with what it reported under the shim.
#
# Each run gets a fresh network namespace (lo up; `-u network` lets
# test_socketserver run, and nothing can leave the namespace). The shim run
# uses LD_PRELOAD=$RP_LIB and the runner's REUSEPORT_PIN_DIR (private bpffs);
# the shim's log lines go to REUSEPORT_LOG_FILE and are shown.
#
# Left out of test_socket, to stay near 30 s a run:
#   ThreadedVSOCKSocketStreamTest  AF_VSOCK, not the shim's; in a VM its
#                                  connect() to the local CID hangs
#   LineBuffered, SmallBuffered, UnicodeRead, UnicodeWrite,
#   UnicodeReadWriteFileObjectClassTestCase
#                                  FileObjectClassTestCase again with other
#                                  io buffering/encodings only (the socket
#                                  calls are those of the two kept classes)
# slow: CPython's test_socket and test_socketserver with and without the shim
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cmd unshare ip timeout

modules=(test_socket test_socketserver)
ignore=(ThreadedVSOCKSocketStreamTest LineBufferedFileObjectClassTestCase
	SmallBufferedFileObjectClassTestCase UnicodeReadFileObjectClassTestCase
	UnicodeWriteFileObjectClassTestCase UnicodeReadWriteFileObjectClassTestCase)
MODULE_TIMEOUT=80 # python -m test --timeout: per module
RUN_TIMEOUT=170

testdir=$("$PY" -c 'import os, test; print(os.path.dirname(test.__file__))' 2>/dev/null) ||
	skip "$PY has no test package"
for m in "${modules[@]}"; do
	[[ -f $testdir/$m.py ]] ||
		skip "CPython test suite missing: no $testdir/$m.py (apt-get install libpython3.$("$PY" -c 'import sys; print(sys.version_info[1])')-testsuite)"
done
info "$("$PY" --version) from $testdir; ignored: ${ignore[*]}"

# run MODE: python -m test in a new network namespace, results in
# $RP_TMP/MODE.xml, output in $RP_TMP/MODE.log.
run() {
	local mode=$1 pre=() args=() i rc=0 t0=$SECONDS
	[[ $mode == shim ]] && pre=(env "LD_PRELOAD=$RP_LIB" "REUSEPORT_LOG_FILE=$RP_TMP/shimlog")
	for i in "${ignore[@]}"; do args+=(-i "$i"); done
	mkdir -p "$RP_TMP/tmp-$mode"
	(cd "$RP_TMP" && TMPDIR=$RP_TMP/tmp-$mode timeout --kill-after=5 "$RUN_TIMEOUT" \
		unshare --net -- bash -c 'ip link set lo up || exit 125; exec "$@"' run \
		"${pre[@]}" "$PY" -m test -v -u network --timeout "$MODULE_TIMEOUT" \
		--junit-xml "$RP_TMP/$mode.xml" "${args[@]}" "${modules[@]}") \
		>"$RP_TMP/$mode.log" 2>&1 </dev/null || rc=$?
	info "$mode: python -m test exit $rc in $((SECONDS - t0))s: $(grep -E '^Ran [0-9]+ tests' "$RP_TMP/$mode.log" | tr '\n' ' ')"
	if [[ $mode == shim && -s $RP_TMP/shimlog ]]; then
		info "the shim logged $(wc -l <"$RP_TMP/shimlog") lines (first 3):"
		head -n 3 "$RP_TMP/shimlog" | sed 's/^/  | /'
	fi
	if [[ ! -s $RP_TMP/$mode.xml ]]; then
		tail -n 30 "$RP_TMP/$mode.log" | sed 's/^/  | /'
		fail "$mode run wrote no results (exit $rc)"
	fi
}

run plain
run shim

# Outcome of every test in both runs; list the ones that differ.
"$PY" - "$RP_TMP/plain.xml" "$RP_TMP/shim.xml" <<'EOF'
import collections, sys
import xml.etree.ElementTree as ET

def outcomes(path):
    res = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        out, text = "ok", ""
        for kind, name in (("failure", "FAIL"), ("error", "ERROR"), ("skipped", "skipped")):
            el = tc.find(kind)
            if el is not None:
                out = name
                text = (el.text or el.get("message") or "").strip()
                break
        res[tc.get("name")] = (out, text)
    return res

runs = {"without the shim": outcomes(sys.argv[1]), "with the shim": outcomes(sys.argv[2])}
for label, res in runs.items():
    c = collections.Counter(o for o, _ in res.values())
    print("info: %s: %d tests: %s" % (label, len(res),
          ", ".join("%d %s" % (c[k], k) for k in ("ok", "skipped", "FAIL", "ERROR"))))
plain, shim = runs.values()
for name in sorted(n for n, (o, _) in plain.items() if o in ("FAIL", "ERROR")):
    print("info: fails without the shim too: %s (%s)" % (name, plain[name][0]))
diff = []
for name in sorted(set(plain) | set(shim)):
    p = plain.get(name, ("not run", ""))
    s = shim.get(name, ("not run", ""))
    if p[0] != s[0]:
        diff.append(name)
        print("DIFF: %s: %s without the shim, %s with it" % (name, p[0], s[0]))
        for side, (o, text) in (("without", p), ("with", s)):
            if o not in ("ok", "not run") and text:
                lines = text.splitlines()
                print("  %s the shim:" % side)
                for line in lines[-25:]:
                    print("  | " + line)
if diff:
    print("FAIL: %d of %d tests give another result under the shim: %s"
          % (len(diff), len(plain), " ".join(n.rsplit(".", 2)[-2] + "." + n.rsplit(".", 1)[-1]
                                             for n in diff)))
    sys.exit(1)
print("ok: all %d tests: same result with and without the shim "
      "(same failing and skipped tests)" % len(plain))
EOF

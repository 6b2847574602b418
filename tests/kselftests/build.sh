#!/bin/bash
# Build the kernel's SO_REUSEPORT selftests from Debian's kernel source
# package, for tests/integration/suites/kernel_selftests.sh.
#
#   tests/kselftests/build.sh [OUTDIR]     (default: build/kselftests)
#
# Extracts only tools/testing/selftests/{kselftest.h, net/reuseport_*.c}
# from $KSELFTEST_TARBALL (default /usr/src/linux-source-6.1.tar.xz, from the
# linux-source-6.1 package; scripts/install-deps installs it) into
# OUTDIR/src/ and builds, into OUTDIR/:
#
#   reuseport_bpf reuseport_bpf_cpu reuseport_dualstack reuseport_addr_any
#                        the selftests as the kernel ships them
#   reuseport_bpf.each   reuseport_bpf with each subtest in a child process
#                        and one "subtest NN NAME: ok|FAIL" line per subtest
#                        (tests/kselftests/each_subtest.h)
#
# Nothing is rebuilt while OUTDIR/.stamp matches the tarball and these
# sources. Exit 0 built (or up to date), 3 the tarball is missing, else
# failure. The kernel sources are never part of this repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/kselftests}
tarball=${KSELFTEST_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
CC=${CC:-gcc}
tests=(reuseport_bpf reuseport_bpf_cpu reuseport_dualstack reuseport_addr_any)
sel=tools/testing/selftests

say() { printf 'kselftests: %s\n' "$*"; }
die() { printf 'kselftests: error: %s\n' "$1" >&2; exit "${2:-1}"; }

[[ -f $tarball ]] || die "no kernel source tarball $tarball (apt-get install linux-source-6.1)" 3
command -v xz >/dev/null || die "xz missing (apt-get install xz-utils)"
[[ -f /usr/include/linux/bpf.h ]] || die "linux uapi headers missing (apt-get install linux-libc-dev)"

stamp=$(
	stat -L -c '%n %s %Y' "$tarball"
	"$CC" --version | head -n1
	sha256sum <"$here/build.sh"
	sha256sum <"$here/each_subtest.h"
)
if [[ -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]]; then
	ok=1
	for t in "${tests[@]}" reuseport_bpf.each; do [[ -x $out/$t ]] || ok=0; done
	((ok)) && { say "up to date in $out"; exit 0; }
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Members are "linux-source-6.1/tools/...": match any top directory.
members=("*/$sel/kselftest.h")
for t in "${tests[@]}"; do members+=("*/$sel/net/$t.c"); done
say "extracting ${#members[@]} files from $tarball"
mkdir "$tmp/src"
tar -xJf "$tarball" -C "$tmp/src" --strip-components=1 --wildcards "${members[@]}" ||
	die "tar could not extract the selftests from $tarball"
src=$tmp/src/$sel

# Every local include must be among the extracted files.
for t in "${tests[@]}"; do
	[[ -f $src/net/$t.c ]] || die "$sel/net/$t.c not in $tarball"
	while IFS= read -r inc; do
		[[ -f $src/net/$inc ]] || die "$t.c includes \"$inc\", which was not extracted"
	done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$src/net/$t.c")
done

cflags=(-O2 -g -Wall)
for t in "${tests[@]}"; do
	say "CC $t"
	"$CC" "${cflags[@]}" -o "$tmp/$t" "$src/net/$t.c" -lpthread
done

# reuseport_bpf.each: the same source, main() renamed and the subtest
# wrappers included in front of it.
n=$(grep -c '^int main(void)$' "$src/net/reuseport_bpf.c") || true
[[ $n == 1 ]] || die "reuseport_bpf.c: expected one 'int main(void)' line, found $n"
sed -e 's/^int main(void)$/#include "each_subtest.h"\nstatic int ks_stock_main(void)/' \
	-e 's/"SUCCESS\\n"/"end of subtests\\n"/' \
	"$src/net/reuseport_bpf.c" >"$src/net/reuseport_bpf.each.c"
say "CC reuseport_bpf.each"
"$CC" "${cflags[@]}" -I"$here" -o "$tmp/reuseport_bpf.each" "$src/net/reuseport_bpf.each.c" -lpthread

printf '%s\n' "$stamp" >"$tmp/.stamp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
say "built ${tests[*]} reuseport_bpf.each in $out"

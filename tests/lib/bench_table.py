#!/usr/bin/env python3
"""bench_table.py OUT N...: check a `reuseport bench` table: one row per N
with nonzero throughput and N per-instance shares that sum to ~100 %.
Never a timing ratio. Prints what it checked; exit 1 on the first problem."""
import re
import sys

text = open(sys.argv[1]).read()
want = [int(n) for n in sys.argv[2:]]
head = [l for l in text.splitlines() if re.match(r"^\s+N\s+(req|queries)/s", l)]
if len(head) != 1:
    sys.exit("no table header in the output")
rows = {}
for line in text.splitlines():
    m = re.match(r"^\s*(\d+)\s+(\S+)\s", line)
    if m and not line.startswith("reuseport"):
        rows[int(m.group(1))] = line.split()
for n in want:
    r = rows.get(n)
    if not r:
        sys.exit("no row for N=%d" % n)
    if r[1] == "-" or float(r[1]) <= 0:
        sys.exit("N=%d: throughput %s" % (n, r[1]))
    shares = [float(x) for x in r[-1].split("/")]
    if len(shares) != n:
        sys.exit("N=%d: %d shares (%s), want %d" % (n, len(shares), r[-1], n))
    if abs(sum(shares) - 100) > 0.5:
        sys.exit("N=%d: shares sum to %.1f %%" % (n, sum(shares)))
    print("ok: N=%d: %s/s, shares %s" % (n, r[1], r[-1]))
if sorted(rows) != sorted(want):
    sys.exit("rows for N=%s, want %s" % (sorted(rows), want))

#!/usr/bin/env python3
"""strace.py FILE: the table of `strace -c` as "sc:NAME calls" lines, plus
"syscalls TOTAL" and "syscall_errors TOTAL" (sums of the rows)."""
import re
import sys

# % time, seconds, usecs/call, calls, [errors], syscall
row = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)\s*$")
total = errors = 0
with open(sys.argv[1]) as f:
    for line in f:
        m = row.match(line)
        if not m or m.group(3) == "total":
            continue
        calls, errs, name = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        total += calls
        errors += errs
        print("sc:" + name, calls)
        if errs:
            print("err:" + name, errs)
print("syscalls", total)
print("syscall_errors", errors)

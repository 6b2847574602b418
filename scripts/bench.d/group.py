#!/usr/bin/env python3
"""group.py STATUS.json: `reuseport status --json` of one group as "key value"
lines for scripts/bench (policy, per-slot counts, program counters)."""
import json
import sys

try:
    with open(sys.argv[1]) as f:
        groups = json.load(f).get("groups", [])
except (OSError, ValueError):
    groups = []
if not groups:
    print("policy -")
    sys.exit(0)
g = groups[0]
slots = sorted(g.get("slots", []), key=lambda s: s.get("slot", 0))
print("policy", g.get("policy", "-"))
print("live", g.get("live", "-"))
for k in ("selected", "accepted", "migrated", "active"):
    print("slot_" + k, ",".join(str(s.get(k, 0)) for s in slots) or "-")
print("slot_adopted", ",".join(str(int(bool(s.get("adopted")))) for s in slots) or "-")
print("slot_cpu", ",".join(str(s.get("cpu", -1)) for s in slots) or "-")
for k, v in g.get("counters", {}).items():
    print("prog_" + k, v)

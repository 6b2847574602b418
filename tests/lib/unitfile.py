#!/usr/bin/python3
"""unitfile.py FILE SECTION KEY[#N] [OLD=NEW ...] [--value]: the command
line of a systemd unit's KEY (ExecStart, ExecReload...; the N-th one,
1-based, when KEY repeats, default the last), split like systemd (shell-like
quoting), each OLD replaced by NEW in every word, printed as NUL-terminated
words (read with mapfile -d ''). A leading "-" "@" "+" "!" of the executable
is dropped. --value prints the raw value instead."""
import shlex
import sys

path, section, key = sys.argv[1:4]
key, _, nth = key.partition("#")
rest = sys.argv[4:]
raw = "--value" in rest
subs = [a.split("=", 1) for a in rest if a != "--value"]
values, cur = [], None
with open(path) as f:
    text = f.read().replace("\\\n", " ")
for line in text.splitlines():
    line = line.strip()
    if not line or line[0] in "#;":
        continue
    if line.startswith("["):
        cur = line.strip("[]")
    elif cur == section and "=" in line:
        k, v = line.split("=", 1)
        if k.strip() == key:
            values.append(v.strip())
if not values:
    sys.exit("unitfile.py: no %s= in [%s] of %s" % (key, section, path))
value = values[int(nth) - 1 if nth else -1]
if raw:
    print(value)
    sys.exit(0)
words = shlex.split(value)
words[0] = words[0].lstrip("-@+!")
for w in words:
    for old, new in subs:
        w = w.replace(old, new)
    sys.stdout.write(w + "\0")

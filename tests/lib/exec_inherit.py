#!/usr/bin/env python3
"""exec_inherit.py PORT: listen on 127.0.0.1:PORT, then exec a fresh python
that inherits the listener (as HAProxy -W and nginx binary upgrades do) and
there accept N connections, keep them open until a line arrives on stdin,
close them, and wait for another line."""
import os
import socket
import sys

if len(sys.argv) == 2:
    s = socket.socket()
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(64)
    s.set_inheritable(True)
    os.execv(sys.executable, [sys.executable, __file__, "child", str(s.fileno())])

s = socket.socket(fileno=int(sys.argv[2]))
print("ready", flush=True)
conns = []
n = int(sys.stdin.readline())
for _ in range(n):
    c, _ = s.accept()
    conns.append(c)
print("accepted", len(conns), flush=True)
sys.stdin.readline()
for c in conns:
    c.close()
print("closed", flush=True)
sys.stdin.readline()

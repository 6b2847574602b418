#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dnsstub.py serve PORT | query PORT N [ZONE] | ask PORT N NAME

serve: an upstream DNS server on 127.0.0.1:PORT (UDP) that answers every
question with one A record, 192.0.2.1 (no recursion, no zone: the stand-in
for the Internet behind a resolver under test). Prints "ready".

query: N queries for distinct names (q<i>.<ID or "example">.), each from
a fresh socket, to the resolver on 127.0.0.1:PORT; prints one JSON line
{"ok": answered, "failed": unanswered}.

ask: N queries (type A) for NAME, each from a fresh socket (a new flow);
prints {"ok": answered, "failed": unanswered, "by": {address: answers}}.
"""
import json
import socket
import struct
import sys


def question_end(msg):
    i = 12
    while msg[i]:
        i += 1 + msg[i]
    return i + 5  # the root label, qtype, qclass


def serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 17:
            continue
        end = question_end(msg)
        flags = 0x8180 | (struct.unpack("!H", msg[2:4])[0] & 0x0100)
        head = msg[:2] + struct.pack("!HHHHH", flags, 1, 1, 0, 0)
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
        s.sendto(head + msg[12:end] + answer, peer)


def wire(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"


def ask_once(port, qid, name):
    """The A record of the answer ("a.b.c.d"), None without one."""
    msg = struct.pack("!HHHHHH", qid & 0xFFFF, 0x0100, 1, 0, 0, 0) + wire(name) + struct.pack("!HH", 1, 1)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    try:
        c.sendto(msg, ("127.0.0.1", port))
        reply = c.recv(4096)
    except OSError:
        return None
    finally:
        c.close()
    if reply[:2] != msg[:2] or reply[3] & 0x0F or struct.unpack("!H", reply[6:8])[0] < 1:
        return None
    return ".".join(str(b) for b in reply[-4:])


def query(port, n, zone):
    ok = sum(ask_once(port, i, "q%d.%s" % (i, zone)) is not None for i in range(n))
    print(json.dumps({"ok": ok, "failed": n - ok}))


def ask(port, n, name):
    by = {}
    for i in range(n):
        a = ask_once(port, i, name)
        if a is not None:
            by[a] = by.get(a, 0) + 1
    ok = sum(by.values())
    print(json.dumps({"ok": ok, "failed": n - ok, "by": by}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "ask":
        ask(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        query(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "example")

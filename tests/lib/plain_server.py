#!/usr/bin/env python3
"""plain_server.py PORT ID [--drop] [--bind ADDR]: an HTTP server that
answers ID (one request per connection), on 127.0.0.1 or ADDR (an IPv6
address: IPV6_V6ONLY off, so "::" is a dual-stack socket).

Without the shim it sets SO_REUSEPORT itself: a kernel reuseport group
member that libreuseport never registered. With --drop it binds as root,
drops to nobody, and only then listens (as varnish's jail and other
privilege-dropping servers do)."""
import os
import socket
import sys

port, ident = int(sys.argv[1]), sys.argv[2].encode()
drop = "--drop" in sys.argv[3:]
addr = sys.argv[sys.argv.index("--bind") + 1] if "--bind" in sys.argv[3:] else "127.0.0.1"
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
if ":" in addr:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
if not drop:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((addr, port))
if drop:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
s.listen(64)
print("ready uid=%d" % os.getuid(), flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(ident), ident))
    finally:
        c.close()

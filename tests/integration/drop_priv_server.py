#!/usr/bin/env python3
"""drop_priv_server.py PORT ID: bind as root, drop to nobody, then listen
and answer ID (as varnish's jail and other privilege-dropping servers do)."""
import os
import socket
import sys

port, ident = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket()
s.bind(("127.0.0.1", port))
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

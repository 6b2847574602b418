#!/usr/bin/env python3
"""plain_server.py PORT ID: an HTTP server that sets SO_REUSEPORT itself and
answers ID (one request per connection). Run without the shim it is a
kernel reuseport group member that libreuseport never registered."""
import socket
import sys

port, ident = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(ident), ident))
    finally:
        c.close()

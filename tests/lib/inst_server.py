#!/usr/bin/env python3
"""inst_server.py PORT: a blocking HTTP/1.0 server on 127.0.0.1:PORT, one
request at a time, answering "INSTANCE-PID" (REUSEPORT_INSTANCE as reuseport
run sets it): which instance, and which process of it, took the connection."""
import os
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
body = ("%s-%d" % (os.environ["REUSEPORT_INSTANCE"], os.getpid())).encode()
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()

#!/usr/bin/python3
"""notify_listen.py ADDR OUT: a NOTIFY_SOCKET for tests. ADDR is a path or
@name (abstract); every datagram received is appended to OUT as one line,
its newlines shown as '|'. Runs until killed."""
import socket, sys

addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out, "a").close()  # exists: the socket is bound
while True:
    msg = s.recv(4096).decode()
    with open(out, "a") as f:
        f.write(msg.replace("\n", "|") + "\n")

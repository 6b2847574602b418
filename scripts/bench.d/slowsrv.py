#!/usr/bin/env python3
"""slowsrv.py PORT MODE PROCS [FAST_MS SLOW_MS]: a blocking, single-threaded
HTTP/1.0 server for scripts/bench (tail latency): one request at a time per
process; GET /slow sleeps SLOW_MS (60), anything else FAST_MS (1).
MODE: shared (one listening socket, PROCS processes accept on it), reuseport
(each process its own SO_REUSEPORT socket: the kernel hash), plain (each
process binds without SO_REUSEPORT: run it under the shim). THREADS=1 in the
environment: each process accepts in one thread (a blocking accept) and serves
every connection in a thread of its own (a threaded server: no request waits
for another, only for a frozen process). Prints the pids, one a line, once
every process listens."""
import os
import socket
import sys
import threading
import time

port, mode, procs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
fast = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.001
slow = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0.060


def listener():
    s = socket.socket()
    if mode == "reuseport":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(256)
    return s


def serve(s):
    threaded = os.environ.get("THREADS") == "1"
    while True:
        c, _ = s.accept()
        if threaded:
            threading.Thread(target=answer, args=(c,), daemon=True).start()
        else:
            answer(c)


def answer(c):
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            d = c.recv(4096)
            if not d:
                break
            data += d
        time.sleep(slow if data.startswith(b"GET /slow") else fast)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
    except OSError:
        pass
    c.close()


shared = listener() if mode == "shared" else None
for i in range(procs):
    if i == procs - 1 or os.fork() == 0:
        s = shared or listener()
        print(os.getpid(), flush=True)
        serve(s)

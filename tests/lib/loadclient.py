#!/usr/bin/python3
"""loadclient.py PORT CONCURRENCY STOPFILE: new connections (HTTP/1.0 GET /)
from CONCURRENCY threads until STOPFILE exists; prints one JSON line:
{"ok", "failed", "errors": {name: n}, "max_latency_ms", "slow": n >= 1 s}."""
import errno, json, os, socket, sys, threading, time

port, conc, stopfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
res = {"ok": 0, "failed": 0, "errors": {}, "max_latency_ms": 0.0, "slow": 0}


def one():
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        buf = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        s.close()
        err = None if buf.startswith(b"HTTP/1.1 200") or buf.startswith(b"HTTP/1.0 200") else "BAD_RESPONSE"
    except OSError as e:
        err = errno.errorcode.get(e.errno, "TIMEOUT" if isinstance(e, socket.timeout) else "OSError")
    ms = (time.monotonic() - t0) * 1000
    with lock:
        res["max_latency_ms"] = max(res["max_latency_ms"], round(ms, 1))
        res["slow"] += ms >= 1000
        if err:
            res["failed"] += 1
            res["errors"][err] = res["errors"].get(err, 0) + 1
        else:
            res["ok"] += 1


def worker():
    while not os.path.exists(stopfile):
        one()


threads = [threading.Thread(target=worker) for _ in range(conc)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(res))

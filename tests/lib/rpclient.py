#!/usr/bin/python3
"""Load/check client for libreuseport integration tests (stdlib only).

Each server under test answers with its "server id" (the body of /id.txt for
HTTP, the reply payload for UDP), so the client can tell which process got
each connection or datagram. Results are one JSON object on stdout (and in
--out FILE). Connection errors never raise: they are counted by errno name
(ECONNRESET, ECONNREFUSED, ...), "TIMEOUT", "EMPTY_RESPONSE", "BAD_RESPONSE"
or "HTTP_<status>".

  rpclient.py http --port P [--host H] [--path /id.txt] -n N [--concurrency C]
                   [--src-addrs 127.0.0.2-127.0.0.65] [--http11] [--close]
  rpclient.py udp  --port P [--host H] --flows F --per-flow K
  rpclient.py hold --port P [--host H] [--path /id.txt] -n N

Exit status 0 unless the arguments are wrong (or --fail-on-error and some
request failed).
"""

import argparse
import collections
import concurrent.futures
import errno
import ipaddress
import json
import os
import select
import signal
import socket
import sys
import threading
import time


def err_name(exc):
    if isinstance(exc, (socket.timeout, TimeoutError)) and not getattr(exc, "errno", None):
        return "TIMEOUT"
    en = getattr(exc, "errno", None)
    if en:
        return errno.errorcode.get(en, "E%d" % en)
    if isinstance(exc, socket.gaierror):
        return "EAI"
    return type(exc).__name__


def parse_addrs(spec):
    """'127.0.0.2-127.0.0.65' (inclusive range), 'a,b,c', or a mix."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
            if lo.version != hi.version or int(hi) < int(lo):
                raise argparse.ArgumentTypeError("bad address range %r" % part)
            out.extend(str(ipaddress.ip_address(i)) for i in range(int(lo), int(hi) + 1))
        else:
            out.append(str(ipaddress.ip_address(part)))
    if not out:
        raise argparse.ArgumentTypeError("empty address list")
    return out


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def http_request(args):
    ver = "HTTP/1.1" if args.http11 else "HTTP/1.0"
    host = "[%s]" % args.host if ":" in args.host else args.host
    return ("GET %s %s\r\nHost: %s:%d\r\nUser-Agent: rpclient\r\n"
            "Connection: close\r\n\r\n" % (args.path, ver, host, args.port)).encode()


def parse_response(data):
    """Return (id, error_name)."""
    if not data:
        return None, "EMPTY_RESPONSE"
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    if not sep:
        return None, "BAD_RESPONSE"
    lines = head.split(b"\n")
    status = lines[0].split()
    if len(status) < 2 or not status[0].startswith(b"HTTP/"):
        return None, "BAD_RESPONSE"
    if status[1] != b"200":
        return None, "HTTP_" + status[1].decode("ascii", "replace")
    clen = None
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            try:
                clen = int(v.strip())
            except ValueError:
                pass
    if clen is not None:
        if len(body) < clen:
            return None, "SHORT_BODY"
        body = body[:clen]
    return body.decode("utf-8", "replace").strip(), None


def read_response(sock, deadline):
    """Read until EOF, or until a complete Content-Length body arrived."""
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
        head, sep, body = buf.partition(b"\r\n\r\n")
        if sep:
            for ln in head.split(b"\r\n")[1:]:
                k, _, v = ln.partition(b":")
                if k.strip().lower() == b"content-length":
                    try:
                        if len(body) >= int(v.strip()):
                            return buf
                    except ValueError:
                        pass


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.failed = 0
        self.errors = collections.Counter()
        self.ids = collections.Counter()
        self.by_src = {}
        self.by_src_all = collections.defaultdict(collections.Counter)
        self.latencies = []

    def add(self, sid, err, latency, src=None):
        with self.lock:
            self.latencies.append(latency)
            if err is None:
                self.ok += 1
                self.ids[sid] += 1
                if src is not None:
                    self.by_src[src] = sid
                    self.by_src_all[src][sid] += 1
            else:
                self.failed += 1
                self.errors[err] += 1

    def as_dict(self, elapsed):
        lat = sorted(self.latencies)
        d = {
            "ok": self.ok,
            "failed": self.failed,
            "errors": dict(self.errors),
            "ids": dict(self.ids),
            "by_src": self.by_src,
            "max_latency_ms": round(lat[-1] * 1000, 3) if lat else 0,
            "p50_latency_ms": round(lat[len(lat) // 2] * 1000, 3) if lat else 0,
            "elapsed_s": round(elapsed, 3),
        }
        if self.by_src_all:
            d["by_src_all"] = {k: dict(v) for k, v in self.by_src_all.items()}
            d["split_srcs"] = sum(1 for v in self.by_src_all.values() if len(v) > 1)
        return d


def one_http(args, req, src):
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    sock = None
    try:
        sock = socket.socket(family_of(args.host), socket.SOCK_STREAM)
        if src is not None:
            sock.bind((src, 0))
        sock.settimeout(args.timeout)
        sock.connect((args.host, args.port))
        sock.sendall(req)
        sid, err = parse_response(read_response(sock, deadline))
    except Exception as e:  # noqa: BLE001 - every failure is a data point
        sid, err = None, err_name(e)
    finally:
        if sock is not None:
            sock.close()
    return sid, err, time.monotonic() - t0


def cmd_http(args):
    req = http_request(args)
    srcs = args.src_addrs
    res = Results()
    t0 = time.monotonic()

    def job(i):
        src = srcs[i % len(srcs)] if srcs else None
        sid, err, lat = one_http(args, req, src)
        res.add(sid, err, lat, src)

    conc = max(1, min(args.concurrency, args.n))
    if conc == 1:
        for i in range(args.n):
            job(i)
    else:
        with concurrent.futures.ThreadPoolExecutor(conc) as ex:
            list(ex.map(job, range(args.n)))
    return res.as_dict(time.monotonic() - t0)


def cmd_udp(args):
    fam = family_of(args.host)
    flows = {}
    ids = collections.Counter()
    errors = collections.Counter()
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    latencies = []
    t0 = time.monotonic()

    def flow(f):
        seen = []
        try:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
        except OSError as e:
            with lock:
                counts["failed"] += args.per_flow
                errors[err_name(e)] += args.per_flow
                flows[str(f)] = seen
            return
        with s:
            for k in range(args.per_flow):
                msg = ("ping %d %d" % (f, k)).encode()
                sid, err = None, None
                t1 = time.monotonic()
                for _attempt in range(1 + args.retries):
                    try:
                        s.sendto(msg, (args.host, args.port))
                        s.settimeout(args.timeout)
                        data, _ = s.recvfrom(65536)
                        sid, err = data.decode("utf-8", "replace").strip(), None
                        break
                    except Exception as e:  # noqa: BLE001
                        err = err_name(e)
                with lock:
                    latencies.append(time.monotonic() - t1)
                    if sid is not None:
                        counts["ok"] += 1
                        ids[sid] += 1
                        seen.append(sid)
                    else:
                        counts["failed"] += 1
                        errors[err] += 1
        with lock:
            flows[str(f)] = seen

    conc = max(1, min(args.concurrency, args.flows))
    with concurrent.futures.ThreadPoolExecutor(conc) as ex:
        list(ex.map(flow, range(args.flows)))
    lat = sorted(latencies)
    return {
        "ok": counts["ok"],
        "failed": counts["failed"],
        "errors": dict(errors),
        "flows": {k: flows[k] for k in sorted(flows, key=int)},
        "ids": dict(ids),
        "split_flows": sum(1 for v in flows.values() if len(set(v)) > 1),
        "max_latency_ms": round(lat[-1] * 1000, 3) if lat else 0,
        "elapsed_s": round(time.monotonic() - t0, 3),
    }


def wait_go(args):
    """Block until a line on stdin, SIGUSR1, or --go-file appears."""
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.signal(signal.SIGUSR1, lambda *_: None)
    signal.set_wakeup_fd(wfd)
    watch_stdin = True
    try:
        while True:
            if args.go_file and os.path.exists(args.go_file):
                return
            fds = [rfd] + ([sys.stdin] if watch_stdin else [])
            r, _, _ = select.select(fds, [], [], 0.1 if args.go_file else None)
            if rfd in r:
                return
            if watch_stdin and sys.stdin in r:
                if sys.stdin.readline():
                    return
                watch_stdin = False  # EOF (e.g. /dev/null): wait for the signal
    finally:
        signal.set_wakeup_fd(-1)
        os.close(rfd)
        os.close(wfd)


def cmd_hold(args):
    req = http_request(args)
    res = Results()
    held = []
    t0 = time.monotonic()
    for _ in range(args.n):
        t1 = time.monotonic()
        try:
            s = socket.socket(family_of(args.host), socket.SOCK_STREAM)
        except OSError as e:
            res.add(None, err_name(e), time.monotonic() - t1)
            continue
        try:
            s.settimeout(args.timeout)
            s.connect((args.host, args.port))
            s.sendall(req)
            held.append((s, t1))
        except Exception as e:  # noqa: BLE001
            s.close()
            res.add(None, err_name(e), time.monotonic() - t1)
    print("held %d" % len(held), flush=True)
    wait_go(args)

    def finish(item):
        s, t1 = item
        try:
            sid, err = parse_response(read_response(s, time.monotonic() + args.timeout))
        except Exception as e:  # noqa: BLE001
            sid, err = None, err_name(e)
        finally:
            s.close()
        res.add(sid, err, time.monotonic() - t1)

    if held:
        with concurrent.futures.ThreadPoolExecutor(min(64, len(held))) as ex:
            list(ex.map(finish, held))
    d = res.as_dict(time.monotonic() - t0)
    d["held"] = len(held)
    return d


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, udp=False):
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--timeout", type=float, default=2.0 if udp else 5.0,
                        help="per request/datagram timeout in seconds")
        sp.add_argument("--out", help="also write the JSON result to this file")
        sp.add_argument("--fail-on-error", action="store_true",
                        help="exit 1 if any request failed")

    h = sub.add_parser("http", help="N GETs, each on a new connection")
    common(h)
    h.add_argument("--path", default="/id.txt")
    h.add_argument("-n", type=int, default=100)
    h.add_argument("--concurrency", "-c", type=int, default=1)
    h.add_argument("--src-addrs", type=parse_addrs, default=None,
                   help="bind clients to these source addresses, cycling")
    h.add_argument("--http11", action="store_true", help="send HTTP/1.1")
    h.add_argument("--close", action="store_true",
                   help="Connection: close (always on; accepted for clarity)")

    u = sub.add_parser("udp", help="F flows x K datagrams")
    common(u, udp=True)
    u.add_argument("--flows", type=int, default=16)
    u.add_argument("--per-flow", type=int, default=10)
    u.add_argument("--retries", type=int, default=1)
    u.add_argument("--concurrency", "-c", type=int, default=16)

    o = sub.add_parser("hold", help="queue N requests, read them on signal")
    common(o)
    o.add_argument("--path", default="/id.txt")
    o.add_argument("-n", type=int, default=10)
    o.add_argument("--http11", action="store_true")
    o.add_argument("--go-file", help="also proceed when this file exists")

    args = p.parse_args()
    result = {"http": cmd_http, "udp": cmd_udp, "hold": cmd_hold}[args.cmd](args)
    text = json.dumps(result, sort_keys=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text, flush=True)
    if args.fail_on_error and result["failed"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""loadgen.py: an open-loop HTTP/1.0 load for scripts/bench (tail, restart).

  loadgen.py --port P --rate R --duration S [--slow-share F] [--raw FILE]
             [--freeze PID --freeze-every S --freeze-for S]
  loadgen.py --port P --closed C --duration S [--slow-share F]

--closed: C connections' worth of requests in a closed loop (each sends the
next when the last is answered) to measure the capacity: prints "rate".

Requests leave at fixed intervals (1/R) whatever the answers do (open loop);
each opens a new connection, sends GET /slow (a share F of them) or GET /fast,
reads the whole answer. Latency counts from the scheduled start, so a stall
is never hidden (no coordinated omission). --freeze stops PID (SIGSTOP) for
--freeze-for seconds every --freeze-every seconds, SIGCONT at the end in any
case. Prints "key value" lines: sent ok errors p50_ms p99_ms max_ms; --raw
gets "start_s latency_ms ok" per request."""
import argparse
import asyncio
import os
import random
import signal
import sys
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rate", type=float)
    p.add_argument("--closed", type=int)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--slow-share", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--raw")
    p.add_argument("--freeze", type=int)
    p.add_argument("--freeze-every", type=float, default=2.0)
    p.add_argument("--freeze-for", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


async def one(a, path, sched, t0, res):
    ok = False
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), a.timeout)
        w.write(b"GET " + path + b" HTTP/1.0\r\nHost: bench\r\n\r\n")
        data = await asyncio.wait_for(r.read(), a.timeout)
        ok = data.startswith(b"HTTP/1.") and b" 200 " in data[:16]
        w.close()
    except (OSError, asyncio.TimeoutError):
        pass
    res.append((sched - t0, (time.monotonic() - sched) * 1000, ok))


async def freezer(a, stop):
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), a.freeze_every - a.freeze_for)
                break
            except asyncio.TimeoutError:
                pass
            os.kill(a.freeze, signal.SIGSTOP)
            try:
                await asyncio.wait_for(stop.wait(), a.freeze_for)
            except asyncio.TimeoutError:
                pass
            finally:
                os.kill(a.freeze, signal.SIGCONT)
    except ProcessLookupError:
        pass


async def closed(a):
    rnd = random.Random(a.seed)
    res = []
    t0 = time.monotonic()

    async def worker():
        while time.monotonic() - t0 < a.duration:
            path = b"/slow" if rnd.random() < a.slow_share else b"/fast"
            await one(a, path, time.monotonic(), t0, res)

    await asyncio.gather(*(worker() for _ in range(a.closed)))
    return sum(1 for _, _, ok in res if ok) / (time.monotonic() - t0)


async def main(a):
    rnd = random.Random(a.seed)
    res, tasks = [], []
    stop = asyncio.Event()
    fz = asyncio.ensure_future(freezer(a, stop)) if a.freeze else None
    t0 = time.monotonic()
    n = int(a.rate * a.duration)
    for i in range(n):
        sched = t0 + i / a.rate
        d = sched - time.monotonic()
        if d > 0:
            await asyncio.sleep(d)
        path = b"/slow" if rnd.random() < a.slow_share else b"/fast"
        tasks.append(asyncio.ensure_future(one(a, path, sched, t0, res)))
    stop.set()
    if fz:
        await fz
    await asyncio.gather(*tasks)
    return res


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


if __name__ == "__main__":
    a = parse()
    if a.closed:
        print("rate %.1f" % asyncio.run(closed(a)))
        sys.exit(0)
    if not a.rate:
        sys.exit("loadgen.py: --rate R or --closed C")
    start = time.time()
    try:
        res = asyncio.run(main(a))
    finally:
        if a.freeze:
            try:
                os.kill(a.freeze, signal.SIGCONT)
            except ProcessLookupError:
                pass
    lat = [l for _, l, ok in res if ok]
    print("start_epoch %.3f" % start)
    print("sent", len(res))
    print("ok", len(lat))
    print("errors", len(res) - len(lat))
    print("p50_ms %.3f" % pct(lat, 0.50))
    print("p99_ms %.3f" % pct(lat, 0.99))
    print("max_ms %.3f" % (max(lat) if lat else float("nan")))
    if a.raw:
        with open(a.raw, "w") as f:
            for t, l, ok in sorted(res):
                f.write("%.4f %.3f %d\n" % (t, l, ok))
    sys.exit(0 if res else 1)

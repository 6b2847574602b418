#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A model of the tail latency benchmark (section 7, tail.sh), to tell what a
policy could reach there at all: k single-threaded blocking servers, requests
of 1 ms (90 %) or 60 ms (10 %) plus a fixed overhead, Poisson arrivals at a
share of the capacity, server 0 frozen 0.3 s every 2 s (a request it is
serving waits too). Prints p99 per policy and its ratio to the kernel hash's.

  scripts/bench.d/tailsim.py [--seconds S] [--seeds N] [--overhead MS]

Policies: hash (a random server, as the kernel hash of a new connection),
leastconn (fewest queued + active, ties to the next in rotation: the
shim's), stale (leastconn plus one for every 10 ms a server with work has
not finished or started anything: it would need the time of the last
accept and close of every member), oracle (leastconn that never picks the
frozen server while it is frozen: no policy can know that).
"""
import argparse
import heapq
import random
import statistics
from collections import deque

K, FAST, SLOW, SLOW_SHARE = 2, 0.001, 0.060, 0.1
PERIOD, FROZEN = 2.0, 0.3


def run(policy, load, seed, seconds, overhead):
    rnd = random.Random(seed)
    mean = (1 - SLOW_SHARE) * FAST + SLOW_SHARE * SLOW + overhead
    rate = load * K / mean
    queue = [deque() for _ in range(K)]
    busy = [None] * K  # (arrival, end) of the request being served
    left = [None] * K  # a frozen server's request: (arrival, time left)
    moved = [0.0] * K  # when the server last started or finished a request
    frozen = [False] * K
    lat, ev, turn = [], [], 0
    heapq.heappush(ev, (rnd.expovariate(rate), "arrive", 0))
    for n in range(int(seconds / PERIOD) + 1):
        heapq.heappush(ev, (n * PERIOD, "freeze", 0))
        heapq.heappush(ev, (n * PERIOD + FROZEN, "thaw", 0))

    def start(i, t):
        if frozen[i] or busy[i] or not queue[i]:
            return
        arrival, cost = queue[i].popleft()
        busy[i] = (arrival, t + cost)
        moved[i] = t
        heapq.heappush(ev, (t + cost, "done", i))

    while ev:
        t, what, i = heapq.heappop(ev)
        if t > seconds:
            break
        if what == "arrive":
            cost = (SLOW if rnd.random() < SLOW_SHARE else FAST) + overhead
            loads = [len(queue[j]) + (busy[j] is not None or left[j] is not None) for j in range(K)]
            if policy == "hash":
                pick = rnd.randrange(K)
            else:
                if policy == "stale":
                    loads = [l + (int((t - moved[j]) / 0.010) if l else 0) for j, l in enumerate(loads)]
                order = [(turn + j) % K for j in range(K)]
                turn += 1
                if policy == "oracle":
                    order = [j for j in order if not frozen[j]] or order
                pick = min(order, key=lambda j: loads[j])
            queue[pick].append((t, cost))
            start(pick, t)
            heapq.heappush(ev, (t + rnd.expovariate(rate), "arrive", 0))
        elif what == "done":
            if busy[i] and busy[i][1] == t:
                lat.append(t - busy[i][0])
                busy[i] = None
                moved[i] = t
                start(i, t)
        elif what == "freeze":
            frozen[i] = True
            if busy[i]:
                left[i] = (busy[i][0], busy[i][1] - t)
                busy[i] = None
        elif what == "thaw":
            frozen[i] = False
            if left[i]:
                arrival, rest = left[i]
                left[i] = None
                busy[i] = (arrival, t + rest)
                heapq.heappush(ev, (t + rest, "done", i))
            else:
                start(i, t)
    lat.sort()
    return lat[int(len(lat) * 0.99)] * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--overhead", type=float, default=0.5, help="ms added to every request")
    a = ap.parse_args()
    pols = ["hash", "leastconn", "stale", "oracle"]
    print("load  " + "  ".join("%-17s" % p for p in pols))
    for load in (0.3, 0.6, 0.9):
        p99 = {p: statistics.median(run(p, load, s, a.seconds, a.overhead / 1000) for s in range(a.seeds))
               for p in pols}
        print("%3d %%  " % (load * 100) +
              "  ".join("%6.0f ms (%.2fx)" % (p99[p], p99[p] / p99["hash"]) for p in pols))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Long-lived UDP flows for the integration tests: F client sockets (one per
flow), each sending a datagram every --interval seconds for --duration
seconds to servers that reply with their id (udp_server.py). Records, per
flow, the runs of consecutive replies from one instance.

  udpflows.py run --port P [--host H] --flows F --interval S --duration S [--until FILE]
      prints {"sent": N, "replies": N, "flows": [[[id, first, last], ...]]}
      (times: time.time(), seconds since the epoch)
  udpflows.py check --flows-json FILE --kills FILE
      FILE of kills: lines "ID TIME" (the time just before ID was stopped).
      prints {"moved_live": flows whose instance changed while the previous
      one was not yet stopped, "returned": flows answered again by an
      instance they had left, "changes": all changes, "answered": flows
      with at least one reply, "ids": replies per instance}
"""

import os
import argparse
import json
import select
import socket
import sys
import time


def cmd_run(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    socks = []
    for _ in range(a.flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((a.host, a.port))
        socks.append(s)
    index = {s.fileno(): i for i, s in enumerate(socks)}
    runs = [[] for _ in socks]
    sent = replies = 0
    poll = select.poll()
    for s in socks:
        poll.register(s, select.POLLIN)
    end = time.time() + a.duration
    next_send = time.time()
    while True:
        now = time.time()
        if a.until and os.path.exists(a.until):
            a.until = None
            end = min(end, now + 0.5)  # the test is done with its restarts
        if now >= end + 0.3:
            break
        if now >= next_send and now < end:
            for s in socks:
                try:
                    s.send(b"q")
                    sent += 1
                except OSError:
                    pass  # ECONNREFUSED of an earlier datagram: keep going
            next_send += a.interval
            if next_send < now:
                next_send = now + a.interval
        wait = max(0.0, min(next_send, end + 0.3) - time.time())
        for fd, _ in poll.poll(wait * 1000):
            i = index[fd]
            while True:
                try:
                    data = socks[i].recv(256)
                except OSError:
                    break
                replies += 1
                rid, t = data.decode(errors="replace"), time.time()
                r = runs[i]
                if r and r[-1][0] == rid:
                    r[-1][2] = t
                else:
                    r.append([rid, t, t])
    json.dump({"sent": sent, "replies": replies, "flows": runs}, sys.stdout)
    print()


def cmd_check(a):
    with open(a.flows_json) as f:
        d = json.load(f)
    kills = {}
    with open(a.kills) as f:
        for line in f:
            if line.strip():
                rid, t = line.split()
                kills[rid] = float(t)
    moved_live = returned = changes = answered = 0
    ids = {}
    for runs in d["flows"]:
        if runs:
            answered += 1
        seen = set()
        live_move = False
        for k, (rid, first, last) in enumerate(runs):
            if rid in seen:
                returned += 1
            seen.add(rid)
            if k:
                changes += 1
                prev = runs[k - 1][0]
                if first < kills.get(prev, float("inf")):
                    live_move = True
        moved_live += live_move
        for rid, _, _ in runs:
            ids[rid] = ids.get(rid, 0) + 1
    print(json.dumps({"moved_live": moved_live, "returned": returned,
                      "changes": changes, "answered": answered,
                      "flows": len(d["flows"]), "sent": d["sent"],
                      "replies": d["replies"], "runs_per_id": ids}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--flows", type=int, default=200)
    r.add_argument("--interval", type=float, default=0.01)
    r.add_argument("--duration", type=float, default=8.0)
    r.add_argument("--until", help="stop (0.5 s later) once this file exists; --duration bounds it")
    c = sub.add_parser("check")
    c.add_argument("--flows-json", required=True)
    c.add_argument("--kills", required=True)
    a = p.parse_args()
    {"run": cmd_run, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()

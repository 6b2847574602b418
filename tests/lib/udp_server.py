#!/usr/bin/python3
"""Tiny UDP server for the integration tests: replies to every datagram with
its --id. Prints "ready" on stdout once bound; exits 0 on SIGTERM/SIGINT,
printing "served N" on stderr.

  udp_server.py --port P --id ID [--host 0.0.0.0|::|127.0.0.1|::1]
                [--v6only] [--reuseport]

No SO_REUSEPORT unless --reuseport: under the shim the shim sets it, so two
plain instances on one port fail with EADDRINUSE (a baseline for tests).
For --host :: the socket is dual-stack unless --v6only.
"""

import argparse
import signal
import socket
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--v6only", action="store_true")
    p.add_argument("--reuseport", action="store_true")
    args = p.parse_args()

    served = 0

    def stop(*_):
        print("served %d" % served, file=sys.stderr, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if args.v6only else 0)
    if args.reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((args.host, args.port))
    print("ready", flush=True)

    reply = args.id.encode()
    while True:
        try:
            _, peer = s.recvfrom(65536)
            s.sendto(reply, peer)
            served += 1
        except OSError as e:
            print("udp_server: %s" % e, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

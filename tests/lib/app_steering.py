#!/usr/bin/env python3
"""Socket behaviours an application relies on, printed one per line so the
same run with and without the shim can be compared
(interposer/app_steering_kept):
  ephemeral   bind(port 0) + listen: SO_REUSEPORT stays 0, another socket
              cannot bind that port, no group is created
  cbpf        the application's own SO_ATTACH_REUSEPORT_CBPF program decides
  noreuse     SO_ATTACH_REUSEPORT_CBPF on a socket the application never
              made reuseport fails with EINVAL
"""
import ctypes
import errno
import socket
import struct
import sys

SO_ATTACH_REUSEPORT_CBPF = 51


def cbpf_return(k):
    """A classic BPF program "ret #k": every connection to group index k."""
    insn = struct.pack("HBBI", 0x06, 0, 0, k)  # BPF_RET | BPF_K
    buf = ctypes.create_string_buffer(insn)
    prog = struct.pack("HL", 1, ctypes.addressof(buf))
    return prog, buf


def ephemeral():
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    a.listen(8)
    port = a.getsockname()[1]
    flag = a.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    b = socket.socket()
    b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        b.bind(("127.0.0.1", port))
        second = "bound"
    except OSError as e:
        second = errno.errorcode[e.errno]
    print(f"ephemeral so_reuseport={flag} second_bind={second}")
    return port


def cbpf(port):
    socks = []
    for _ in range(2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        socks.append(s)
    prog, keep = cbpf_return(0)
    socks[0].setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog)
    for s in socks:
        s.bind(("127.0.0.1", port))
        s.listen(32)
        s.setblocking(False)
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
    got = []
    for s in socks:
        n = 0
        while True:
            try:
                s.accept()[0].close()
                n += 1
            except BlockingIOError:
                break
        got.append(n)
    for c in clients:
        c.close()
    del keep
    print(f"cbpf accepted={got[0]},{got[1]}")


def noreuse(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    prog, keep = cbpf_return(0)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog)
        res = "ok"
    except OSError as e:
        res = errno.errorcode[e.errno]
    del keep
    print(f"noreuse attach={res}")


if __name__ == "__main__":
    ephemeral()
    cbpf(int(sys.argv[1]))
    noreuse(int(sys.argv[2]))

#!/usr/bin/python3
"""journal_stream.py OUT MODE CMD...: run CMD with fd 2 a unix stream socket,
as systemd gives a service its journal stream, and write every line read
from it to OUT. MODE: "match" sets JOURNAL_STREAM to the socket's
"device:inode" (systemd's convention), "wrong" to another inode, "unset"
leaves it out. Runs until CMD exits or SIGTERM (passed on to CMD)."""
import os
import signal
import socket
import subprocess
import sys

out, mode, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
st = os.fstat(theirs.fileno())
env = dict(os.environ)
env.pop("JOURNAL_STREAM", None)
if mode == "match":
    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
elif mode == "wrong":
    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino + 1)
child = subprocess.Popen(cmd, stderr=theirs, env=env, start_new_session=True)
theirs.close()
signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
print("ready", flush=True)
with open(out, "ab", buffering=0) as f:
    while True:
        try:
            data = ours.recv(65536)
        except InterruptedError:
            continue
        if not data:
            break
        f.write(data)
child.wait()

#!/usr/bin/python3
"""journal_stream.py OUT MODE CMD...: run CMD with fd 2 a unix stream socket,
as systemd gives a service its journal stream; what arrives on the other end
is appended to OUT. MODE: match (JOURNAL_STREAM names fd 2, "DEV:INODE" of
the child's fstat(2)), wrong (the right device, another inode) or none
(JOURNAL_STREAM unset). Exits with CMD's status once CMD's end is closed."""
import os, socket, sys

out, mode, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
pid = os.fork()
if pid == 0:
    b.close()
    os.dup2(a.fileno(), 2)
    a.close()
    st = os.fstat(2)
    os.environ.pop("JOURNAL_STREAM", None)
    if mode == "match":
        os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    elif mode == "wrong":
        os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino + 1)
    elif mode != "none":
        sys.exit("journal_stream.py: MODE is match, wrong or none")
    os.execvp(cmd[0], cmd)
a.close()
with open(out, "ab") as f:
    while True:
        d = b.recv(4096)
        if not d:
            break
        f.write(d)
        f.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)

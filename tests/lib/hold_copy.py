"""hold_copy PID PORT: hold a copy (pidfd_getfd) of PID's TCP listener on
PORT, as a debugger or an inspection tool would, until killed. Prints
"holding FD" once it has it."""
import ctypes
import os
import platform
import signal
import socket
import sys

# pidfd_getfd is 438 in the unified syscall table (x86-64, arm64, ...)
SYS_PIDFD_GETFD = {"alpha": 548}.get(platform.machine(), 438)
libc = ctypes.CDLL(None, use_errno=True)


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    pidfd = os.pidfd_open(pid)
    for name in os.listdir("/proc/%d/fd" % pid):
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
        if fd < 0:
            continue
        try:
            s = socket.socket(fileno=fd)
        except OSError:
            os.close(fd)
            continue
        if (s.type == socket.SOCK_STREAM and
                s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) and
                s.getsockname()[1] == port):
            print("holding %d" % fd, flush=True)
            signal.pause()
            return 0
        s.detach()
        os.close(fd)
    print("no listener on port %d in %d" % (port, pid), flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())

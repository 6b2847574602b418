#!/usr/bin/python3
"""Run time of the steering program per run (bpf_stats) while a command runs.

  progcost.py PROG_PIN -- CMD [ARGS...]

Enables run-time statistics with BPF_ENABLE_STATS (only while this process
holds the fd: kernel.bpf_stats_enabled is left alone), reads run_cnt and
run_time_ns of the pinned program (bpftool) before and after CMD, prints
{"runs": N, "ns_per_run": X, "cmd_status": S}.
"""

import ctypes
import json
import subprocess
import sys

SYS_BPF = 321  # x86_64
BPF_ENABLE_STATS = 32
BPF_STATS_RUN_TIME = 0


def stats(pin):
    out = subprocess.run(["bpftool", "-j", "prog", "show", "pinned", pin],
                         capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    return d.get("run_cnt", 0), d.get("run_time_ns", 0)


def main():
    pin, cmd = sys.argv[1], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(8)  # union bpf_attr: u32 type
    fd = libc.syscall(SYS_BPF, BPF_ENABLE_STATS, attr, 8)
    if fd < 0:
        print("progcost: BPF_ENABLE_STATS: errno %d" % ctypes.get_errno(), file=sys.stderr)
        sys.exit(1)
    c0, t0 = stats(pin)
    st = subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode
    c1, t1 = stats(pin)
    runs = c1 - c0
    print(json.dumps({"runs": runs, "ns_per_run": round((t1 - t0) / runs, 1) if runs else 0,
                      "cmd_status": st}))


if __name__ == "__main__":
    main()

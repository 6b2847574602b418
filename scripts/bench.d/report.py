#!/usr/bin/env python3
"""report.py OUTDIR: results.md (on stdout) from OUTDIR/data.tsv, the raw
measurements scripts/bench records as "section variant rep key value" lines,
and from the server logs under OUTDIR. Every figure is set against a baseline
measured in the same run; medians with [min-max] over the repetitions."""
import collections
import glob
import os
import re
import statistics
import sys

out = sys.argv[1]
D = collections.defaultdict(lambda: collections.defaultdict(dict))  # D[sec][var][rep] = {key: val}
meta = collections.defaultdict(dict)  # meta[sec][key] = val
notes = collections.defaultdict(list)
with open(os.path.join(out, "data.tsv")) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        sec, var, rep, key, val = parts
        if key == "note":
            notes[sec].append(val)
        elif var == "-":
            meta[sec][key] = val
        else:
            D[sec][var].setdefault(rep, {})[key] = val


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ints(v):
    try:
        return [int(x) for x in v.split(",")]
    except (AttributeError, ValueError):
        return None


def fmt(x):
    if x is None:
        return "n/a"
    a = abs(x)
    if a >= 1000:
        return "%.0f" % x
    if a >= 100:
        return "%.1f" % x
    if a >= 10:
        return "%.2f" % x
    return "%.3f" % x


def pct(x):
    return "n/a" if x is None else "%.2f %%" % (100 * x)


def stat(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return statistics.median(xs), min(xs), max(xs), len(xs)


def mmm(xs, f=fmt):
    s = stat(xs)
    if not s:
        return "n/a"
    m, lo, hi, _ = s
    return "%s [%s-%s]" % (f(m), f(lo), f(hi))


def med(xs):
    s = stat(xs)
    return s[0] if s else None


def div(a, b):
    return a / b if a is not None and b else None


def series(sec, var, fn):
    """fn(rep dict) per repetition, in repetition order"""
    reps = D[sec].get(var, {})
    return [fn(reps[r]) for r in sorted(reps, key=int)]


def paired(sec, var, base, fn):
    """per-repetition ratios var/base (interleaved runs of the same rep)"""
    a, b = D[sec].get(var, {}), D[sec].get(base, {})
    return [div(fn(a[r]), fn(b[r])) for r in sorted(a, key=int) if r in b]


def imbalance(counts):
    """max/mean of per-member counts (1.00 = even)"""
    if not counts or sum(counts) == 0:
        return None
    return max(counts) / (sum(counts) / len(counts))


def section_notes(sec, lines):
    for n in notes.get(sec, []):
        lines.append("- " + n)
    if notes.get(sec):
        lines.append("")


def desc(sec, lines, text):
    """the description of a section that measured something"""
    if D[sec]:
        lines += [text, ""]


m = meta["meta"]
L = ["# libreuseport benchmarks", ""]
L.append(
    "%s, Linux %s, %s CPUs, %s repetitions%s; variants interleaved (A B C A B C ...); "
    "median [min-max] over the repetitions; load generator one thread, nothing pinned "
    "unless said. Total %s s." % (
        m.get("date", "?"), m.get("kernel", "?"), m.get("cpus", "?"), m.get("reps", "?"),
        " (--quick)" if m.get("quick") == "1" else "", m.get("seconds", "?")))
tools = ["%s" % v for k, v in sorted(m.items()) if k.startswith("tool:")]
if tools:
    L.append("Tools: " + "; ".join(tools) + ".")
L.append("")
clk = num(m.get("clk_tck")) or 100.0

# ------------------------------------------------------------------ exec
if "exec" in meta or "exec" in notes:
    sec = "exec"
    n = meta[sec].get("n", "?")
    L += ["## 1. Exec cost of the preload for processes that never listen", ""]
    desc(sec, L, "fork + execve(/bin/true) + waitpid, %s per variant and repetition, from a small C driver "
             "that alternates the variants every %s execs (A B C D A B C D ...); "
             "time per exec. Baseline (b): an empty preloaded .so." % (n, meta[sec].get("chunk", "?")))
    section_notes(sec, L)
    if D[sec]:
        us = lambda d: num(d.get("us"))
        bm = med(series(sec, "empty", us))
        L += ["| variant | us per exec | ratio to (b), of medians | ratio to (b), per repetition |",
              "|---|---|---|---|"]
        labels = [("none", "(a) no LD_PRELOAD"), ("empty", "(b) empty .so (baseline)"),
                  ("shim", "(c) LD_PRELOAD=libreuseport.so"),
                  ("libbpf", "(d) empty .so linked with -lbpf (eager-linking design)")]
        for v, label in labels:
            if v not in D[sec]:
                continue
            xs = series(sec, v, us)
            L.append("| %s | %s | %.3f | %s |" % (label, mmm(xs), div(med(xs), bm) or 0,
                                                mmm(paired(sec, v, "empty", us), lambda x: "%.3f" % x)))
        L.append("")
        cb = div(med(series(sec, "shim", us)), bm)
        db = div(med(series(sec, "libbpf", us)), bm)
        if cb is not None:
            L.append("c/b = **%.3f** (target <= 1.02: %s)%s." % (
                cb, "met" if cb <= 1.02 else "NOT met",
                "; d/b = **%.3f**: what linking libbpf into the interposer would cost every exec" % db
                if db is not None else ""))
            L.append("")

# ------------------------------------------------------------------ cost
if "cost" in meta or "cost" in notes:
    sec = "cost"
    L += ["## 2. Steering program cost per policy", ""]
    desc(sec, L, "Two nginx masters (worker_processes 1, `listen` without reuseport) under the shim, a "
             "new group per run; `kernel.bpf_stats_enabled=1`; `wrk -t1 -c32 -d%ss -H 'Connection: close'`; "
             "then `run_time_ns / run_cnt` of the group's pinned program (bpftool). "
             "The per-connection time of the same run (1e9 / req/s) is the scale." % meta[sec].get("duration", "3"))
    section_notes(sec, L)
    if D[sec]:
        nsrun = lambda d: div(num(d.get("run_time_ns")), num(d.get("run_cnt")))
        connns = lambda d: div(1e9, num(d.get("rps")))
        share = lambda d: div(nsrun(d), connns(d))
        runsreq = lambda d: div(num(d.get("run_cnt")), num(d.get("requests")))
        acc = lambda d: ints(d.get("slot_accepted"))
        L += ["| policy | ns per program run | ratio to roundrobin, per repetition | program runs per request "
              "| ns per connection (1e9 / req/s) | program time / connection time | accepted per slot, summed "
              "| max/mean of accepted, median | wrk errors |",
              "|---|---|---|---|---|---|---|---|---|"]
        for pol in ["roundrobin", "hash", "leastconn", "weighted", "sticky", "cpu"]:
            if pol not in D[sec]:
                continue
            reps = D[sec][pol]
            tot = None
            for d in reps.values():
                a = acc(d)
                if a:
                    tot = a if tot is None or len(tot) != len(a) else [x + y for x, y in zip(tot, a)]
            got = sorted({d.get("policy", "-") for d in reps.values()})
            label = pol if got == [pol] else "%s (group reports %s!)" % (pol, "/".join(got))
            if pol == "cpu":
                cpus = sorted({d.get("slot_cpu", "-") for d in reps.values()})
                label += " (masters pinned; slot cpus %s)" % "/".join(cpus)
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
                label, mmm(series(sec, pol, nsrun)),
                mmm(paired(sec, pol, "roundrobin", nsrun), lambda x: "%.3f" % x),
                fmt(med(series(sec, pol, runsreq))), fmt(med(series(sec, pol, connns))),
                mmm(series(sec, pol, share), lambda x: "%.2f %%" % (100 * x)),
                " / ".join(map(str, tot)) if tot else "n/a",
                fmt(med(series(sec, pol, lambda d: imbalance(acc(d))))),
                sum(int(num(d.get("errors")) or 0) for d in reps.values())))
        L.append("")
        L.append("The figures include the statistics' own overhead (two clock reads per run). "
                 "The client is always 127.0.0.1, so `sticky` sends every connection to one member "
                 "(expected; the cost is what is measured). `cpu`: each master is pinned to one CPU "
                 "(`taskset`), which is what the policy needs; on loopback the SYN is processed on the "
                 "client's CPU, so the split follows wherever wrk runs.")
        L.append("")

# -------------------------------------------------------------- progcost
if "progcost" in meta or "progcost" in notes:
    sec = "progcost"
    pm = meta[sec]
    L += ["## 2b. Steering program cost against a bare sockarray select", ""]
    desc(sec, L, "`scripts/bench --only progcost`: for each variant N member processes (one listener each, "
             "accept + close) on a port of their own, every variant up at once; the driver "
             "(scripts/bench.d/progcost.c) takes turns between the variants, %s connections (reset at once) "
             "a turn, and reads `run_time_ns / run_cnt` of each program before and after its turn "
             "(`kernel.bpf_stats_enabled=1`, so two clock reads per run are included). A repetition is %s "
             "turns of every variant; its figure is the sum over them. Baseline `bare`: a program that only does "
             "one `bpf_sk_select_reuseport()` with an index from one shared round robin counter "
             "(scripts/bench.d/bare.bpf.c, member count a constant); `bare-hash`: index = hash %% N, no map. "
             "Ratios are to `bare` of the same member count in the same repetition."
             % (pm.get("chunk", "32"), pm.get("rounds", "100")))
    if pm.get("before"):
        L.append("Before: `%s` (`--before`), its groups taking the same turns." % pm["before"])
        L.append("")
    section_notes(sec, L)
    if D[sec]:
        nsrun = lambda d: num(d.get("ns_run"))
        steered = lambda d: div(num(d.get("prog_steered")), num(d.get("prog_runs")))
        pols = ["roundrobin", "hash", "leastconn", "weighted", "sticky", "cpu"]
        for nm in pm.get("members", "4 64").split():
            before = any("before-%s-%s" % (v, nm) in D[sec] for v in pols)
            L += ["### %s members" % nm, ""]
            head = "| program | ns per run | ratio to bare, per repetition |"
            if before:
                head += " before: ratio to bare |"
            head += " runs measured, median | steered / runs of the group |"
            L += [head, "|---" * (head.count("|") - 1) + "|"]
            for v in ["bare", "bare-hash"] + pols:
                var = "%s-%s" % (v, nm)
                if var not in D[sec]:
                    continue
                reps = D[sec][var]
                label = v
                if not v.startswith("bare"):
                    got = sorted({d["policy"] for d in reps.values() if "policy" in d})
                    if got != [v]:
                        label = "%s (group reports %s!)" % (v, "/".join(got) or "nothing")
                    if v == "cpu":
                        label += " (member i pinned to CPU i mod ncpu)"
                row = [label, mmm(series(sec, var, nsrun)),
                       mmm(paired(sec, var, "bare-" + nm, nsrun), lambda x: "%.3f" % x)]
                if before:
                    row.append("-" if v.startswith("bare") else
                               mmm(paired(sec, "before-" + var, "bare-" + nm, nsrun), lambda x: "%.3f" % x))
                row += [fmt(med(series(sec, var, lambda d: num(d.get("runs"))))),
                        "-" if v.startswith("bare") else
                        mmm(series(sec, var, steered), lambda x: "%.3f" % x)]
                L.append("| " + " | ".join(row) + " |")
            L.append("")

# ------------------------------------------------------------------ rate
if "rate" in meta or "rate" in notes:
    sec = "rate"
    L += ["## 3. Connection rate: nginx, tiny body, new connection per request", ""]
    desc(sec, L, "`wrk -t1 -c64 -d%ss -H 'Connection: close'`, `return 200 \"ok\\n\"`. native: one nginx, "
             "2 workers, its own `listen ... reuseport` (kernel hash, no BPF); shared: one nginx, 2 workers, "
             "one listening socket; shim-*: two unmodified nginx masters (1 worker each, no reuseport in "
             "the config) on one port under the shim; proxy: HAProxy (mode tcp, balance roundrobin, "
             "nbthread 1) in front of two 1-worker nginx on two other ports. Server CPU = utime+stime of "
             "every server process (HAProxy included) during the wrk run." % meta[sec].get("duration", "5"))
    section_notes(sec, L)
    if D[sec]:
        rps = lambda d: num(d.get("rps"))
        cpureq = lambda d: div(num(d.get("cpu_ticks")) * 1e6 / clk if num(d.get("cpu_ticks")) is not None else None,
                               num(d.get("requests")))
        wsplit = lambda d: imbalance(ints(d.get("worker_ticks")))
        L += ["| variant | req/s | ratio to native, of medians | ratio to native, per repetition "
              "| server CPU us per request | CPU per request, ratio to native | worker CPU max/mean | wrk errors |",
              "|---|---|---|---|---|---|---|---|"]
        nm = med(series(sec, "native", rps))
        nc = med(series(sec, "native", cpureq))
        for v in ["native", "shared", "shim-roundrobin", "shim-leastconn", "shim-hash", "proxy"]:
            if v not in D[sec]:
                continue
            reps = D[sec][v]
            got = sorted({d.get("policy") for d in reps.values() if d.get("policy")})
            label = v
            if v.startswith("shim-") and got != [v[5:]]:
                label += " (group reports %s!)" % "/".join(got)
            L.append("| %s | %s | %s | %s | %s | %s | %s | %d |" % (
                label, mmm(series(sec, v, rps)), "%.3f" % div(med(series(sec, v, rps)), nm) if nm else "n/a",
                mmm(paired(sec, v, "native", rps), lambda x: "%.3f" % x),
                mmm(series(sec, v, cpureq), lambda x: "%.1f" % x),
                "%.3f" % div(med(series(sec, v, cpureq)), nc) if nc and med(series(sec, v, cpureq)) else "n/a",
                fmt(med(series(sec, v, wsplit))),
                sum(int(num(d.get("errors")) or 0) for d in reps.values())))
        L.append("")
        shim = [v for v in D[sec] if v.startswith("shim-")]
        if shim:
            parts = []
            for v in sorted(shim):
                acc = [ints(d.get("slot_accepted")) for d in D[sec][v].values()]
                acc = [a for a in acc if a]
                parts.append("%s %s (max/mean %s)" % (
                    v, " ".join("/".join(map(str, a)) for a in acc),
                    fmt(med([imbalance(a) for a in acc]))))
            L.append("Connections accepted per member (group counters, per repetition): " + "; ".join(parts) + ".")
            L.append("")

# ------------------------------------------------------------------ syscalls
if "syscalls" in meta or "syscalls" in notes:
    sec = "syscalls"
    L += ["## 4. System calls per request on the accept path", ""]
    desc(sec, L, "`strace -c -f` attached to one nginx master and its worker (worker_processes 1), during "
             "`wrk -t1 -c1 -d2s -H 'Connection: close'`; one run each (strace slows everything; the "
             "count per request, not the rate, is the figure).")
    section_notes(sec, L)
    if D[sec]:
        get = lambda v, k: num(D[sec].get(v, {}).get("1", {}).get(k))
        L += ["| variant | requests | syscalls | syscalls per request | ratio to plain | failed syscalls |",
              "|---|---|---|---|---|---|"]
        base = div(get("plain", "syscalls"), get("plain", "requests"))
        for v, label in [("plain", "plain nginx (baseline)"), ("shim", "nginx under the shim")]:
            if v not in D[sec]:
                continue
            pr = div(get(v, "syscalls"), get(v, "requests"))
            L.append("| %s | %d | %d | %s | %s | %d |" % (
                label, get(v, "requests") or 0, get(v, "syscalls") or 0, "%.3f" % pr if pr else "n/a",
                "%.3f" % div(pr, base) if base and pr else "n/a", get(v, "syscall_errors") or 0))
        L.append("")
        names = set()
        for v in D[sec]:
            names |= {k[3:] for k in D[sec][v].get("1", {}) if k.startswith("sc:")}
        per = {}
        for nme in names:
            per[nme] = [div(get(v, "sc:" + nme) or 0, get(v, "requests")) for v in ("plain", "shim")]
        shown = sorted((n for n in per if max(x or 0 for x in per[n]) >= 0.01),
                       key=lambda n: (-max(x or 0 for x in per[n]), n))
        if shown:
            L += ["| syscall | plain, per request | shim, per request |", "|---|---|---|"]
            for nme in shown:
                L.append("| %s | %s | %s |" % (nme, *["%.3f" % x if x is not None else "n/a" for x in per[nme]]))
            rest = [sum((per[n][i] or 0) for n in per if n not in shown) for i in (0, 1)]
            L.append("| (others, each < 0.01) | %.3f | %.3f |" % tuple(rest))
            L.append("")

# ------------------------------------------------------------------ redis
if "redis" in meta or "redis" in notes:
    sec = "redis"
    L += ["## 5. Unmodified single-process server: 2 x redis-server on one port vs 1", ""]
    desc(sec, L, "`redis-benchmark -t set,get -n %s -c 50 --threads 1 -q` (and `-P 16 -n %s`); redis-server "
             "`--save '' --appendonly no`, own --dir each. one: one plain redis-server (baseline); "
             "one-shim: one redis-server under the shim; two-shim: two under the shim on one port "
             "(roundrobin). req/s is the mean of SET and GET." % (
                 meta[sec].get("n", "?"), 10 * int(meta[sec].get("n", "0"))))
    section_notes(sec, L)
    if D[sec]:
        L += ["| pipeline | variant | SET req/s | GET req/s | mean req/s | ratio to one, of medians "
              "| ratio to one, per repetition | connections accepted per member |",
              "|---|---|---|---|---|---|---|---|"]
        for p in ("P1", "P16"):
            mean = lambda d, p=p: (num(d.get(p + "-set")) + num(d.get(p + "-get"))) / 2 \
                if num(d.get(p + "-set")) is not None and num(d.get(p + "-get")) is not None else None
            om = med(series(sec, "one", mean))
            for v in ("one", "one-shim", "two-shim"):
                if v not in D[sec]:
                    continue
                acc = [ints(d.get("slot_accepted")) for d in D[sec][v].values()]
                acc = [a for a in acc if a]
                L.append("| -%s | %s | %s | %s | %s | %s | %s | %s |" % (
                    p.replace("P", "P "), v,
                    mmm(series(sec, v, lambda d: num(d.get(p + "-set")))),
                    mmm(series(sec, v, lambda d: num(d.get(p + "-get")))),
                    mmm(series(sec, v, mean)),
                    "%.3f" % div(med(series(sec, v, mean)), om) if om else "n/a",
                    mmm(paired(sec, v, "one", mean), lambda x: "%.3f" % x),
                    " ".join("/".join(map(str, a)) for a in acc) if v == "two-shim" and acc else "-"))
        L.append("")
        L.append("With %s CPUs and a one-thread client using one of them, two servers share the "
                 "remaining CPU: the ideal 2-instance ratio here is about 1 (docs/BENCHMARKS.md: 2 minus the "
                 "client's share); a gain needs spare cores. The accepted counts (both tests, plus "
                 "redis-benchmark's own probe connection) are the group's, summed over -P 1 and -P 16."
                 % m.get("cpus", "?"))
        L.append("")

# ------------------------------------------------------------------ logs
L += ["## Server logs", ""]
pat = re.compile(r"\[(emerg|alert|crit|error|warn)\]|libreuseport:.*level=(warn|error)|\[(ALERT|WARNING)\]"
                 r"|^\d+:[MCX] .* # .*(WARNING|[Ee]rror|[Ff]ail)")
# redis' advice about the host's vm settings says nothing about the shim
host = re.compile(r"overcommit_memory|Transparent Huge Pages|somaxconn")
skipped_host = 0
hits = collections.Counter()
files = collections.Counter()
for path in sorted(glob.glob(os.path.join(out, "logs", "*.log")) + glob.glob(os.path.join(out, "run", "*", "*.log"))):
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if not pat.search(line):
                    continue
                if host.search(line):
                    skipped_host += 1
                    continue
                norm = re.sub(r"^\S+ \S+ |\b\d+#\d+: |pid=\d+|\d+:[MCX] \d+ \w+ \d+ [\d:.]+ ", "", line.strip())
                norm = re.sub(r"\d+", "N", norm)
                hits[norm] += 1
                files[os.path.relpath(path, out)] += 1
    except OSError:
        pass
if not hits:
    L.append("No warning or error in any server log (nginx error.log, shim log lines, HAProxy, redis).")
else:
    L.append("%d warning/error lines in %d log files (numbers normalised to N):" % (sum(hits.values()), len(files)))
    L.append("")
    L += ["| count | line |", "|---|---|"]
    for line, c in hits.most_common(12):
        L.append("| %d | `%s` |" % (c, line.replace("|", "\\|")[:200]))
if skipped_host:
    L.append("")
    L.append("(Not counted: %d redis warnings about the host's vm settings, e.g. vm.overcommit_memory.)" % skipped_host)
L.append("")

# ------------------------------------------------------------------ timing
t = [(s, meta[s]["seconds"]) for s in ("exec", "cost", "progcost", "rate", "syscalls", "redis") if "seconds" in meta[s]]
if t:
    L.append("Section times: " + ", ".join("%s %s s" % x for x in t) + "; total %s s." % m.get("seconds", "?"))
    L.append("")
sys.stdout.write("\n".join(L))

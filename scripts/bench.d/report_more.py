#!/usr/bin/env python3
"""report_more.py OUTDIR: the results.md sections of scripts/bench.d/*.sh
(fairness, tail, dns, dgram, restart, groups) and their PNG plots (gnuplot, written
beside results.md), from OUTDIR/data.tsv. Appended after report.py's part.
Median [min-max] over runs; every ratio against a variant of the same run."""
import collections
import glob
import os
import random
import statistics
import subprocess
import sys

out = sys.argv[1]
V = collections.defaultdict(lambda: collections.defaultdict(dict))  # V[sec][var][rep] = {key: val}
M = collections.defaultdict(dict)
N = collections.defaultdict(list)
for line in open(os.path.join(out, "data.tsv")):
    p = line.rstrip("\n").split("\t")
    if len(p) == 5:
        (N[p[0]].append(p[4]) if p[3] == "note" else
         M[p[0]].__setitem__(p[3], p[4]) if p[1] == "-" else V[p[0]][p[1]].setdefault(p[2], {}).__setitem__(p[3], p[4]))


def f(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def counts(s, k):
    """"a,b" -> [a, b] padded with zeros to k members"""
    try:
        c = [int(x) for x in s.split(",")]
    except (AttributeError, ValueError):
        return None
    return c + [0] * (k - len(c)) if k else c


def maxmean(c):
    return max(c) / (sum(c) / len(c)) if c and sum(c) else None


def mmm(xs, fmt="%.2f"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return (fmt + " [" + fmt + "-" + fmt + "]") % (statistics.median(xs), min(xs), max(xs))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def reps(sec, var):
    return [V[sec][var][r] for r in sorted(V[sec][var], key=lambda r: (not r.isdigit(), r.zfill(9)))
            if r.isdigit()]


def gnuplot(name, script):
    """run script with gnuplot; the markdown link, or a note"""
    try:
        subprocess.run(["gnuplot"], input=("set terminal png size 900,%d\nset output '%s'\n" % (
            520 if "multiplot" not in script else 900, os.path.join(out, name))) + script,
            text=True, check=True, capture_output=True)
        return "![%s](%s)" % (name, name)
    except (OSError, subprocess.CalledProcessError) as e:
        return "(no plot %s: %s)" % (name, getattr(e, "stderr", "") or e)


def dat(name, rows):
    path = os.path.join(out, "plots", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        for r in rows:
            fh.write(" ".join(str(x) for x in r) + "\n")
    return path


def notes(sec, L):
    L.extend("- " + n for n in N.get(sec, []))
    if N.get(sec):
        L.append("")


def balls(n, k, trials=20000):
    """E[max/mean] of n balls thrown into k bins at random (the kernel hash)"""
    rnd = random.Random(1)
    tot = 0
    for _ in range(trials):
        c = [0] * k
        for _ in range(n):
            c[rnd.randrange(k)] += 1
        tot += max(c) / (n / k)
    return tot / trials


L = []
# ---------------------------------------------------------------- fairness
if "fairness" in M:
    sec = "fairness"
    ks = [int(x) for x in M[sec].get("ks", "").split()]
    ns = [int(x) for x in M[sec].get("ns", "").split()]
    vs = [v for v in ("native", "shim-roundrobin", "shim-leastconn", "shim-hash") if v in V[sec]]
    L += ["## 6. Fairness with few keep-alive connections", "",
          "`wrk -t1 -c n -d1s` (keep-alive) against k instances, %s fresh runs a point (a new wrk, so new "
          "connections), variants taking turns run by run. native: one nginx with k workers and "
          "`listen ... reuseport` (the kernel hash); shim-*: k nginx masters of one worker under the shim. "
          "Per instance: connections (distinct connection numbers in the access log) and requests "
          "(access log lines). max/mean = 1.00 is an even split; *balls into bins* is the expected "
          "max/mean of n connections hashed at random onto k instances." % M[sec].get("runs", "?"), ""]
    notes(sec, L)
    for what, key in (("connections", "conn"), ("requests", "req")):
        L += ["**max/mean of %s per instance**, median [min-max] over the runs:" % what, "",
              "| k | n | balls into bins | " + " | ".join(vs) + " |", "|---" * (3 + len(vs)) + "|"]
        for k in ks:
            for n in ns:
                row = ["%d" % k, "%d" % n, "%.2f" % balls(n, k)]
                for v in vs:
                    row.append(mmm([maxmean(counts(d.get("k%d-n%d-%s" % (k, n, key)), k)) for d in reps(sec, v)]))
                L.append("| " + " | ".join(row) + " |")
        L.append("")
    L.append("Connections are what the policy decides; requests also follow how much CPU each instance "
             "gets while wrk takes one of the machine's CPUs, so their split is noisier.")
    L.append("")
    if ks and ns and vs:
        plots = []
        for i, k in enumerate(ks):
            rows = [[n, balls(n, k)] + [med([maxmean(counts(d.get("k%d-n%d-conn" % (k, n)), k)) for d in reps(sec, v)])
                                         or "NaN" for v in vs] for n in ns]
            p = dat("fairness-k%d.dat" % k, rows)
            plots.append("set title 'k = %d instances: max/mean of connections per instance'\n"
                         "plot '%s' using 1:2 with lines dt 2 lw 2 title 'balls into bins (hash)', " % (k, p) +
                         ", ".join("'' using 1:%d with linespoints lw 2 title '%s'" % (3 + j, v) for j, v in enumerate(vs)))
        L.append(gnuplot("fairness.png", "set logscale x 2\nset xlabel 'connections (wrk -c)'\nset ylabel 'max/mean'\n"
                         "set yrange [0.9:*]\nset grid\nset key top right\n" +
                         ("set multiplot layout %d,1\n" % len(plots) if len(plots) > 1 else "") +
                         "\n".join(plots) + ("\nunset multiplot\n" if len(plots) > 1 else "\n")))
        L.append("")

# ---------------------------------------------------------------- tail
if "tail" in M:
    sec = "tail"
    loads = M[sec].get("loads", "").split()
    vs = [v for v in ("shared", "native", "shim-roundrobin", "shim-leastconn", "shim-hash", "shim-leastconn-steal") if v in V[sec]]
    L += ["## 7. Tail latency under uneven load (open loop)", "",
          "k = %s blocking single-threaded instances (`slowsrv.py`: one request at a time; 90 %% of the "
          "requests sleep 1 ms, 10 %% sleep 60 ms), one instance frozen (SIGSTOP) 0.3 s every 2 s; "
          "`loadgen.py` sends at a fixed rate, a new connection a request, latency from the scheduled "
          "start (open loop), %s s a run. Load = rate / capacity (capacity %s req/s: what the shared variant "
          "answered in a closed loop of 16 connections, no freezing, measured first). shared: one listening socket; native: a SO_REUSEPORT socket each (kernel hash); "
          "shim-*: plain binds under the shim." % (M[sec].get("instances", "?"), M[sec].get("duration", "?"),
                                                   M[sec].get("capacity", "?")), ""]
    notes(sec, L)
    vs4 = [v for v in ("k4-shared", "k4-native", "k4-shim-leastconn", "k4-shim-leastconn-steal") if v in V[sec]]
    vst = [v for v in ("thr-shared", "thr-native", "thr-shim-leastconn", "thr-shim-leastconn-steal") if v in V[sec]]
    for kvs, k, pfx in ((vs, 2, ""), (vs4, 4, "k4-"), (vst, 2, "thr-")):
        if not kvs:
            continue
        if pfx == "k4-":
            L += ["k = 4 (capacity %s req/s):" % M[sec].get("capacity_k4", "?"), ""]
        if pfx == "thr-":
            L += ["A threaded server (`THREADS=1`: one accepting thread a process, a thread a connection), "
                  "k = 2, offered the same rates as the blocking one:", ""]
        L += ["| load | variant | p50 ms | p99 ms | max ms | failed | p99 / native p99 | p99 / shared p99 |",
              "|---|---|---|---|---|---|---|---|"]
        for ld in loads:
            g = lambda v, key, ld=ld: [f(d.get("l%s-%s" % (ld, key))) for d in reps(sec, v)]
            for v in kvs:
                ratio = lambda b, v=v: mmm([x / y if x is not None and y else None
                                            for x, y in zip(g(v, "p99_ms"), g(b, "p99_ms"))])
                L.append("| %s %% | %s | %s | %s | %s | %d | %s | %s |" % (
                    ld, v, mmm(g(v, "p50_ms"), "%.1f"), mmm(g(v, "p99_ms"), "%.1f"), mmm(g(v, "max_ms"), "%.1f"),
                    sum(int(x or 0) for x in g(v, "errors")), ratio(pfx + "native"), ratio(pfx + "shared")))
        L.append("")
        steal, shared = pfx + "shim-leastconn-steal", pfx + "shared"
        if steal in kvs and shared in kvs:
            parts = []
            for ld in loads:
                a = med([f(d.get("l%s-p99_ms" % ld)) for d in reps(sec, steal)])
                b = med([f(d.get("l%s-p99_ms" % ld)) for d in reps(sec, shared)])
                if a is not None and b:
                    # the goal (issue 23) is for two instances at 30 and 60 %
                    goal = "" if ld == "90" or pfx else (" (goal <= 1.2x met)" if a / b <= 1.2 else " (goal <= 1.2x NOT met)")
                    parts.append("%s %%: **%.2fx**%s" % (ld, a / b, goal))
            L += ["%s, leastconn with stealing p99 / shared p99, of medians: " % ("threaded, k = 2" if pfx == "thr-" else "k = %d" % k)
                  + "; ".join(parts) + ".", ""]
    if "shim-leastconn" in vs and "native" in vs:
        parts = []
        for ld in loads:
            a = med([f(d.get("l%s-p99_ms" % ld)) for d in reps(sec, "shim-leastconn")])
            b = med([f(d.get("l%s-p99_ms" % ld)) for d in reps(sec, "native")])
            if a is not None and b:
                parts.append("%s %%: **%.2fx** (%s)" % (ld, a / b, "goal <= 0.7x met" if a / b <= 0.7 else "goal <= 0.7x NOT met"))
        L += ["leastconn p99 / native p99, of medians: " + "; ".join(parts) + ".", ""]
    if loads and vs:
        ld = loads[-1]
        cdf = []
        for j, v in enumerate(vs):
            lat = []
            for path in glob.glob(os.path.join(out, "raw", "tail-%s-%s-1.lat" % (v, ld))):
                lat = sorted(float(x.split()[1]) for x in open(path) if x.split()[2] == "1")
            if lat:
                p = dat("cdf-%s.dat" % v, [[x, (i + 1) / len(lat)] for i, x in enumerate(lat)])
                cdf.append("'%s' using 1:2 with lines lw 2 title '%s'" % (p, v))
        if cdf:
            L.append(gnuplot("latency-cdf.png", "set logscale x\nset xlabel 'latency ms'\nset ylabel 'fraction of requests'\n"
                             "set title 'latency CDF at %s %% load (run 1)'\nset grid\nset key bottom right\n"
                             "set yrange [0:1]\nplot " % ld + ", ".join(cdf) + "\n"))
            L.append("")

# ---------------------------------------------------------------- dns
if "dns" in M:
    sec = "dns"
    ks, cs = M[sec].get("ks", "").split(), M[sec].get("cs", "").split()
    vs = [v for v in ("threads", "shim-roundrobin", "shim-hash") if v in V[sec]]
    L += ["## 8. UDP/DNS: unbound instances under the shim vs one unbound with threads", "",
          "`dnsperf -T 1 -c C -l %s` (C client sockets = flows) asking `www.bench.test A` from a local "
          "zone. threads: one unbound with k threads and its own `so-reuseport` (kernel hash per thread); "
          "shim-*: k unbound (num-threads 1, so-reuseport no) under the shim. Share per instance: "
          "unbound-control's per-thread query counts, or the group's per-slot datagram counts." % M[sec].get("duration", "?"), ""]
    notes(sec, L)
    L += ["| k | flows | variant | queries/s | ratio to threads | lost | share max/mean | shares (run 1) |",
          "|---|---|---|---|---|---|---|---|"]
    for k in ks:
        for c in cs:
            key = "k%s-c%s" % (k, c)
            base = [f(d.get(key + "-qps")) for d in reps(sec, "threads")]
            for v in vs:
                q = [f(d.get(key + "-qps")) for d in reps(sec, v)]
                sh = [counts(d.get(key + "-share"), int(k)) for d in reps(sec, v)]
                L.append("| %s | %s | %s | %s | %s | %d | %s | %s |" % (
                    k, c, v, mmm(q, "%.0f"), mmm([x / y if x and y else None for x, y in zip(q, base)]),
                    sum(int(f(d.get(key + "-lost")) or 0) for d in reps(sec, v)),
                    mmm([maxmean(s) for s in sh]), "/".join(map(str, sh[0])) if sh and sh[0] else "n/a"))
    L += ["", "One flow (`-c 1`) is one 4-tuple: the kernel hash (threads, shim-hash) sends all of it to one "
          "instance; roundrobin spreads datagrams whatever the flows.", ""]

# ---------------------------------------------------------------- dgram
if "dgram" in M:
    sec = "dgram"
    d_ = f(M[sec].get("duration")) or 1
    vs = [v for v in ("native", "shim-roundrobin", "shim-hash", "shim-hash-flows") if v in V[sec]]
    L += ["## 9. Datagram rate, the program run per packet", "",
          "%s `udpflood` servers (recvmmsg, 64 a call) on one port, one client (sendmmsg, 64 a call) from "
          "%s flows for %s s. native: SO_REUSEPORT set by the servers (kernel hash); shim-*: plain binds "
          "under the shim, the steering program runs for every datagram; shim-hash-flows: with the flow table "
          "(`REUSEPORT_UDP_FLOWS=on`). ns a run: the program's bpf_stats over the run." % (
              M[sec].get("instances", "?"), M[sec].get("flows", "?"), M[sec].get("duration", "?")), ""]
    notes(sec, L)
    L += ["| variant | received/s | ratio to native | sent/s | lost | share max/mean | ns a run |",
          "|---|---|---|---|---|---|---|"]
    nsrun = lambda d: (f(d.get("run_time_ns")) / f(d.get("run_cnt"))
                       if f(d.get("run_time_ns")) is not None and f(d.get("run_cnt")) else None)
    got = lambda d: sum(counts(d.get("received"), 0) or [0])
    base = [got(d) for d in reps(sec, "native")]
    for v in vs:
        rs = reps(sec, v)
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            v, mmm([got(d) / d_ for d in rs], "%.0f"),
            mmm([got(d) / b if b else None for d, b in zip(rs, base)]),
            mmm([f(d.get("sent")) / d_ for d in rs if f(d.get("sent"))], "%.0f"),
            mmm([1 - got(d) / f(d.get("sent")) for d in rs if f(d.get("sent"))], "%.3f"),
            mmm([maxmean(counts(d.get("received"), 0)) for d in rs]),
            "-" if v == "native" else mmm([nsrun(d) for d in rs], "%.0f")))
    fl, hs = reps(sec, "shim-hash-flows"), reps(sec, "shim-hash")
    if fl and hs:
        L += ["", "Flow table cost: shim-hash-flows / shim-hash ns a run, per repetition: %s." % mmm(
            [nsrun(a) / nsrun(b) if nsrun(a) and nsrun(b) else None for a, b in zip(fl, hs)])]
    L += ["", "On loopback the sender and the receivers share the machine's CPUs: received/s is the figure, "
          "lost is what the receive buffers could not hold.", ""]

# ---------------------------------------------------------------- restart
if "restart" in M:
    sec = "restart"
    vs = [v for v in ("plain", "migrate", "shim-roll", "shim-kill9", "haproxy") if v in V[sec]]
    L += ["## 10. Restarts under load", "",
          "`loadgen.py` at %s req/s (a new connection a request) for %s s while an instance restarts about "
          "every second. plain: nginx x2 with `reuseport`, start a new one then SIGQUIT the oldest; migrate: "
          "the same with `net.ipv4.tcp_migrate_req=1`; shim-roll: `reuseport run -n 2` and SIGHUP every 2 s "
          "(each HUP restarts both, one at a time); shim-kill9: `reuseport run -n 2`, kill -9 of one "
          "instance a second while both listen (restarts: the kills); haproxy: HAProxy -W with `expose-fd listeners`, USR2 reload each second "
          "(the zero-loss reference). nginx runs `master_process off` (one process an instance). A dropped "
          "SYN shows as a latency >= 1 s." % (M[sec].get("rate", "?"), M[sec].get("duration", "?")), ""]
    notes(sec, L)
    L += ["| variant | restarts | failed requests | failed per restart | p99 ms | max ms | ListenDrops | "
          "MigrateReq success/failure |", "|---|---|---|---|---|---|---|---|"]
    for v in vs:
        rs = reps(sec, v)
        tot = lambda k, rs=rs: sum(int(f(d.get(k)) or 0) for d in rs)
        L.append("| %s | %d | %d | %s | %s | %s | %d | %d/%d |" % (
            v, tot("restarts"), tot("errors"),
            mmm([f(d.get("errors")) / f(d.get("restarts")) if f(d.get("restarts")) else None for d in rs]),
            mmm([f(d.get("p99_ms")) for d in rs], "%.1f"), mmm([f(d.get("max_ms")) for d in rs], "%.1f"),
            tot("TcpExtListenDrops"), tot("TcpExtTCPMigrateReqSuccess"), tot("TcpExtTCPMigrateReqFailure")))
    L.append("")
    tl = []
    for v in vs:
        d = V[sec][v].get("1", {})
        lat = os.path.join(out, "raw", "restart-%s-1.lat" % v)
        if not os.path.exists(lat) or f(d.get("start_epoch")) is None:
            continue
        t0 = f(d.get("start_epoch"))
        rest = [float(x) - t0 for x in open(os.path.join(out, "raw", "restart-%s-1.restarts" % v)) if x.strip()]
        pr = dat("restart-%s.restarts" % v, [[t, 1] for t in rest])
        tl.append("set title '%s'\nset xrange [0:*]\nplot '%s' using 1:($3 == 1 ? $2 : 1/0) with points pt 7 ps 0.3 title 'latency', "
                  "'' using 1:($3 == 0 ? 1000 : 1/0) with points pt 2 ps 1.5 lc rgb 'red' title 'failed', "
                  "'%s' using 1:(1000) with impulses dt 2 lc rgb 'gray' title 'restart'" % (v, lat, pr))
    if tl:
        L.append(gnuplot("restart-timeline.png", "set logscale y\nset yrange [0.1:5000]\nset xlabel 's'\n"
                         "set ylabel 'latency ms'\nset grid\nset key outside right\n"
                         "set multiplot layout %d,1\n" % len(tl) + "\n".join(tl) + "\nunset multiplot\n"))
        L.append("")

# ---------------------------------------------------------------- scaling plot of section 5
if V.get("redis"):
    rows = []
    for i, v in enumerate(("one", "one-shim", "two-shim")):
        if v not in V["redis"]:
            continue
        mean = lambda d, p: (f(d.get(p + "-set")) + f(d.get(p + "-get"))) / 2 \
            if f(d.get(p + "-set")) is not None and f(d.get(p + "-get")) is not None else None
        rows.append([i, v] + [med([mean(d, p) for d in reps("redis", v)]) or "NaN" for p in ("P1", "P16")])
    if rows:
        p = dat("scaling.dat", rows)
        L += ["## Scaling plot of section 5 (redis-server x2 on one port vs x1)", "",
              gnuplot("scaling.png", "set style data histogram\nset style histogram cluster gap 1\n"
                      "set style fill solid 0.6\nset ylabel 'req/s (mean of SET, GET), median'\nset grid y\n"
                      "set yrange [0:*]\nset title 'redis-benchmark --threads 1: instances under the shim'\n"
                      "plot '%s' using 3:xtic(2) title '-P 1', '' using 4 title '-P 16 (/10)'\n"
                      .replace("using 4", "using ($4/10)") % p), ""]

# ---------------------------------------------------------------- 11. groups
if V.get("groups") or N.get("groups"):
    sec = "groups"
    G = V[sec]
    L += ["## 11. What a group costs", "",
          "(a) exec to listening: fork, exec, socket, bind 127.0.0.1, listen, of a server that creates a "
          "group (a port no group has), one that joins one (a member listens there), and one without the "
          "shim; %s starts a variant, taking turns; microseconds, median [min-max]. (b) bytes of BPF memory "
          "(bpftool's memlock) of a group's pinned objects, and of what its network namespace keeps for all "
          "its groups. (c) one process binding %s UDP ports. (d) the kernel's reuseport_bpf selftest. (e) the "
          "memory the first member of a new namespace of groups charges to its memory cgroup (peak, and "
          "what stays while it listens); none: the same server without the shim." % (
              M[sec].get("starts", "?"), M[sec].get("ports", "?")), ""]
    notes(sec, L)
    rows = [(v, G[v].get("1", {})) for v in ("none", "create", "join", "create-before", "join-before") if v in G]
    if rows:
        base = f(G.get("none", {}).get("1", {}).get("start_us"))
        join = f(G.get("join", {}).get("1", {}).get("start_us"))
        L += ["| variant | us exec to listening | ratio to no shim | ratio to joining |", "|---|---|---|---|"]
        for v, d in rows:
            m = f(d.get("start_us"))
            jb = f(G.get(v.replace("create", "join"), {}).get("1", {}).get("start_us")) if "create" in v else None
            L.append("| %s | %s [%s-%s] | %s | %s |" % (
                v, d.get("start_us", "?"), d.get("start_us_min", "?"), d.get("start_us_max", "?"),
                "%.2f" % (m / base) if m and base else "-",
                "%.2f" % (m / jb) if m and jb else "-"))
        L.append("")
    mem = [(v, sl, G[v][sl]) for v in ("after", "before") for sl in ("16", "256") if sl in G.get(v, {})]
    if mem:
        L += ["| build | slots | bytes a group holds | bytes its namespace keeps |", "|---|---|---|---|"]
        for v, sl, d in mem:
            L.append("| %s | %s | %s | %s |" % (v, sl, d.get("group_bytes", "?"), d.get("netns_bytes", "?")))
        L.append("")
    bind = {v: [f(d.get("bind_us")) for d in reps(sec, "bind-" + v)] for v in ("none", "shim", "before")}
    if any(bind.values()):
        b0 = med(bind["none"])
        L += ["| binds of %s UDP ports | ms | ratio to no shim |" % M[sec].get("ports", "?"), "|---|---|---|"]
        for v in ("none", "shim", "before"):
            if bind[v]:
                m = med(bind[v])
                L.append("| %s | %s | %s |" % (v, mmm([x / 1000 for x in bind[v] if x is not None], "%.1f"),
                                               "%.2f" % (m / b0) if m and b0 else "-"))
        L.append("")
    ks = {v: [f(d.get("seconds")) for d in reps(sec, "kself-" + v)] for v in ("none", "shim", "before")}
    if any(ks.values()):
        k0 = med(ks["none"])
        L += ["| reuseport_bpf | seconds | ratio to no shim |", "|---|---|---|"]
        for v in ("none", "shim", "before"):
            if ks[v]:
                m = med(ks[v])
                L.append("| %s | %s | %s |" % (v, mmm(ks[v], "%.2f"), "%.1f" % (m / k0) if m and k0 else "-"))
        L.append("")
    ch = [(v, G[v]["charge"]) for v in ("none", "after", "before") if "charge" in G.get(v, {})]
    if ch:
        L += ["| first member | peak charge MiB | held while listening MiB |", "|---|---|---|"]
        for v, d in ch:
            L.append("| %s | %s | %s |" % (v, "%.1f" % (f(d.get("peak_bytes")) / 2**20) if f(d.get("peak_bytes")) else "?",
                                          "%.1f" % (f(d.get("held_bytes")) / 2**20) if f(d.get("held_bytes")) else "?"))
        L.append("")

# ---------------------------------------------------------------- 12. kcount
if V.get("kcount") or N.get("kcount"):
    sec = "kcount"
    K = V[sec]
    L += ["## 12. Counting in the kernel", "",
          "One small C server (tests/lib/static_srv.c: accept, read, answer, close), one instance a variant: "
          "none (no shim: the baseline), preload (`reuseport run --mode preload`: the shim's hooks count), "
          "auto (`--mode auto`: the shim registers, the kernel's sockops and sock_release programs count), "
          "cgroup (`--mode cgroup`: no shim, the supervisor adopts the listener, the kernel counts). One client, one connection at a time (connect, request, answer, close), the "
          "variants taking turns, %s rounds of %s connections; wall-clock ns per connection, median [min-max] "
          "over the rounds; ratios of the medians." % (M[sec].get("rounds", "?"), M[sec].get("chunk", "?")), ""]
    notes(sec, L)
    ns = {v: [f(d.get("ns_conn")) for d in reps(sec, v)] for v in ("none", "preload", "auto", "cgroup")}
    b0, bp = med(ns["none"]), med(ns["preload"])
    if any(ns.values()):
        L += ["| variant | ns per connection | ratio to none | ratio to preload | errors | slot: accepted, active after | adopted |",
              "|---|---|---|---|---|---|---|"]
        for v in ("none", "preload", "auto", "cgroup"):
            if not ns[v]:
                continue
            m = med(ns[v])
            errs = sum(int(f(d.get("errors")) or 0) for d in reps(sec, v))
            g = K[v].get("2", {})
            L.append("| %s | %s | %s | %s | %d | %s | %s |" % (
                v, mmm(ns[v], "%.0f"), "%.3f" % (m / b0) if m and b0 else "-",
                "%.3f" % (m / bp) if m and bp else "-", errs,
                "%s, %s" % (g.get("slot_accepted", "-"), g.get("slot_active", "-")) if g else "-",
                g.get("slot_adopted", "-") if g else "-"))
        L.append("")
    pns, pruns, cnt = f(M[sec].get("prog_ns")), f(M[sec].get("prog_runs")), f(M[sec].get("counted"))
    if pns and cnt:
        L += ["The cgroup programs (sockops, sock_release) of both supervisors: %.0f ns of program time per "
              "counted connection (%d runs for %d connections; kernel.bpf_stats_enabled=1, which adds two "
              "clock reads a run)." % (pns / cnt, pruns or 0, cnt), ""]

t = [(s, M[s]["seconds"]) for s in ("fairness", "tail", "dns", "dgram", "restart", "groups", "kcount") if "seconds" in M[s]]
if t:
    L += ["Section times: " + ", ".join("%s %s s" % x for x in t) + ".", ""]
if L:
    sys.stdout.write("\n" + "\n".join(L))

#!/bin/bash
# reuseport metrics: valid Prometheus text exposition (every sample's
# metric declared by HELP and TYPE before it, label syntax, numeric
# values, counters named *_total, no duplicate series), and the numbers
# are those of `reuseport status --json` taken at the same moment: program
# counters per group, each in its family (runs, the outcomes, and apart
# from them errors, ineligible, stall skips and UDP flow events), live slots, group info, and selected / accepted /
# active / queued / draining / pid / generation / backlog per member
# (labels group and member only), for a TCP and a UDP group.
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli

for n in a b; do
	REUSEPORT_POLICY=roundrobin rp_spawn "$n" "$PY" -m http.server --bind 127.0.0.1 --directory "$(mk_www "$n" "$n")" 8360
	rp_spawn "u$n" "$PY" "$UDP_SERVER" --port 5360 --id "u$n" --host 127.0.0.1
	wait_log "u$n" '^ready$' 10 || fail "udp server $n not ready"
done
wait_live_slots tcp4_127-0-0-1_8360 2 || fail "2 TCP slots expected"
wait_live_slots udp4_127-0-0-1_5360 2 || fail "2 UDP slots expected"
out=$(rpclient http --port 8360 -n 20)
assert_eq "$(jget "$out" ok)" 20 "HTTP requests"
out=$(rpclient udp --port 5360 --flows 8 --per-flow 3)
assert_eq "$(jget "$out" ok)" 24 "UDP datagrams"
"$RP_CLI" drain "$(rp_pid b)" >/dev/null || fail "drain failed"

"$RP_CLI" metrics > "$RP_TMP/metrics.txt" || fail "reuseport metrics failed: $(cat "$RP_TMP/metrics.txt")"
status_json > "$RP_TMP/status.json"
"$PY" - "$RP_TMP/metrics.txt" "$RP_TMP/status.json" <<'PY' || fail "metrics do not parse or do not match status (see above)"
import json, math, re, sys

text = open(sys.argv[1]).read()
status = json.load(open(sys.argv[2]))
errors = []
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"'
helps, types, series = {}, {}, {}
if not text.endswith("\n"):
    errors.append("the text does not end with a newline")
for no, line in enumerate(text.splitlines(), 1):
    m = re.fullmatch(r"# HELP (%s) (.*)" % NAME, line)
    if m:
        if m.group(1) in helps:
            errors.append("line %d: second HELP for %s" % (no, m.group(1)))
        helps[m.group(1)] = m.group(2)
        continue
    m = re.fullmatch(r"# TYPE (%s) (counter|gauge|histogram|summary|untyped)" % NAME, line)
    if m:
        if m.group(1) in types:
            errors.append("line %d: second TYPE for %s" % (no, m.group(1)))
        types[m.group(1)] = m.group(2)
        continue
    m = re.fullmatch(r"(%s)(?:\{(.*)\})? (\S+)" % NAME, line)
    if not m:
        errors.append("line %d: not a sample, HELP or TYPE: %r" % (no, line))
        continue
    name, labels, value = m.groups()
    if name not in types or name not in helps:
        errors.append("line %d: %s has no HELP/TYPE before it" % (no, name))
    if types.get(name) == "counter" and not name.endswith("_total"):
        errors.append("line %d: counter %s does not end in _total" % (no, name))
    lab = {}
    rest = labels or ""
    while rest:
        lm = re.match(LABEL + r"(,|$)", rest)
        if not lm:
            errors.append("line %d: bad labels {%s}" % (no, labels))
            break
        if lm.group(1) in lab:
            errors.append("line %d: label %s twice" % (no, lm.group(1)))
        lab[lm.group(1)] = lm.group(2)
        rest = rest[lm.end():]
    try:
        v = float(value)
        if math.isnan(v):
            raise ValueError
    except ValueError:
        errors.append("line %d: value %r is not a number" % (no, value))
        continue
    key = (name, tuple(sorted(lab.items())))
    if key in series:
        errors.append("line %d: duplicate series %s" % (no, key))
    series[key] = v

def get(name, **lab):
    return series.get((name, tuple(sorted((k, str(v)) for k, v in lab.items()))))

def expect(what, got, want):
    if got != want:
        errors.append("%s: metrics %r, status %r" % (what, got, want))

groups = status["groups"]
if len(groups) != 2:
    errors.append("status has %d groups, expected 2" % len(groups))

def member(s):
    # series are per member: the slots of one instance, else one slot
    return "instance-%d" % s["instance"] if s["instance"] else "slot-%d" % s["slot"]

nmembers = 0
# each program counter in its family: runs, the outcomes that partition
# them, and the counters that tell more about some runs
OUTCOMES = ("steered", "unsteered", "empty", "migrated", "migrate_empty")
def counter_series(g, counter):
    if counter == "runs":
        return "reuseport_program_runs_total", {}
    if counter in OUTCOMES:
        return "reuseport_program_outcomes_total", {"outcome": counter}
    if counter in ("select_error", "bad_policy"):
        return "reuseport_program_errors_total", {"error": counter}
    if counter.startswith("flow_"):
        return "reuseport_udp_flow_events_total", {"event": {"flow_hits": "hit"}.get(counter, counter[5:])}
    return {"ineligible": "reuseport_program_ineligible_total",
            "stall_skips": "reuseport_stall_skips_total"}[counter], {}

for g in groups:
    for counter, n in g["counters"].items():
        name, lab = counter_series(g, counter)
        want = None if name.startswith("reuseport_udp_") and g["proto"] != "udp" else float(n)
        expect("%s counter %s" % (g["name"], counter), get(name, group=g["name"], **lab), want)
    expect("%s outcomes" % g["name"],
           sorted(dict(lab)["outcome"] for (name, lab) in series
                  if name == "reuseport_program_outcomes_total" and ("group", g["name"]) in lab),
           sorted(OUTCOMES))
    expect("%s live slots" % g["name"],
           get("reuseport_group_live_slots", group=g["name"]), float(g["live"]))
    expect("%s info" % g["name"],
           get("reuseport_group_info", group=g["name"], proto=g["proto"], family=g["family"],
               address=g["address"], port=g["port"], policy=g["policy"]), 1.0)
    mem = {}
    for s in g["slots"]:
        mem.setdefault(member(s), []).append(s)
    nmembers += len(mem)
    for m, slots in mem.items():
        lab = dict(group=g["name"], member=m)
        for metric, field in (("reuseport_member_selected_total", "selected"),
                              ("reuseport_member_accepted_total", "accepted"),
                              ("reuseport_member_active_connections", "active"),
                              ("reuseport_member_queued_connections", "queued")):
            expect("%s %s %s" % (g["name"], m, field), get(metric, **lab),
                   float(sum(s[field] for s in slots)))
        expect("%s %s draining" % (g["name"], m),
               get("reuseport_member_draining_slots", **lab), float(sum(s["draining"] for s in slots)))
        expect("%s %s pid" % (g["name"], m), get("reuseport_member_pid", **lab), float(slots[-1]["pid"]))
        expect("%s %s generation" % (g["name"], m),
               get("reuseport_member_generation", **lab), float(max(s["generation"] for s in slots)))
        if g["proto"] == "tcp":
            expect("%s %s backlog" % (g["name"], m), get("reuseport_member_accept_backlog", **lab),
                   float(sum(s["backlog"] for s in slots)))
for (name, lab) in series:
    if name.startswith("reuseport_member_") and set(k for k, _ in lab) != {"group", "member"}:
        errors.append("%s labelled %s: only group and member may label a member" % (name, lab))
for metric in ("reuseport_member_selected_total", "reuseport_member_draining_slots"):
    n = sum(1 for (name, _) in series if name == metric)
    expect("%s series" % metric, n, nmembers)
# the traffic is in there
tcp = [g for g in groups if g["name"] == "tcp4_127-0-0-1_8360"]
if tcp:
    expect("TCP steered", get("reuseport_program_outcomes_total", group=tcp[0]["name"], outcome="steered"), 20.0)
    expect("TCP draining slots", sum(s["draining"] for s in tcp[0]["slots"]), 1)
    expect("TCP draining series", sum(v for (name, lab), v in series.items()
                                      if name == "reuseport_member_draining_slots"
                                      and ("group", tcp[0]["name"]) in lab), 1.0)
print("%d samples, %d metrics, %d errors" % (len(series), len(types), len(errors)))
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
PY
pass_msg "metrics parse and match status"

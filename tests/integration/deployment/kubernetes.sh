#!/bin/bash
# The Kubernetes recipes (examples/kubernetes/*.yaml):
# 1. parsed with PyYAML and checked: the DaemonSet is on the host network,
#    rolls with maxSurge 1 / maxUnavailable 0, declares no host port (the
#    surge pod could not be scheduled), mounts the host's /sys/fs/bpf,
#    adds CAP_BPF + CAP_PERFMON, takes REUSEPORT_GENERATION from the
#    downward API, runs `reuseport run` and gives it more than 2 x --grace
#    to stop; the per-pod Deployment has its own network, the same rolling
#    update, and a Service whose target port the container names. A copy
#    with hostNetwork off fails the same checks.
# 2. the hand-over of a rolling update on one node: two "pods" = two
#    `reuseport run` process trees started with the DaemonSet's command,
#    args and env (generation 1, then 2, as the pod-template-generation
#    label gives them) in one network namespace, sharing one pin directory,
#    while a client sends requests without pause. The YAML's readiness probe
#    and preStop hook run verbatim (with `reuseport` on PATH). After the new
#    pod is Ready every request started goes to it; the old pod's preStop
#    returns, SIGTERM drains it and it exits 0 within
#    terminationGracePeriodSeconds: 0 failed requests.
# slow: a rolling update of the manifests played out by two reuseport run trees under load
. "${RP_ROOT:?run me with tests/run-integration}/tests/lib/lib.sh"
need_shim
need_cli
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"

k8s=$RP_ROOT/examples/kubernetes
check=$RP_TMP/check.py
cat >"$check" <<'EOF'
import re, sys, yaml

def containers(d):
    return d["spec"]["template"]["spec"]["containers"]

def common(d, p, where):
    spec = d["spec"]
    tpl = spec["template"]
    if spec["selector"]["matchLabels"].items() - tpl["metadata"]["labels"].items():
        p.append(where + ": selector does not match the template's labels")
    c = containers(d)[0]
    argv = c.get("command", []) + c.get("args", [])
    if argv[:2] != ["reuseport", "run"] or "-n" not in argv:
        p.append(where + ": the container does not run `reuseport run -n N`")
    grace = float(argv[argv.index("--grace") + 1]) if "--grace" in argv else 10
    tgp = tpl["spec"].get("terminationGracePeriodSeconds", 30)
    if tgp <= 2 * grace:
        p.append(where + ": terminationGracePeriodSeconds %s <= 2 x --grace %s" % (tgp, grace))
    caps = c.get("securityContext", {}).get("capabilities", {}).get("add", [])
    if not {"BPF", "PERFMON"} <= set(caps):
        p.append(where + ": capabilities BPF and PERFMON not added: %s" % caps)
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v.get("hostPath", {}).get("path") for v in tpl["spec"].get("volumes", [])}
    if not any(mounts[n] == "/sys/fs/bpf" and vols.get(n) == "/sys/fs/bpf" for n in mounts):
        p.append(where + ": the host's /sys/fs/bpf is not mounted at /sys/fs/bpf")
    if "readinessProbe" not in c:
        p.append(where + ": no readinessProbe")
    return c

def check_daemonset(d, p):
    w = "DaemonSet " + d["metadata"]["name"]
    if d["apiVersion"] != "apps/v1":
        p.append(w + ": apiVersion " + d["apiVersion"])
    c = common(d, p, w)
    ps = d["spec"]["template"]["spec"]
    if ps.get("hostNetwork") is not True:
        p.append(w + ": hostNetwork is not true")
    st = d["spec"].get("updateStrategy", {})
    ru = st.get("rollingUpdate", {})
    if st.get("type") != "RollingUpdate" or ru.get("maxSurge") != 1 or ru.get("maxUnavailable") != 0:
        p.append(w + ": updateStrategy is not RollingUpdate with maxSurge 1, maxUnavailable 0: %s" % st)
    if c.get("ports"):
        p.append(w + ": ports declared on the host network: the surge pod could not be scheduled")
    env = {e["name"]: e for e in c.get("env", [])}
    ref = env.get("REUSEPORT_GENERATION", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
    if not re.match(r"metadata\.(labels|annotations)\['[^']+'\]$", ref):
        p.append(w + ": REUSEPORT_GENERATION is not from the downward API: %r" % ref)
    if "preStop" not in c.get("lifecycle", {}):
        p.append(w + ": no preStop hook")

def check_deployment(d, p):
    w = "Deployment " + d["metadata"]["name"]
    c = common(d, p, w)
    if d["spec"]["template"]["spec"].get("hostNetwork"):
        p.append(w + ": the per-pod variant must not use the host network")
    ru = d["spec"].get("strategy", {}).get("rollingUpdate", {})
    if ru.get("maxSurge") != 1 or ru.get("maxUnavailable") != 0:
        p.append(w + ": strategy is not maxSurge 1, maxUnavailable 0")
    return {pt.get("name") for pt in c.get("ports", [])} | {pt["containerPort"] for pt in c.get("ports", [])}

problems, kinds, ports, targets = [], [], set(), []
for f in sys.argv[1:]:
    for d in yaml.safe_load_all(open(f)):
        kinds.append(d["kind"])
        if d["kind"] == "DaemonSet":
            check_daemonset(d, problems)
        elif d["kind"] == "Deployment":
            ports |= check_deployment(d, problems)
        elif d["kind"] == "Service":
            targets += [pt["targetPort"] for pt in d["spec"]["ports"]]
for t in targets:
    if t not in ports:
        problems.append("Service targetPort %r is not a port of the Deployment" % t)
for k in ("DaemonSet", "Deployment", "Service"):
    if k not in kinds:
        problems.append("no " + k)
print("\n".join(problems) if problems else "ok: " + " ".join(kinds))
sys.exit(1 if problems else 0)
EOF
out=$("$PY" "$check" "$k8s"/*.yaml 2>&1) || fail "manifests: $out"
pass_msg "manifests parsed and checked: $out"
sed 's/hostNetwork: true/hostNetwork: false/' "$k8s/daemonset.yaml" >"$RP_TMP/broken.yaml"
out=$("$PY" "$check" "$RP_TMP/broken.yaml" "$k8s/deployment-per-pod.yaml" 2>&1) && fail "a DaemonSet without hostNetwork passed"
assert_match "$out" "hostNetwork is not true" "the check sees a DaemonSet off the host network"

# ---- 2. the hand-over on one node
# the DaemonSet's container: argv, env, probe, preStop, grace period
argv=() probe=() prestop=() policy='' genref='' tgp=''
eval "$("$PY" - "$k8s/daemonset.yaml" <<'EOF'
import shlex, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
spec = d["spec"]["template"]["spec"]
c = spec["containers"][0]
print("argv=(%s)" % " ".join(shlex.quote(w) for w in c["command"] + c["args"]))
env = c["env"]
print("policy=%s" % shlex.quote(next(e["value"] for e in env if e["name"] == "REUSEPORT_POLICY")))
print("genref=%s" % shlex.quote(next(e["valueFrom"]["fieldRef"]["fieldPath"] for e in env if e["name"] == "REUSEPORT_GENERATION")))
print("probe=(%s)" % " ".join(shlex.quote(w) for w in c["readinessProbe"]["exec"]["command"]))
print("prestop=(%s)" % " ".join(shlex.quote(w) for w in c["lifecycle"]["preStop"]["exec"]["command"]))
print("tgp=%d" % spec["terminationGracePeriodSeconds"])
EOF
)" || fail "cannot read the DaemonSet"
assert_eq "$genref" "metadata.labels['pod-template-generation']" "generation source"
port=${argv[-1]}
n=${argv[3]}
[[ $port =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] || fail "cannot read N and the port from ${argv[*]}"
# `reuseport` on PATH, as in the image
mkdir -p "$RP_TMP/bin"
ln -s "$RP_CLI" "$RP_TMP/bin/reuseport"
export PATH=$RP_TMP/bin:$PATH

# start_pod NAME GENERATION: the container's command with its env
start_pod() {
	local pod=$1
	mkdir -p "$RP_TMP/www-$pod" && echo "$pod" >"$RP_TMP/www-$pod/id.txt"
	local -a cmd=("${argv[@]//\/srv\/www/$RP_TMP/www-$pod}")
	REUSEPORT_GENERATION=$2 REUSEPORT_POLICY=$policy spawn_plain "$pod" "${cmd[@]}"
}
ready() { REUSEPORT_GENERATION=$1 "${probe[@]}"; } # the readiness probe, in the pod's env

start_pod pod1 1
wait_for 20 ready 1 || fail "pod1 never Ready: $("$RP_CLI" status; tail "$(rp_logfile pod1)")"
pass_msg "pod1 (generation 1) Ready by the YAML's readiness probe"
ready 2 && fail "the probe of generation 2 succeeds before pod2 exists"

# a client without pause: (start time, answer or error) per request
"$PY" - "$port" "$RP_TMP/stop" >"$RP_TMP/load.json" <<'EOF' &
import json, os, socket, sys, threading, time
port, stop = int(sys.argv[1]), sys.argv[2]
log, lock = [], threading.Lock()
def one():
    t = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /id.txt HTTP/1.0\r\n\r\n")
        buf = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            buf += b
        s.close()
        r = buf.split(b"\r\n\r\n", 1)[-1].decode().strip() if buf.startswith(b"HTTP/1.0 200") else "BAD_RESPONSE"
    except OSError as e:
        r = "ERR_" + (os.strerror(e.errno) if e.errno else type(e).__name__)
    with lock:
        log.append((t, r))
def worker():
    while not os.path.exists(stop):
        one()
ts = [threading.Thread(target=worker) for _ in range(4)]
for x in ts:
    x.start()
for x in ts:
    x.join()
print(json.dumps(log))
EOF
load=$!
sleep 1

# the rolling update: the surge pod with the next generation
start_pod pod2 2
wait_for 20 ready 2 || fail "pod2 never Ready: $("$RP_CLI" status; tail "$(rp_logfile pod2)")"
t_ready=$EPOCHREALTIME
pass_msg "pod2 (generation 2) Ready beside pod1 on port $port"
sleep 1
# the controller deletes the old pod: preStop, then SIGTERM
"${prestop[@]}" || fail "pod1's preStop failed: $("$RP_CLI" status)"
pass_msg "pod1's preStop returned (its slots are old-gen)"
kill -TERM "$(rp_pid pod1)"
rp_wait_exit pod1 "$tgp" || fail "pod1 did not stop within terminationGracePeriodSeconds=$tgp"
assert_eq "${RP_STATUS[pod1]}" 0 "pod1 exit status after SIGTERM"
sleep 1
touch "$RP_TMP/stop"
wait $load
res=$("$PY" - "$RP_TMP/load.json" "$t_ready" <<'EOF'
import collections, json, sys
log, t_ready = json.load(open(sys.argv[1])), float(sys.argv[2])
before = collections.Counter(r for t, r in log if t < t_ready)
after = collections.Counter(r for t, r in log if t >= t_ready)
print(json.dumps({"total": len(log), "failed": sum(n for r, n in (before + after).items() if r not in ("pod1", "pod2")),
                  "before": before, "after": after}))
EOF
)
info "requests: $res"
assert_eq "$(jget "$res" failed)" 0 "failed requests across the hand-over"
assert_gt "$(jget "$res" before.pod1 0)" 0 "requests answered by pod1 before pod2 was Ready"
assert_gt "$(jget "$res" after.pod2 0)" 20 "requests answered by pod2 after it was Ready"
assert_eq "$(jget "$res" after.pod1 0)" 0 "requests started after pod2 was Ready that pod1 answered"
st=$(status_json)
assert_eq "$(jeval "$st" 'sorted(set(s["generation"] for s in d["groups"][0]["slots"]))')" "[2]" "generations left"
assert_eq "$(jget "$st" groups.0.live)" "$n" "live slots left (pod2)"
rp_stop pod2 20

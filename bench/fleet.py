#!/usr/bin/env python3
"""The driver of bench/fleet.sh (issue 30): starts N services, each with its
own node certificate, against the kube-apiserver bench/lib/kube_apiserver_env.sh
started in TMP, and measures steady state, a mass wipe, a mass delete-and-recreate, an API-server restart
and a 30 s freeze from the audit log.
usage: fleet.py TMP BIN N STEADY_SECONDS APISERVER_PID"""
import calendar
import json
import os
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cilium_node import KEY, PATH, CiliumNode  # noqa: E402

tmp, binary, n, steady, apiserver_pid = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                         float(sys.argv[4]), int(sys.argv[5]))
admin = CiliumNode(tmp)
names = [f"fleet{i}" for i in range(n)]
daemons = {}
restarted = None


def node_cert(name):
    pki = f"{tmp}/pki"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                    "-out", f"{pki}/{name}.key"], check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-key", f"{pki}/{name}.key", "-subj",
                    f"/O=system:nodes/CN=system:node:{name}", "-out", f"{pki}/{name}.csr"],
                   check=True, capture_output=True)
    with open(f"{pki}/{name}.ext", "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", f"{pki}/{name}.csr", "-CA", f"{pki}/ca.crt",
                    "-CAkey", f"{pki}/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
                    f"{pki}/{name}.ext", "-out", f"{pki}/{name}.crt"],
                   check=True, capture_output=True)
    with open(f"{tmp}/{name}.kubeconfig", "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: c
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:6443", certificate-authority: {pki}/ca.crt}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
users: [{{name: u, user: {{client-certificate: {pki}/{name}.crt, client-key: {pki}/{name}.key}}}}]
""")


def labels():
    status, obj = admin.call("GET", PATH)
    assert status == 200, status
    return {i["metadata"]["name"]: (i["metadata"].get("labels") or {}).get(KEY)
            for i in obj["items"]}


def audit(since, until=None):
    """The node identities' completed requests (and watches started) in [since, until)."""
    out = []
    with open(f"{tmp}/audit.log") as f:
        for line in f:
            e = json.loads(line)
            user = e.get("user", {}).get("username", "")
            if not user.startswith("system:node:fleet"):
                continue
            stage = e.get("stage")
            if stage not in ("ResponseComplete", "ResponseStarted", "Panic"):
                continue
            if e["verb"] == "watch" and stage != "ResponseStarted":
                continue  # a watch counts once, when it starts
            if e["verb"] != "watch" and stage == "ResponseStarted":
                continue
            stamp = e["requestReceivedTimestamp"]  # 2026-12-07T14:52:44.123456Z
            t = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + \
                float("0." + (stamp[20:-1] or "0"))
            if t < since or (until is not None and t >= until):
                continue
            out.append((t, user[len("system:node:"):], e["verb"],
                        e.get("responseStatus", {}).get("code", 0)))
    return sorted(out)


def by_verb(events):
    counts = {}
    for _, _, verb, code in events:
        counts[f"{verb} {code}"] = counts.get(f"{verb} {code}", 0) + 1
    return counts


def established_inodes():
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                p = line.split()
                if p[3] == "01" and p[2].endswith(":192B"):  # to port 6443
                    inodes.add(p[9])
    return inodes


def sockets_of(pid, inodes):
    held = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
    except OSError:
        pass
    return held


def children(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except OSError:
        pass
    return kids


def connections():
    inodes = established_inodes()
    own = [sockets_of(p.pid, inodes) for p in daemons.values()]
    helpers = sum(sockets_of(k, inodes) for p in daemons.values() for k in children(p.pid))
    return own, helpers


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def relabel_latency(what, since):
    """Polls until every node's label is back to false; prints p50/p99/max."""
    done = {}
    while len(done) < n and time.monotonic() - since < 120:
        for name, value in labels().items():
            if value == "false" and name not in done:
                done[name] = time.monotonic() - since
        time.sleep(0.02)
    lat = [v * 1000 for v in done.values()] or [float("nan")]
    print(f"{what}: {len(done)}/{n} relabelled; p50 {pct(lat, 50):.0f} ms, "
          f"p99 {pct(lat, 99):.0f} ms, max {max(lat):.0f} ms (polled every 20 ms + a list)")


def ready():
    try:
        status, _ = admin.call("GET", "/readyz")
        return status == 200
    except ValueError:  # "ok" is not JSON: ready
        return True
    except OSError:
        return False


try:
    for name in names:
        node_cert(name)
        status, _ = admin.call("POST", PATH, {"apiVersion": "cilium.io/v2", "kind": "CiliumNode",
                                              "metadata": {"name": name}})
        assert status == 201, status
    env = dict(os.environ, AIM_ENV_FILE="none")
    for name in names:
        log = open(f"{tmp}/{name}.log", "w")
        daemons[name] = subprocess.Popen(
            [binary, "--backend", "legacy", "--input", "tests/support/allowlists/kube-proxy-node",
             "--kubeconfig", f"{tmp}/{name}.kubeconfig", "--node-name", name, "--interval", "300"],
            stdout=log, stderr=subprocess.STDOUT, env=env)
    t0 = time.monotonic()
    while sum(v == "false" for v in labels().values()) < n:
        if time.monotonic() - t0 > 300:
            raise SystemExit(f"not all labelled within 300 s: {labels()}")
        time.sleep(0.5)
    print(f"fleet: {n} services labelled in {time.monotonic() - t0:.1f} s")
    time.sleep(10)  # every watch open

    since = time.time()
    time.sleep(steady)
    counts = by_verb(audit(since, time.time()))
    print(f"steady state ({steady:.0f} s): requests per minute, all nodes: " +
          ", ".join(f"{k}: {v * 60 / steady:.1f}" for k, v in sorted(counts.items())) +
          (" (none)" if not counts else ""))
    own, helpers = connections()
    print(f"connections to the API server: {sum(own)} held by {n} services "
          f"(per service min {min(own)}, max {max(own)}); held by their helpers: {helpers}")

    # A mass wipe (cilium-agent replacing labels everywhere).
    for name in names:
        admin.call("PATCH", f"{PATH}/{name}", {"metadata": {"labels": {KEY: None}}},
                   "application/merge-patch+json")
    relabel_latency("mass wipe", time.monotonic())
    time.sleep(5)

    # A mass delete-and-recreate (cilium-agent's CiliumNodes removed and
    # created again without the label): timed from the last creation.
    for name in names:
        status, _ = admin.call("DELETE", f"{PATH}/{name}")
        assert status == 200, status
    for name in names:
        status, _ = admin.call("POST", PATH, {"apiVersion": "cilium.io/v2", "kind": "CiliumNode",
                                              "metadata": {"name": name}})
        assert status == 201, status
    relabel_latency("mass delete-and-recreate", time.monotonic())
    time.sleep(5)

    # An API-server restart: killed, started again with the same command line.
    with open(f"/proc/{apiserver_pid}/cmdline", "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    killed = time.time()
    os.kill(apiserver_pid, signal.SIGKILL)
    time.sleep(1)
    restarted = subprocess.Popen(argv, stdout=open(f"{tmp}/apiserver2.log", "w"),
                                 stderr=subprocess.STDOUT)
    while not ready():
        time.sleep(0.05)
    ready_at = time.time()
    print(f"restart: the API server was ready {ready_at - killed:.1f} s after it was killed")
    time.sleep(90)
    events = audit(killed)
    first_watch = {}
    per_node = {}
    for t, node, verb, code in events:
        per_node[node] = per_node.get(node, 0) + 1
        # The audit log records a watch when it ends: a list that succeeds is
        # followed at once by the watch from its resourceVersion.
        if verb == "list" and code == 200 and node not in first_watch:
            first_watch[node] = t
    gaps = [first_watch[k] - ready_at for k in first_watch]
    per = [per_node.get(k, 0) for k in names]
    times = [t for t, _, _, _ in events]
    print(f"restart: {len(first_watch)}/{n} watching again; longest from ready to a watch (its list) "
          f"{max(gaps) if gaps else float('nan'):.1f} s; requests per node mean "
          f"{statistics.mean(per):.1f}, max {max(per)}; spread over "
          f"{(max(times) - min(times)) if times else 0:.1f} s; by verb: {by_verb(events)}")
    refused = [e for e in events if e[3] in (401, 403)]
    print(f"restart: {len(refused)} refused (401/403) requests")
    apiserver_pid = restarted.pid

    # A 30 s freeze: no label changed, so no writes.
    frozen = time.time()
    os.kill(apiserver_pid, signal.SIGSTOP)
    time.sleep(30)
    os.kill(apiserver_pid, signal.SIGCONT)
    time.sleep(60)
    events = audit(frozen)
    writes = [e for e in events if e[2] == "patch"]
    per_node = {}
    for _, node, _, _ in events:
        per_node[node] = per_node.get(node, 0) + 1
    print(f"freeze 30 s: {len(writes)} writes; requests in the 90 s after it started: "
          f"{len(events)} ({by_verb(events)}); per node max {max(per_node.values()) if per_node else 0}")
    own, helpers = connections()
    print(f"connections afterwards: {sum(own)} held by {n} services; held by their helpers: "
          f"{helpers}")
    wrong = {k: v for k, v in labels().items() if v != "false"}
    print(f"labels wrong at the end: {len(wrong)}")
finally:
    for p in daemons.values():
        p.terminate()
    for p in daemons.values():
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    if restarted:
        try:
            os.kill(restarted.pid, signal.SIGCONT)
        except OSError:
            pass
        restarted.kill()
        restarted.wait()

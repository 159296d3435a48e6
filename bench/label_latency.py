#!/usr/bin/env python3
"""Drives the changes of bench/label_latency.sh as another client (the admin)
and measures, by polling GET every 5 ms, how long the label takes to be right.
usage: label_latency.py TMPDIR REPEATS STEADY_SECONDS"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cilium_node import KEY, PATH, CiliumNode  # noqa: E402

tmp, repeats, steady = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
node = CiliumNode(tmp)
call, until_label = node.call, node.until_label


def daemon_log():
    with open(f"{tmp}/daemon.log") as f:
        return f.read()


def node_requests():
    """The node identity's completed requests so far, by verb (audit log)."""
    verbs = {}
    with open(f"{tmp}/audit.log") as f:
        for line in f:
            e = json.loads(line)
            if e.get("user", {}).get("username") != "system:node:node1":
                continue
            if e.get("stage") not in ("ResponseComplete", "Panic"):
                continue
            verbs[e["verb"]] = verbs.get(e["verb"], 0) + 1
    return verbs


def summary(name, delays):
    ms = [d * 1000 for d in delays]
    print(f"{name}: median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms "
          f"over {len(ms)} repeats (without the watch: up to --interval, 300 s)")


# The service's first check and its watch.
t0 = time.monotonic()
while "watching CiliumNode" not in daemon_log() or "check took" not in daemon_log():
    if time.monotonic() - t0 > 60:
        raise SystemExit("the service did not start:\n" + daemon_log())
    time.sleep(0.05)

created = []
for _ in range(repeats):
    call("DELETE", PATH + "/node1")
    time.sleep(0.5)  # the watch sees it gone
    status, _ = call("POST", PATH, {"apiVersion": "cilium.io/v2", "kind": "CiliumNode",
                                    "metadata": {"name": "node1", "labels": {"other": "x"}}})
    assert status == 201, status
    created.append(until_label("false"))
summary("CiliumNode created after the service started -> label", created)

removed = []
for _ in range(repeats):
    time.sleep(0.2)
    status, _ = call("PATCH", PATH + "/node1", {"metadata": {"labels": {KEY: None}}},
                     "application/merge-patch+json")
    assert status == 200, status
    removed.append(until_label("false"))
summary("label removed by another client -> label", removed)

before = node_requests()
time.sleep(steady)
after = node_requests()
delta = {v: after.get(v, 0) - before.get(v, 0) for v in after}
per_minute = {v: round(n * 60.0 / steady, 1) for v, n in delta.items() if n}
writes = sum(n for v, n in per_minute.items() if v in ("patch", "update", "create"))
print(f"steady state over {steady:.0f} s: {writes:.1f} writes/min; requests/min by verb: "
      f"{json.dumps(per_minute) if per_minute else 'none'} "
      f"(without the watch: 1 PATCH per --interval)")

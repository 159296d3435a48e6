#!/usr/bin/env python3
"""The driver of bench/rule_change.sh: changes the rules as a user and as
kube-proxy would, watches the label as the admin (GET every 5 ms) and the
service's CPU (/proc/PID/stat), and keeps the figures in TMP/results.jsonl.
usage: rule_change.py quiet|churn BACKEND TMP PID
       rule_change.py table - TMP
Settings from the environment (bench/rule_change.sh sets them)."""
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))
from cilium_node import PATH, CiliumNode  # noqa: E402
from gen_kube_proxy_rules import chain_hash  # noqa: E402

ENV = {k: float(os.environ.get(k, d)) for k, d in (
    ("REPEATS", 10), ("PAUSE", 6), ("N", 10000), ("QUIET_SECONDS", 60), ("CHURN_SECONDS", 60),
    ("CHURN_REPEATS", 3), ("INTERVAL", 300))}
LATE = 60  # s: a delay under churn longer than this is reported as missed
# A rule no allowlist expects: the node is unclean while it is there.
USER_RULE = ["INPUT", "-p", "tcp", "-m", "tcp", "--dport", "9090", "-m", "comment",
             "--comment", "bench: a user's rule", "-j", "ACCEPT"]


def user_rule(backend, op):
    """Adds (-A) or deletes (-D) the user's rule; returns when it is in the kernel."""
    subprocess.run([f"iptables-{backend}", "-w", op] + USER_RULE, check=True)
    return time.monotonic()


def _stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2:].split()  # fields[0] is field 3, state


def cpu_seconds(pid):
    """User + system time of the service's threads, its reaped children and
    its living ones (the kept nft helpers), summed over the process tree."""
    fields = _stat_fields(pid)
    total = sum(int(x) for x in fields[11:15])  # fields 14-17: own + reaped
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            child = _stat_fields(int(entry))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if int(child[1]) == pid:  # field 4, ppid: a living child
            total += cpu_seconds(int(entry)) * os.sysconf("SC_CLK_TCK")
    return total / os.sysconf("SC_CLK_TCK")


class DaemonLog:
    def __init__(self, path):
        self.path = path

    def text(self):
        with open(self.path, errors="replace") as f:
            return f.read()

    def mark(self):
        return len(self.text())

    def checks(self, since, until=None):
        """({trigger: count}, [seconds each check took]) between two marks."""
        text = self.text()[since:until]
        triggers = {}
        for t in re.findall(r"checking \((.*?)\)", text):
            t = re.sub(r" and \d+ more$", " and more", t)
            triggers[t] = triggers.get(t, 0) + 1
        took = [float(s) for s in re.findall(r"check took ([0-9.]+) s", text)]
        return triggers, took


def started(log, node):
    """Creates the CiliumNode (as cilium-agent would) and waits for the
    service's first check, which must find the node clean."""
    status, _ = node.call("POST", PATH, {"apiVersion": "cilium.io/v2", "kind": "CiliumNode",
                                         "metadata": {"name": "node1"}})
    assert status in (201, 409), status
    t0 = time.monotonic()
    while "check took" not in log.text():
        if time.monotonic() - t0 > 120:
            raise SystemExit("the service did not check within 120 s:\n" + log.text()[-3000:])
        time.sleep(0.05)
    try:
        node.until_label("false", timeout=30)
    except SystemExit:
        raise SystemExit(f"the node is not clean ({log.path}):\n" + log.text()[-3000:])


class Churn(threading.Thread):
    """kube-proxy-like syncs at 1 Hz: each one iptables-restore --noflush that
    adds a service to nat (its chains, its rules, a jump in KUBE-SERVICES)
    or, every other second, removes it, so every sync changes the table's
    size (a sync that replaces rules by rules of the same size, e.g. an
    endpoint's pod IP by another, is invisible to iptables-legacy's size
    poll until the interval). Shaped like tests/support/gen_kube_proxy_rules.py,
    so the kube-proxy-node allowlist covers them."""

    def __init__(self, backend):
        super().__init__(daemon=True)
        self.backend, self.stop, self.took, self.error = backend, threading.Event(), [], None

    @staticmethod
    def service(k):
        name = f"churn/svc-{k}:http"
        ip, ep = f"10.97.{(k >> 8) & 255}.{k & 255}", f"10.245.{(k >> 8) & 255}.{k & 255}"
        svc, sep = chain_hash("KUBE-SVC-", name), chain_hash("KUBE-SEP-", name + "/0")
        jump = (f'KUBE-SERVICES -d {ip}/32 -p tcp -m comment --comment "{name} cluster IP" '
                f"-m tcp --dport 80 -j {svc}")
        rules = [f'-A {svc} ! -s 10.244.0.0/16 -d {ip}/32 -p tcp -m comment --comment '
                 f'"{name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
                 f'-A {svc} -m comment --comment "{name} -> {ep}:8080" -j {sep}',
                 f'-A {sep} -s {ep}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ',
                 f'-A {sep} -p tcp -m comment --comment "{name}" -m tcp -j DNAT '
                 f"--to-destination {ep}:8080"]
        return svc, sep, jump, rules

    def sync(self, k):
        svc, sep, jump, rules = self.service(k // 2)
        if k % 2 == 0:
            lines = ["*nat", f":{svc} - [0:0]", f":{sep} - [0:0]", f"-I {jump}"] + rules
        else:  # declaring a chain flushes it; then it can go
            lines = ["*nat", f":{svc} - [0:0]", f":{sep} - [0:0]", f"-D {jump}", f"-X {svc}",
                     f"-X {sep}"]
        t0 = time.monotonic()
        subprocess.run([f"iptables-{self.backend}-restore", "-w", "--noflush"], check=True,
                       input="\n".join(lines + ["COMMIT", ""]), text=True)
        self.took.append(time.monotonic() - t0)

    def run(self):
        k, due = 0, time.monotonic()
        try:
            while not self.stop.is_set():
                self.sync(k)
                k += 1
                due += 1.0
                self.stop.wait(max(0.0, due - time.monotonic()))
        except Exception as e:  # reported by the main thread
            self.error = e


def cpu_over(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def add_remove(backend, node, repeats, timeout):
    """The user's rule added then removed `repeats` times: delays to the
    label, None where it was not right within `timeout` s."""
    def wait(value, since):
        try:
            return node.until_label(value, timeout, since=since)
        except SystemExit:
            return None
    added, removed = [], []
    for _ in range(repeats):
        time.sleep(ENV["PAUSE"])
        added.append(wait("true", user_rule(backend, "-A")))
        time.sleep(ENV["PAUSE"])
        removed.append(wait("false", user_rule(backend, "-D")))
    return added, removed


def record(tmp, result, summary):
    with open(f"{tmp}/results.jsonl", "a") as f:
        f.write(json.dumps(result) + "\n")
    print(f"{result['phase']} {result['backend']}: {summary}", flush=True)


def quiet(backend, tmp, pid):
    node, log = CiliumNode(tmp), DaemonLog(f"{tmp}/daemon-quiet-{backend}.log")
    started(log, node)
    mark = log.mark()
    added, removed = add_remove(backend, node, int(ENV["REPEATS"]), LATE)
    triggers, _ = log.checks(mark)
    record(tmp, {"phase": "quiet", "backend": backend, "added": added, "removed": removed,
                 "triggers": triggers},
           f"added -> true {ms(added)} ms, removed -> false {ms(removed)} ms (median / max)")


def churn(backend, tmp, pid):
    node, log = CiliumNode(tmp), DaemonLog(f"{tmp}/daemon-churn-{backend}.log")
    started(log, node)
    m0 = log.mark()
    cpu_quiet = cpu_over(pid, ENV["QUIET_SECONDS"])
    m1 = log.mark()
    churner = Churn(backend)
    churner.start()
    cpu_churn = cpu_over(pid, ENV["CHURN_SECONDS"])
    m2 = log.mark()
    syncs = len(churner.took)
    added, removed = add_remove(backend, node, int(ENV["CHURN_REPEATS"]), LATE)
    churner.stop.set()
    churner.join()
    if churner.error:
        raise SystemExit(f"churn failed: {churner.error}")
    record(tmp, {"phase": "churn", "backend": backend, "n": int(ENV["N"]),
                 "cpu_quiet": cpu_quiet, "cpu_churn": cpu_churn,
                 "checks_quiet": log.checks(m0, m1), "checks_churn": log.checks(m1, m2),
                 "syncs": syncs, "sync_took": churner.took, "added": added, "removed": removed,
                 "triggers": log.checks(m2)[0]},
           f"CPU {cpu_quiet:.2f} % quiet, {cpu_churn:.2f} % churn; under churn added -> true "
           f"{ms(added)} ms, removed -> false {ms(removed)} ms")


def ms(delays, late=LATE):
    """'median / max' in ms, and how many were not seen within `late` s."""
    seen = [d for d in delays if d is not None]
    text = f"{statistics.median(seen) * 1000:.0f} / {max(seen) * 1000:.0f}" if seen else "-"
    missed = len(delays) - len(seen)
    return text + (f" ({missed} not in {late} s)" if missed else "")


def table(tmp):
    with open(f"{tmp}/results.jsonl") as f:
        results = [json.loads(line) for line in f]
    print(f"\nrule change -> label (service at --interval {ENV['INTERVAL']:.0f}; "
          f"median / max ms; changes {ENV['PAUSE']:g} s apart)")
    print(f"{'backend':8} {'node':27} {'added -> true':>28} {'removed -> false':>28}  "
          "checks started meanwhile")
    for r in results:
        node = "sample, quiet" if r["phase"] == "quiet" else f"{r['n']} services, 1 Hz churn"
        print(f"{r['backend']:8} {node:27} {ms(r['added']):>28} {ms(r['removed']):>28}  "
              f"{json.dumps(r['triggers'])}")
    churns = [r for r in results if r["phase"] == "churn"]
    if churns:
        print(f"\nthe service's CPU (threads + reaped helpers), % of one core, "
              f"{churns[0]['n']} services")
        print(f"{'backend':8} {'quiet':>7} {'churn':>7}  {'syncs/s':>7} {'sync s':>6}  "
              "checks quiet | churn (median s each)")
    for r in churns:
        (tq, _), (tc, took) = r["checks_quiet"], r["checks_churn"]
        print(f"{r['backend']:8} {r['cpu_quiet']:6.2f}% {r['cpu_churn']:6.2f}%  "
              f"{r['syncs'] / ENV['CHURN_SECONDS']:7.2f} {statistics.median(r['sync_took']):6.2f}  "
              f"{sum(tq.values())} | {sum(tc.values())} "
              f"({statistics.median(took) if took else float('nan'):.2f}) {json.dumps(tc)}")


if __name__ == "__main__":
    mode, backend, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "table":
        table(tmp)
    else:
        {"quiet": quiet, "churn": churn}[mode](backend, tmp, int(sys.argv[4]))

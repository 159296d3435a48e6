#!/usr/bin/env python3
"""The driver of bench/xt_fingerprint.sh: with the service running on a
legacy ruleset, replaces an allowed rule by a disallowed one of the same size
(`iptables-legacy -R`: the table's size does not move, so only the
fingerprint sees it) and back, REPEATS times, PAUSE s apart; measures from the
command's return to the service noticing it (its log at -v 2: "x_tables
fingerprint moved") and to the label (GET every 5 ms); and, first, the
service's CPU over QUIET_SECONDS untouched (the fingerprint passes' share
with the rest of the service). Keeps the figures in TMP/results.jsonl.
usage: xt_fingerprint.py replace NODE TMP PID
       xt_fingerprint.py table - TMP"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
from cilium_node import CiliumNode  # noqa: E402
from rule_change import DaemonLog, cpu_over, started  # noqa: E402
from rule_change import ms as ms_within  # noqa: E402

REPEATS = int(os.environ.get("REPEATS", 5))
PAUSE = float(os.environ.get("PAUSE", 5))
QUIET_SECONDS = float(os.environ.get("QUIET_SECONDS", 30))
LATE = 120  # s: a delay longer than this is reported as missed
ALLOWED = ["-p", "udp", "-m", "udp", "--dport", "68", "-j", "ACCEPT"]  # kube-proxy-node allows it
DENIED = ["-p", "udp", "-m", "udp", "--dport", "69", "-j", "ACCEPT"]  # same size, not allowed


def iptables(*args):
    subprocess.run(["iptables-legacy", "-w"] + list(args), check=True)
    return time.monotonic(), time.time()


def day_seconds(t):
    lt = time.localtime(t)
    return lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + (t % 1)


class Log:
    """The service's log, read from a byte offset on (it grows large)."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        return os.path.getsize(self.path)

    def since(self, mark):
        with open(self.path, "rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace")


def noticed_after(log, mark, since_wall, timeout=LATE):
    """Seconds from `since_wall` to the service's "x_tables fingerprint moved"
    after `mark` in its log (its klog time of day)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        m = re.search(r"^I\d{4} (\d+):(\d+):([\d.]+) .*x_tables fingerprint moved: ipv4 filter",
                      log.since(mark), re.M)
        if m:
            t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
            return (t - day_seconds(since_wall)) % 86400
        time.sleep(0.05)
    return None


def replace(node_name, tmp, pid):
    path = f"{tmp}/daemon-{node_name}.log"
    node, log = CiliumNode(tmp), Log(path)
    started(DaemonLog(path), node)
    # Quiet first: no change since the start, so no check, only passes.
    cpu = cpu_over(pid, QUIET_SECONDS)
    passes = re.findall(r"x_tables fingerprints: (\d+) tables, (\d+) bytes of rules, in ([\d.]+) "
                        r"ms of CPU; a pass every ([\d.]+) s", log.since(0))
    iptables("-I", "INPUT", "1", *ALLOWED)
    node.until_label("false", timeout=LATE)
    notice, to_true, to_false = [], [], []
    for _ in range(REPEATS):
        time.sleep(PAUSE)  # the last change's checks are done and spaced out
        mark = log.mark()
        t, wall = iptables("-R", "INPUT", "1", *DENIED)
        notice.append(noticed_after(log, mark, wall))
        try:
            to_true.append(node.until_label("true", LATE, since=t))
        except SystemExit:
            to_true.append(None)
        time.sleep(PAUSE)
        t, _ = iptables("-R", "INPUT", "1", *ALLOWED)
        try:
            to_false.append(node.until_label("false", LATE, since=t))
        except SystemExit:
            to_false.append(None)
    result = {"node": node_name, "notice": notice, "to_true": to_true, "to_false": to_false,
              "cpu_quiet": cpu, "passes": passes[-1] if passes else None, "pause": PAUSE}
    with open(f"{tmp}/results.jsonl", "a") as f:
        f.write(json.dumps(result) + "\n")
    print(f"{node_name}: noticed {ms_within(notice, LATE)}, -> true {ms_within(to_true, LATE)}, "
          f"-> false {ms_within(to_false, LATE)} ms "
          f"(median / max); CPU quiet {cpu:.2f} %", flush=True)


def table(tmp):
    with open(f"{tmp}/results.jsonl") as f:
        results = [json.loads(line) for line in f]
    print(f"\nsame-size legacy replacement -> service (median / max ms, {REPEATS} each way)")
    print(f"{'node':14} {'pass CPU ms':>11} {'spacing s':>9} {'noticed':>15} {'-> true':>15} "
          f"{'-> false':>15} {'CPU quiet':>9} {'pause s':>7}")
    for r in results:
        p = r["passes"] or ["-", "-", "nan", "nan"]
        print(f"{r['node']:14} {float(p[2]):11.3f} {float(p[3]):9.3f} {ms_within(r['notice'], LATE):>15} "
              f"{ms_within(r['to_true'], LATE):>15} {ms_within(r['to_false'], LATE):>15} {r['cpu_quiet']:8.2f}% "
              f"{r['pause']:7g}")


if __name__ == "__main__":
    if sys.argv[1] == "table":
        table(sys.argv[3])
    else:
        replace(sys.argv[2], sys.argv[3], int(sys.argv[4]))

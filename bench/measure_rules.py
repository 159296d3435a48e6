#!/usr/bin/env python3
"""Runs inside a private network namespace that already holds a ruleset:
times `azure-iptables-monitor rules` against one `iptables-legacy-save`,
alternating them, and prints the ratios. Not a test: it prints figures."""
import os
import re
import statistics
import subprocess
import sys
import time


def timed(cmd):
    # Launched through /usr/bin/time, a small process: Linux carries a
    # process's peak RSS across exec, so forking straight from this Python
    # interpreter would add the interpreter's size to every figure.
    out = f"/tmp/aim-bench-time-{os.getpid()}"
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + cmd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode not in (0, 1):  # check exits 1 for "unexpected"
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {err}")
    with open(out) as f:
        rss = int(f.read().split()[-1])
    os.unlink(out)
    return elapsed, rss, err


def main():
    binary, save, label, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    extra = sys.argv[5:]
    ours_t, save_t, save_rss, proc_rss, helper_rss = [], [], [], [], []
    info = ""
    for _ in range(runs):
        t, _, err = timed([binary, "-v", "2"] + extra)
        ours_t.append(t)
        m = re.search(r"peak RSS: this process (\d+) KiB, largest reader helper (\d+) KiB", err)
        proc_rss.append(int(m.group(1)))
        helper_rss.append(int(m.group(2)))
        # AIM_BENCH_SOURCE picks which reader's line to show ("nftables").
        source = os.environ.get("AIM_BENCH_SOURCE", "")
        info = re.search(re.escape(source) + r"[^\n]*?: read ([^\n]*) in" if source
                         else r"read ([^\n]*) in", err).group(1)
        t, rss, _ = timed([save])
        save_t.append(t)
        save_rss.append(rss)
    mo, ms = statistics.median(ours_t), statistics.median(save_t)
    srss = statistics.median(save_rss)
    prss, hrss = statistics.median(proc_rss), statistics.median(helper_rss)
    print(f"{label}: {info}")
    print(f"  wall time  ours {mo:.3f} s / {os.path.basename(save)} {ms:.3f} s = ratio {mo / ms:.2f}"
          f"  (median of {runs}, alternating)")
    print(f"  peak RSS   {os.path.basename(save)} {srss / 1024:.1f} MiB; ours: renderer child "
          f"{hrss / 1024:.1f} MiB, main process {prss / 1024:.1f} MiB")
    print(f"             ratio largest process {max(hrss, prss) / srss:.2f}, "
          f"both together {(hrss + prss) / srss:.2f}")


if __name__ == "__main__":
    main()

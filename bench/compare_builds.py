#!/usr/bin/env python3
"""Runs inside a private network namespace that already holds a ruleset:
times `BIN rules --backend B --family F` for several builds against one
iptables-*-save, alternating them, and prints medians and ratios to save.
CPU time (user + system of the whole process tree) is printed next to wall
time: on a machine shared with other work it is the steadier figure.
Not a test: it prints figures.

usage: compare_builds.py legacy|nft RUNS BIN [BIN ...]"""
import os
import shutil
import statistics
import subprocess
import sys
import time


def timed(cmd):
    # Through /usr/bin/time (a small process) so that the peak RSS is the
    # command's own and not this interpreter's (Linux keeps it across exec).
    out = f"/tmp/aim-compare-{os.getpid()}"
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", out] + cmd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    with open(out) as f:
        user, system, rss = f.read().split()[-3:]
    os.unlink(out)
    return wall, float(user) + float(system), int(rss)


def main():
    backend, runs, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    save = shutil.which(f"iptables-{backend}-save")
    commands = {b: [b, "rules", "--backend", backend, "--family", "4"] for b in bins}
    commands["save"] = [save]
    results = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            results[name].append(timed(cmd))
    med = {name: [statistics.median(r[i] for r in rs) for i in range(3)]
           for name, rs in results.items()}
    sw, sc, sr = med["save"]
    print(f"{backend}: median of {runs}, alternating; ratios to {os.path.basename(save)}")
    for name in commands:
        w, c, r = med[name]
        print(f"  {name:40} wall {w:6.3f} s ({w / sw:4.2f})  cpu {c:6.3f} s ({c / sc:4.2f})"
              f"  peak RSS {r / 1024:6.1f} MiB ({r / sr:4.2f})")
        print("  " + " " * 40 + "  walls " + " ".join(f"{x[0]:.2f}" for x in results[name]))


if __name__ == "__main__":
    main()

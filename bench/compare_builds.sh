#!/bin/sh
# Benchmark: `rules --backend legacy|nft --family 4` of several builds (e.g. a
# baseline built from another commit and this one) against one
# iptables-legacy-save / iptables-nft-save, on a kube-proxy ruleset of N
# services loaded into a private network namespace. Prints wall, CPU and
# peak-RSS medians and their ratios to save. Run as root after building.
# usage: bench/compare_builds.sh legacy|nft N BIN [BIN ...]   (RUNS=5)
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 legacy|nft N BIN [BIN ...]" >&2; exit 2; }
backend=$1 n=$2
shift 2
RUNS=${RUNS:-5}
rules=/tmp/aim-compare-$$.rules
python3 tests/support/gen_kube_proxy_rules.py "$n" > "$rules"
unshare -n sh -c "iptables-$backend-restore < '$rules' && python3 bench/compare_builds.py $backend $RUNS $*"
rm -f "$rules"

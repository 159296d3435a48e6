#!/bin/sh
# Benchmark: reading native nftables tables (`azure-iptables-monitor rules`:
# each table listed once through libnftables and held against the kernel's
# description read over netlink) vs one `nft -s list ruleset`, on a
# native table of N rules (default 10000) in 100 chains, plus sets and maps.
# Target: at most 1.5x. Run as root after building.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/azure-iptables-monitor}
RUNS=${RUNS:-5}
[ -x "$BIN" ] || { echo "build first: ./scripts/build.sh" >&2; exit 1; }
N=${1:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$N" > "$tmp/ruleset.nft" <<'PY'
import sys
n = int(sys.argv[1])
chains = 100
print("table inet bench {")
print("  set blocked { type ipv4_addr; flags interval; }")
print("  map ports { type inet_service : verdict; }")
print("  chain input { type filter hook input priority 0; policy accept;")
for c in range(chains):
    print(f"    ip saddr 10.{c}.0.0/16 jump c{c}")
print("  }")
for c in range(chains):
    print(f"  chain c{c} {{")
    for r in range(n // chains):
        print(f'    ip daddr 192.168.{c}.{r % 250} tcp dport {1000 + r} counter accept comment "svc {c}/{r}"')
    print("  }")
print("}")
PY
printf '#!/bin/sh\nexec nft -s list ruleset\n' > "$tmp/nft-list"
chmod +x "$tmp/nft-list"
unshare -n sh -c "nft -f $tmp/ruleset.nft &&
  AIM_BENCH_SOURCE=nftables python3 bench/measure_rules.py '$BIN' $tmp/nft-list 'native rules N=$N' $RUNS rules"

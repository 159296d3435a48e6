#!/usr/bin/env python3
"""Writes an iptables-save ruleset shaped like kube-proxy's (iptables mode) for
N services with 3 endpoints each: about 11 rules and 4 chains per service
(10000 services: ~112k rules, ~40k chains). Deterministic for a given N.

usage: gen_kube_proxy_rules.py N [--family 4|6] [--user-rules K]
--user-rules adds K rules in filter INPUT that a kube-proxy allowlist would
not expect (for check benchmarks)."""
import argparse
import base64
import hashlib
import sys


def chain_hash(prefix, text):
    digest = hashlib.sha256(text.encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:16]


def addr(family, net, i):
    a, b = (i >> 8) & 0xFF, i & 0xFF
    if family == 6:
        return f"fd00:{net}::{a:x}:{b:x}"
    return f"10.{net}.{a}.{b}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("services", type=int)
    p.add_argument("--family", type=int, choices=(4, 6), default=4)
    p.add_argument("--user-rules", type=int, default=0)
    args = p.parse_args()
    fam, n = args.family, args.services
    host = 128 if fam == 6 else 32
    pod_cidr = "fd00:244::/56" if fam == 6 else "10.244.0.0/16"

    def ep(i, k):
        e = i * 3 + k
        return addr(fam, 244, e % 65536) if fam == 4 else f"fd00:244::{e >> 16:x}:{e & 0xFFFF:x}"

    def hp(a, port):
        return f"[{a}]:{port}" if fam == 6 else f"{a}:{port}"

    out = []
    w = out.append
    w("*filter")
    w(":INPUT ACCEPT [0:0]")
    w(":FORWARD ACCEPT [0:0]")
    w(":OUTPUT ACCEPT [0:0]")
    for c in ("KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY",
              "KUBE-NODEPORTS", "KUBE-PROXY-CANARY", "KUBE-PROXY-FIREWALL", "KUBE-SERVICES"):
        w(f":{c} - [0:0]")
    w('-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL')
    w('-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS')
    w('-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES')
    w("-A INPUT -j KUBE-FIREWALL")
    for u in range(args.user_rules):
        w(f"-A INPUT -p tcp -m tcp --dport {2000 + u} -m comment --comment \"user rule {u}\" -j ACCEPT")
    w('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
    w('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    w('-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    w("-A OUTPUT -j KUBE-FIREWALL")
    w("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP")
    w('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT')
    w("COMMIT")

    w("*nat")
    for c in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"):
        w(f":{c} ACCEPT [0:0]")
    chains = ["KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"]
    rules = []
    for i in range(n):
        name = f"ns{i % 50}/svc-{i}:http"
        svc = chain_hash("KUBE-SVC-", name)
        cip = addr(fam, 96, i % 65536) if fam == 4 else f"fd00:96::{i >> 16:x}:{i & 0xFFFF:x}"
        chains.append(svc)
        rules.append(f'-A KUBE-SERVICES -d {cip}/{host} -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j {svc}')
        rules.append(f'-A {svc} ! -s {pod_cidr} -d {cip}/{host} -p tcp -m comment --comment "{name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ')
        for k in range(3):
            e = ep(i, k)
            sep = chain_hash("KUBE-SEP-", f"{name}/{k}")
            chains.append(sep)
            prob = {0: " -m statistic --mode random --probability 0.33333333349",
                    1: " -m statistic --mode random --probability 0.50000000000", 2: ""}[k]
            rules.append(f'-A {svc} -m comment --comment "{name} -> {hp(e, 8080)}"{prob} -j {sep}')
            rules.append(f'-A {sep} -s {e}/{host} -m comment --comment "{name}" -j KUBE-MARK-MASQ')
            rules.append(f'-A {sep} -p tcp -m comment --comment "{name}" -m tcp -j DNAT --to-destination {hp(e, 8080)}')
    for c in chains:
        w(f":{c} - [0:0]")
    w('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    w('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    w('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
    w("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000")
    w("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN")
    w("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0")
    w('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
    out.extend(rules)
    w('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    w("COMMIT")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

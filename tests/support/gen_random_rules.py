#!/usr/bin/env python3
"""Random but valid-looking iptables rules from a small grammar, one rule per
line in `iptables -A` argument form (without the leading "-A"), for the
differential renderer test: whatever the kernel accepts must come back from
our reader exactly as `iptables -S` prints it. Deterministic per seed.

usage: gen_random_rules.py SEED COUNT [--family 4|6]"""
import random
import sys

seed, count = int(sys.argv[1]), int(sys.argv[2])
family = 6 if "--family" in sys.argv and sys.argv[sys.argv.index("--family") + 1] == "6" else 4
r = random.Random(seed)
CHAINS = ["INPUT", "FORWARD", "OUTPUT", "USER-A", "user_b.2"]


def neg():
    return "! " if r.random() < 0.3 else ""


def addr():
    if family == 6:
        a = ":".join(f"{r.randrange(0, 0x10000):x}" for _ in range(8))
        mask = r.choice([str(r.randrange(1, 129)), "ffff:ffff:0:ffff::"])
    else:
        a = ".".join(str(r.randrange(256)) for _ in range(4))
        mask = r.choice([str(r.randrange(0, 33)), "255.0.255.0", "255.255.255.255"])
    return f"{a}/{mask}"


def iface():
    name = r.choice(["eth0", "veth", "cni0", "lxc", "a" * 15, "br-1"])
    return name + ("+" if r.random() < 0.3 and len(name) < 15 else "")


def text():
    alphabet = "abc XYZ_-:./\"\\'é✓"
    return "".join(r.choice(alphabet) for _ in range(r.randrange(1, 40)))


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def port():
    p = r.randrange(1, 65536)
    return f"{p}:{min(65535, p + r.randrange(0, 100))}" if r.random() < 0.2 else str(p)


def rule():
    parts = []
    if r.random() < 0.4:
        parts.append(f"{neg()}-s {addr()}")
    if r.random() < 0.4:
        parts.append(f"{neg()}-d {addr()}")
    if r.random() < 0.3:
        parts.append(f"{neg()}-i {iface()}")
    proto = r.choice([None, "tcp", "udp", "icmp" if family == 4 else "ipv6-icmp", "47", "sctp"])
    if proto:
        parts.append(f"{neg() if proto in ('47',) else ''}-p {proto}")
    if family == 4 and r.random() < 0.1:
        parts.append(f"{neg()}-f")
    if proto in ("tcp", "udp"):
        if r.random() < 0.6:
            parts.append(f"-m {proto} {neg()}--dport {port()}")
        elif r.random() < 0.5:
            parts.append(f"-m multiport {neg()}--dports {port()},{r.randrange(1, 65536)}")
    if proto == "icmp" and r.random() < 0.5:
        parts.append(f"-m icmp {neg()}--icmp-type {r.choice(['8', '3/4', 'any', 'echo-reply'])}")
    if proto == "ipv6-icmp" and r.random() < 0.5:
        parts.append(f"-m icmp6 {neg()}--icmpv6-type {r.choice(['128', '1/3', 'neighbour-solicitation'])}")
    for _ in range(r.randrange(0, 3)):
        m = r.choice(["comment", "mark", "conntrack", "limit", "length", "pkttype", "addrtype",
                      "statistic", "state", "iprange"])
        if m == "comment":
            parts.append(f"-m comment --comment {quote(text())}")
        elif m == "mark":
            parts.append(f"-m mark {neg()}--mark {hex(r.randrange(1 << 32))}/{hex(r.randrange(1 << 32))}")
        elif m == "conntrack":
            parts.append(f"-m conntrack {neg()}--ctstate " +
                         ",".join(r.sample(["NEW", "ESTABLISHED", "RELATED", "INVALID", "DNAT"], 2)))
        elif m == "limit":
            parts.append(f"-m limit --limit {r.randrange(1, 1000)}/{r.choice(['sec', 'min', 'hour'])}"
                         f" --limit-burst {r.randrange(1, 100)}")
        elif m == "length":
            parts.append(f"-m length {neg()}--length {r.randrange(0, 1000)}:{r.randrange(1000, 65536)}")
        elif m == "pkttype":
            parts.append(f"-m pkttype {neg()}--pkt-type {r.choice(['unicast', 'broadcast', 'multicast'])}")
        elif m == "addrtype":
            parts.append(f"-m addrtype {neg()}--dst-type {r.choice(['LOCAL', 'UNICAST', 'BROADCAST'])}")
        elif m == "statistic":
            parts.append(f"-m statistic --mode random --probability {r.random():.11f}")
        elif m == "state":
            parts.append(f"-m state {neg()}--state NEW,ESTABLISHED")
        elif m == "iprange" and family == 4:
            parts.append(f"-m iprange {neg()}--src-range 10.0.0.{r.randrange(1, 100)}-10.0.0.{r.randrange(100, 255)}")
    target = r.choice(["-j ACCEPT", "-j DROP", "-j RETURN", "-j USER-A", "-g user_b.2", "",
                       f"-j LOG --log-prefix {quote(text()[:28])} --log-level {r.randrange(8)}",
                       f"-j MARK --set-xmark {hex(r.randrange(1 << 32))}/{hex(r.randrange(1 << 32))}",
                       "-j REJECT", f"-j NFLOG --nflog-group {r.randrange(65536)}"])
    chain = r.choice(CHAINS)
    if target in ("-j USER-A",) and chain == "USER-A":
        target = "-j ACCEPT"
    if target.startswith("-g user_b.2") and chain == "user_b.2":
        target = "-j DROP"
    return " ".join([chain] + parts + ([target] if target else []))


for _ in range(count):
    print(rule())

#!/usr/bin/env python3
"""Appends to a chain a copy of its first rule with bytes of one compat (xt) expression's info
overwritten: a kernel rule no iptables command makes, for reader tests. Run inside the test's
network namespace.

usage: nft_patch_compat.py 4|6 TABLE CHAIN match|target NAME OFFSET HEXBYTES
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nft_netlink as nl  # noqa: E402
import nft_mutate as mu  # noqa: E402


def main():
    fam, table, chain, kind, name, offset, hexbytes = sys.argv[1:8]
    family = nl.NFPROTO_IPV6 if fam == "6" else nl.NFPROTO_IPV4
    n = nl.Nft()
    rules = n.rules(family, table, chain)
    if not rules:
        sys.exit(f"{table}/{chain} has no rule to copy")
    rule = mu.from_dump(rules[0])
    for expr_name, data in rule.exprs:
        if expr_name == kind and nl.get_str(data, 1) == name:
            info = nl.get(data, 3)  # NFTA_MATCH_INFO / NFTA_TARGET_INFO
            raw = bytearray(info.value)
            patch = bytes.fromhex(hexbytes)
            raw[int(offset):int(offset) + len(patch)] = patch
            info.value = bytes(raw)
            break
    else:
        sys.exit(f"the first rule of {table}/{chain} has no compat {kind} {name}")
    errs = n.batch([(nl.MSG_NEWRULE, nl.NLM_F_CREATE | nl.NLM_F_APPEND, family,
                     mu.to_attrs(rule, table, chain))])
    if errs[0]:
        sys.exit(f"the kernel refused the rule: {os.strerror(errs[0])}")


if __name__ == "__main__":
    main()

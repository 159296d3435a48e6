#!/usr/bin/env python3
"""One step K of bench/rule_change.sh's kube-proxy-like churn, with
iptables-nft: even K adds a service's chains and rules to nat, odd K
removes it again. usage: nft_churn_step.py K"""
import os
import sys

os.environ.setdefault("N", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rule_change import Churn  # noqa: E402

Churn("nft").sync(int(sys.argv[1]))

#!/usr/bin/env python3
"""Round-trip oracle for the nft reader (issue 25 item 4, nft half).

Seeds: every rule iptables-nft makes from the .t-style corpus (tests/support/rulesets) and a
kube-proxy-like ruleset (gen_kube_proxy_rules.py). Each seed rule is mutated at the netlink
level in named classes (nft_mutate.py) and every mutant is put, alone, in a user chain
ORACLE-<n> of its table in a private network namespace. The product then lists the namespace
(`rules --backend nft --family 4|6 --format json`) and for every mutant:

  iptables text -> iptables-nft-restore of that text into a FRESH namespace must rebuild the
                   identical expression list (attributes and user data; handles, positions and
                   counter values are not compared; anonymous sets are compared by content);
  native text   -> `nft -f` of it into a fresh namespace must rebuild the same;
  unknown       -> its table had an error (fail closed: fine, only counted);
  missing       -> the kernel has the rule but the product shows nothing: a mismatch.

A table that is unknown hides all the mutants in it: the oracle then splits that table's mutants
in halves and lists each half again in its own namespace (to a depth limit), so only the
mutants that are themselves unknown stay counted as unknown.

usage: nft_roundtrip_oracle.py --binary build/azure-iptables-monitor [--number N]
Environment: NUMBER (mutants, default 10000), ORACLE_SEED, ORACLE_BATCH, ORACLE_BACKEND (the
--backend the product is run with, default nft), CI (a test that cannot run fails).
Exit 0 = no mismatch, 1 = mismatches (or, under CI, could not run), 77 = skipped.
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = os.path.normpath(os.path.join(HERE, "..", "..", "support"))
sys.path.insert(0, SUPPORT)

import nft_netlink as nl  # noqa: E402
import nft_mutate as mu  # noqa: E402

FAMILIES = {4: nl.NFPROTO_IPV4, 6: nl.NFPROTO_IPV6}
NFT_FAMILY = {4: "ip", 6: "ip6"}
RESTORE = {4: "iptables-nft-restore", 6: "ip6tables-nft-restore"}
TABLES = ("nat", "mangle", "filter", "raw", "security")
SKIP = 77
# How the product reports a table whose reading child died (src/rules/child/process.cpp).
CRASH = re.compile(r"killed by signal|dumped core")
# libnftables crashes or asserts on some kernel rules (nft's own bugs); the
# product runs it in a child so that makes the table unknown: contained, not a
# product crash.
NFT_CHILD_CRASH = re.compile(r"'nft [^']*' failed: nft killed by signal")


def in_ci():
    ci = os.environ.get("CI", "")
    return ci not in ("", "false", "0")


def cannot_run(why):
    if in_ci():
        print(f"FAIL: CI requires this test to run, but it cannot: {why}")
        sys.exit(1)
    print(f"SKIPPED: {why} (under CI=true this fails)")
    sys.exit(SKIP)


def run(cmd, inp=None, check=False, timeout=300):
    p = subprocess.run(cmd, input=inp, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


# ---- corpus ---------------------------------------------------------------------------------

def corpus_files(fam):
    rs = os.path.join(SUPPORT, "rulesets")
    out = []
    for name in sorted(os.listdir(rs)):
        if name.endswith(f".v{fam}.rules"):
            out.append((name, open(os.path.join(rs, name)).read()))
    gen = run([sys.executable, os.path.join(SUPPORT, "gen_kube_proxy_rules.py"), "12",
               "--family", str(fam), "--user-rules", "3"], check=True).stdout
    out.append((f"gen_kube_proxy_rules-12.v{fam}", gen))
    return out


def ipset_lines(fam):
    lines = []
    for name, text in corpus_files_cache[fam]:
        for line in text.splitlines():
            if line.startswith("# ipset:"):
                lines.append(line[len("# ipset:"):].split())
    return lines


corpus_files_cache = {}


def fresh_ns(fam):
    """A new empty namespace with this family's ipsets, entered by this thread."""
    fd = nl.enter_new_netns()
    for args in ipset_lines(fam):
        run(["ipset"] + args, check=True)
    return fd


def collect_seeds(fam):
    nfam = FAMILIES[fam]
    seeds, chains = [], collections.defaultdict(set)
    for name, text in corpus_files_cache[fam]:
        fd = fresh_ns(fam)
        p = run([RESTORE[fam]], text)
        if p.returncode != 0:
            raise RuntimeError(f"{RESTORE[fam]} of {name}: {p.stderr.strip()}")
        n = nl.Nft()
        for tfam, table in n.tables(nfam):
            for c in n.chains(nfam, table):
                cname = nl.get_str(c, nl.CHAIN_NAME)
                if nl.get(c, nl.CHAIN_HOOK) is None:
                    chains[table].add(cname)
                for r in n.rules(nfam, table, cname):
                    seeds.append((table, cname, mu.from_dump(r), f"{name}:{table}/{cname}"))
        n.close()
        os.close(fd)
    return seeds, chains


def probe_revisions(fam, seeds):
    """{(match|target, name): [(revision, info size)]} that the kernel accepts (one batch
    of candidates in a scratch namespace; it is refused as a whole, nothing is kept)."""
    nfam = FAMILIES[fam]
    firsts = {}
    for table, chain, rule, label in seeds:
        for name, d in rule.exprs:
            if name in ("match", "target"):
                info = nl.get(d, 3)
                firsts.setdefault((name, nl.get_str(d, 1)),
                                  (table, rule.compat, len(info.value) if info else 0))
    fd = fresh_ns(fam)
    run([RESTORE[fam]], skeleton(fam, {f[0]: {"PROBE"} for f in firsts.values()},
                                 sorted({f[0] for f in firsts.values()})), check=True)
    n = nl.Nft()
    msgs, keys = [], []
    for (name, ext), (table, compat, size) in firsts.items():
        for key, r in mu.revision_probes(table, name, ext, compat, size):
            msgs.append((nl.MSG_NEWRULE, nl.NLM_F_CREATE | nl.NLM_F_APPEND, nfam,
                         mu.to_attrs(r, table, "PROBE")))
            keys.append(((name, ext), key))
    out = collections.defaultdict(list)
    errs = []
    for i in range(0, len(msgs), 2000):
        errs += n.batch(msgs[i:i + 2000])
    for (k, rs), e in zip(keys, errs):
        if e == 0:
            out[k].append(rs)
    n.close()
    os.close(fd)
    return out


# ---- mutants --------------------------------------------------------------------------------

class Ctx:
    def __init__(self, family, table, chains, mutant, revisions):
        self.family, self.table, self.chains, self.mutant = family, table, chains, mutant
        self.revisions = revisions
        self.next_set = 0

    def add_set(self, spec):
        pass  # set ids are given per batch when encoding


def make_mutants(fam, seeds, chains, count, rng, first_id, revisions):
    nfam = FAMILIES[fam]
    classes = list(mu.MUTATORS)
    out = []
    per = max(1, count // len(classes))
    for cls in classes:
        made, tries = 0, 0
        while made < per and tries < per * 20:
            tries += 1
            table, chain, rule, label = rng.choice(seeds)
            m = mu.Mutant(cls, nfam, table, rule.copy(), seed=label)
            ctx = Ctx(nfam, table, chains, m, revisions)
            r = mu.MUTATORS[cls](rng, m.rule, ctx)
            if r is None or not r.exprs:
                continue
            m.rule = r
            m.id = first_id + len(out)
            out.append(m)
            made += 1
    return out


# ---- loading mutants into a namespace --------------------------------------------------------

def skeleton(fam, chains, tables):
    lines = []
    for t in tables:
        lines.append(f"*{t}")
        for c in sorted(chains.get(t, ())):
            lines.append(f":{c} - [0:0]")
        lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def load(fam, chains, mutants):
    """Fresh namespace with the mutants; returns (ns fd, accepted, refused{id: errno})."""
    nfam = FAMILIES[fam]
    tables = sorted({m.table for m in mutants})
    fd = fresh_ns(fam)
    run([RESTORE[fam]], skeleton(fam, chains, tables), check=True)
    n = nl.Nft()
    pending = list(mutants)
    refused = {}
    for _ in range(8):
        msgs, owner = [], []
        set_id = 1
        for m in pending:
            cname = f"ORACLE-{m.id}"
            group = [(nl.MSG_NEWCHAIN, nl.NLM_F_CREATE, nfam,
                      [nl.a_str(nl.CHAIN_TABLE, m.table), nl.a_str(nl.CHAIN_NAME, cname)])]
            # give this batch's set ids, rewriting the lookups that point at them
            ids = {}
            for spec in m.sets:
                ids[spec.set_id] = set_id
                spec.set_id = set_id
                set_id += 1
                group += mu.set_messages(nfam, m.table, spec)
            for name, data in m.rule.exprs:
                if name == "lookup":
                    old = mu.get_u32(data, 4)
                    if old in ids:
                        mu.set_u32(data, 4, ids[old])
            group.append((nl.MSG_NEWRULE, nl.NLM_F_CREATE | nl.NLM_F_APPEND, nfam,
                          mu.to_attrs(m.rule, m.table, cname)))
            msgs += group
            owner += [m] * len(group)
        errs = n.batch(msgs)
        bad = {}
        for m, e in zip(owner, errs):
            if e:
                bad.setdefault(m.id, e)
        if not bad:
            break
        for m in pending:
            if m.id in bad:
                refused[m.id] = bad[m.id]
        pending = [m for m in pending if m.id not in bad]
    else:
        raise RuntimeError("a batch kept failing after 8 rounds")
    return fd, n, pending, refused


def dump_mutant(n, fam, m, cache):
    rules = n.rules(FAMILIES[fam], m.table, f"ORACLE-{m.id}")
    if len(rules) != 1:
        raise RuntimeError(f"ORACLE-{m.id}: {len(rules)} rules in the kernel")
    return rules[0], nl.normalise_rule(n, FAMILIES[fam], m.table, rules[0], cache)


# ---- the product ------------------------------------------------------------------------------

def list_rules(binary, fam):
    env = dict(os.environ, AIM_ENV_FILE="none")
    backend = os.environ.get("ORACLE_BACKEND", "nft")
    p = subprocess.run([binary, "rules", "--backend", backend, "--family", str(fam), "--format",
                        "json"], capture_output=True, text=True, env=env, timeout=600)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = None  # a crash (or no output): the caller splits the batch to find the rule
    return doc, p


def classify(doc, fam, mutants):
    """-> {id: (kind, text, error)} kind in iptables/native/unknown/missing/double."""
    ipt, native, errors = {}, {}, {}
    fam_name = "ipv4" if fam == 4 else "ipv6"
    for rs in doc.get("rulesets", []):
        backend = rs.get("backend")
        if backend == "nft" and rs.get("family") != fam_name:
            continue
        for t in rs.get("tables", []):
            tname = t.get("table", "")
            if backend == "nft":
                key = tname
            elif backend == "nftables":
                parts = tname.split(" ", 1)
                if len(parts) != 2 or parts[0] != NFT_FAMILY[fam]:
                    continue
                key = parts[1]
            else:
                continue
            if t.get("error") is not None or rs.get("error") is not None:
                errors.setdefault(key, {})[backend] = t.get("error") or rs.get("error")
            for c in t.get("chains", []):
                mm = re.fullmatch(r"ORACLE-(\d+)", c.get("chain", ""))
                if not mm:
                    continue
                dest = ipt if backend == "nft" else native
                dest.setdefault(int(mm.group(1)), []).extend(c.get("rules", []))
    out = {}
    for m in mutants:
        a, b = ipt.get(m.id, []), native.get(m.id, [])
        # A table the nft reader could not read has nothing to trust; one the
        # native reader could not show (a rule it cannot show whole) leaves
        # the iptables text of the table's other rules to check.
        table_errors = errors.get(m.table, {})
        if "nft" in table_errors:
            out[m.id] = ("unknown", None, table_errors["nft"])
        elif table_errors and not a:
            out[m.id] = ("unknown", None, next(iter(table_errors.values())))
        elif any("\ufffd" in t for t in a + b):
            # The JSON carries text that is not UTF-8 as U+FFFD (as the matcher
            # reads it): its bytes cannot be compared here.
            out[m.id] = ("unknown", None, "text not UTF-8: its bytes are not in the JSON")
        elif len(a) == 1 and not b:
            out[m.id] = ("iptables", a[0], None)
        elif len(b) == 1 and not a:
            out[m.id] = ("native", b[0], None)
        elif not a and not b:
            out[m.id] = ("missing", None, None)
        else:
            out[m.id] = ("double", "\n".join(a + b), None)
    return out, errors


# ---- rebuilding from the text ------------------------------------------------------------------

def referenced_chains(text):
    return set(re.findall(r"(?:-[jg]|--jump|--goto)\s+(\S+)", text)) | \
        set(re.findall(r"\b(?:jump|goto)\s+([^\s,}]+)", text))


def rebuild_iptables(fam, chains, table, items):
    """items: [(mutant, text)] -> {id: (rule attrs or None, normalised or error text)}"""
    result = {}
    pending = list(items)
    while pending:
        lines = [f"*{table}"]
        declared = set()
        for c in sorted(chains.get(table, ())):
            lines.append(f":{c} - [0:0]")
            declared.add(c)
        for m, _ in pending:
            lines.append(f":ORACLE-{m.id} - [0:0]")
        first_rule_line = len(lines) + 1
        for m, text in pending:
            lines.append(text)
        lines.append("COMMIT")
        fd = fresh_ns(fam)
        p = run([RESTORE[fam]], "\n".join(lines) + "\n")
        if p.returncode == 0:
            n = nl.Nft()
            cache = {}
            for m, text in pending:
                try:
                    rules = n.rules(FAMILIES[fam], table, f"ORACLE-{m.id}")
                except nl.NetlinkError as e:
                    result[m.id] = (None, f"dump failed: {e}")
                    continue
                if len(rules) != 1:
                    result[m.id] = (None, f"restore made {len(rules)} rules")
                else:
                    result[m.id] = (rules[0], nl.normalise_rule(n, FAMILIES[fam], table,
                                                                 rules[0], cache))
            n.close()
            os.close(fd)
            return result
        os.close(fd)
        mm = re.search(r"line (\d+) failed", p.stderr)
        k = int(mm.group(1)) - first_rule_line if mm else -1
        if mm and 0 <= k < len(pending):
            m, text = pending.pop(k)
            result[m.id] = (None, f"{RESTORE[fam]} refused it: {p.stderr.strip()[:300]}")
            continue
        if len(pending) == 1:
            m, text = pending.pop()
            result[m.id] = (None, f"{RESTORE[fam]} refused it: {p.stderr.strip()[:300]}")
            continue
        half = len(pending) // 2  # no line number: split
        result.update(rebuild_iptables(fam, chains, table, pending[:half]))
        result.update(rebuild_iptables(fam, chains, table, pending[half:]))
        return result
    return result


def rebuild_native(fam, chains, table, items):
    result = {}
    pending = list(items)
    while pending:
        fam_kw = NFT_FAMILY[fam]
        lines = [f"add table {fam_kw} {table}"]
        names = set(chains.get(table, ()))
        for m, text in pending:
            names |= referenced_chains(text)
        for c in sorted(names):
            lines.append(f"add chain {fam_kw} {table} {c}")
        for m, _ in pending:
            lines.append(f"add chain {fam_kw} {table} ORACLE-{m.id}")
        first = len(lines) + 1
        lines += [text for _, text in pending]
        fd = fresh_ns(fam)
        p = run(["nft", "-f", "-"], "\n".join(lines) + "\n")
        if p.returncode == 0:
            n = nl.Nft()
            cache = {}
            for m, text in pending:
                rules = n.rules(FAMILIES[fam], table, f"ORACLE-{m.id}")
                if len(rules) != 1:
                    result[m.id] = (None, f"nft -f made {len(rules)} rules")
                else:
                    result[m.id] = (rules[0], nl.normalise_rule(n, FAMILIES[fam], table,
                                                                 rules[0], cache))
            n.close()
            os.close(fd)
            return result
        os.close(fd)
        bad = sorted({int(x) - first for x in re.findall(r"/dev/stdin:(\d+):", p.stderr)})
        bad = [k for k in bad if 0 <= k < len(pending)]
        if bad:
            for k in reversed(bad):
                m, text = pending.pop(k)
                result[m.id] = (None, f"nft -f refused it: {p.stderr.strip()[:300]}")
            continue
        if len(pending) == 1:
            m, text = pending.pop()
            result[m.id] = (None, f"nft -f refused it: {p.stderr.strip()[:300]}")
            continue
        half = len(pending) // 2
        result.update(rebuild_native(fam, chains, table, pending[:half]))
        result.update(rebuild_native(fam, chains, table, pending[half:]))
        return result
    return result


# ---- the run ----------------------------------------------------------------------------------

class Oracle:
    def __init__(self, args):
        self.args = args
        self.stats = collections.defaultdict(collections.Counter)
        self.mismatches = []
        self.product_runs = 0
        self.kinds = collections.Counter()
        self.unknown_errors = collections.Counter()

    def list_and_classify(self, fam, chains, mutants, depth):
        """Loads mutants, lists them with the product; returns
        {id: (kind, text, error, kernel rule, normalised)}; splits unknown tables."""
        if not mutants:
            return {}
        fd, n, accepted, refused = load(fam, chains, mutants)
        out = {i: ("refused", None, f"errno {e}", None, None) for i, e in refused.items()}
        cache = {}
        kernel = {}
        for m in accepted:
            kernel[m.id] = dump_mutant(n, fam, m, cache)
        n.close()
        doc, proc = list_rules(self.args.binary, fam)
        self.product_runs += 1
        os.close(fd)
        if doc is None:
            why = f"`rules` crashed or printed no JSON (exit {proc.returncode}): " \
                  f"{proc.stderr.strip()[-300:]}"
            if len(accepted) > 1 and depth < 16:
                half = len(accepted) // 2
                out.update(self.list_and_classify(fam, chains, accepted[:half], depth + 1))
                out.update(self.list_and_classify(fam, chains, accepted[half:], depth + 1))
            else:
                for m in accepted:
                    out[m.id] = ("crash", None, why) + kernel[m.id]
            return out
        verdicts, errors = classify(doc, fam, accepted)
        split = collections.defaultdict(list)
        for m in accepted:
            kind, text, err = verdicts[m.id]
            crashed = kind == "unknown" and CRASH.search(err or "") and \
                not NFT_CHILD_CRASH.search(err or "")
            # A crash is split down to the rule that caused it whatever the budget: it is
            # reported, and must not be blamed on the rules that shared its table.
            if kind == "unknown" and sum(1 for x in accepted if x.table == m.table) > 1 and (
                    (crashed and depth < 16) or
                    (depth < self.args.split_depth and time.monotonic() < self.deadline)):
                split[m.table].append(m)
                continue
            if crashed:
                # Failing closed hides it from the verdict, but a reader that dies on a
                # kernel rule is a product fault: report the rule that killed it.
                kind = "crash"
            out[m.id] = (kind, text, err) + kernel[m.id]
        for table, ms in split.items():
            half = len(ms) // 2
            out.update(self.list_and_classify(fam, chains, ms[:half], depth + 1))
            out.update(self.list_and_classify(fam, chains, ms[half:], depth + 1))
        return out

    def run(self):
        rng = random.Random(self.args.seed)
        self.deadline = time.monotonic() + self.args.split_budget
        all_mutants = {}
        per_family = {4: int(self.args.number * 0.65), 6: 0}
        per_family[6] = self.args.number - per_family[4]
        next_id = 1
        for fam in (4, 6):
            corpus_files_cache[fam] = corpus_files(fam)
            seeds, chains = collect_seeds(fam)
            # make each class at least its share (refused mutants do not count towards it)
            revisions = probe_revisions(fam, seeds)
            mutants = make_mutants(fam, seeds, chains, per_family[fam], rng, next_id, revisions)
            next_id += len(mutants) + 1
            print(f"ipv{fam}: {len(seeds)} seed rules, {len(mutants)} mutants", flush=True)
            results = {}
            rng.shuffle(mutants)
            for i in range(0, len(mutants), self.args.batch):
                results.update(self.list_and_classify(fam, chains, mutants[i:i + self.args.batch],
                                                      0))
            by_id = {m.id: m for m in mutants}
            groups = collections.defaultdict(list)
            for mid, (kind, text, err, krule, knorm) in results.items():
                m = by_id[mid]
                st = self.stats[m.cls]
                st["tried"] += 1
                if kind == "refused":
                    st["refused"] += 1
                    continue
                st["accepted"] += 1
                if kind in ("iptables", "native"):
                    st[kind] += 1
                    groups[(kind, m.table)].append((m, text))
                elif kind == "unknown":
                    st["unknown"] += 1
                    self.unknown_errors[(err or "")[:120]] += 1
                else:
                    st["mismatch"] += 1
                    self.kinds[kind] += 1
                    self.mismatches.append((m, kind, text, krule, None,
                                            err if kind == "crash" else "the product shows " + (
                                                "nothing for this rule" if kind == "missing"
                                                else "more than one line")))
            for (kind, table), items in groups.items():
                rebuilt = (rebuild_iptables if kind == "iptables" else rebuild_native)(
                    fam, chains, table, items)
                for m, text in items:
                    krule, knorm = results[m.id][3], results[m.id][4]
                    rrule, rnorm = rebuilt.get(m.id, (None, "not rebuilt"))
                    if rrule is not None and rnorm == knorm:
                        continue
                    self.stats[m.cls]["mismatch"] += 1
                    why = rnorm if rrule is None else diff(knorm, rnorm)
                    self.kinds[f"{kind}: " + mismatch_kind(why)] += 1
                    self.mismatches.append((m, kind, text, krule, rrule, why))
        return self.report()

    def report(self):
        cols = ["tried", "refused", "accepted", "iptables", "native", "unknown", "mismatch"]
        print()
        print(f"{'class':18}" + "".join(f"{c:>10}" for c in cols))
        total = collections.Counter()
        for cls in mu.MUTATORS:
            st = self.stats[cls]
            total.update(st)
            print(f"{cls:18}" + "".join(f"{st[c]:>10}" for c in cols))
        print(f"{'TOTAL':18}" + "".join(f"{total[c]:>10}" for c in cols))
        print(f"\nproduct runs: {self.product_runs}")
        if self.unknown_errors:
            print("unknown tables, by error:")
            for e, k in self.unknown_errors.most_common(8):
                print(f"  {k:6}  {e}")
        failed = False
        if self.kinds:
            print("\nmismatch kinds:")
            for k, c in self.kinds.most_common():
                print(f"  {c:6}  {k}")
        shown = 0
        # the worst first: text that claims less than the rule, then the rest
        order = {"iptables": 0, "native": 1, "crash": 2, "double": 3, "missing": 4}
        self.mismatches.sort(key=lambda x: order.get(x[1], 5))
        for m, kind, text, krule, rrule, why in self.mismatches:
            if shown >= self.args.show:
                break
            shown += 1
            print(f"\n--- MISMATCH #{shown}: class {m.cls}, seed {m.seed}, ORACLE-{m.id} "
                  f"({m.table}), rendered {kind}:")
            print(f"  text:    {text}")
            print(f"  why:     {why}")
            if krule is not None:
                print("  kernel rule:\n" + nl.describe_rule(krule))
            if rrule is not None:
                print("  rebuilt rule:\n" + nl.describe_rule(rrule))
        if self.mismatches:
            print(f"\nFAIL: {len(self.mismatches)} mismatches")
            failed = True
        # Not "udata": iptables-nft 1.8.9 never writes a rule's user data, so
        # every such mutant is rightly native or unknown.
        for cls in ("control", "cmp-data", "compat-data", "cmp-op"):
            if self.stats[cls]["iptables"] == 0:
                print(f"FAIL: class {cls} rendered no rule as iptables text")
                failed = True
        if total["tried"] < self.args.number * 0.95:
            print(f"FAIL: only {total['tried']} mutants of {self.args.number}")
            failed = True
        return 1 if failed else 0


def diff(a, b):
    ea, ua, xa = a
    eb, ub, xb = b
    if len(ea) != len(eb):
        return (f"{len(ea)} expressions in the kernel rule, {len(eb)} rebuilt: "
                f"[{' '.join(e[0] for e in ea)}] vs [{' '.join(e[0] for e in eb)}]")
    for i, (x, y) in enumerate(zip(ea, eb)):
        if x != y:
            if x[0] != y[0]:
                return f"expression {i}: {x[0]} vs {y[0]}"
            return f"expression {i} ({x[0]}): {x[1]} vs {y[1]}"
    if ua != ub:
        return f"user data {ua} vs {ub}"
    return f"rule attributes {xa} vs {xb}"


def mismatch_kind(why):
    m = re.match(r"\d+ expressions in the kernel rule, \d+ rebuilt: \[([^\]]*)\] vs \[([^\]]*)\]", why)
    if m:
        a = collections.Counter(m.group(1).split())
        b = collections.Counter(m.group(2).split())
        lost, added = sorted((a - b).elements()), sorted((b - a).elements())
        return ("rebuilt rule lacks [" + " ".join(lost) + "]" if lost else "") + \
            (" adds [" + " ".join(added) + "]" if added else "") or "expressions in another order"
    m = re.match(r"expression \d+ \((\w+)\)", why)
    if m:
        return f"{m.group(1)} expression with other attributes"
    m = re.match(r"expression \d+: (\w+) vs (\w+)", why)
    if m:
        return f"{m.group(1)} rebuilt as {m.group(2)}"
    w = re.sub(r"[0-9a-f]{6,}", "…", why)
    w = re.sub(r"\d+", "N", w)
    w = re.sub(r"/dev/stdin:N:N-N: ", "", w)
    return w[:100]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--number", type=int, default=int(os.environ.get("NUMBER", "10000")))
    ap.add_argument("--batch", type=int, default=int(os.environ.get("ORACLE_BATCH", "400")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("ORACLE_SEED", "25")))
    ap.add_argument("--split-depth", type=int, default=9)
    ap.add_argument("--split-budget", type=float, default=90.0,
                    help="seconds spent splitting unknown tables before counting them unknown")
    ap.add_argument("--show", type=int, default=8)
    args = ap.parse_args()
    if os.geteuid() != 0:
        cannot_run("needs root (network namespaces)")
    for tool in ("iptables-nft-restore", "ip6tables-nft-restore", "nft", "ipset"):
        if shutil.which(tool) is None:
            cannot_run(f"{tool} is not installed")
    if not os.access(args.binary, os.X_OK):
        cannot_run(f"{args.binary} is not built")
    try:
        nl.enter_new_netns()
    except OSError as e:
        cannot_run(str(e))
    t0 = time.monotonic()
    rc = Oracle(args).run()
    print(f"\nran {time.monotonic() - t0:.1f} s")
    sys.exit(rc)


if __name__ == "__main__":
    main()

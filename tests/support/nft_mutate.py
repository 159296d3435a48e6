"""Netlink-level mutations of nf_tables rules that iptables-nft made, in named classes.

A rule is handled as a list of expressions, each [name, data] with `data` a list of
nft_netlink.Attr, plus its user data (bytes or None) and its NFTA_RULE_COMPAT nest (or None).
A mutator takes (rng, rule, ctx) and returns a Mutant or None when it does not apply.
A Mutant may ask for anonymous sets (created in the same batch, referenced by set id).
"""
import struct
from dataclasses import dataclass, field
from typing import List, Optional

import nft_netlink as nl
from nft_netlink import Attr, a_nest, a_str, a_u32

REG_VERDICT, REG_1, REG_2 = 0, 1, 2
REG32 = list(range(8, 24))


@dataclass
class Rule:
    exprs: list            # [[name, data-attrs], ...]
    udata: Optional[bytes]
    compat: Optional[list]  # NFTA_RULE_COMPAT children

    def copy(self):
        return Rule([[n, [clone(a) for a in d]] for n, d in self.exprs], self.udata,
                    None if self.compat is None else [clone(a) for a in self.compat])


@dataclass
class SetSpec:
    key_type: int
    key_len: int
    flags: int
    data_type: Optional[int]
    elems: list  # [(key bytes, data Attr-or-None, elem flags)]
    set_id: int = 0


@dataclass
class Mutant:
    cls: str
    family: int
    table: str
    rule: Rule
    sets: List[SetSpec] = field(default_factory=list)
    seed: str = ""
    chains_needed: set = field(default_factory=set)


def clone(a):
    return Attr(a.type, [clone(c) for c in a.value] if a.nested() else a.value, a.flags)


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def rd32(b):
    return struct.unpack(">I", b)[0]


def from_dump(rule_attrs):
    exprs = []
    lst = nl.get(rule_attrs, nl.RULE_EXPRESSIONS)
    for e in (lst.value if lst is not None else []):
        exprs.append([nl.expr_name(e), [clone(a) for a in nl.expr_data(e)]])
    ud = nl.get(rule_attrs, nl.RULE_USERDATA)
    return Rule(exprs, ud.value if ud is not None else None, infer_compat(exprs))


def infer_compat(exprs):
    """The kernel does not dump NFTA_RULE_COMPAT, but compat matches such as `tcp` are only
    accepted with it: give it as iptables-nft does, from the `-p` test (meta l4proto == X)."""
    for i in range(len(exprs) - 1):
        (n1, d1), (n2, d2) = exprs[i], exprs[i + 1]
        if n1 == "meta" and get_u32(d1, 2) == 16 and n2 == "cmp" and \
                get_u32(d2, 1) == get_u32(d1, 1):
            raw = data_bytes(d2, 3)
            if raw and len(raw) == 1 and get_u32(d2, 2) in (0, 1):
                return [a_u32(1, raw[0]), a_u32(2, 2 if get_u32(d2, 2) == 1 else 0)]
    return None


def to_attrs(rule, table, chain):
    attrs = [a_str(nl.RULE_TABLE, table), a_str(nl.RULE_CHAIN, chain),
             a_nest(nl.RULE_EXPRESSIONS, [nl.expr(n, d) for n, d in rule.exprs])]
    if rule.compat is not None:
        attrs.append(a_nest(nl.RULE_COMPAT, rule.compat))
    if rule.udata is not None:
        attrs.append(Attr(nl.RULE_USERDATA, rule.udata))
    return attrs


def set_u32(data, t, v):
    for i, a in enumerate(data):
        if a.type == t:
            data[i] = a_u32(t, v)
            return
    data.append(a_u32(t, v))


def get_u32(data, t):
    return nl.get_u32(data, t)


def data_bytes(data, t):
    a = nl.get(data, t)
    if a is None or not a.nested():
        return None
    v = nl.get(a.value, nl.DATA_VALUE)
    return v.value if v is not None else None


def set_data_bytes(data, t, raw):
    for i, a in enumerate(data):
        if a.type == t:
            data[i] = nl.data_value(t, raw)
            return
    data.append(nl.data_value(t, raw))


def find(rule, name, pred=None):
    return [i for i, (n, d) in enumerate(rule.exprs) if n == name and (pred is None or pred(d))]


# ---- expression builders ----------------------------------------------------------------------

def e_payload_load(base, off, ln, dreg=REG_1):
    return ["payload", [a_u32(1, dreg), a_u32(2, base), a_u32(3, off), a_u32(4, ln)]]


def e_payload_set(base, off, ln, sreg, csum_type=0, csum_off=0, csum_flags=0):
    d = [a_u32(5, sreg), a_u32(2, base), a_u32(3, off), a_u32(4, ln)]
    if csum_type:
        d += [a_u32(6, csum_type), a_u32(7, csum_off)]
        if csum_flags:
            d.append(a_u32(8, csum_flags))
    return ["payload", d]


def e_cmp(op, raw, sreg=REG_1):
    return ["cmp", [a_u32(1, sreg), a_u32(2, op), nl.data_value(3, raw)]]


def e_meta_load(key, dreg=REG_1):
    return ["meta", [a_u32(2, key), a_u32(1, dreg)]]


def e_meta_set(key, sreg=REG_1):
    return ["meta", [a_u32(2, key), a_u32(3, sreg)]]


def e_ct_load(key, dreg=REG_1, direction=None):
    d = [a_u32(1, dreg), a_u32(2, key)]
    if direction is not None:
        d.append(Attr(3, bytes([direction])))
    return ["ct", d]


def e_ct_set(key, sreg=REG_1):
    return ["ct", [a_u32(2, key), a_u32(4, sreg)]]


def e_bitwise(ln, mask, xor, sreg=REG_1, dreg=REG_1):
    return ["bitwise", [a_u32(1, sreg), a_u32(2, dreg), a_u32(3, ln), nl.data_value(4, mask),
                        nl.data_value(5, xor)]]


def e_imm_value(raw, dreg=REG_1):
    return ["immediate", [a_u32(1, dreg), nl.data_value(2, raw)]]


def e_imm_verdict(code, chain=None):
    return ["immediate", [a_u32(1, REG_VERDICT), nl.verdict_data(2, code, chain)]]


def e_counter():
    return ["counter", [Attr(1, bytes(8)), Attr(2, bytes(8))]]


def e_lookup(set_id, sreg=REG_1, dreg=None, inv=False):
    d = [a_str(1, "__set%d"), a_u32(2, sreg), a_u32(4, set_id)]
    if dreg is not None:
        d.append(a_u32(3, dreg))
    if inv:
        d.append(a_u32(5, 1))
    return ["lookup", d]


def e_range(op, lo, hi, sreg=REG_1):
    return ["range", [a_u32(1, sreg), a_u32(2, op), nl.data_value(3, lo), nl.data_value(4, hi)]]


def e_log(prefix=None, group=None, level=None, flags=None, snaplen=None):
    d = []
    if group is not None:
        d.append(Attr(1, struct.pack(">H", group)))
    if prefix is not None:
        d.append(a_str(2, prefix))
    if snaplen is not None:
        d.append(a_u32(3, snaplen))
    if level is not None:
        d.append(a_u32(5, level))
    if flags is not None:
        d.append(a_u32(6, flags))
    return ["log", d]


def e_queue(num, total=1, flags=0):
    return ["queue", [Attr(1, struct.pack(">H", num)), Attr(2, struct.pack(">H", total)),
                      Attr(3, struct.pack(">H", flags))]]


def e_limit(rate, unit=1, burst=5, typ=0, flags=0):
    return ["limit", [Attr(1, struct.pack(">Q", rate)), Attr(2, struct.pack(">Q", unit)),
                      a_u32(3, burst), a_u32(4, typ), a_u32(5, flags)]]


# Family facts: where addresses sit and how long they are.
def fam_facts(family):
    if family == nl.NFPROTO_IPV6:
        return dict(saddr=8, daddr=24, alen=16, key_type=8, proto_off=6,
                    addr=lambda i: bytes([0xfd, 0, 0, 0x44] + [0] * 10 + [i >> 8 & 0xff, i & 0xff]))
    return dict(saddr=12, daddr=16, alen=4, key_type=7, proto_off=9,
                addr=lambda i: bytes([10, 44, i >> 8 & 0xff, i & 0xff]))


META_KEYS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16, 19, 20, 21, 22, 23, 24, 26, 27]
CT_KEYS = [0, 1, 2, 3, 5, 6, 10, 11, 12, 17, 19, 20]  # state dir status mark expiration helper...
VERDICTS = [nl.NF_ACCEPT, nl.NF_DROP, nl.NFT_RETURN, nl.NFT_CONTINUE, nl.NF_QUEUE, nl.NFT_JUMP,
            nl.NFT_GOTO]


def verdict_index(rule):
    idx = find(rule, "immediate", lambda d: get_u32(d, 1) == REG_VERDICT)
    return idx[-1] if idx else None


def load_indexes(rule):
    return [i for i, (n, d) in enumerate(rule.exprs)
            if n in ("payload", "meta", "ct") and get_u32(d, 1) is not None]


def insertion_groups(rng, family, ctx):
    f = fam_facts(family)
    i = rng.randrange(1, 4000)
    return [
        [e_meta_load(16), e_cmp(0, bytes([rng.choice([6, 17, 132])]))],            # l4proto
        [e_payload_load(1, f["saddr"], f["alen"]), e_cmp(rng.choice([0, 1]), f["addr"](i))],
        [e_payload_load(1, f["daddr"], f["alen"]),
         e_bitwise(f["alen"], b"\xff" * (f["alen"] - 1) + b"\x00", bytes(f["alen"])),
         e_cmp(0, f["addr"](i)[:-1] + b"\x00")],
        [e_counter()],
        [e_meta_load(3), e_cmp(0, u32(i))],                                           # mark
        [e_meta_load(6), e_cmp(0, b"eth%d\0" % (i % 9) + bytes(11))],               # iifname
        [e_ct_load(0), e_bitwise(4, u32(rng.choice([2, 4, 8, 6])), bytes(4)), e_cmp(1, bytes(4))],
        [e_payload_load(2, 2, 2), e_cmp(0, struct.pack(">H", i % 65536))],             # dport
        [e_limit(rng.randrange(1, 100), rng.choice([1, 60, 3600]), rng.randrange(0, 10))],
    ]


def _replace_verdict(rule, new_exprs):
    vi = verdict_index(rule)
    if vi is None:
        rule.exprs.extend(new_exprs)
    else:
        rule.exprs[vi:vi + 1] = new_exprs


# ---- the mutators -----------------------------------------------------------------------------

def m_control(rng, r, ctx):
    return r


def m_cmp_op(rng, r, ctx):
    idx = find(r, "cmp")
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    op = get_u32(d, 2)
    set_u32(d, 2, rng.choice([o for o in range(6) if o != op]))
    return r


def m_cmp_data(rng, r, ctx):
    idx = find(r, "cmp")
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    raw = bytearray(data_bytes(d, 3) or b"\0")
    k = rng.randrange(len(raw))
    raw[k] ^= 1 << rng.randrange(8)
    set_data_bytes(d, 3, bytes(raw))
    return r


def _follow_cmp(r, i):
    if i + 1 < len(r.exprs) and r.exprs[i + 1][0] == "cmp":
        return r.exprs[i + 1][1]
    return None


def m_payload_len(rng, r, ctx):
    idx = find(r, "payload", lambda d: get_u32(d, 1) is not None)
    if not idx:
        return None
    i = rng.choice(idx)
    d = r.exprs[i][1]
    old = get_u32(d, 4)
    new = rng.choice([n for n in (1, 2, 3, 4, 6, 8, 12, 16) if n != old])
    set_u32(d, 4, new)
    c = _follow_cmp(r, i)
    if c is not None and rng.random() < 0.7:
        raw = data_bytes(c, 3) or b""
        set_data_bytes(c, 3, (raw + bytes(16))[:new])
    return r


def m_payload_offset(rng, r, ctx):
    idx = find(r, "payload", lambda d: get_u32(d, 1) is not None)
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    old = get_u32(d, 3)
    new = max(0, old + rng.choice([-4, -2, -1, 1, 2, 4, 8])) if rng.random() < 0.7 else \
        rng.randrange(0, 48)
    if new == old:
        new = old + 1
    set_u32(d, 3, new)
    return r


def m_payload_base(rng, r, ctx):
    idx = find(r, "payload", lambda d: get_u32(d, 1) is not None)
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    old = get_u32(d, 2)
    set_u32(d, 2, rng.choice([b for b in (0, 1, 2) if b != old]))
    return r


def m_bitwise_mask(rng, r, ctx):
    idx = find(r, "bitwise")
    if idx:
        d = r.exprs[rng.choice(idx)][1]
        raw = bytearray(data_bytes(d, 4) or b"\xff")
        raw[rng.randrange(len(raw))] = rng.choice([0, 0xf0, 0x0f, 0xfe, 0x80, 0xff])
        set_data_bytes(d, 4, bytes(raw))
        return r
    idx = [i for i in find(r, "payload", lambda d: get_u32(d, 1) is not None)
           if _follow_cmp(r, i) is not None]
    if not idx:
        return None
    i = rng.choice(idx)
    ln = get_u32(r.exprs[i][1], 4)
    mask = bytes(rng.choice([0xff, 0xf0, 0x0f, 0x00, 0xfe]) for _ in range(ln))
    r.exprs.insert(i + 1, e_bitwise(ln, mask, bytes(ln), get_u32(r.exprs[i][1], 1),
                                    get_u32(r.exprs[i][1], 1)))
    return r


def m_bitwise_xor(rng, r, ctx):
    idx = find(r, "bitwise")
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    ln = get_u32(d, 3) or 4
    raw = bytearray(data_bytes(d, 5) or bytes(ln))
    raw[rng.randrange(len(raw))] ^= rng.choice([1, 0x80, 0xff])
    set_data_bytes(d, 5, bytes(raw))
    return r


def m_meta_key(rng, r, ctx):
    idx = find(r, "meta")
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    old = get_u32(d, 2)
    set_u32(d, 2, rng.choice([k for k in META_KEYS if k != old]))
    return r


def m_register(rng, r, ctx):
    idx = load_indexes(r)
    if not idx:
        return None
    i = rng.choice(idx)
    d = r.exprs[i][1]
    old = get_u32(d, 1)
    new = rng.choice([REG_2, 3, 4] + REG32[2:]) if old == REG_1 else REG_1
    set_u32(d, 1, new)
    if rng.random() < 0.8:  # rename the consumer too: same meaning, other register
        for n, cd in r.exprs[i + 1:]:
            sreg = 1
            if n in ("cmp", "lookup", "range", "bitwise") and get_u32(cd, sreg) == old:
                set_u32(cd, sreg, new)
                if n == "bitwise":
                    if get_u32(cd, 2) == old:
                        set_u32(cd, 2, new)
                    continue
                break
    return r


def m_insert_expr(rng, r, ctx):
    grp = rng.choice(insertion_groups(rng, ctx.family, ctx))
    pos = rng.randrange(0, len(r.exprs) + 1)
    vi = verdict_index(r)
    if vi is not None and pos > vi and rng.random() < 0.8:
        pos = vi
    r.exprs[pos:pos] = grp
    return r


def m_drop_expr(rng, r, ctx):
    if len(r.exprs) < 2:
        return None
    del r.exprs[rng.randrange(len(r.exprs))]
    return r


def _groups(r):
    """Splits the expression list into load..consumer groups."""
    groups, cur = [], []
    for e in r.exprs:
        cur.append(e)
        if e[0] not in ("payload", "meta", "ct", "bitwise") or \
                (e[0] in ("payload", "meta", "ct") and get_u32(e[1], 1) is None):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def m_repeat_expr(rng, r, ctx):
    groups = _groups(r)
    if not groups:
        return None
    k = rng.randrange(len(groups))
    if rng.random() < 0.3:
        e = rng.choice(groups[k])
        groups[k].insert(groups[k].index(e), [e[0], [clone(a) for a in e[1]]])
    else:
        groups.insert(k, [[n, [clone(a) for a in d]] for n, d in groups[k]])
    r.exprs = [e for g in groups for e in g]
    return r


def m_reorder(rng, r, ctx):
    groups = _groups(r)
    if len(groups) < 2:
        return None
    if rng.random() < 0.5:
        a = rng.randrange(len(groups) - 1)
        groups[a], groups[a + 1] = groups[a + 1], groups[a]
    else:
        rng.shuffle(groups)
    new = [e for g in groups for e in g]
    if new == r.exprs:
        return None
    r.exprs = new
    return r


def m_verdict(rng, r, ctx):
    code = rng.choice(VERDICTS)
    chain = None
    if code in (nl.NFT_JUMP, nl.NFT_GOTO):
        chain = rng.choice(sorted(ctx.chains[ctx.table])) if ctx.chains.get(ctx.table) else None
        if chain is None:
            code = nl.NF_DROP
    new = [e_imm_verdict(code, chain)]
    if rng.random() < 0.15:
        new = []  # no verdict at all
    _replace_verdict(r, new)
    return r


def m_vmap(rng, r, ctx):
    f = fam_facts(ctx.family)
    chains = sorted(ctx.chains.get(ctx.table, ())) or [None]
    elems = []
    for k in range(rng.randrange(1, 4)):
        code = rng.choice([nl.NF_ACCEPT, nl.NF_DROP, nl.NFT_RETURN, nl.NFT_JUMP, nl.NFT_GOTO])
        ch = rng.choice(chains) if code in (nl.NFT_JUMP, nl.NFT_GOTO) else None
        if code in (nl.NFT_JUMP, nl.NFT_GOTO) and ch is None:
            code = nl.NF_DROP
        elems.append((f["addr"](rng.randrange(4000) * 4 + k), nl.verdict_data(2, code, ch), 0))
    spec = SetSpec(f["key_type"], f["alen"], nl.SET_ANONYMOUS | nl.SET_CONSTANT | nl.SET_MAP,
                   nl.NFT_DATA_VERDICT_TYPE, elems)
    ctx.add_set(spec)
    where = rng.choice([f["saddr"], f["daddr"]])
    new = [e_payload_load(1, where, f["alen"]), e_lookup(spec.set_id, REG_1, REG_VERDICT)]
    if rng.random() < 0.5:
        _replace_verdict(r, new)
    else:
        vi = verdict_index(r)
        pos = vi if vi is not None else len(r.exprs)
        r.exprs[pos:pos] = new
    ctx.mutant.sets.append(spec)
    return r


def m_lookup(rng, r, ctx):
    f = fam_facts(ctx.family)
    if rng.random() < 0.5:
        elems = [(f["addr"](rng.randrange(4000)), None, 0) for _ in range(rng.randrange(1, 5))]
        spec = SetSpec(f["key_type"], f["alen"], nl.SET_ANONYMOUS | nl.SET_CONSTANT, None,
                       sorted(set(elems)))
        load = e_payload_load(1, rng.choice([f["saddr"], f["daddr"]]), f["alen"])
    else:
        elems = [(struct.pack(">H", p), None, 0) for p in
                 sorted({rng.randrange(1, 65535) for _ in range(rng.randrange(1, 5))})]
        spec = SetSpec(13, 2, nl.SET_ANONYMOUS | nl.SET_CONSTANT, None, elems)
        load = e_payload_load(2, rng.choice([0, 2]), 2)
    ctx.add_set(spec)
    new = [load, e_lookup(spec.set_id, REG_1, None, inv=rng.random() < 0.3)]
    vi = verdict_index(r)
    pos = rng.randrange(0, (vi if vi is not None else len(r.exprs)) + 1)
    r.exprs[pos:pos] = new
    ctx.mutant.sets.append(spec)
    return r


def m_range(rng, r, ctx):
    f = fam_facts(ctx.family)
    if rng.random() < 0.5:
        lo = rng.randrange(1, 60000)
        new = [e_payload_load(2, rng.choice([0, 2]), 2),
               e_range(rng.choice([0, 1]), struct.pack(">H", lo),
                       struct.pack(">H", lo + rng.randrange(1, 5000)))]
    else:
        i = rng.randrange(3000)
        new = [e_payload_load(1, f["saddr"], f["alen"]),
               e_range(rng.choice([0, 1]), f["addr"](i), f["addr"](i + rng.randrange(1, 500)))]
    vi = verdict_index(r)
    pos = rng.randrange(0, (vi if vi is not None else len(r.exprs)) + 1)
    r.exprs[pos:pos] = new
    return r


def m_payload_write(rng, r, ctx):
    v6 = ctx.family == nl.NFPROTO_IPV6
    choice = rng.randrange(3)
    if choice == 0:   # ttl / hoplimit
        new = [e_imm_value(bytes([rng.randrange(1, 255)])),
               e_payload_set(1, 7 if v6 else 8, 1, REG_1, 0 if v6 else 1, 0 if v6 else 10)]
    elif choice == 1:  # dport (l4 checksum)
        new = [e_meta_load(16), e_cmp(0, bytes([6])),
               e_imm_value(struct.pack(">H", rng.randrange(1, 65535))),
               e_payload_set(2, 2, 2, REG_1, 1, 16, 1)]
    else:              # daddr
        f = fam_facts(ctx.family)
        new = [e_imm_value(f["addr"](rng.randrange(4000))),
               e_payload_set(1, f["daddr"], f["alen"], REG_1, 0 if v6 else 1, 0 if v6 else 10)]
    vi = verdict_index(r)
    pos = vi if vi is not None else len(r.exprs)
    r.exprs[pos:pos] = new
    return r


def m_meta_write(rng, r, ctx):
    key = rng.choice([3, 2, 12, 24])  # mark, priority, nftrace, ...
    val = u32(rng.randrange(1, 1 << 16)) if key != 12 else bytes([1])
    new = [e_imm_value(val), e_meta_set(key)]
    if key == 3 and rng.random() < 0.5:  # mark set mark and 0xff00 or 0x1 (bitwise on the load)
        new = [e_meta_load(3), e_bitwise(4, u32(0xff00), u32(1)), e_meta_set(3)]
    vi = verdict_index(r)
    pos = vi if vi is not None else len(r.exprs)
    r.exprs[pos:pos] = new
    return r


def m_log(rng, r, ctx):
    kind = rng.randrange(3)
    if kind == 0:
        e = e_log(prefix=rng.choice(["oracle: ", "x", "drop "]), level=rng.choice([None, 4, 7]),
                  flags=rng.choice([None, 0, 1, 0x1f]))
    elif kind == 1:
        e = e_log(group=rng.randrange(0, 8), snaplen=rng.choice([None, 64]),
                  prefix=rng.choice([None, "nflog"]))
    else:
        e = e_log()
    vi = verdict_index(r)
    pos = vi if vi is not None else len(r.exprs)
    r.exprs.insert(pos, e)
    return r


def m_queue(rng, r, ctx):
    kind = rng.randrange(3)
    if kind == 0:  # the nft queue expression (not in every kernel)
        e = e_queue(rng.randrange(0, 8), rng.choice([1, 1, 4]), rng.choice([0, 1, 2, 3]))
    elif kind == 1:  # iptables-nft's own form: the NFQUEUE target, revision 3
        e = ["target", [a_str(1, "NFQUEUE"), a_u32(2, 3),
                        Attr(3, struct.pack("=HHH", rng.randrange(0, 8), rng.choice([1, 1, 4]),
                                            rng.choice([0, 1, 2, 3])) + bytes(2))]]
    else:  # a queue verdict
        e = e_imm_verdict(nl.NF_QUEUE | (rng.randrange(0, 4) << 16))
    if rng.random() < 0.7:
        _replace_verdict(r, [e])
    else:
        vi = verdict_index(r)
        r.exprs.insert(vi if vi is not None else len(r.exprs), e)
    return r


def m_ct(rng, r, ctx):
    kind = rng.randrange(4)
    if kind == 0:
        new = [e_ct_load(0), e_bitwise(4, u32(rng.choice([2, 4, 8, 1, 6, 0x40])), bytes(4)),
               e_cmp(1, bytes(4))]
    elif kind == 1:
        new = [e_ct_load(3), e_cmp(rng.choice([0, 1]), u32(rng.randrange(1 << 16)))]
    elif kind == 2:
        new = [e_ct_load(rng.choice([1, 2, 10, 17, 5])), e_cmp(0, u32(rng.randrange(4)))]
    else:
        new = [e_imm_value(u32(rng.randrange(1, 1 << 16))), e_ct_set(3)]
    vi = verdict_index(r)
    pos = rng.randrange(0, (vi if vi is not None else len(r.exprs)) + 1)
    r.exprs[pos:pos] = new
    return r


def _compat(r):
    return [i for i, (n, d) in enumerate(r.exprs) if n in ("match", "target")]


def m_compat_revision(rng, r, ctx):
    idx = [i for i in _compat(r)
           if any(rev != (get_u32(r.exprs[i][1], 2) or 0)
                  for rev, _ in ctx.revisions.get((r.exprs[i][0], nl.get_str(r.exprs[i][1], 1)),
                                                  ()))]
    if not idx:
        return None
    i = rng.choice(idx)
    name, d = r.exprs[i]
    ext = nl.get_str(d, 1)
    old = get_u32(d, 2) or 0
    # another revision the kernel has, with an info of the size that revision takes
    known = [(rev, size) for rev, size in ctx.revisions.get((name, ext), ()) if rev != old]
    if known and rng.random() < 0.85:
        rev, size = rng.choice(known)
    else:
        rev, size = rng.choice([v for v in range(4) if v != old]), None
    set_u32(d, 2, rev)
    info = nl.get(d, 3)
    if size is not None and info is not None:
        info.value = (info.value + bytes(size))[:size]
    return r


# Info sizes of x_tables extension revisions (XT_ALIGNed), as probed on 6.x kernels; the probe
# keeps those the running kernel takes.
PROBE_SIZES = (0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 112, 128, 152, 160, 168, 256, 280,
               296)


def revision_probes(table, name, ext, compat, own_size):
    """Candidate rules probing which (revision, info size) pairs the kernel takes."""
    out = []
    for rev in range(0, 5):
        for size in sorted(set(PROBE_SIZES) | {own_size}):
            r = Rule([[name, [a_str(1, ext), a_u32(2, rev), Attr(3, bytes(size))]]], None,
                     compat)
            out.append(((rev, size), r))
    return out


def m_compat_flags(rng, r, ctx):
    if rng.random() < 0.5 or not _compat(r):
        # NFTA_RULE_COMPAT: proto and invert flags
        proto = rng.choice([6, 17, 132, 1, 0])
        flags = rng.choice([0, 1, 2])
        r.compat = [a_u32(1, proto), a_u32(2, flags)] if rng.random() < 0.8 else None
        return r
    d = r.exprs[rng.choice(_compat(r))][1]
    info = nl.get(d, 3)
    if info is None or not info.value:
        return None
    raw = bytearray(info.value)
    # Flag and invert bytes of most matches sit near the end of their info.
    k = rng.randrange(max(0, len(raw) - 8), len(raw))
    raw[k] ^= rng.choice([1, 2, 4, 8, 0x10, 0x40])
    info.value = bytes(raw)
    return r


def m_compat_data(rng, r, ctx):
    idx = _compat(r)
    if not idx:
        return None
    d = r.exprs[rng.choice(idx)][1]
    info = nl.get(d, 3)
    if info is None or not info.value:
        return None
    raw = bytearray(info.value)
    k = rng.randrange(len(raw))
    raw[k] = rng.randrange(256)
    info.value = bytes(raw)
    return r


def m_udata(rng, r, ctx):
    kind = rng.randrange(3)
    if kind == 0:
        r.udata = None if r.udata is not None else _comment_udata("oracle %d" % rng.randrange(99))
    elif kind == 1:
        r.udata = _comment_udata(rng.choice(["a", "kube \"quoted\"", "x" * 200, "ünï"]))
    else:
        r.udata = (r.udata or b"") + bytes([rng.randrange(1, 4), 1, rng.randrange(256)])
    return r


def _comment_udata(text):
    raw = text.encode() + b"\0"
    return bytes([0, len(raw)]) + raw  # NFTNL_UDATA_RULE_COMMENT


def m_native_stmt(rng, r, ctx):
    kind = rng.randrange(4)
    if kind == 0:
        new = [["reject", [a_u32(1, rng.choice([0, 1, 2])), Attr(2, bytes([rng.randrange(4)]))]]]
    elif kind == 1:
        new = [["notrack", []]]
    elif kind == 2:
        new = [["fib", [a_u32(1, REG_1), a_u32(2, 2), a_u32(3, 5)]], e_cmp(0, bytes([2]))]  # local
    else:
        new = [["masq", []] if ctx.table == "nat" else ["counter", [Attr(1, bytes(8)),
                                                                     Attr(2, bytes(8))]]]
    vi = verdict_index(r)
    if kind == 0 or kind == 3:
        _replace_verdict(r, new)
    else:
        r.exprs[(vi if vi is not None else len(r.exprs)):(vi if vi is not None else len(r.exprs))] \
            = new
    return r


MUTATORS = {
    "control": m_control,
    "cmp-op": m_cmp_op,
    "cmp-data": m_cmp_data,
    "payload-len": m_payload_len,
    "payload-offset": m_payload_offset,
    "payload-base": m_payload_base,
    "bitwise-mask": m_bitwise_mask,
    "bitwise-xor": m_bitwise_xor,
    "meta-key": m_meta_key,
    "register": m_register,
    "insert-expr": m_insert_expr,
    "drop-expr": m_drop_expr,
    "repeat-expr": m_repeat_expr,
    "reorder": m_reorder,
    "verdict": m_verdict,
    "vmap": m_vmap,
    "lookup": m_lookup,
    "range": m_range,
    "payload-write": m_payload_write,
    "meta-write": m_meta_write,
    "log": m_log,
    "queue": m_queue,
    "ct": m_ct,
    "compat-revision": m_compat_revision,
    "compat-flags": m_compat_flags,
    "compat-data": m_compat_data,
    "udata": m_udata,
    "native-stmt": m_native_stmt,
}


# ---- encoding mutants into batch messages ------------------------------------------------------

def set_messages(family, table, spec):
    sattrs = [a_str(nl.SET_TABLE, table), a_str(nl.SET_NAME, "__set%d"),
              a_u32(nl.SET_FLAGS, spec.flags), a_u32(nl.SET_KEY_TYPE, spec.key_type),
              a_u32(nl.SET_KEY_LEN, spec.key_len), a_u32(nl.SET_ID, spec.set_id)]
    if spec.data_type is not None:
        sattrs.append(a_u32(nl.SET_DATA_TYPE, spec.data_type))
        if spec.data_type != nl.NFT_DATA_VERDICT_TYPE:
            sattrs.append(a_u32(nl.SET_DATA_LEN, 4))
    sattrs.append(a_nest(nl.SET_DESC, [a_u32(1, len(spec.elems))]))
    elems = []
    for key, data, flags in spec.elems:
        e = [nl.data_value(nl.SET_ELEM_KEY, key)]
        if data is not None:
            e.append(Attr(nl.SET_ELEM_DATA, data.value))
        if flags:
            e.append(a_u32(nl.SET_ELEM_FLAGS, flags))
        elems.append(a_nest(nl.LIST_ELEM, e))
    eattrs = [a_str(nl.SET_ELEM_LIST_TABLE, table), a_str(nl.SET_ELEM_LIST_SET, "__set%d"),
              a_u32(nl.SET_ELEM_LIST_SET_ID, spec.set_id),
              a_nest(nl.SET_ELEM_LIST_ELEMENTS, elems)]
    return [(nl.MSG_NEWSET, nl.NLM_F_CREATE, family, sattrs),
            (nl.MSG_NEWSETELEM, nl.NLM_F_CREATE, family, eattrs)]

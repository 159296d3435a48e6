"""A small nf_tables netlink client for tests (Python 3 stdlib only).

Dumps tables, chains, rules, sets and set elements as attribute trees, encodes
trees back into messages, and sends batches whose every message is ACKed, so a
message the kernel refuses is reported per message instead of failing the run.

An attribute tree is a list of Attr(type, value): `type` is the attribute
number without the NLA_F_NESTED/NLA_F_NET_BYTEORDER flags, `value` is bytes or,
for a nest, a list of Attr. Which attributes are nests is decided by the small
schema below (kernel dumps do not reliably set NLA_F_NESTED), per expression
name inside NFTA_EXPR_DATA; anything unknown stays raw bytes, so a comparison
of two trees is always at least as strict as comparing the bytes.

Namespaces: `enter_new_netns()` moves the calling thread into a fresh network
namespace (subprocesses started afterwards inherit it); `NetnsHandle` keeps one
to come back to.
"""
import ctypes
import errno
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import List, Union

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 0x10
NFNL_MSG_BATCH_END = 0x11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLM_F_DUMP_INTR = 0x10
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF

NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6 = 1, 2, 10

(MSG_NEWTABLE, MSG_GETTABLE, MSG_DELTABLE, MSG_NEWCHAIN, MSG_GETCHAIN, MSG_DELCHAIN,
 MSG_NEWRULE, MSG_GETRULE, MSG_DELRULE, MSG_NEWSET, MSG_GETSET, MSG_DELSET,
 MSG_NEWSETELEM, MSG_GETSETELEM, MSG_DELSETELEM, MSG_NEWGEN, MSG_GETGEN) = range(17)

# Attribute numbers (linux/netfilter/nf_tables.h).
TABLE_NAME, TABLE_FLAGS = 1, 2
CHAIN_TABLE, CHAIN_HANDLE, CHAIN_NAME, CHAIN_HOOK, CHAIN_POLICY, CHAIN_USE, CHAIN_TYPE, \
    CHAIN_COUNTERS, CHAIN_PAD, CHAIN_FLAGS, CHAIN_ID, CHAIN_USERDATA = range(1, 13)
RULE_TABLE, RULE_CHAIN, RULE_HANDLE, RULE_EXPRESSIONS, RULE_COMPAT, RULE_POSITION, \
    RULE_USERDATA, RULE_PAD, RULE_ID, RULE_POSITION_ID, RULE_CHAIN_ID = range(1, 12)
LIST_ELEM = 1
EXPR_NAME, EXPR_DATA = 1, 2
DATA_VALUE, DATA_VERDICT = 1, 2
VERDICT_CODE, VERDICT_CHAIN, VERDICT_CHAIN_ID = 1, 2, 3
SET_TABLE, SET_NAME, SET_FLAGS, SET_KEY_TYPE, SET_KEY_LEN, SET_DATA_TYPE, SET_DATA_LEN, \
    SET_POLICY, SET_DESC, SET_ID, SET_TIMEOUT, SET_GC_INTERVAL, SET_USERDATA, SET_PAD, \
    SET_OBJ_TYPE, SET_HANDLE, SET_EXPR, SET_EXPRESSIONS = range(1, 19)
SET_ELEM_KEY, SET_ELEM_DATA, SET_ELEM_FLAGS, SET_ELEM_TIMEOUT, SET_ELEM_EXPIRATION, \
    SET_ELEM_USERDATA, SET_ELEM_EXPR, SET_ELEM_PAD, SET_ELEM_OBJREF, SET_ELEM_KEY_END, \
    SET_ELEM_EXPRESSIONS = range(1, 12)
SET_ELEM_LIST_TABLE, SET_ELEM_LIST_SET, SET_ELEM_LIST_ELEMENTS, SET_ELEM_LIST_SET_ID = 1, 2, 3, 4
GEN_ID = 1

SET_ANONYMOUS, SET_CONSTANT, SET_INTERVAL, SET_MAP = 0x1, 0x2, 0x4, 0x8
NFT_DATA_VERDICT_TYPE = 0xFFFFFF00

# Verdict codes (signed 32-bit, big-endian on the wire).
NF_DROP, NF_ACCEPT, NF_QUEUE = 0, 1, 3
NFT_CONTINUE, NFT_BREAK, NFT_JUMP, NFT_GOTO, NFT_RETURN = -1, -2, -3, -4, -5


@dataclass
class Attr:
    type: int
    value: Union[bytes, List["Attr"]]
    flags: int = 0  # NLA_F_* bits as received (not compared)

    def nested(self):
        return isinstance(self.value, list)

    def __eq__(self, other):
        return isinstance(other, Attr) and self.type == other.type and self.value == other.value

    def __repr__(self):
        if self.nested():
            return f"{self.type}:{self.value!r}"
        return f"{self.type}={self.value.hex()}"


# ---- schema: which attributes are nests -------------------------------------------------------

DATA_SCHEMA = {DATA_VERDICT: {}}  # NFTA_DATA_*: VERDICT is a nest of scalars
EXPR_SCHEMAS = {
    "immediate": {2: DATA_SCHEMA},
    "cmp": {3: DATA_SCHEMA},
    "bitwise": {4: DATA_SCHEMA, 5: DATA_SCHEMA, 7: DATA_SCHEMA},
    "range": {3: DATA_SCHEMA, 4: DATA_SCHEMA},
}
LIST_OF_EXPRS = "exprs"  # marker: a nest of LIST_ELEM, each an expression
EXPR_SCHEMAS["dynset"] = {7: "expr", 10: LIST_OF_EXPRS}
RULE_SCHEMA = {RULE_EXPRESSIONS: LIST_OF_EXPRS}
CHAIN_SCHEMA = {CHAIN_HOOK: {}, CHAIN_COUNTERS: {}}
SET_SCHEMA = {SET_DESC: {}, SET_EXPR: "expr", SET_EXPRESSIONS: LIST_OF_EXPRS}
ELEM_SCHEMA = {SET_ELEM_KEY: DATA_SCHEMA, SET_ELEM_DATA: DATA_SCHEMA,
               SET_ELEM_KEY_END: DATA_SCHEMA, SET_ELEM_EXPR: "expr",
               SET_ELEM_EXPRESSIONS: LIST_OF_EXPRS}
SETELEM_MSG_SCHEMA = {SET_ELEM_LIST_ELEMENTS: ("list", ELEM_SCHEMA)}


def _raw_attrs(buf):
    out, off = [], 0
    while off + 4 <= len(buf):
        ln, ty = struct.unpack_from("=HH", buf, off)
        if ln < 4 or off + ln > len(buf):
            raise ValueError(f"bad attribute length {ln} at {off}")
        out.append((ty & NLA_TYPE_MASK, ty & ~NLA_TYPE_MASK & 0xFFFF, buf[off + 4:off + ln]))
        off += (ln + 3) & ~3
    return out


def parse(buf, schema):
    """Parses attributes; `schema` maps attribute type -> sub-schema for nests."""
    if schema == LIST_OF_EXPRS:
        return [Attr(t, parse_expr(v), f) for t, f, v in _raw_attrs(buf)]
    if schema == "expr":
        return parse_expr(buf)
    if isinstance(schema, tuple):  # ("list", element schema)
        return [Attr(t, parse(v, schema[1]), f) for t, f, v in _raw_attrs(buf)]
    out = []
    for t, f, v in _raw_attrs(buf):
        sub = schema.get(t) if schema is not None else None
        out.append(Attr(t, parse(v, sub) if sub is not None else bytes(v), f))
    return out


def parse_expr(buf):
    attrs = _raw_attrs(buf)
    name = next((bytes(v).rstrip(b"\0").decode() for t, _, v in attrs if t == EXPR_NAME), "")
    out = []
    for t, f, v in attrs:
        if t == EXPR_DATA:
            out.append(Attr(t, parse(v, EXPR_SCHEMAS.get(name, {})), f))
        else:
            out.append(Attr(t, bytes(v), f))
    return out


def encode(attrs):
    out = bytearray()
    for a in attrs:
        if a.nested():
            body = encode(a.value)
            ty = a.type | NLA_F_NESTED
        else:
            body = a.value
            ty = a.type | (a.flags & NLA_F_NET_BYTEORDER)
        out += struct.pack("=HH", 4 + len(body), ty) + body
        out += b"\0" * ((-len(body)) % 4)
    return bytes(out)


# ---- attribute helpers ------------------------------------------------------------------------

def a_str(t, s):
    return Attr(t, s.encode() + b"\0")


def a_u32(t, v):
    return Attr(t, struct.pack(">I", v & 0xFFFFFFFF))


def a_nest(t, children):
    return Attr(t, list(children))


def get(attrs, t, default=None):
    for a in attrs:
        if a.type == t:
            return a
    return default


def get_u32(attrs, t, default=None):
    a = get(attrs, t)
    return struct.unpack(">I", a.value)[0] if a is not None and len(a.value) == 4 else default


def get_str(attrs, t, default=None):
    a = get(attrs, t)
    return a.value.rstrip(b"\0").decode(errors="replace") if a is not None else default


def expr(name, data):
    return a_nest(LIST_ELEM, [a_str(EXPR_NAME, name), a_nest(EXPR_DATA, data)])


def expr_name(e):
    return get_str(e.value, EXPR_NAME, "")


def expr_data(e):
    d = get(e.value, EXPR_DATA)
    return d.value if d is not None else []


def data_value(t, raw):
    return a_nest(t, [Attr(DATA_VALUE, bytes(raw))])


def verdict_data(t, code, chain=None):
    v = [a_u32(VERDICT_CODE, code)]
    if chain is not None:
        v.append(a_str(VERDICT_CHAIN, chain))
    return a_nest(t, [a_nest(DATA_VERDICT, v)])


# ---- namespaces -------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def enter_new_netns():
    """Moves this thread into a new, empty network namespace; returns its fd."""
    if _libc.unshare(CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"unshare(CLONE_NEWNET): {os.strerror(e)} (needs root)")
    fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    lo_up()
    return fd


def enter_netns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def lo_up():
    pass  # nothing here needs packets


# ---- the socket -------------------------------------------------------------------------------

class NetlinkError(Exception):
    def __init__(self, err, what=""):
        super().__init__(f"{what}: {os.strerror(err)} (errno {err})")
        self.errno = err


class Nft:
    """One NETLINK_NETFILTER socket in the namespace current at construction."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        # Force (as root) buffers for big batches and their ACKs, and keep ACKs short:
        # without NETLINK_CAP_ACK every error echoes the whole request.
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
        self.sock.setsockopt(socket.SOL_SOCKET, 32, 32 << 20)  # SO_SNDBUFFORCE
        self.sock.setsockopt(270, 10, 1)  # SOL_NETLINK, NETLINK_CAP_ACK
        self.sock.bind((0, 0))
        self.seq = 1

    def close(self):
        self.sock.close()

    def _msg(self, msg_type, flags, family, attrs, seq, res_id=0):
        body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + encode(attrs)
        return struct.pack("=IHHII", 16 + len(body), msg_type, flags, seq, 0) + body

    def _recv_msgs(self):
        data = self.sock.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            ln, ty, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
            yield ty, flags, seq, data[off + 16:off + ln]
            off += (ln + 3) & ~3

    def dump(self, msg, family, attrs=(), schema=None):
        """Returns [(nfgen family, attribute tree)] of a GET dump."""
        seq = self.seq
        self.seq += 1
        self.sock.send(self._msg((NFNL_SUBSYS_NFTABLES << 8) | msg, NLM_F_REQUEST | NLM_F_DUMP,
                                 family, list(attrs), seq))
        out, done = [], False
        while not done:
            for ty, flags, s, payload in self._recv_msgs():
                if s != seq:
                    continue
                if ty == NLMSG_DONE:
                    done = True
                    break
                if ty == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", payload)[0]
                    if err:
                        raise NetlinkError(err, f"dump {msg}")
                    done = True
                    break
                fam = payload[0]
                out.append((fam, parse(payload[4:], schema)))
        return out

    def get(self, msg, family, attrs, schema=None):
        """A non-dump GET (e.g. GETGEN)."""
        seq = self.seq
        self.seq += 1
        self.sock.send(self._msg((NFNL_SUBSYS_NFTABLES << 8) | msg, NLM_F_REQUEST | NLM_F_ACK,
                                 family, list(attrs), seq))
        result = None
        while True:
            for ty, flags, s, payload in self._recv_msgs():
                if s != seq:
                    continue
                if ty == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", payload)[0]
                    if err:
                        raise NetlinkError(err, f"get {msg}")
                    return result
                result = parse(payload[4:], schema)

    def batch(self, msgs):
        """Sends [(msg, flags, family, attrs)] as one transaction, every message ACKed.
        Returns a list of errno per message (0 = accepted). A refused message aborts
        the whole transaction (the kernel commits all or nothing)."""
        begin_seq = self.seq
        buf = bytearray(self._msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 0, [], begin_seq,
                                  NFNL_SUBSYS_NFTABLES))
        seqs = []
        for i, (msg, flags, family, attrs) in enumerate(msgs):
            s = begin_seq + 1 + i
            seqs.append(s)
            buf += self._msg((NFNL_SUBSYS_NFTABLES << 8) | msg,
                             NLM_F_REQUEST | NLM_F_ACK | flags, family, attrs, s)
        end_seq = begin_seq + 1 + len(msgs)
        buf += self._msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 0, [], end_seq, NFNL_SUBSYS_NFTABLES)
        self.seq = end_seq + 1
        self._sendall(bytes(buf))
        errors = {s: None for s in seqs}
        pending = set(seqs)
        self.sock.settimeout(30)
        try:
            while pending:
                for ty, flags, s, payload in self._recv_msgs():
                    if ty == NLMSG_ERROR and s in errors:
                        errors[s] = -struct.unpack_from("=i", payload)[0]
                        pending.discard(s)
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(None)
        return [errors[s] if errors[s] is not None else errno.ETIMEDOUT for s in seqs]

    def _sendall(self, buf):
        # A netlink datagram must carry the whole batch.
        self.sock.sendto(buf, (0, 0))

    # ---- dumps ----

    def genid(self):
        r = self.get(MSG_GETGEN, 0, [])
        return get_u32(r, GEN_ID)

    def tables(self, family=0):
        return [(fam, get_str(t, TABLE_NAME)) for fam, t in self.dump(MSG_GETTABLE, family)]

    def chains(self, family, table):
        return [c for _, c in self.dump(MSG_GETCHAIN, family, [a_str(CHAIN_TABLE, table)],
                                       CHAIN_SCHEMA)]

    def rules(self, family, table, chain):
        return [r for _, r in self.dump(MSG_GETRULE, family,
                                       [a_str(RULE_TABLE, table), a_str(RULE_CHAIN, chain)],
                                       RULE_SCHEMA)]

    def sets(self, family, table):
        return [s for _, s in self.dump(MSG_GETSET, family, [a_str(SET_TABLE, table)], SET_SCHEMA)]

    def set_elems(self, family, table, name):
        out = []
        for _, m in self.dump(MSG_GETSETELEM, family,
                              [a_str(SET_ELEM_LIST_TABLE, table), a_str(SET_ELEM_LIST_SET, name)],
                              SETELEM_MSG_SCHEMA):
            lst = get(m, SET_ELEM_LIST_ELEMENTS)
            if lst is not None:
                out.extend(e.value for e in lst.value)
        return out


# ---- normalisation for comparison ---------------------------------------------------------------

SET_NAME_ATTRS = {"lookup": 1, "dynset": 1, "objref": 3}
VOLATILE = {"counter": {1, 2}, "quota": {3}, "last": {1, 2}, "connlimit": {1}, "limit": set()}


def set_signature(nft, family, table, name, cache):
    key = (family, table, name)
    if key in cache:
        return cache[key]
    sig = ("missing-set", name)
    for s in nft.sets(family, table):
        if get_str(s, SET_NAME) != name:
            continue
        flags = get_u32(s, SET_FLAGS, 0)
        elems = []
        for e in nft.set_elems(family, table, name):
            elems.append(tuple(sorted(repr(a) for a in e
                                      if a.type not in (SET_ELEM_TIMEOUT, SET_ELEM_EXPIRATION,
                                                        SET_ELEM_USERDATA))))
        sig = ("set",
               None if flags & SET_ANONYMOUS else name,
               flags & (SET_ANONYMOUS | SET_INTERVAL | SET_MAP),
               get_u32(s, SET_KEY_LEN), get_u32(s, SET_DATA_TYPE), get_u32(s, SET_DATA_LEN),
               tuple(sorted(elems)))
        break
    cache[key] = sig
    return sig


def normalise_rule(nft, family, table, rule, cache=None):
    """A comparable form of one dumped rule: expressions in order with every attribute
    (counters zeroed, set names replaced by their content) and the user data; handles,
    positions, table and chain names dropped."""
    if cache is None:
        cache = {}
    out = []
    exprs = get(rule, RULE_EXPRESSIONS)
    for e in (exprs.value if exprs is not None else []):
        name = expr_name(e)
        data = []
        for a in expr_data(e):
            if a.type in VOLATILE.get(name, ()):
                a = Attr(a.type, b"\0" * len(a.value))
            elif SET_NAME_ATTRS.get(name) == a.type:
                a = ("set", set_signature(nft, family, table, get_str([a], a.type), cache))
            elif name in ("lookup", "dynset") and a.type in (4 if name == "lookup" else 2,):
                continue  # set id: only in requests
            data.append(a)
        rest = [a for a in e.value if a.type not in (EXPR_NAME, EXPR_DATA)]
        out.append((name, tuple(repr(x) for x in data), tuple(repr(x) for x in rest)))
    ud = get(rule, RULE_USERDATA)
    extra = tuple(repr(a) for a in rule
                  if a.type not in (RULE_TABLE, RULE_CHAIN, RULE_HANDLE, RULE_EXPRESSIONS,
                                    RULE_POSITION, RULE_USERDATA, RULE_ID, RULE_POSITION_ID,
                                    RULE_CHAIN_ID, RULE_PAD))
    return (tuple(out), ud.value.hex() if ud is not None else None, extra)


def describe_rule(rule):
    """A readable one-expression-per-line form of a dumped rule."""
    lines = []
    exprs = get(rule, RULE_EXPRESSIONS)
    for e in (exprs.value if exprs is not None else []):
        lines.append(f"  [{expr_name(e)} {expr_data(e)!r}]")
    ud = get(rule, RULE_USERDATA)
    if ud is not None:
        lines.append(f"  userdata {ud.value.hex()}")
    return "\n".join(lines)

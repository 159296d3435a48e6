#!/usr/bin/env python3
"""Reads and writes a loaded x_tables (iptables-legacy) table as the kernel
holds it, so tests can install rules no iptables text produces: the data of a
match or target changed byte by byte, another revision, odd head masks.

It speaks the kernel's socket options directly (IPT_SO_GET_INFO,
IPT_SO_GET_ENTRIES, IPT_SO_SET_REPLACE and the IPv6 ones); the structure
layouts are those of the uapi headers on x86_64 (linux/netfilter_ipv4/
ip_tables.h, linux/netfilter_ipv6/ip6_tables.h, linux/netfilter/x_tables.h).
Root in a private network namespace only: it replaces whole tables.

As a library: Table.read(family, name) -> Table; edit entry.head (bytes of
struct ipt_ip / ip6t_ip6), entry.matches[i].data / .revision / .name,
entry.target likewise; table.write() (lengths may change: offsets, hook
entries and jumps are laid out again).

As a command (for C++ tests):
  xt_blob.py patch FAMILY TABLE CHAIN RULE WHAT OFFSET HEXBYTES
    WHAT is "head", "target" or "match:N" (N counts from 0); OFFSET is into
    the head or into the match's/target's data. RULE counts from 1.
  xt_blob.py dump FAMILY TABLE      (one line per rule, for debugging)
"""
import ctypes
import socket
import struct
import sys

IPPROTO_IP, IPPROTO_IPV6 = 0, 41
SO_GET_INFO, SO_GET_ENTRIES, SO_SET_REPLACE = 64, 65, 64
HOOKS = 5
NAME_LEN = 32
EXT_HEADER = 32  # struct xt_entry_match / xt_entry_target: u16 size, name[29], u8 revision
XT_RETURN = -5  # -NF_REPEAT - 1


def align8(n):
    return (n + 7) & ~7


class Layout:
    """Offsets of struct ipt_entry / ip6t_entry."""

    def __init__(self, family):
        if family == 6:
            self.level, self.head_size = IPPROTO_IPV6, 136
            self.target_offset, self.entry_size = 140, 168
        else:
            self.level, self.head_size = IPPROTO_IP, 84
            self.target_offset, self.entry_size = 88, 112
        self.next_offset = self.target_offset + 2
        # nfcache, target/next offsets, comefrom, counters: between head and
        # the extensions; the kernel fills or ignores them.
        self.middle_size = self.entry_size - self.head_size


class Extension:
    def __init__(self, raw):
        size, = struct.unpack_from("<H", raw, 0)
        self.name = raw[2:31].split(b"\0", 1)[0].decode()
        self.name_bytes = bytes(raw[2:31])
        self.revision = raw[31]
        self.data = bytearray(raw[EXT_HEADER:size])

    def encode(self):
        size = EXT_HEADER + align8(len(self.data))
        name = self.name_bytes if self.name_bytes.split(b"\0", 1)[0] == self.name.encode() \
            else self.name.encode().ljust(29, b"\0")
        return (struct.pack("<H", size) + name + bytes([self.revision]) +
                bytes(self.data).ljust(size - EXT_HEADER, b"\0"))


class Entry:
    def __init__(self, layout, raw, offset):
        self.offset = offset
        self.head = bytearray(raw[:layout.head_size])
        self.middle = bytearray(raw[layout.head_size:layout.entry_size])
        target_offset, next_offset = struct.unpack_from("<HH", raw, layout.target_offset)
        self.matches = []
        pos = layout.entry_size
        while pos < target_offset:
            size, = struct.unpack_from("<H", raw, pos)
            self.matches.append(Extension(raw[pos:pos + size]))
            pos += size
        self.target = Extension(raw[target_offset:next_offset])

    def is_standard(self):
        return self.target.name == ""

    def verdict(self):
        return struct.unpack_from("<i", self.target.data, 0)[0]

    def set_verdict(self, verdict):
        struct.pack_into("<i", self.target.data, 0, verdict)


class Table:
    def __init__(self, family, name):
        self.family, self.name = family, name
        self.layout = Layout(family)

    @classmethod
    def read(cls, family, name):
        t = cls(family, name)
        sock = socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET,
                             socket.SOCK_RAW, socket.IPPROTO_RAW)
        try:
            info = ctypes.create_string_buffer(name.encode().ljust(NAME_LEN, b"\0"), 84)
            _getsockopt(sock, t.layout.level, SO_GET_INFO, info)
            fields = struct.unpack_from("<I5I5III", info.raw, NAME_LEN)
            t.valid_hooks = fields[0]
            t.hook_entry = list(fields[1:6])
            t.underflow = list(fields[6:11])
            num_entries, size = fields[11], fields[12]
            buf = ctypes.create_string_buffer(40 + size)
            struct.pack_into("<32sI", buf, 0, name.encode(), size)
            _getsockopt(sock, t.layout.level, SO_GET_ENTRIES, buf)
            blob = buf.raw[40:40 + size]
        finally:
            sock.close()
        t.entries = []
        pos = 0
        while pos < len(blob):
            _, next_offset = struct.unpack_from("<HH", blob, pos + t.layout.target_offset)
            t.entries.append(Entry(t.layout, blob[pos:pos + next_offset], pos))
            pos += next_offset
        if len(t.entries) != num_entries:
            raise RuntimeError("read %d entries, the kernel has %d" % (len(t.entries), num_entries))
        return t

    def chains(self):
        """[(chain name, [rule entries])]: built-in chains from the hooks,
        user chains from their ERROR heads; the policy or the implicit
        RETURN that ends a chain is not a rule."""
        starts = {}
        for hook in range(HOOKS):
            if self.valid_hooks & (1 << hook):
                starts[self.hook_entry[hook]] = _HOOK_NAMES[hook]
        chains, current = [], None
        for i, e in enumerate(self.entries):
            if e.target.name == "ERROR":
                label = bytes(e.target.data).split(b"\0", 1)[0].decode()
                current = None if label == "ERROR" else (label, [])
                if current:
                    chains.append(current)
                continue
            if e.offset in starts:
                current = (starts[e.offset], [])
                chains.append(current)
            chain_end = (e.offset in self.underflow) or (
                i + 1 < len(self.entries) and self.entries[i + 1].target.name == "ERROR")
            if current is not None and not chain_end:
                current[1].append(e)
        return chains

    def rule(self, chain, number):
        for name, rules in self.chains():
            if name == chain:
                return rules[number - 1]
        raise KeyError("no chain %s" % chain)

    def encode(self):
        """The blob with every offset recomputed from the entries' sizes."""
        layout = self.layout
        parts, new_offset, pos = [], {}, 0
        for e in self.entries:
            matches = b"".join(m.encode() for m in e.matches)
            target = e.target.encode()
            new_offset[e.offset] = pos
            parts.append((e, matches, target))
            pos += layout.entry_size + len(matches) + len(target)
        out = bytearray()
        for e, matches, target in parts:
            if e.is_standard() and e.verdict() >= 0:
                target = bytearray(target)
                struct.pack_into("<i", target, EXT_HEADER, new_offset[e.verdict()])
                target = bytes(target)
            middle = bytearray(e.middle)
            target_offset = layout.entry_size + len(matches)
            struct.pack_into("<HH", middle, layout.target_offset - layout.head_size,
                             target_offset, target_offset + len(target))
            middle[layout.middle_size - 16:] = bytes(16)  # counters
            out += e.head + middle + matches + target
        hooks = [new_offset.get(h, h) for h in self.hook_entry]
        under = [new_offset.get(u, u) for u in self.underflow]
        return bytes(out), hooks, under

    def write(self):
        blob, hooks, under = self.encode()
        n = len(self.entries)
        counters = ctypes.create_string_buffer(16 * n)
        header = struct.pack("<32sIII5I5IIQ", self.name.encode(), self.valid_hooks, n, len(blob),
                             *hooks, *under, n, ctypes.addressof(counters))
        buf = ctypes.create_string_buffer(header + blob, len(header) + len(blob))
        sock = socket.socket(socket.AF_INET6 if self.family == 6 else socket.AF_INET,
                             socket.SOCK_RAW, socket.IPPROTO_RAW)
        try:
            _setsockopt(sock, self.layout.level, SO_SET_REPLACE, buf)
        finally:
            sock.close()


_HOOK_NAMES = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]

_libc = ctypes.CDLL(None, use_errno=True)


def _getsockopt(sock, level, opt, buf):
    length = ctypes.c_uint(len(buf))
    if _libc.getsockopt(sock.fileno(), level, opt, buf, ctypes.byref(length)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "getsockopt %d: %s" % (opt, socket.errno.errorcode.get(err, err)))


def _setsockopt(sock, level, opt, buf):
    if _libc.setsockopt(sock.fileno(), level, opt, buf, ctypes.c_uint(len(buf))) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "the kernel refused the table (errno %d)" % err)


def _main(argv):
    if len(argv) >= 3 and argv[0] == "dump":
        table = Table.read(int(argv[1]), argv[2])
        for chain, rules in table.chains():
            for i, e in enumerate(rules, 1):
                exts = " ".join("%s/%d:%s" % (m.name, m.revision, bytes(m.data).hex())
                                for m in e.matches + [e.target])
                print(chain, i, bytes(e.head).hex(), exts)
        return 0
    if len(argv) == 8 and argv[0] == "patch":
        family, table_name, chain, rule, what, offset, hexbytes = argv[1:]
        table = Table.read(int(family), table_name)
        entry = table.rule(chain, int(rule))
        value = bytes.fromhex(hexbytes)
        if what == "head":
            target = entry.head
        elif what == "target":
            target = entry.target.data
        elif what.startswith("match:"):
            target = entry.matches[int(what[6:])].data
        else:
            raise SystemExit("WHAT is head, target or match:N")
        offset = int(offset)
        if offset + len(value) > len(target):
            raise SystemExit("patch beyond the end (%d bytes)" % len(target))
        target[offset:offset + len(value)] = value
        table.write()
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

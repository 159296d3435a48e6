#!/usr/bin/env python3
"""The mutant list's reader and the exact-text mutator used by run.sh.

mutants.txt holds one block per mutant, a field a line: its key, one space,
its value (taken as written, leading spaces included):
    [id]
    file        path inside the repository
    find        the exact text to replace (must occur exactly once)
    replace     what replaces it (may be empty)
    test        BINARY GTEST_FILTER   or   ctest CTEST_REGEX
    quick       yes (one of the quick subset)
    equivalent  why no test can tell it apart (then it is not run)
    why         what goes wrong for the label if it survives
In find/replace, \\n is a newline, \\t a tab and \\\\ a backslash: a
one-line list stays greppable and the text is still exact.

  mutants.py list [--quick]        id TAB file TAB kind TAB target TAB filter TAB equivalent
  mutants.py check ROOT ID         exit 0 if the text occurs exactly once
  mutants.py apply ROOT ID BACKUP  mutate (the original saved to BACKUP)
  mutants.py sync SRC DST          copy files whose content differs
"""
import filecmp
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = {"file", "find", "replace", "test", "quick", "equivalent", "why"}


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def load(path=os.path.join(HERE, "mutants.txt")):
    mutants, current = [], None
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = {"id": line[1:-1], "line": number}
                mutants.append(current)
                continue
            key, _, value = line.partition(" ")
            if current is None or key not in KEYS:
                sys.exit(f"mutants.txt:{number}: not a mutant field: {line}")
            # One space ends the key: the rest is the value, indentation and all.
            current[key] = unescape(value) if key in ("find", "replace") else value
    seen = set()
    for m in mutants:
        missing = [k for k in ("file", "find", "test", "why") if k not in m]
        if missing:
            sys.exit(f"mutants.txt:{m['line']}: mutant {m['id']} lacks {', '.join(missing)}")
        if m["id"] in seen:
            sys.exit(f"mutants.txt:{m['line']}: mutant {m['id']} listed twice")
        seen.add(m["id"])
        m.setdefault("replace", "")
    return mutants


def by_id(mid):
    for m in load():
        if m["id"] == mid:
            return m
    sys.exit(f"no mutant {mid}")


def occurrences(root, m):
    try:
        with open(os.path.join(root, m["file"]), encoding="utf-8") as f:
            return f.read().count(m["find"])
    except OSError:
        return 0


def main(argv):
    if argv[:1] == ["list"]:
        quick = "--quick" in argv
        for m in load():
            if quick and m.get("quick") != "yes":
                continue
            kind, _, rest = m["test"].partition(" ")
            target, filt = ("ctest", rest) if kind == "ctest" else (kind, rest)
            print("\t".join([m["id"], m["file"], "ctest" if kind == "ctest" else "gtest", target,
                             filt, m.get("equivalent", "")]))
    elif argv[:1] == ["check"]:
        return 0 if occurrences(argv[1], by_id(argv[2])) == 1 else 3
    elif argv[:1] == ["apply"]:
        root, m, backup = argv[1], by_id(argv[2]), argv[3]
        if occurrences(root, m) != 1:
            return 3
        path = os.path.join(root, m["file"])
        shutil.copyfile(path, backup)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(m["find"], m["replace"], 1))
    elif argv[:1] == ["sync"]:
        src, dst = argv[1], argv[2]
        files = subprocess.run(["git", "-C", src, "ls-files", "-co", "--exclude-standard", "-z"],
                               check=True, capture_output=True).stdout.decode().split("\0")
        for rel in filter(None, files):
            a, b = os.path.join(src, rel), os.path.join(dst, rel)
            if not os.path.isfile(a) or os.path.islink(a):
                continue
            # Unchanged files keep their time stamps, so a kept build stays
            # incremental; a changed one is newer than its object.
            if os.path.isfile(b) and filecmp.cmp(a, b, shallow=False):
                continue
            os.makedirs(os.path.dirname(b), exist_ok=True)
            shutil.copyfile(a, b)
            shutil.copymode(a, b)
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

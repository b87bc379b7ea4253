#!/usr/bin/env python3
"""Builds the fuzz seed corpus: the hand-written seeds of Fuzz/Seeds plus, when the shared
conformance data is present, PromQL expressions from the Prometheus test scripts, LogQL
queries from the Loki cases, line_format templates found in those queries, exposition
bodies, and Sloth SLO specs and generated rule files.

usage: corpus.py <conformance dir or ''> <output dir>
"""
import hashlib, os, re, shutil, sys

TARGETS = ["promql", "logql", "exposition", "push", "template", "yaml", "keys"]
HERE = os.path.dirname(os.path.abspath(__file__))


def unescape_tsv(field):
    """Undoes the corpus escaping: \\\\, \\t, \\n, \\r and \\xHH."""
    out, i = bytearray(), 0
    b = field.encode()
    while i < len(b):
        if b[i] == 0x5C and i + 1 < len(b):
            c = chr(b[i + 1])
            if c == "x" and i + 3 < len(b):
                out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
            out += {"\\": b"\\", "t": b"\t", "n": b"\n", "r": b"\r"}.get(c, b[i:i + 2]); i += 2; continue
        out.append(b[i]); i += 1
    return bytes(out)


def unquote_go(s):
    return s.encode().decode("unicode_escape", errors="ignore").encode("latin-1", errors="ignore")


def main():
    shared, out = sys.argv[1], sys.argv[2]
    seeds = {t: set() for t in TARGETS}
    eval_line = re.compile(r"^\s*eval\S*\s+(?:instant at \S+|range from \S+ to \S+ step \S+)\s+(.+?)\s*$")
    template = re.compile(r'(?:line_format|label_format\s+\w+=)\s*"((?:[^"\\]|\\.)*)"')
    if shared and os.path.isdir(shared):
        for root, _, files in os.walk(shared):
            for name in files:
                path = os.path.join(root, name)
                rel = os.path.relpath(path, shared)
                data = open(path, "rb").read()
                if name.endswith(".md"):
                    continue
                if rel.startswith("promql/") and name.endswith(".test"):
                    for line in data.decode(errors="replace").splitlines():
                        m = eval_line.match(line)
                        if m:
                            seeds["promql"].add(m.group(1).encode())
                elif rel.startswith("logql/"):
                    queries = []
                    if name.endswith(".tsv"):
                        for line in data.decode(errors="replace").splitlines()[1:]:
                            if line.startswith("#"):
                                continue
                            cols = line.split("\t")
                            # queries.tsv starts with a valid flag; the others with the query.
                            q = cols[1] if name == "queries.tsv" and len(cols) > 1 else cols[0]
                            queries.append(unescape_tsv(q))
                    elif name.endswith(".logqltest"):
                        for line in data.decode(errors="replace").splitlines():
                            m = eval_line.match(line)
                            if m:
                                queries.append(m.group(1).encode())
                    for q in queries:
                        if q and q != b"query" and q != b"input":
                            seeds["logql"].add(q)
                        for t in template.findall(q.decode(errors="replace")):
                            seeds["template"].add(unquote_go(t))
                elif rel.startswith("exposition/"):
                    seeds["exposition"].add(data)
                elif rel.startswith("sloth/") and (name.endswith((".yml", ".yaml", ".tpl"))):
                    seeds["yaml"].add(data)
    for t in TARGETS:
        d = os.path.join(out, t)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        hand = os.path.join(HERE, "Seeds", t)
        if os.path.isdir(hand):
            for name in os.listdir(hand):
                shutil.copy(os.path.join(hand, name), os.path.join(d, name))
        for s in seeds[t]:
            open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb").write(s)
        print(f"{t}: {len(os.listdir(d))} seeds")


main()

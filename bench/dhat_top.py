#!/usr/bin/env python3
"""Where the live bytes of a dhat heap profile are (its "t-end" part): the allocation
sites holding the most bytes when the profile was written, grouped by the first frame
inside this project's code (zentrale_*), or the first frame that is not the allocator.

Example: python3 bench/dhat_top.py /tmp/serve.dhat.json --per 1000
         (--per N divides by N, e.g. the number of idle connections held)
"""
import argparse
import json
import re
from collections import defaultdict

SKIP = re.compile(r"alloc::|dhat::|core::|std::|<alloc|<core|<std|hashbrown::|__rust|mimalloc|\?\?\?")


def site(frames, ftbl, depth):
    names = [ftbl[i] for i in frames]
    own = [n for n in names if "zentrale" in n]
    chosen = own[:depth] if own else [n for n in names if not SKIP.search(n)][:depth]
    return " <- ".join(re.sub(r"^0x[0-9a-f]+: ", "", n).split(" (")[0][:110] for n in chosen) or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile")
    ap.add_argument("--per", type=int, default=1, help="divide bytes and blocks by this (connections held)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--depth", type=int, default=2, help="frames of the site shown")
    a = ap.parse_args()
    d = json.load(open(a.profile))
    ftbl = d["ftbl"]
    by = defaultdict(lambda: [0, 0])
    for pp in d["pps"]:
        if pp.get("eb", 0):
            k = site(pp["fs"], ftbl, a.depth)
            by[k][0] += pp["eb"]
            by[k][1] += pp["ebk"]
    total = sum(v[0] for v in by.values())
    blocks = sum(v[1] for v in by.values())
    print(f"live at the end: {total / a.per:,.0f} bytes in {blocks / a.per:,.1f} blocks per unit (units: {a.per})")
    for k, (b, n) in sorted(by.items(), key=lambda kv: -kv[1][0])[: a.top]:
        print(f"{b / a.per:9,.0f} B {n / a.per:6.2f} blocks  {k}")


if __name__ == "__main__":
    main()

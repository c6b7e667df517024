#!/usr/bin/env python
"""Figure 4: dmesg_check's scanning core over a generated 500,000-line kernel log
(real-looking lines, with the catalog's signatures sprinkled in) against
`grep -E -c -f` with the same patterns over the same file. Prints JSON."""
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import Scanner  # noqa: E402
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import (  # noqa: E402
    SIGNATURES, XID_SIGNATURE)

LINES = int(os.environ.get("BENCH_DMESG_LINES", "500000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def generate(path, n, seed=1):
    """A log made of the real H100 boot's lines (repeated with new timestamps) and,
    one line in 2,000, a signature example from the catalog."""
    rnd = random.Random(seed)
    with open(os.path.join(ROOT, "tests", "unit", "fixtures", "real", "h100-580", "dmesg.stdout")) as f:
        body = [re.sub(r"^\[\s*[\d.]+\] ", "", ln) for ln in f.read().splitlines()]
    examples = [s["example"] for s in SIGNATURES] + [XID_SIGNATURE["example"]]
    with open(path, "w") as f:
        t = 0.0
        for i in range(n):
            t += rnd.random() / 100
            msg = examples[rnd.randrange(len(examples))] if rnd.randrange(2000) == 0 else body[i % len(body)]
            f.write("[%12.6f] %s\n" % (t, msg))


def ere(pattern):
    """The catalog's Python pattern as a POSIX ERE for grep -E (named groups and
    non-capturing groups become plain groups, inline flags and look-aheads are dropped,
    \\d and \\s become classes). The same things are searched for."""
    p = re.sub(r"\(\?P<\w+>", "(", pattern)
    p = p.replace("(?:", "(").replace("(?i)", "")
    p = re.sub(r"\(\?=[^)]*\)", "", p)
    p = p.replace("\\d", "[0-9]").replace("\\s", "[[:space:]]").replace("\\S", "[^[:space:]]").replace("\\w", "[[:alnum:]_]")
    p = p.replace("\\b", "")
    return p


def main():
    tmp = tempfile.mkdtemp()
    log = os.path.join(tmp, "kern.log")
    generate(log, LINES)
    pats = os.path.join(tmp, "patterns")
    with open(pats, "w") as f:
        for s in SIGNATURES:
            for p in s["patterns"]:
                f.write(ere(p) + "\n")
        f.write(ere(XID_SIGNATURE["pattern"]) + "\n")
    with open(log) as f:
        text = f.read()
    scanner = Scanner()
    ours, grep = [], []
    found = None
    for _run in range(RUNS):
        t0 = time.perf_counter()
        findings, n = scanner.scan(text, current_boot_only=False)
        ours.append(time.perf_counter() - t0)
        found = (len(findings), sum(f["count"] for f in findings), n)
        t0 = time.perf_counter()
        out = subprocess.run(["grep", "-E", "-c", "-f", pats, log], capture_output=True, text=True, check=False)
        grep.append(time.perf_counter() - t0)
    os.unlink(log)
    res = {
        "lines": LINES, "runs": RUNS,
        "scanner_s": {"median": statistics.median(ours), "min": min(ours), "max": max(ours)},
        "grep_s": {"median": statistics.median(grep), "min": min(grep), "max": max(grep)},
        "scanner_ns_per_line": statistics.median(ours) / LINES * 1e9,
        "grep_ns_per_line": statistics.median(grep) / LINES * 1e9,
        "ratio": statistics.median(ours) / statistics.median(grep),
        "findings": found[0], "matched_lines": found[1], "grep_matched_lines": int(out.stdout.strip() or 0),
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()

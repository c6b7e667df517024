# -*- coding: utf-8 -*-
"""No way around signature checks anywhere in the tree (roles, playbooks, scenarios,
scripts): these patterns fail the build when they appear."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORBIDDEN = [
    (re.compile(r"trusted\s*=\s*yes", re.I), "apt source marked trusted=yes"),
    (re.compile(r"allow[_-]unauthenticated", re.I), "unauthenticated apt install"),
    (re.compile(r"AllowInsecureRepositories|AllowDowngradeToInsecureRepositories", re.I), "insecure apt repository"),
    (re.compile(r"validate_certs\s*[:=]\s*(false|no|0)\b", re.I), "certificate check disabled"),
    (re.compile(r"(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b"), "download piped into a shell"),
    (re.compile(r"--no-check-certificate|curl\s+(-\w*k\b|--insecure)"), "certificate check disabled"),
    (re.compile(r"apt-key\s+add"), "key added to the global apt keyring"),
]
THIS = os.path.abspath(__file__)


def test_no_way_around_signatures_in_the_tree(tree_texts):
    found = []
    for rel, text in tree_texts:
        # Prose may name what is forbidden; code, YAML and scripts may not use it.
        if rel.startswith("tests/unit/fixtures/") or rel.endswith(".md") or os.path.join(ROOT, rel) == THIS:
            continue
        for rx, what in FORBIDDEN:
            for m in rx.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append("%s:%d: %s (%r)" % (rel, line, what, m.group(0)))
    assert not found, "\n".join(found)


def test_the_scan_catches_what_it_should():
    samples = ["deb [trusted=yes] http://x /", "apt-get install --allow-unauthenticated x",
               "validate_certs: false", "curl -fsSL https://x/install.sh | sudo bash", "wget -qO- u | sh",
               "apt-key add key.asc"]
    for s in samples:
        assert any(rx.search(s) for rx, _w in FORBIDDEN), s

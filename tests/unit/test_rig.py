# -*- coding: utf-8 -*-
"""The test rig must not fail by chance. Under `set -o pipefail` a pipeline whose last
command stops reading early (`grep -q`, `grep -m`, `grep -l`, `head`) fails at random with
exit 141: the writer dies of SIGPIPE when it writes after the reader left. Any file in the
tree that turns pipefail on (shell scripts, shell tasks in YAML, the Makefile through
.SHELLFLAGS) must not contain such a pipeline; test with a variable or a here-string instead."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

EARLY_EXIT = re.compile(
    r"\|\s*(?:sudo\s+)?(?:"
    r"grep\s+(?:-[A-Za-z]*[qlmL][A-Za-z0-9]*|--quiet|--silent|--max-count\S*|--files-with-matches)(?=\s|$)"
    r"|egrep\s+-[A-Za-z]*q|head\b|sed\s+-n\s+'?\d*q)")
PIPEFAIL = re.compile(r"pipefail")


def early_exit_pipelines(text):
    """Line numbers (1-based) of pipelines into an early-exiting reader, when the text turns
    pipefail on anywhere."""
    if not PIPEFAIL.search(text):
        return []
    return [n for n, line in enumerate(text.splitlines(), 1)
            if EARLY_EXIT.search(line) and not line.lstrip().startswith("#")]


def test_no_sigpipe_prone_pipeline_under_pipefail(tree_texts):
    found = []
    for rel, text in tree_texts:
        if rel.startswith("tests/unit/"):
            continue
        found += ["%s:%d" % (rel, n) for n in early_exit_pipelines(text)]
    assert not found, "pipelines that can die of SIGPIPE under pipefail:\n" + "\n".join(found)


def test_the_scan_catches_what_it_should():
    for s in ["set -eo pipefail\napt-mark showhold | grep -qx cuda-drivers",
              "set -o pipefail && dpkg --audit | grep -q nvidia-persistenced",
              ".SHELLFLAGS := -eu -o pipefail -c\n\tfoo | head -n1",
              "set -euo pipefail\nmke2fs -O help 2>&1 | grep -q orphan_file",
              "set -o pipefail; x | grep -m1 y", "set -o pipefail; x | grep --quiet y"]:
        assert early_exit_pipelines(s), s
    for s in ["apt-mark showhold | grep -qx cuda-drivers",  # no pipefail: harmless
              "set -o pipefail\ngrep -qx cuda-drivers <<<\"$held\"",
              "set -o pipefail\nlsinitramfs x | grep modprobe.d",
              "set -o pipefail\ncat f | sort | tail -n 1"]:
        assert not early_exit_pipelines(s), s


def test_one_copy_of_the_test_repository_variables():
    """The test repository's key pins (cuda_repo_key_fingerprints) are written once, in the molecule
    base config; every
    scenario, the report scenario's user-like inventory and bench/run.py take them from there."""
    import glob
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    files = glob.glob(os.path.join(root, "molecule", "**", "*.yml"), recursive=True)
    files += [os.path.join(root, ".config", "molecule", "config.yml"), os.path.join(root, "bench", "run.py")]
    holders = []
    for path in files:
        with open(path) as f:
            if re.search(r"cuda_repo_key_fingerprints\W+debian12", f.read()):
                holders.append(os.path.relpath(path, root))
    assert holders == [".config/molecule/config.yml"]

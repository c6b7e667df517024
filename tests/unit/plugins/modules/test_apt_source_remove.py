# -*- coding: utf-8 -*-
"""apt_source_remove: NVIDIA's entries go, and only they."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.passthrough.nvidia.plugins.modules import apt_source_remove as M

PATTERN = r"developer\.download\.nvidia\.com/compute/cuda/repos"
DEBIAN = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main non-free-firmware\n"
NVIDIA = "Types: deb\nURIs: https://developer.download.nvidia.com/compute/cuda/repos/debian13/x86_64/\nSuites: /\n"


def test_only_nvidias_stanza_leaves_debians_file(run_module, tmp_path):
    debian = tmp_path / "debian.sources"
    debian.write_text(DEBIAN + "\n" + NVIDIA)
    keyring = tmp_path / "cuda-debian13-x86_64.list"
    keyring.write_text("deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] "
                       "https://developer.download.nvidia.com/compute/cuda/repos/debian13/x86_64/ /\n")
    ours = tmp_path / "nvidia-cuda.sources"
    ours.write_text(NVIDIA)
    res, failed = run_module(M, {"pattern": PATTERN, "paths": [str(debian), str(keyring), str(ours)],
                                 "keep": [str(ours)], "_ansible_diff": True})
    assert not failed and res["changed"]
    assert debian.read_text() == DEBIAN and not keyring.exists() and ours.read_text() == NVIDIA
    assert res["deleted"] == [str(keyring)]
    assert set(res["removed"]) == {str(debian), str(keyring)}
    assert len(res["diff"]) == 2


def test_check_mode_changes_nothing(run_module, tmp_path):
    debian = tmp_path / "debian.sources"
    debian.write_text(DEBIAN + "\n" + NVIDIA)
    res, failed = run_module(M, {"pattern": PATTERN, "paths": [str(debian)], "_ansible_check_mode": True})
    assert not failed and res["changed"] and debian.read_text() == DEBIAN + "\n" + NVIDIA


def test_nothing_to_remove(run_module, tmp_path):
    debian = tmp_path / "debian.sources"
    debian.write_text(DEBIAN)
    res, failed = run_module(M, {"pattern": PATTERN, "paths": [str(debian)]})
    assert not failed and not res["changed"] and res["removed"] == {}


def test_a_bad_pattern_names_the_option(run_module):
    res, failed = run_module(M, {"pattern": "(unclosed"})
    assert failed and res["msg"].startswith("pattern '(unclosed' is not a valid regular expression")

# -*- coding: utf-8 -*-
"""The README's and the roles' variable tables come from meta/argument_specs.yml."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_role_docs_are_in_sync_with_argument_specs():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen-role-docs.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_default_is_documented_in_the_argument_specs():
    for role in ("cuda_repo", "nvidia_driver", "cuda_toolkit", "gpu_report"):
        with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as f:
            defaults = yaml.safe_load(f) or {}
        with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as f:
            options = yaml.safe_load(f)["argument_specs"]["main"]["options"]
        assert set(defaults) == set(options), role
        for name in defaults:
            assert name.startswith(role + "_"), name


def test_readme_names_the_two_commands():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert "make test" in readme and "ansible-playbook -i inventory/<your inventory> site.yml" in readme
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert "make test" in f.read()


def test_troubleshooting_guide_is_in_sync_with_the_catalog():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen-troubleshooting.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(os.path.join(ROOT, "docs", "troubleshooting.md")) as f:
        guide = f.read()
    sys.path.insert(0, os.path.join(ROOT, ".collections"))
    from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import SIGNATURES, XIDS
    for sig in SIGNATURES:
        assert "### `%s`" % sig["id"] in guide and sig["example"] in guide and sig["remediation"] in guide
    for xid in XIDS:
        assert "| %d |" % xid in guide


def _antsibull_changelog():
    return os.path.join(os.path.dirname(sys.executable), "antsibull-changelog")


def test_changelog_fragments_lint():
    res = subprocess.run([_antsibull_changelog(), "lint"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert res.returncode == 0 and res.stdout.strip() == "", res.stdout + res.stderr


def test_changelog_md_is_generated_from_changelogs(tmp_path):
    """CHANGELOG.md is what antsibull-changelog generates from changelogs/changelog.yaml."""
    import shutil

    for name in ("galaxy.yml", "CHANGELOG.md"):
        shutil.copy(os.path.join(ROOT, name), str(tmp_path / name))
    shutil.copytree(os.path.join(ROOT, "changelogs"), str(tmp_path / "changelogs"))
    res = subprocess.run([_antsibull_changelog(), "generate"], cwd=str(tmp_path), capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    with open(os.path.join(ROOT, "CHANGELOG.md")) as f:
        assert (tmp_path / "CHANGELOG.md").read_text() == f.read(), \
            "CHANGELOG.md is out of date: run antsibull-changelog release (or generate)"
    fragments = sorted(os.listdir(os.path.join(ROOT, "changelogs", "fragments")))
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml")) as f:
        released = [frag for rel in (yaml.safe_load(f)["releases"] or {}).values() for frag in rel.get("fragments", [])]
    assert sorted(released) == fragments, "fragments not in a release: %s" % sorted(set(fragments) - set(released))


def test_support_matrix_is_in_sync_with_the_facts():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen-support-matrix.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.modules import guest_facts


def test_files_contents_and_modules(run_module, tmp_path):
    f = tmp_path / "nvidia-cuda.sources"
    f.write_bytes(b"Types: deb\n")
    os.chmod(str(f), 0o640)
    link = tmp_path / "wants.service"
    os.symlink("/lib/systemd/system/nvidia-persistenced.service", str(link))
    res, failed = run_module(guest_facts, {"paths": [str(f), str(link), str(tmp_path / "missing")],
                                           "read": [str(f), str(tmp_path / "missing")], "read_limit": 5,
                                           "modules": ["nouveau_surely_not_loaded"], "_ansible_check_mode": True})
    assert not failed and not res["changed"]
    assert res["files"][str(f)]["sha1"] == hashlib.sha1(b"Types: deb\n").hexdigest()
    assert res["files"][str(f)]["mode"] == "0640" and not res["files"][str(f)]["islnk"]
    assert res["files"][str(link)]["lnk_target"] == "/lib/systemd/system/nvidia-persistenced.service"
    assert res["files"][str(tmp_path / "missing")] == {"exists": False}
    assert base64.b64decode(res["contents"][str(f)]["b64"]) == b"Types"
    assert res["contents"][str(tmp_path / "missing")] == {"exists": False, "b64": None}
    assert res["modules_loaded"] == {"nouveau_surely_not_loaded": False}


@pytest.mark.skipif(not os.path.exists("/usr/bin/dpkg-query"), reason="needs dpkg (Debian)")
def test_package_facts_of_this_debian_machine(run_module):
    res, failed = run_module(guest_facts, {"package_facts": True})
    assert not failed
    pkgs = res["ansible_facts"]["packages"]
    assert pkgs["dpkg"][0]["name"] == "dpkg" and pkgs["dpkg"][0]["source"] == "apt"
    assert isinstance(res["holds"], list) and isinstance(res["dpkg_audit"], str)


def test_bad_pattern_names_the_option(run_module):
    res, failed = run_module(guest_facts, {"sources_pattern": "(unclosed"})
    assert failed and res["msg"].startswith("sources_pattern '(unclosed' is not a valid regular expression")


def test_bad_read_limit(run_module):
    res, failed = run_module(guest_facts, {"read": ["/etc/hostname"], "read_limit": 0})
    assert failed and "read_limit must be a positive number" in res["msg"]


@pytest.mark.skipif(not os.path.exists("/usr/bin/gpg"), reason="needs gpg")
def test_keyring_that_is_not_a_key(run_module, tmp_path):
    f = tmp_path / "key.asc"
    f.write_text("not a key\n")
    res, failed = run_module(guest_facts, {"keyrings": [str(f), str(tmp_path / "none.asc")]})
    assert not failed
    assert res["keyrings"][str(f)] == {"exists": True, "armored": False, "fingerprints": []}
    assert res["keyrings"][str(tmp_path / "none.asc")] == {"exists": False, "armored": False, "fingerprints": []}

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.passthrough.nvidia.plugins.modules import dmesg_check

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def test_field_note_log_fails_with_the_hardware_diagnosis(run_module):
    path = os.path.join(FIX, "dmesg", "field-note-ecc-chain.log")
    res, failed = run_module(dmesg_check, {"source": "file", "path": path})
    assert failed and not res["healthy"] and not res["changed"]
    assert res["msg"].startswith("GPU 0000:00:04.0 has uncorrectable memory errors")
    assert "no driver or configuration change will fix it" in res["msg"]
    assert res["findings"][0]["xid"] == 140 and res["source"] == path


def test_report_only(run_module):
    path = os.path.join(FIX, "dmesg", "field-note-ecc-chain.log")
    res, failed = run_module(dmesg_check, {"source": "file", "path": path, "fail_on": []})
    assert not failed and not res["healthy"]


def test_real_healthy_log_passes(run_module):
    with open(os.path.join(FIX, "real", "h100-580", "dmesg.stdout")) as f:
        content = f.read()
    res, failed = run_module(dmesg_check, {"source": "content", "content": content})
    assert not failed and res["healthy"] and res["lines_scanned"] == 358 and res["source"] == "content"
    assert res["msg"] == "No known GPU problem in the kernel log."


def test_unreadable_file_names_it(run_module, tmp_path):
    res, failed = run_module(dmesg_check, {"source": "file", "path": str(tmp_path / "missing.log")})
    assert failed and "missing.log" in res["msg"]


def test_bad_site_signature_names_it(run_module):
    res, failed = run_module(dmesg_check, {"source": "content", "content": "",
                                           "signatures": [{"id": "mine", "class": "weird", "patterns": ["x"]}]})
    assert failed and "'mine'" in res["msg"] and "class" in res["msg"]


def test_live_source_without_tools_says_why(run_module, monkeypatch):
    monkeypatch.setattr(dmesg_check.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: None)
    res, failed = run_module(dmesg_check, {"source": "auto"})
    assert failed and "dmesg is not installed" in res["msg"] and "journalctl is not installed" in res["msg"]


def test_a_path_selects_the_file_without_source(run_module):
    # Before issue #29 this read the controller's own kernel log and said "No known GPU problem".
    path = os.path.join(FIX, "dmesg", "field-note-ecc-chain.log")
    res, failed = run_module(dmesg_check, {"path": path})
    assert failed and res["source"] == path and res["findings"][0]["xid"] == 140


def test_content_selects_itself_without_source(run_module):
    with open(os.path.join(FIX, "dmesg", "field-note-ecc-chain.log")) as f:
        res, failed = run_module(dmesg_check, {"content": f.read()})
    assert failed and res["source"] == "content"


def test_a_path_beside_a_live_source_is_refused(run_module):
    path = os.path.join(FIX, "dmesg", "field-note-ecc-chain.log")
    for src in ("auto", "dmesg", "journal"):
        res, failed = run_module(dmesg_check, {"source": src, "path": path})
        assert failed and res["msg"].startswith("path: source=%s reads this machine's live kernel log" % src)
        assert "findings" not in res


def test_path_and_content_together_are_refused(run_module):
    res, failed = run_module(dmesg_check, {"path": "/x", "content": "y"})
    assert failed and "mutually exclusive" in res["msg"]

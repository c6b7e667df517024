# -*- coding: utf-8 -*-
"""The apt_update module: waits out the lists lock, tries a checksum mismatch once more, puts the
files back when apt cannot use the repository, and only warns about another source. apt's answers
are replayed from the real outputs (tests/unit/plugins/module_utils/test_apt_update.py runs the
real apt for each); here the module's own decisions are under test."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os

from ansible_collections.passthrough.nvidia.plugins.modules import apt_update as M

REPO = "http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/"
OK = (0, "Get:1 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  InRelease [1164 B]\nReading package lists...\n")
LOCKED = (100, "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)\n"
               "E: Unable to lock directory /var/lib/apt/lists/\n")
MISMATCH = (100, "Err:2 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  Packages\n  Hash Sum mismatch\n"
                 "E: Failed to fetch http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/Packages.gz  Hash Sum mismatch\n")
UNREACHABLE = (0, "Err:1 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  InRelease\n"
                  "  Could not connect to 127.0.0.1:8808 (127.0.0.1). - connect (111: Connection refused)\n"
                  "W: Failed to fetch http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/InRelease  Could not "
                  "connect to 127.0.0.1:8808 (127.0.0.1). - connect (111: Connection refused)\n")
OTHER = (0, "W: Failed to fetch http://mirror.example/debian/dists/bookworm/InRelease  Could not resolve 'mirror.example'\n")


def play(monkeypatch, answers):
    """apt-get update answers ``answers`` in turn; returns the list of calls made."""
    calls = []

    def fake(_module):
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]
    monkeypatch.setattr(M, "apt_update", fake)
    monkeypatch.setattr(M.time, "sleep", lambda s: None)
    return calls


def test_ok(run_module, monkeypatch):
    calls = play(monkeypatch, [OK])
    res, failed = run_module(M, {"repository_url": REPO})
    assert not failed and res["changed"] and res["kind"] == "ok" and len(calls) == 1
    assert res["cache_updated"] is True  # as ansible.builtin.apt says it (the benchmark counts it)


def test_check_mode_runs_nothing(run_module, monkeypatch):
    calls = play(monkeypatch, [UNREACHABLE])
    res, failed = run_module(M, {"repository_url": REPO, "_ansible_check_mode": True})
    assert not failed and calls == [] and res["cache_updated"] is False


def test_the_lock_is_waited_for(run_module, monkeypatch):
    calls = play(monkeypatch, [LOCKED, LOCKED, OK])
    res, failed = run_module(M, {"repository_url": REPO, "lock_timeout": 300})
    assert not failed and res["tries"] == 3 and len(calls) == 3


def test_a_lock_held_past_the_timeout_names_the_holder_and_restores_nothing(run_module, monkeypatch, tmp_path):
    play(monkeypatch, [LOCKED])
    src = tmp_path / "nvidia-cuda.sources"
    src.write_text("new\n")
    res, failed = run_module(M, {"repository_url": REPO, "lock_timeout": 0,
                                 "restore": {str(src): None}})
    assert failed and res["kind"] == "lock" and "locked by process 4242 (apt-get)" in res["msg"]
    assert src.exists()  # the lock is nobody's fault: the new source stays for the next run


def test_a_mismatch_that_heals_is_tried_again(run_module, monkeypatch):
    calls = play(monkeypatch, [MISMATCH, OK])
    res, failed = run_module(M, {"repository_url": REPO, "retries": 1})
    assert not failed and res["kind"] == "ok" and len(calls) == 2


def test_a_repository_apt_cannot_use_gets_the_files_back(run_module, monkeypatch, tmp_path):
    calls = play(monkeypatch, [MISMATCH, MISMATCH, OK])
    src, pin, new = tmp_path / "nvidia-cuda.sources", tmp_path / "nvidia-cuda.pref", tmp_path / "auth.conf"
    src.write_text("the new source\n")
    pin.write_text("the new pin\n")
    new.write_text("machine x\n")
    os.chmod(str(src), 0o644)
    old = base64.b64encode(b"the old source\n").decode("ascii")
    res, failed = run_module(M, {"repository_url": REPO, "retries": 1, "restore": {
        str(src): {"b64": old, "mode": "0644"}, str(pin): {"b64": base64.b64encode(b"the new pin\n").decode(), "mode": "0644"},
        str(new): None}})
    assert failed and res["kind"] == "hash_mismatch"
    assert src.read_text() == "the old source\n" and not new.exists()
    assert sorted(res["restored"]) == sorted([str(src), str(new)])  # the pin was as it had been
    assert "are back" in res["msg"] and "exit code 100" in res["msg"]
    assert len(calls) == 3  # a second try, then the refresh without the repository


def test_an_unreachable_repository_fails_although_apt_exits_0(run_module, monkeypatch):
    play(monkeypatch, [UNREACHABLE])
    res, failed = run_module(M, {"repository_url": REPO})
    assert failed and res["kind"] == "unreachable" and res["rc"] == 0 and res["cache_updated"] is False
    assert "Nothing of the sources was changed by this run" in res["msg"]


def test_another_source_is_only_warned_about(run_module, monkeypatch):
    play(monkeypatch, [OTHER])
    res, failed = run_module(M, {"repository_url": REPO})
    assert not failed and res["kind"] == "other_source" and res["cache_updated"] is True
    assert any("http://mirror.example/debian" in w for w in res["warnings"])


def test_bad_restore_input_is_refused_before_apt_runs(run_module, monkeypatch):
    calls = play(monkeypatch, [OK])
    res, failed = run_module(M, {"repository_url": REPO, "restore": {"relative/path": None}})
    assert failed and "restore" in res["msg"] and calls == []

# -*- coding: utf-8 -*-
"""The PyTorch check: its script run by a real Python, against no torch at all (this machine's
Python, a real ImportError) and against tests/doubles/torch-double (PyTorch's answers and texts,
sources in the double); the judging of each answer; the time limit with a Python that hangs."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import torch_check as tc

DOUBLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "doubles", "torch-double"))


@pytest.fixture
def torch_double(monkeypatch):
    def play(state, gpus=1):
        monkeypatch.setenv("PYTHONPATH", DOUBLE)
        monkeypatch.setenv("TORCH_DOUBLE_STATE", state)
        monkeypatch.setenv("TORCH_DOUBLE_GPUS", str(gpus))
    return play


def test_a_python_without_torch_says_so(monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    r = tc.run(sys.executable, 30)
    assert r["status"] == "failed" and r["reason"] == "torch_missing"
    assert "No module named 'torch'" in r["msg"] and sys.executable in r["msg"]


def test_torch_computes_on_every_gpu(torch_double):
    torch_double("ok", gpus=2)
    r = tc.run(sys.executable, 30, cuda_gpus=2)
    assert r["status"] == "ok" and r["version"] == "2.9.1+cu130" and r["cuda"] == "13.0"
    assert [d["ok"] for d in r["devices"]] == [True, True] and "computed correctly on 2 GPU(s)" in r["msg"]


@pytest.mark.parametrize("state,reason,words", [
    ("cpu_only", "torch_cpu_only", "CPU-only build"),
    ("old_driver", "torch_no_cuda", "older than the CUDA this PyTorch was built with"),
    ("no_kernel_image", "torch_error", "no GPU code for this GPU's architecture"),
    ("wrong", "torch_wrong", "wrong values on GPU 0"),
])
def test_each_failure_says_what_to_do(torch_double, state, reason, words):
    torch_double(state)
    r = tc.run(sys.executable, 30, cuda_gpus=1)
    assert r["status"] == "failed" and r["reason"] == reason and words in r["msg"], r


def test_torch_sees_fewer_gpus_than_the_driver(torch_double):
    torch_double("ok", gpus=1)
    r = tc.run(sys.executable, 30, cuda_gpus=2)
    assert r["reason"] == "torch_count" and "CUDA_VISIBLE_DEVICES" in r["msg"]


def test_a_hanging_python_is_killed_after_the_limit(tmp_path):
    hang = tmp_path / "python"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    r = tc.run(str(hang), 1)
    assert r["reason"] == "torch_hung" and "within 1 seconds" in r["msg"]


def test_a_python_that_cannot_run(tmp_path):
    r = tc.run(str(tmp_path / "nope"), 5)
    assert r["reason"] == "python_failed" and "could not run" in r["msg"]
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'error while loading shared libraries: libpython3.11.so.1.0' >&2\nexit 127\n")
    broken.chmod(0o755)
    r = tc.run(str(broken), 5)
    assert r["reason"] == "python_failed" and "exit 127" in r["msg"] and "libpython3.11" in r["msg"]


def test_untrusted_output_is_cleaned():
    answer = {"stage": "done", "version": "2.9\x1b[31m", "cuda": "13.0", "available": True,
              "devices": [{"index": 0, "name": "GPU\x07\x1b]0;x", "ok": True, "seconds": 0.1}]}
    r = tc.judge(0, "noise\n" + json.dumps(answer), "", False, 30, "/py", cuda_gpus=1)
    assert r["status"] == "ok" and "\x1b" not in r["version"] and "\x07" not in r["devices"][0]["name"]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root, as the module runs")
def test_a_users_virtualenv_never_runs_as_root():
    # Issue #30: a .pth in a venv owned by nobody ran as uid 0. (Not pytest's tmp_path: its
    # parent is root's alone, and the user must reach the venv.)
    import pathlib
    import pwd
    import shutil
    import subprocess as sp
    import sys as _sys
    import tempfile
    nobody = pwd.getpwnam("nobody")
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="torch-owner-"))
    tmp_path.chmod(0o755)
    try:
        _users_venv(tmp_path, nobody, sp, _sys)
    finally:
        shutil.rmtree(str(tmp_path))


def _users_venv(tmp_path, nobody, sp, _sys):
    venv = tmp_path / "venv"
    # Debian's own Python: one the user can run (the test runner's may live in root's home).
    sp.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    seen = tmp_path / "seen"
    seen.mkdir()
    seen.chmod(0o777)
    (site / "zz-probe.pth").write_text("import os; open(%r, 'w').write(str(os.getuid()))\n" % str(seen / "uid"))
    for path in [venv] + list(venv.rglob("*")):
        os.lchown(str(path), nobody.pw_uid, nobody.pw_gid)
    res = tc.run(str(venv / "bin" / "python"), 60)
    assert (seen / "uid").read_text() == str(nobody.pw_uid)
    assert res["run_as"].startswith("uid %d (owner of " % nobody.pw_uid)
    assert res["reason"] == "torch_missing"


def test_roots_interpreter_runs_as_is():
    import sys as _sys
    assert tc.owner("/usr/bin/python3") is None or os.stat("/usr/bin").st_uid != 0
    res = tc.run(_sys.executable if os.geteuid() != 0 else "/usr/bin/python3", 60)
    assert res["run_as"] == "uid %d" % os.geteuid()

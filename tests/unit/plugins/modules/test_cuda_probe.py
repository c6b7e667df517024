# -*- coding: utf-8 -*-
"""cuda_probe end to end: the module's real ctypes calls, in its real child process, against the
libcuda double (tests/doubles/libcuda-double.c) playing each state."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.passthrough.nvidia.plugins.modules import cuda_probe


@pytest.fixture
def probe(run_module, libcuda_double, monkeypatch):
    for var in ("LIBCUDA_DOUBLE_STATE", "NVIDIA_SMI_DOUBLE_STATE", "NVIDIA_SMI_DOUBLE_GPUS", "NVIDIA_SMI_DOUBLE_BUS"):
        monkeypatch.delenv(var, raising=False)

    def run(state=None, smi=None, gpus=None, **args):
        if state:
            monkeypatch.setenv("LIBCUDA_DOUBLE_STATE", state)
        if smi:
            monkeypatch.setenv("NVIDIA_SMI_DOUBLE_STATE", smi)
        if gpus:
            monkeypatch.setenv("NVIDIA_SMI_DOUBLE_GPUS", str(gpus))
        args.setdefault("library", libcuda_double)
        return run_module(cuda_probe, args)
    return run


def test_healthy_gpus_run_the_kernel(probe):
    r, failed = probe(gpus=2)
    assert not failed and not r["changed"] and r["status"] == "ok" and r["passed"] == 2
    assert r["gpus"][0] == dict(r["gpus"][0], name="NVIDIA H100 80GB HBM3", bus_id="0000:00:06.0",
                                compute_capability="9.0", result="ok", mismatches=0)
    assert r["gpus"][1]["bus_id"] == "0000:07:00.0" and r["driver_cuda_version"] == "13.0"
    assert "reason" not in r and "error" not in r


def test_a_wrong_result_fails_naming_the_gpu(probe):
    r, failed = probe(state="wrong", gpus=2)
    assert failed and r["reason"] == "wrong_result" and r["passed"] == 1
    assert r["gpus"][1]["result"] == "wrong" and r["gpus"][1]["first_mismatch"]["at"] == 5


@pytest.mark.parametrize("smi,reason,code", [
    # No kernel module here (no /proc/driver/nvidia/version): "no device" is the driver not loaded.
    ("ecc_errors", "ecc_uncorrectable", 214), ("driver_not_loaded", "driver_not_loaded", 100),
    ("gpu_lost", "driver_error", 999), ("version_mismatch", "version_mismatch", 803)])
def test_the_nvidia_smi_doubles_states_tell_the_same_story(probe, smi, reason, code):
    r, failed = probe(smi=smi)
    assert failed and r["reason"] == reason
    err = r.get("error") or r["gpus"][0]["error"]
    assert err["code"] == code


def test_802_is_system_not_ready(probe):
    r, failed = probe(state="not_ready")
    assert failed and r["reason"] == "not_ready" and r["error"]["name"] == "CUDA_ERROR_SYSTEM_NOT_READY"
    assert r["gpu_count"] is None and r["gpus"] == []


def test_one_lost_gpu_of_two(probe):
    r, failed = probe(smi="one_lost", gpus=2)
    assert failed and [g["result"] for g in r["gpus"]] == ["ok", "failed"]
    assert r["gpus"][1]["step"] == "cuDevicePrimaryCtxRetain"


def test_a_hung_init_is_killed_after_the_timeout(probe):
    r, failed = probe(state="hang", timeout=1)
    assert failed and r["reason"] == "hung" and r["error"]["step"] == "cuInit"


def test_a_hung_kernel_names_the_gpu_and_the_call(probe):
    r, failed = probe(state="launch_hang", timeout=1)
    assert failed and r["reason"] == "hung"
    assert r["gpus"][0]["result"] == "hung" and r["gpus"][0]["step"] == "cuCtxSynchronize"


def test_a_crashing_library_is_reported(probe):
    r, failed = probe(state="crash")
    assert failed and r["reason"] == "crashed" and "signal 11" in r["msg"]


def test_old_driver_refuses_the_ptx(probe):
    r, failed = probe(state="old")
    assert failed and r["reason"] == "driver_too_old"


def test_no_library(probe, tmp_path):
    r, failed = probe(library=str(tmp_path / "libcuda.so.1"))
    assert failed and r["reason"] == "library_missing"


def test_a_library_that_is_not_cudas(probe):
    r, failed = probe(library="libm.so.6")
    assert failed and r["reason"] == "library_broken" and "cuInit" in r["msg"]


def test_count_mismatch(probe):
    r, failed = probe(gpus=1, expected_gpus=2)
    assert failed and r["reason"] == "count_mismatch" and "1 GPU(s), 2 expected" in r["msg"]


@pytest.mark.parametrize("args,msg", [({"timeout": 0}, "timeout:"), ({"expected_gpus": -1}, "expected_gpus:"),
                                      ({"library": " "}, "library:")])
def test_bad_input_names_it(probe, args, msg):
    r, failed = probe(**args)
    assert failed and r["msg"].startswith(msg)


def test_the_ml_stack_after_the_driver(probe, monkeypatch):
    """torch_python: after the driver check, PyTorch (tests/doubles/torch-double) on the same GPUs."""
    import os
    import sys
    double = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "doubles", "torch-double"))
    monkeypatch.setenv("PYTHONPATH", double)
    monkeypatch.setenv("TORCH_DOUBLE_GPUS", "2")
    monkeypatch.setenv("TORCH_DOUBLE_STATE", "ok")
    r, failed = probe(gpus=2, torch_python=sys.executable)
    assert not failed and r["torch"]["status"] == "ok" and "PyTorch 2.9.1+cu130" in r["msg"]
    monkeypatch.setenv("TORCH_DOUBLE_STATE", "no_kernel_image")
    r, failed = probe(gpus=2, torch_python=sys.executable)
    assert failed and r["reason"] == "torch_error" and r["passed"] == 2 and "no kernel image" in r["msg"]
    # The driver fails first: PyTorch is not asked.
    r, failed = probe(state="not_ready", torch_python=sys.executable)
    assert failed and r["reason"] == "not_ready" and r["torch"] is None

# -*- coding: utf-8 -*-
"""The probe's pure parts: what a CUDA code means and what to do, and one result from the child's
events; the built-in PTX checked by NVIDIA's real ptxas; the code table against NVIDIA's headers."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import cuda_probe as cp
from ansible_collections.passthrough.nvidia.plugins.module_utils.cuda_errors import CU_RESULTS, RUNTIME_ERRORS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def ok_events(n_gpus=1, values=None):
    ev = [{"event": "step", "step": "cuInit", "index": None}, {"event": "driver", "version": 13000},
          {"event": "step", "step": "cuDeviceGetCount", "index": None}, {"event": "count", "count": n_gpus}]
    for i in range(n_gpus):
        ev += [{"event": "step", "step": "cuDeviceGet", "index": i},
               {"event": "device", "index": i, "name": "NVIDIA H100 80GB HBM3", "bus_id": "0000:00:0%d.0" % (6 + i),
                "compute_capability": "9.0"},
               {"event": "step", "step": "cuLaunchKernel", "index": i},
               {"event": "result", "index": i, "kernel_ms": 0.05, "seconds": 0.3,
                "values": values if values is not None else cp.expected_output(cp.probe_input())}]
    return ev


@pytest.mark.parametrize("code,name", [(100, "CUDA_ERROR_NO_DEVICE"), (802, "CUDA_ERROR_SYSTEM_NOT_READY"),
                                       (999, "CUDA_ERROR_UNKNOWN"), (214, "CUDA_ERROR_ECC_UNCORRECTABLE"),
                                       (803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH")])
def test_codes_have_nvidias_names_and_advice(code, name):
    d = cp.describe(code)
    assert d["name"] == name and d["meaning"].startswith("This") and len(d["advice"]) > 30


def test_802_with_nvswitches_names_the_fabric_manager():
    assert "Fabric Manager" not in cp.describe(802)["advice"]
    assert "nvidia-fabricmanager" in cp.describe(802, nvswitch=True)["advice"]


def test_999_asks_for_a_reset_and_the_kernel_log():
    a = cp.describe(999)["advice"]
    assert "reset" in a and "kernel log" in a


def test_runtime_35_says_the_driver_is_too_old():
    d = cp.describe_runtime(35)
    assert d["name"] == "cudaErrorInsufficientDriver" and "older" in d["meaning"] and "driver" in d["advice"]


def test_an_unknown_code_is_named_by_number():
    assert cp.describe(12345)["name"] == "CUresult 12345"


def test_all_gpus_right_is_ok():
    r = cp.summarize(ok_events(2), False, "exit", 30)
    assert r["status"] == "ok" and r["gpu_count"] == 2 and r["driver_cuda_version"] == "13.0"
    assert [g["result"] for g in r["gpus"]] == ["ok", "ok"] and r["gpus"][1]["bus_id"] == "0000:00:07.0"


def test_one_wrong_value_is_a_wrong_result_naming_it():
    values = cp.expected_output(cp.probe_input())
    values[7] += 1
    r = cp.summarize(ok_events(1, values), False, "exit", 30)
    assert r["status"] == "failed" and r["reason"] == "wrong_result"
    g = r["gpus"][0]
    assert g["mismatches"] == 1 and g["first_mismatch"] == {"at": 7, "expected": values[7] - 1, "got": values[7]}
    assert "faulty GPU" in r["msg"]


def test_a_short_answer_is_wrong():
    r = cp.summarize(ok_events(1, [1, 2, 3]), False, "exit", 30)
    assert r["reason"] == "wrong_result"


def test_init_failure_is_the_whole_probes():
    ev = [{"event": "step", "step": "cuInit", "index": None},
          {"event": "error", "step": "cuInit", "index": None, "code": 802}]
    r = cp.summarize(ev, False, "exit", 30, nvswitch=True)
    assert r["status"] == "failed" and r["reason"] == "not_ready" and r["error"]["step"] == "cuInit"
    assert "cuInit returned CUDA_ERROR_SYSTEM_NOT_READY (802)" in r["msg"] and "fabricmanager" in r["msg"]


def test_a_hang_names_the_call_and_the_gpu():
    ev = ok_events(2)[:-1] + [{"event": "step", "step": "cuCtxSynchronize", "index": 1}]
    r = cp.summarize(ev, True, "killed", 5)
    assert r["reason"] == "hung" and r["gpus"][0]["result"] == "ok"
    assert r["gpus"][1]["result"] == "hung" and r["gpus"][1]["step"] == "cuCtxSynchronize"
    assert "cuCtxSynchronize did not return within 5 seconds" in r["msg"]


def test_gpus_after_a_hang_are_not_checked():
    ev = ok_events(3)[:4] + [{"event": "step", "step": "cuDevicePrimaryCtxRetain", "index": 0}]
    r = cp.summarize(ev, True, "killed", 5)
    assert [g["result"] for g in r["gpus"]] == ["hung", "not checked", "not checked"]


def test_a_crash_is_not_success():
    ev = ok_events(1)[:-1]
    r = cp.summarize(ev, False, "signal 11", 30)
    assert r["status"] == "failed" and r["reason"] == "crashed" and "signal 11" in r["msg"]


def test_no_library():
    r = cp.summarize([{"event": "load_error", "error": "libcuda.so.1: cannot open shared object file"}], False,
                     "exit", 30)
    assert r["reason"] == "library_missing" and "libcuda1" in r["msg"]


def test_zero_gpus():
    r = cp.summarize(ok_events(0), False, "exit", 30)
    assert r["reason"] == "no_devices"


def test_guest_strings_are_cleaned():
    ev = ok_events(1)
    ev[5]["name"] = "evil\x1b[31m\nname" + "x" * 500
    r = cp.summarize(ev, False, "exit", 30)
    assert "\x1b" not in r["gpus"][0]["name"] and "\n" not in r["gpus"][0]["name"]
    assert len(r["gpus"][0]["name"]) <= 96


def test_nvswitches_are_found_in_sysfs(tmp_path):
    dev = tmp_path / "0000:05:00.0"
    dev.mkdir()
    (dev / "vendor").write_text("0x10de\n")
    (dev / "class").write_text("0x030200\n")
    assert not cp.nvswitches_present(str(tmp_path), str(tmp_path / "dev"))
    sw = tmp_path / "0000:0a:00.0"
    sw.mkdir()
    (sw / "vendor").write_text("0x10de\n")
    (sw / "class").write_text("0x068000\n")
    assert cp.nvswitches_present(str(tmp_path), str(tmp_path / "dev"))


def test_the_code_table_is_nvidias(cuda_wheel):
    """cuda_errors.py is what tools/gen-cuda-errors.py makes from the wheel's cuda.h and driver_types.h."""
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen-cuda-errors.py"), "--check",
                    cuda_wheel("nvidia-cuda-runtime")], check=True)
    assert CU_RESULTS[802][0] == "CUDA_ERROR_SYSTEM_NOT_READY" and RUNTIME_ERRORS[35][0] == "cudaErrorInsufficientDriver"


@pytest.mark.parametrize("arch", ["sm_75", "sm_90", "sm_120"])
def test_nvidias_ptxas_compiles_the_builtin_kernel(cuda_wheel, tmp_path, arch):
    """What the driver's JIT does with the probe's PTX, done by NVIDIA's real ptxas (13.5)."""
    with zipfile.ZipFile(cuda_wheel("nvidia-cuda-nvcc")) as z:
        name = [n for n in z.namelist() if n.endswith("/bin/ptxas")][0]
        ptxas = tmp_path / "ptxas"
        ptxas.write_bytes(z.read(name))
    ptxas.chmod(0o755)
    (tmp_path / "probe.ptx").write_text(cp.PTX)
    out = subprocess.run([str(ptxas), "-arch=" + arch, "-o", str(tmp_path / "probe.cubin"),
                          str(tmp_path / "probe.ptx")], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "probe.cubin").stat().st_size > 0


# Debian 12's real libcuda1 535.261.03 without a kernel module answers cuInit 100
# CUDA_ERROR_NO_DEVICE (recorded in a container; the bad_key scenario asks it again through the
# module, whose child stops at cuInit): that is the driver not loaded, not a missing GPU.
REAL_NO_MODULE = [{"event": "error", "step": "cuInit", "code": 100}]


def test_no_device_without_a_loaded_module_is_driver_not_loaded(monkeypatch, tmp_path):
    monkeypatch.setattr(cp, "run_child", lambda library, timeout: (REAL_NO_MODULE, False, "exit"))
    r = cp.probe(module_file=str(tmp_path / "missing"))
    assert (r["status"], r["reason"], r["error"]["name"]) == ("failed", "driver_not_loaded", "CUDA_ERROR_NO_DEVICE")
    assert "no NVIDIA kernel module is loaded" in r["msg"] and r["error"]["step"] == "cuInit"
    assert cp.REASON_KIND["driver_not_loaded"] == "misconfigured"


def test_no_device_with_a_loaded_module_stays_no_devices(monkeypatch, tmp_path):
    banner = tmp_path / "version"
    banner.write_text("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build\n")
    monkeypatch.setattr(cp, "run_child", lambda library, timeout: (REAL_NO_MODULE, False, "exit"))
    assert cp.probe(module_file=str(banner))["reason"] == "no_devices"

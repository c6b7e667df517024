# -*- coding: utf-8 -*-
"""The module against the nvidia-smi test double (tests/doubles/nvidia-smi), which
answers with the texts and exit codes recorded from the real tool."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from ansible_collections.passthrough.nvidia.plugins.modules import nvidia_smi

DOUBLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "doubles", "nvidia-smi"))


@pytest.fixture
def state(monkeypatch):
    def set_state(name, gpus=1):
        monkeypatch.setenv("NVIDIA_SMI_DOUBLE_STATE", name)
        monkeypatch.setenv("NVIDIA_SMI_DOUBLE_GPUS", str(gpus))
    return set_state


def test_healthy_facts(state, run_module):
    state("healthy", 2)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 2, "min_driver_version": "570"})
    assert not failed and not res["changed"]
    assert res["gpu_count"] == 2 and res["driver_version"] == "580.159.04" and res["cuda_version"] == "13.0"
    assert res["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3" and res["gpus"][1]["pci_bus_id"] == "0000:07:00.0"
    assert res["unsupported_fields"] == []


@pytest.mark.parametrize("st,reason", [
    ("driver_not_loaded", "driver_not_loaded"), ("version_mismatch", "version_mismatch"),
    ("no_devices", "no_devices"), ("gpu_lost", "gpu_lost"), ("inforom", "inforom_corrupted"),
    ("nvml_missing", "library_missing"), ("no_permission", "permission_denied"), ("ecc_errors", "ecc_errors"),
    ("remap_failure", "ecc_errors"),
])
def test_failures(state, run_module, st, reason):
    state(st)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == reason and res["msg"]


def test_the_double_can_place_gpu_0_where_the_guests_kernel_log_has_it(state, run_module, monkeypatch):
    # The report scenario's faulty guest: its kernel log (the field note's) names 0000:00:04.0.
    state("ecc_errors")
    monkeypatch.setenv("NVIDIA_SMI_DOUBLE_BUS", "0000:00:04.0")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "ecc_errors" and res["gpus"][0]["pci_bus_id"] == "0000:00:04.0"
    assert "GPU 0 (0000:00:04.0, NVIDIA H100 80GB HBM3) has 2 uncorrected ECC errors" in res["msg"]
    state("gpu_lost")
    out = subprocess.run([sys.executable, DOUBLE], capture_output=True, text=True, check=False)
    assert out.returncode == 15 and out.stdout.startswith(
        "Unable to determine the device handle for GPU0000:00:04.0: GPU is lost.")


def test_count_and_version(state, run_module):
    state("healthy")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 2})
    assert failed and res["reason"] == "count_mismatch"
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "min_driver_version": "580.159.5"})
    assert failed and res["reason"] == "driver_too_old"


def test_old_driver_fields_are_dropped(state, run_module):
    state("old_driver")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert not failed and res["driver_version"] == "470.256.02"
    assert "remapped_rows.failure" in res["unsupported_fields"] and "remapped_rows_failure" not in res["gpus"][0]


def test_hang_times_out(state, run_module):
    state("hang")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "timeout": 1})
    assert failed and res["reason"] == "timeout"


def test_not_installed(run_module, tmp_path):
    res, failed = run_module(nvidia_smi, {"executable": str(tmp_path / "nvidia-smi")})
    assert failed and res["reason"] == "not_installed"


def test_bad_input(run_module):
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "min_driver_version": "latest"})
    assert failed and "min_driver_version" in res["msg"]
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "timeout": 0})
    assert failed and "timeout" in res["msg"]
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": -1})
    assert failed and res["msg"] == "expected_gpus: must not be negative, got -1"


def test_one_gpu_of_several_lost_is_named_and_the_others_kept(state, run_module):
    state("one_lost", 3)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 3})
    assert failed and res["reason"] == "gpu_lost"
    assert res["lost_gpus"] == [{"pci_bus_id": "0000:08:00.0", "why": "GPU is lost", "index": None}]
    assert [g["pci_bus_id"] for g in res["gpus"]] == ["0000:00:06.0", "0000:07:00.0"]
    assert "GPU 0000:08:00.0 (GPU is lost)" in res["msg"] and "0000:07:00.0 NVIDIA H100" in res["msg"]


def test_a_row_of_lost_values_with_exit_0_is_a_lost_gpu(state, run_module):
    state("lost_row", 2)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "gpu_lost" and res["gpu_count"] == 1
    assert res["lost_gpus"][0]["index"] == 1


def test_no_devices_is_success_when_none_are_expected(state, run_module):
    state("no_devices")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 0})
    assert not failed and res["gpu_count"] == 0 and res["gpus"] == []
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "no_devices"
    state("healthy")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 0})
    assert failed and res["reason"] == "count_mismatch"


def test_a_stray_loader_warning_does_not_break_the_parse(state, run_module):
    state("stray", 2)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "expected_gpus": 2})
    assert not failed and res["gpu_count"] == 2
    assert res["ignored_output"][0].startswith("ERROR: ld.so: object 'libgpuhook.so' from LD_PRELOAD")


def test_an_unreadable_ecc_counter_counts(state, run_module):
    # Issue #29: the memory's health unknown is a finding (it was a warning and passed).
    state("ecc_unknown")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "field_unreadable"
    assert res["gpus"][0]["ecc_uncorrected"] is None
    assert set(res["gpus"][0]["unreadable"]) == {"ecc_uncorrected", "ecc_corrected"}
    assert "ecc_uncorrected" in res["msg"]


def test_gpu_requires_reset_fails_the_check(state, run_module):
    state("reset_required")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "reset_required"
    assert "ecc_uncorrected" in res["gpus"][0]["reset_required"]


def test_a_pending_row_remap_fails_the_check(state, run_module):
    state("remap_pending")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "row_remap_pending" and "reset" in res["msg"]


def test_a_version_mismatch_names_both_versions(state, run_module, monkeypatch, tmp_path):
    version = tmp_path / "version"
    # /proc/driver/nvidia/version as the real H100 guest printed it (fixtures/real/h100-580/proc_version).
    with open(os.path.join(os.path.dirname(DOUBLE), "..", "unit", "fixtures", "real", "h100-580",
                           "proc_version.stdout")) as f:
        version.write_text(f.read().replace("580.159.04", "580.95.05"))
    monkeypatch.setattr(nvidia_smi, "MODULE_VERSION_FILE", str(version))
    state("version_mismatch")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert failed and res["reason"] == "version_mismatch"
    assert "kernel module is 580.95.05" in res["msg"] and "NVML library is 580.159" in res["msg"]
    assert "reboot the guest" in res["msg"] and "reinstalling the driver does not help" in res["msg"]


def test_compute_check_in_the_same_call(state, run_module, libcuda_double, monkeypatch):
    """One round trip for the report: nvidia-smi's facts and cuda_probe's result side by side; the
    probe does not change nvidia-smi's verdict (the libcuda double follows the nvidia-smi double)."""
    monkeypatch.delenv("LIBCUDA_DOUBLE_STATE", raising=False)
    state("healthy", 2)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "compute_check": True, "compute_library": libcuda_double})
    assert not failed and res["gpu_count"] == 2
    assert res["compute"]["status"] == "ok" and res["compute"]["passed"] == 2
    state("ecc_errors")
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "compute_check": True, "compute_library": libcuda_double})
    assert failed and res["reason"] == "ecc_errors" and res["compute"]["reason"] == "ecc_uncorrectable"
    monkeypatch.setenv("LIBCUDA_DOUBLE_STATE", "wrong")
    state("healthy", 2)
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "compute_check": True, "compute_library": libcuda_double})
    assert not failed and res["compute"]["reason"] == "wrong_result"
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE})
    assert "compute" not in res
    monkeypatch.delenv("LIBCUDA_DOUBLE_STATE")
    res, failed = run_module(nvidia_smi, {"executable": str(DOUBLE) + "-missing", "compute_check": True,
                                          "compute_library": libcuda_double})
    assert failed and res["reason"] == "not_installed" and res["compute"]["status"] == "ok"
    res, failed = run_module(nvidia_smi, {"executable": DOUBLE, "compute_check": True, "compute_library": " "})
    assert failed and res["msg"].startswith("compute_library:")

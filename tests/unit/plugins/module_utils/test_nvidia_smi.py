# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing and classification against real nvidia-smi outputs.

tests/unit/fixtures/real/h100-580/ was recorded with tools/capture-gpu-fixtures.sh on a
real H100 80GB HBM3 (driver 580.159.04) on 2026-11-24. The failure texts are those of
the real tool: exit 9 text recorded from Debian's nvidia-smi 535 in a container without
the driver (molecule default scenario), the others as published in NVIDIA's
nvidia-smi(1) and public reports (quoted in each case)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import (
    FIELDS,
    REASONS,
    classify_failure,
    judge,
    normalise_pci,
    parse_cuda_version,
    parse_query,
    unknown_field,
    version_older,
)

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "real", "h100-580")
# The field list tools/capture-gpu-fixtures.sh asked the real GPU for.
CAPTURED = ("index,name,uuid,pci.bus_id,driver_version,memory.total,memory.used,ecc.mode.current,"
            "ecc.errors.uncorrected.volatile.total,ecc.errors.corrected.volatile.total,temperature.gpu,"
            "persistence_mode,pstate,power.draw,power.limit,utilization.gpu,vbios_version,serial,compute_mode,"
            "mig.mode.current,retired_pages.pending,retired_pages.double_bit.count,"
            "retired_pages.single_bit_ecc.count,remapped_rows.pending,remapped_rows.failure,"
            "remapped_rows.correctable,remapped_rows.uncorrectable,pcie.link.gen.current,"
            "pcie.link.width.current,clocks_throttle_reasons.active").split(",")


def real(name):
    with open(os.path.join(REAL, name)) as f:
        return f.read()


def test_real_h100_query_output():
    known = [f for f in CAPTURED if f in dict((x[0], x) for x in FIELDS)]
    out = real("query.stdout")
    # Keep the columns of the fields this module asks for.
    cols = out.strip().split(", ")
    row = ", ".join(c for f, c in zip(CAPTURED, cols) if f in known)
    gpus = parse_query(row + "\n", known)
    assert len(gpus) == 1
    g = gpus[0]
    assert g["index"] == 0 and g["name"] == "NVIDIA H100 80GB HBM3"
    assert g["uuid"] == "GPU-97c8bc52-3c1c-6734-b79d-e276cb6dec31"
    assert g["pci_bus_id"] == "0000:00:06.0"
    assert g["driver_version"] == "580.159.04" and g["memory_total_mib"] == 81559
    assert g["ecc_mode"] == "Enabled" and g["ecc_uncorrected"] == 0 and g["ecc_corrected"] == 0
    assert g["temperature_c"] == 33 and g["persistence_mode"] == "Enabled" and g["pstate"] == "P0"
    assert g["power_draw_w"] == 121.11 and g["pcie_link_gen"] == 5
    assert g["retired_pages_pending"] is None  # [N/A] on Hopper: it has row remapping instead
    assert g["remapped_rows_pending"] == "No" and g["remapped_rows_failure"] == "No"
    assert judge(gpus, expected_gpus=1, min_driver_version="570") == (None, None)


def test_real_cuda_version_sources():
    assert parse_cuda_version(real("q.stdout")) == "13.0"
    assert parse_cuda_version(real("banner.stdout")) == "13.0"
    assert parse_cuda_version(real("version.stdout")) == "13.0"
    assert parse_cuda_version("no such thing") is None


def test_real_unknown_field_error():
    assert real("query_badfield.rc").strip() == "2"
    assert unknown_field(real("query_badfield.stdout")) == "this.is.not.a.field"
    assert unknown_field("No devices were found") is None


def test_na_and_not_supported_become_null_and_names_with_spaces_survive():
    fields = ["index", "name", "ecc.errors.uncorrected.volatile.total", "temperature.gpu", "pci.bus_id"]
    out = "0, NVIDIA GeForce RTX 2080 Ti, [N/A], 41, 00000000:01:00.0\n1, Tesla T4, [Not Supported], 30, 00000000:02:00.0\n"
    gpus = parse_query(out, fields)
    assert gpus[0]["name"] == "NVIDIA GeForce RTX 2080 Ti" and gpus[0]["ecc_uncorrected"] is None
    assert gpus[1]["ecc_uncorrected"] is None and gpus[1]["pci_bus_id"] == "0000:02:00.0"
    assert judge(gpus) == (None, None)


def test_malformed_output_is_an_error():
    with pytest.raises(ValueError):
        parse_query("0, only two\n", ["index", "name", "uuid"])


def test_normalise_pci():
    assert normalise_pci("00000000:0A:00.0") == "0000:0a:00.0"
    assert normalise_pci("00000001:81:00.1") == "0001:81:00.1"


@pytest.mark.parametrize("actual,minimum,older", [
    ("535.216.01", "570", True), ("570.86.15", "570", False), ("570.86.15", "570.86.16", True),
    ("580.159.04", "580.159.4", False), ("1000.1", "999.99.99", False), ("570", "570.0.1", True),
])
def test_version_compare_is_numeric(actual, minimum, older):
    assert version_older(actual, minimum) is older


def test_version_compare_rejects_words():
    with pytest.raises(ValueError):
        version_older("570.86", "latest")


# (rc, real text) -> reason
FAILURES = [
    (9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the "
        "latest NVIDIA driver is installed and running.\n", "driver_not_loaded"),
    (18, "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.159\n",
     "version_mismatch"),
    (6, "No devices were found\n", "no_devices"),
    (15, "Unable to determine the device handle for GPU0000:01:00.0: GPU is lost.  Reboot the system to "
         "recover this GPU\n", "gpu_lost"),
    (14, "WARNING: infoROM is corrupted at gpu 0000:01:00.0\n", "inforom_corrupted"),
    (12, "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA "
         "Display Driver is properly installed and present in your system.\n", "library_missing"),
    (4, "Failed to initialize NVML: Insufficient Permissions\n", "permission_denied"),
    (255, "Failed to initialize NVML: Unknown Error\n", "unknown"),
    (8, "Unable to determine the device handle for gpu 0000:01:00.0: Insufficient External Power\n", "power_cables"),
    (10, "Unable to determine the device handle for GPU 0000:01:00.0: Unknown Error\n", "gpu_lost"),
    (10, "NVIDIA-SMI has failed because of an interrupt problem\n", "irq_issue"),
    (3, "Failed to query: Not Supported\n", "not_supported"),
    (13, "Failed to query: Not implemented\n", "not_implemented"),
    (2, 'Field "bogus" is not a valid field to query.\n', "bad_argument"),
]


@pytest.mark.parametrize("rc,text,reason", FAILURES)
def test_failures_are_told_apart(rc, text, reason):
    got, msg = classify_failure(rc, text)
    assert got == reason
    assert msg and "nvidia-smi" in msg


def test_messages_say_what_to_do():
    assert "reboot" in classify_failure(18, FAILURES[1][1])[1]
    assert "passthrough on the host" in classify_failure(6, "No devices were found")[1]
    assert "power cables" in classify_failure(8, FAILURES[8][1])[1]


def _gpu(**kw):
    g = {"index": 0, "name": "NVIDIA A100-SXM4-40GB", "pci_bus_id": "0000:01:00.0", "driver_version": "570.86.15",
         "ecc_uncorrected": 0, "remapped_rows_failure": "No"}
    g.update(kw)
    return g


def test_judge_reasons():
    assert judge([])[0] == "no_devices"
    assert judge([_gpu()], expected_gpus=2)[0] == "count_mismatch"
    reason, msg = judge([_gpu(ecc_uncorrected=3)])
    assert reason == "ecc_errors" and "hardware fault of the GPU memory" in msg and "3 uncorrected" in msg
    assert judge([_gpu(remapped_rows_failure="Yes")])[0] == "ecc_errors"
    assert judge([_gpu(ecc_uncorrected=3)], fail_on_ecc=False) == (None, None)
    assert judge([_gpu()], min_driver_version="575")[0] == "driver_too_old"
    assert judge([_gpu()], expected_gpus=1, min_driver_version="570") == (None, None)


def test_every_reason_is_reachable():
    seen = set(r for _rc, _t, r in FAILURES)
    seen |= {"not_installed", "timeout"}  # decided by the module (no executable / killed after timeout)
    seen |= {judge([])[0], judge([_gpu()], expected_gpus=3)[0], judge([_gpu(ecc_uncorrected=1)])[0],
             judge([_gpu()], min_driver_version="999")[0],
             judge([_gpu(reset_required=["ecc_uncorrected"])])[0],
             judge([_gpu(remapped_rows_pending="Yes")])[0], judge([_gpu(retired_pages_pending="Yes")])[0],
             judge([_gpu(unreadable=["ecc_uncorrected"])])[0]}
    assert seen == set(REASONS)


# nvidia-smi(1), RETURN VALUE: every code it documents maps to a reason of its own.
def test_every_documented_exit_code_has_a_reason():
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import EXIT_CODES
    assert sorted(EXIT_CODES) == [2, 3, 4, 6, 8, 9, 10, 12, 13, 14, 15, 255]
    for rc, (reason, _means) in EXIT_CODES.items():
        assert reason in REASONS
        got, msg = classify_failure(rc, "")
        assert got == reason and "exit" in msg


@pytest.mark.parametrize("rc", [2, 3, 4, 6, 8, 9, 10, 12, 13, 14, 15, 255])
def test_a_non_zero_exit_code_counts_even_with_gpu_rows(rc):
    # Before issue #29 a parsed row made any exit code pass.
    reason, msg = judge([_gpu()], rc=rc, output="0, NVIDIA A100-SXM4-40GB, ...\n")
    assert reason is not None and msg


def test_the_inforom_warning_counts_with_exit_zero():
    # `nvidia-smi -q` prints it and exits 0 (microsoft/pai #3756); the query may print it beside rows.
    reason, msg = judge([_gpu()], output="WARNING: infoROM is corrupted at gpu 0000:B3:00.0\n")
    assert reason == "inforom_corrupted" and "0000:B3:00.0" in msg


def test_gpu_requires_reset_in_any_field_counts():
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import parse_answer
    fields = [f for f, _k, _t in FIELDS][:9]
    row = ("0, NVIDIA H100 80GB HBM3, GPU-97c8bc52, 00000000:00:06.0, 580.159.04, 81559, 0, Enabled, "
           "[GPU requires reset]")
    gpus, lost, _stray = parse_answer(row + "\n", fields)
    assert gpus[0]["ecc_uncorrected"] is None and gpus[0]["reset_required"] == ["ecc_uncorrected"]
    reason, msg = judge(gpus, lost=lost)
    assert reason == "reset_required" and "out of service until it is reset" in msg


@pytest.mark.parametrize("gpu, reason", [
    (dict(remapped_rows_pending="Yes", remapped_rows_uncorrectable=2), "row_remap_pending"),
    (dict(retired_pages_pending="Yes", retired_pages_double_bit=1), "retired_pages_pending"),
    (dict(unreadable=["remapped_rows_failure"]), "field_unreadable"),
    (dict(unreadable=["driver_version"]), "field_unreadable"),
])
def test_memory_states_that_need_a_reset_or_cannot_be_read_count(gpu, reason):
    assert judge([_gpu(**gpu)])[0] == reason
    if reason != "field_unreadable":
        assert judge([_gpu(**gpu)], fail_on_ecc=False) == (None, None)


def test_an_unreadable_field_that_decides_nothing_is_only_a_warning():
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import findings_to_warn
    g = _gpu(unreadable=["temperature_c"])
    assert judge([g]) == (None, None)
    assert "temperature_c" in findings_to_warn([g])[0]


# Real "device handle" lines: NVIDIA/open-gpu-kernel-modules #387 ("Unable to determine the device
# handle for GPU 0000:0B:00.0: Unknown Error"), JosephKJ/OWOD #81 ("... for GPU 0000:02:00.0: GPU is
# lost. Reboot the system to recover this GPU"), NVIDIA/nvidia-container-toolkit #69 (no space:
# "for GPU0000:65:00.0: Unknown Error").
@pytest.mark.parametrize("line, pci, why", [
    ("Unable to determine the device handle for GPU 0000:0B:00.0: Unknown Error", "0000:0b:00.0", "Unknown Error"),
    ("Unable to determine the device handle for GPU 0000:02:00.0: GPU is lost. Reboot the system to recover this GPU",
     "0000:02:00.0", "GPU is lost"),
    ("Unable to determine the device handle for GPU0000:65:00.0: Unknown Error", "0000:65:00.0", "Unknown Error"),
])
def test_device_handle_lines_name_the_lost_gpu(line, pci, why):
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import parse_answer
    fields = [f for f, _k, _t in FIELDS][:6]
    row = "0, NVIDIA RTX A4000, GPU-1, 00000000:B3:00.0, 525.85.12, 16376"
    gpus, lost, stray = parse_answer(row + "\n" + line + "\n", fields)
    assert [g["pci_bus_id"] for g in gpus] == ["0000:b3:00.0"] and stray == []
    assert lost == [{"pci_bus_id": pci, "why": why, "index": None}]
    reason, msg = judge(gpus, lost=lost)
    assert reason == "gpu_lost" and pci in msg and "0000:b3:00.0 NVIDIA RTX A4000" in msg
    # Alone (nvidia-smi exits 15 or 255 then), the failure is gpu_lost too.
    assert classify_failure(255, line)[0] == "gpu_lost"


def test_an_answer_without_any_gpu_row_still_fails_to_parse():
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import parse_answer
    with pytest.raises(ValueError):
        parse_answer("something else entirely\n", ["index", "name"])


def test_kernel_module_version_from_proc():
    from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import kernel_module_version
    assert kernel_module_version(real("proc_version.stdout")) == "580.159.04"
    assert kernel_module_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 "
                                 "19:39:15 UTC 2024") == "535.183.01"
    assert kernel_module_version("") is None

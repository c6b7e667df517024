# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.passthrough.nvidia.plugins.modules import gpu_report

GUESTS = [{"host": "gpu-ok", "reachable": True, "completed": True, "rebooted": False, "reboot_required": False,
           "smi": {"healthy": True, "reason": None, "driver_version": "580.159.04", "cuda_version": "13.0",
                   "gpus": [{"name": "NVIDIA H100 80GB HBM3", "pci_bus_id": "0000:00:06.0", "ecc_mode": "Enabled",
                             "ecc_uncorrected": 0, "ecc_corrected": 0}]},
           "dmesg": {"findings": [], "source": "dmesg"}},
          {"host": "gpu-gone", "reachable": False, "error": "no route to host"}]


def test_writes_both_files_and_returns_the_table(run_module, tmp_path):
    dest = tmp_path / "reports" / "20261124T100000Z"
    res, failed = run_module(gpu_report, {"guests": GUESTS, "dest": str(dest), "generated": "2026-11-24T10:00:00Z"})
    assert not failed and res["changed"]
    assert sorted(os.listdir(str(dest))) == ["gpu-report.json", "gpu-report.md"]
    doc = json.loads((dest / "gpu-report.json").read_text())
    assert [g["status"] for g in doc["guests"]] == ["unreachable", "ok"]
    assert (dest / "gpu-report.md").read_text().startswith("# GPU report\n")
    assert res["summary"]["unreachable"] == 1 and res["table"][-1] == "2 guests: 1 unreachable, 1 ok"
    assert oct(os.stat(str(dest / "gpu-report.md")).st_mode & 0o777) == "0o644"
    again, dummy = run_module(gpu_report, {"guests": GUESTS, "dest": str(dest), "generated": "2026-11-24T10:00:00Z"})
    assert not again["changed"]


def test_check_mode_writes_nothing_and_diff_shows_the_file(run_module, tmp_path):
    dest = tmp_path / "r"
    res, failed = run_module(gpu_report, {"guests": GUESTS, "dest": str(dest), "formats": ["json"],
                                          "_ansible_check_mode": True, "_ansible_diff": True})
    assert not failed and res["changed"] and not dest.exists()
    assert res["diff"][0]["before"] == "" and '"schema": 1' in res["diff"][0]["after"]
    assert res["files"] == [str(dest / "gpu-report.json")]


def test_bad_guest_fails_naming_it_and_writes_nothing(run_module, tmp_path):
    dest = tmp_path / "r"
    res, failed = run_module(gpu_report, {"guests": GUESTS + [{"kernel_args": "pci=realloc"}], "dest": str(dest)})
    assert failed and res["msg"] == "guests: guests[2].host must be a non-empty string without control " \
                                    "characters; no report written"
    assert not dest.exists()


def test_a_guest_with_malformed_data_gets_its_row_and_the_report_is_written(run_module, tmp_path):
    dest = tmp_path / "r"
    res, failed = run_module(gpu_report, {"guests": GUESTS + [{"host": "x", "kernel_args": "pci=realloc"}],
                                          "dest": str(dest)})
    assert not failed and (dest / "gpu-report.md").exists()
    row = [r for r in res["rows"] if r["host"] == "x"][0]
    assert row["status"] == "misconfigured" and "kernel_args must be a list" in row["status_reason"]


def test_dest_that_is_a_file_is_refused(run_module, tmp_path):
    f = tmp_path / "file"
    f.write_text("keep")
    res, failed = run_module(gpu_report, {"guests": GUESTS, "dest": str(f)})
    assert failed and "is not a directory" in res["msg"] and f.read_text() == "keep"

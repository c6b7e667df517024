# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diagnosis round 3 (issue #29) on real public kernel logs: the cause the driver states
leads and its consequences are tied to it; nothing NVIDIA calls an error passes silently;
a firmware failure belongs to the driver that printed it. Each fixture's header names its
source (tests/unit/fixtures/dmesg/SOURCES.md too)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import Scanner, verdict

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "dmesg")
SCANNER = Scanner()
FAIL_ON = ["hardware", "passthrough", "driver", "secure_boot"]


def scan_file(name):
    with open(os.path.join(FIX, name)) as f:
        return SCANNER.scan(f.read())[0]


def by_id(findings):
    return dict((f["id"], f) for f in findings)


# fixture -> (the root cause that must lead, its PCI address, the consequences tied to it)
STATED_CAUSES = {
    "legacy-pascal-595.log": ("gpu_legacy_branch_only", None, ["probe_not_called"]),
    "unsupported-release-520.log": ("gpu_unsupported_by_release", "0000:01:00.0", ["probe_not_called"]),
    "open-required-blackwell-580.log": ("open_modules_required", "0000:02:00.0", ["rm_init_adapter"]),
    "vgpu-guest-l4.log": ("vgpu_needs_guest_driver", "0000:00:1e.0", ["probe_not_called"]),
    "irq-missing.log": ("irq_missing", "0000:01:00.0", ["probe_not_called"]),
    "gsp-firmware-missing.log": ("gsp_firmware", "0000:00:1e.0", ["rm_init_adapter"]),
}


@pytest.mark.parametrize("name", sorted(STATED_CAUSES))
def test_the_cause_the_driver_states_leads_and_its_consequences_follow(name):
    root, pci, consequences = STATED_CAUSES[name]
    findings = scan_file(name)
    assert findings[0]["id"] == root and findings[0]["severity"] == "error"
    assert findings[0].get("pci_bus_id") == pci
    found = by_id(findings)
    for c in consequences:
        assert found[c]["caused_by"] == root
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert not healthy and failed and msg.startswith(findings[0]["summary"])
    # Advice that cannot help does not lead any more.
    assert "blacklist nouveau" not in msg.split("(")[0].lower() and "pci=realloc`" not in msg.split(". ")[1]


def test_a_blackwell_gpu_on_the_proprietary_module_is_told_to_use_the_open_one():
    f = scan_file("open-required-blackwell-580.log")[0]
    assert "nvidia_driver_kernel_module: open" in f["remediation"]
    # The PCI ID of the log's first NVRM line, through nvidia_support.py's generations.
    assert f["advice"].startswith("10de:2c58 is a Blackwell GPU") and "open kernel module" in f["advice"]


def test_a_pascal_gpu_under_595_is_told_the_580_branch_and_where_it_exists():
    f = scan_file("legacy-pascal-595.log")[0]
    assert "NVIDIA's 580 legacy driver branch" in f["summary"]
    assert "nvidia_driver_branch: '580'" in f["remediation"] and "proprietary" in f["remediation"]
    assert "Debian 12 (bookworm)" in f["advice"] and "not for Debian 13 (trixie)" in f["advice"]


def test_a_release_that_does_not_know_the_gpu_names_its_generation():
    f = scan_file("unsupported-release-520.log")[0]
    assert f["advice"].startswith("10de:25a0 is an Ampere GPU")
    assert "nvidia_driver_branch: auto" in f["remediation"]


def test_a_vgpu_is_not_taken_for_a_gpu_without_gsp():
    found = by_id(scan_file("vgpu-guest-l4.log"))
    assert "open_module_unsupported" not in found
    assert "vGPU (GRID) guest driver" in found["vgpu_needs_guest_driver"]["remediation"]


def test_the_gsp_refusal_wrapped_over_lines_still_names_the_gpu_without_gsp():
    log = ("[ 1157.046099] NVRM: The NVIDIA GPU 0000:af:00.0 (PCI ID: 10de:1db5)\n"
           "               NVRM: installed in this system is not supported by open\n"
           "               NVRM: nvidia.ko because it does not include the required GPU\n"
           "               NVRM: System Processor (GSP).\n")
    f = SCANNER.scan(log)[0][0]
    assert (f["id"], f["pci_bus_id"]) == ("open_module_unsupported", "0000:af:00.0")


def test_a_vm_without_interrupts_is_a_passthrough_problem():
    f = scan_file("irq-missing.log")[0]
    assert f["class"] == "passthrough" and "pci=nomsi" in f["remediation"]


# ---------------------------------------------------------------- class 2: nothing unknown passes
def test_unknown_nvidia_errors_are_findings_that_count():
    findings = scan_file("unknown-errors.log")
    assert [f["id"] for f in findings] == ["nvidia_unknown_error"]
    f = findings[0]
    assert (f["class"], f["severity"], f["count"]) == ("unknown", "warning", 5)
    assert "s_prepareForFwsec_TU102: failed to prepare interface data" in f["summary"]
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert healthy and not failed and msg != "No known GPU problem in the kernel log."


def test_an_unknown_message_reaches_the_summary_without_control_or_format_characters():
    log = "NVRM: GPU 0000:01:00.0: weird\u202e failure \x1b[31m in \u200bthe rm\n"
    f = SCANNER.scan(log)[0][0]
    assert f["id"] == "nvidia_unknown_error"
    assert "\u202e" not in f["summary"] and "\x1b" not in f["summary"] and "\u200b" not in f["summary"]


def test_an_error_word_in_a_known_healthy_line_is_not_an_alarm():
    log = ("nvidia: module verification failed: signature and/or required key missing - tainting kernel\n"
           "NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  595.45.04  Release Build\n"
           "NVRM: Persistence mode is deprecated and will be removed in a future release.\n")
    assert [f for f in SCANNER.scan(log)[0] if f["severity"] != "info"] == []


@pytest.mark.parametrize("line, severity", [
    ("nvidia-nvswitch1: SXid (PCI:0000:84:00.0): 12028, Fatal, Link 32 egress non-posted PRIV error (First)", "error"),
    ("nvidia-nvswitch3: SXid (PCI:0000:04:00.0): 22013, Non-fatal, Link 44 Minion Link DLREQ interrupt", "warning"),
    # A detail line alone: the fatality is not stated, it still counts.
    ("nvidia-nvswitch1: SXid (PCI:0000:84:00.0): 12028, Data {0x000001c0, 0x00bd5c8a}", "warning"),
])
def test_sxids_are_findings_whose_severity_the_line_states(line, severity):
    f = SCANNER.scan(line + "\n")[0][0]
    assert (f["id"], f["class"], f["severity"]) == ("nvswitch_sxid", "hardware", severity)
    assert f["summary"].startswith("NVSwitch 00")


def test_a_fatal_sxid_beside_its_detail_lines_is_one_error_per_code():
    findings = [f for f in scan_file("sxid-nvswitch.log") if f["id"] == "nvswitch_sxid"]
    got = sorted((f["pci_bus_id"], f["severity"], f["count"]) for f in findings)
    assert got == [("0000:04:00.0", "warning", 5), ("0000:84:00.0", "error", 2)]
    assert "(Fatal)" in [f for f in findings if f["severity"] == "error"][0]["summary"]


def test_every_xid_154_action_but_none_keeps_the_gpu_out_of_service():
    findings = scan_file("xid154-actions.log")
    assert len(findings) == 3 and all(f["severity"] == "error" for f in findings)
    none = SCANNER.scan("NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x1 (GPU Reset Required)"
                        " to 0x0 (None)\n")[0][0]
    assert none["severity"] == "info"


# ---------------------------------------------------------------- class 4: firmware by its driver
@pytest.mark.parametrize("line, sid", [
    ("nvidia 0000:00:1e.0: Direct firmware load for nvidia/565.57.01/gsp_tu10x.bin failed with error -2", "gsp_firmware"),
    ("nvidia 0000:01:00.0: Direct firmware load for nvidia/515.43.04/gsp.bin failed with error -2", "gsp_firmware"),
    ("Direct firmware load for nvidia/550.76/gsp_ga10x.bin failed with error -2", "gsp_firmware"),
    ("nouveau 0000:01:00.0: Direct firmware load for nvidia/tu102/gsp/booter_load-535.113.01.bin failed with error -2",
     "nouveau_firmware"),
    ("nouveau 57000000.gpu: Direct firmware load for nvidia/gk20a/fecs_inst.bin failed with error -2", "nouveau_firmware"),
])
def test_a_firmware_failure_belongs_to_the_driver_that_printed_it(line, sid):
    findings = SCANNER.scan("[   12.036183] " + line + "\n")[0]
    assert findings[0]["id"] == sid


def test_the_missing_gsp_firmware_says_which_package_brings_it():
    f = scan_file("gsp-firmware-missing.log")[0]
    assert "firmware-nvidia-gsp" in f["remediation"] and "Not nouveau's firmware" in f["remediation"]

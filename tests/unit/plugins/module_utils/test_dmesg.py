# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scanner tests. Where the log lines come from: tests/unit/fixtures/dmesg/SOURCES.md."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import (
    CatalogError,
    Scanner,
    verdict,
)
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import (
    NOT_ALARMS,
    SIGNATURES,
    XIDS,
)

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
SCANNER = Scanner()
ENUM = "[    0.300000] pci 0000:01:00.0: [10de:1e07] type 00 class 0x030000\n"


def read(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def ids(findings):
    return [f["id"] for f in findings]


def scan(text):
    return SCANNER.scan(text)[0]


# One real line per catalog id (see SOURCES.md), preceded by the GPU's enumeration line.
LINES = {
    "ecc_uncorrectable": "NVRM: GPU 0000:01:00.0: uncorrectable ECC error detected",
    "fallen_off_bus": "NVRM: GPU 0000:01:00.0: GPU has fallen off the bus.",
    "pcie_aer": "pcieport 0000:00:01.0: AER: Uncorrected (Fatal) error received: 0000:01:00.0",
    "pcie_aer_nonfatal": "pcieport 0000:00:01.0: AER: Uncorrected (Non-Fatal) error received: 0000:01:00.0",
    "pcie_aer_corrected": "pcieport 0000:00:01.0: AER: Corrected error received: 0000:01:00.0",
    "pcie_aer_unrecovered": "nvidia 0000:01:00.0: AER: can't recover (no error_detected callback)",
    "gsp_hang": "NVRM: GPU0 _kgspRpcRecvPoll: GSP RM heartbeat timed out",
    "gpu_power": "NVRM: GPU 0000:01:00.0: GPU does not have the necessary power cables connected.",
    "gpu_not_reset": "NVRM: _kgspBootGspRm: unexpected WPR2 already up, cannot proceed with booting GSP",
    "device_inaccessible": "nvidia 0000:01:00.0: Unable to change power state from D3cold to D0, device inaccessible",
    "bar_unassigned": "pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't assign; no space",
    "module_unsigned_rejected": "Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7",
    "open_module_unsupported": "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:1b80) installed in this system "
                               "is not supported by open nvidia.ko because it does not include the required GPU "
                               "System Processor (GSP).",
    "gsp_firmware": "NVRM: RmFetchGspRmImages: No firmware image found",
    "api_mismatch": "NVRM: API mismatch: the client has the version 535.104.05, but",
    "nouveau_firmware": "nouveau 0000:01:00.0: firmware: failed to load nvidia/tu102/gsp/booter_load-535.113.01.bin (-2)",
    "nouveau_bound": "nouveau 0000:01:00.0: NVIDIA TU102 (172000a1)",
    "rm_init_adapter": "NVRM: GPU 0000:01:00.0: RmInitAdapter failed! (0x25:0x65:1468)",
    "nvidia_drm_kapi": "[drm:nv_drm_load [nvidia_drm]] *ERROR* [nvidia-drm] [GPU ID 0x00000100] Failed to allocate NvKmsKapiDevice",
    "probe_not_called": "NVRM: The NVIDIA probe routine was not called for 1 device(s).",
    "nvidia_loaded": "NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)",
    "gpu_unsupported_by_release": "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:26b9) installed in this system is "
                                  "not supported by the NVIDIA 570.86.15 driver release.",
    "gpu_legacy_branch_only": "NVRM:  supported through the NVIDIA 580.xx Legacy drivers. Please",
    "open_modules_required": "NVRM: installed in this system requires use of the NVIDIA open kernel modules.",
    "vgpu_needs_guest_driver": "NVRM: The NVIDIA vGPU 0000:01:00.0 (PCI ID: 10de:27b8)",
    "irq_missing": "NVRM: Can't find an IRQ for your NVIDIA card!",
    "nvswitch_sxid": "nvidia-nvswitch3: SXid (PCI:0000:01:00.0): 22013, Non-fatal, Link 44 Minion Link DLREQ interrupt",
    "nvidia_unknown_error": "NVRM: s_prepareForFwsec_TU102: failed to prepare interface data for FWSEC cmd 0x15: 0x25",
}


def test_every_catalog_id_has_a_test_line():
    assert set(LINES) == set(s["id"] for s in SIGNATURES)


@pytest.mark.parametrize("sid", sorted(LINES))
def test_each_signature_is_recognised_and_attributed(sid):
    sig = [s for s in SIGNATURES if s["id"] == sid][0]
    findings = scan(ENUM + "[   10.000000] " + LINES[sid] + "\n")
    assert ids(findings) == [sid]
    f = findings[0]
    assert f["class"] == sig["class"] and f["severity"] == sig["severity"]
    assert f["count"] == 1 and f["lines"] == ["[   10.000000] " + LINES[sid]]
    assert f["pci_bus_id"] == "0000:01:00.0"
    # The template filled from the line (a legacy branch's number), then what nvidia_support.py
    # adds for the GPU.
    assert f["remediation"].startswith(sig["remediation"].split("{")[0])
    assert "{" not in f["summary"] and "{" not in f["remediation"]


@pytest.mark.parametrize("sid", sorted(LINES))
def test_catalog_examples_are_recognised(sid):
    sig = [s for s in SIGNATURES if s["id"] == sid][0]
    assert sid in ids(scan(ENUM + sig["example"] + "\n"))


@pytest.mark.parametrize("xid", sorted(XIDS))
def test_every_catalogued_xid(xid):
    cls, sev, name, action = XIDS[xid]
    for fmt in ("NVRM: Xid (PCI:0000:01:00): %d, pid=4242, name=python3, details", "NVRM: Xid (0000:01:00): %d, 0000 00000000"):
        findings = scan(ENUM + fmt % xid + "\n")
        assert len(findings) == 1
        f = findings[0]
        assert (f["id"], f["xid"], f["class"], f["severity"]) == ("xid", xid, cls, sev)
        assert f["remediation"].endswith(action)
        assert f["pci_bus_id"] == "0000:01:00.0" and name in f["summary"]


def test_unknown_xid_is_a_neutral_warning():
    f = scan("NVRM: Xid (PCI:0000:01:00): 999, something new\n")[0]
    assert (f["id"], f["xid"], f["severity"], f["class"]) == ("xid", 999, "warning", "unknown")
    assert "not in this collection's catalog" in f["summary"]
    assert "Look Xid 999 up in NVIDIA's Xid catalog" in f["remediation"]
    healthy, failed, msg = verdict([f], ["hardware", "passthrough", "driver", "secure_boot"])
    assert healthy and not failed
    assert "driver is missing, mismatched" not in msg and "NVIDIA's documentation says" in msg


def test_field_note_chain_puts_the_hardware_root_cause_first():
    findings = scan(read("dmesg/field-note-ecc-chain.log"))
    assert ids(findings) == ["xid", "rm_init_adapter", "nvidia_drm_kapi", "nvidia_loaded"]
    root = findings[0]
    assert root["xid"] == 140 and root["class"] == "hardware" and root["pci_bus_id"] == "0000:00:04.0"
    assert "caused_by" not in root
    assert findings[1]["caused_by"] == "xid:140" and findings[1]["count"] == 2
    assert findings[2]["caused_by"] == "xid:140" and findings[2]["pci_bus_id"] == "0000:00:04.0"
    healthy, failed, msg = verdict(findings, ["hardware", "passthrough", "driver", "secure_boot"])
    assert not healthy and failed
    assert msg.startswith("GPU 0000:00:04.0 has uncorrectable memory errors (Xid 140")
    assert "this is a hardware fault; no driver or configuration change will fix it" in msg


def test_consequence_without_root_stands_alone_with_what_to_look_at():
    findings = scan("[drm:nv_drm_load [nvidia_drm]] *ERROR* [nvidia-drm] [GPU ID 0x00000100] Failed to allocate NvKmsKapiDevice\n"
                    "[drm:nv_drm_probe_devices [nvidia_drm]] *ERROR* [nvidia-drm] [GPU ID 0x00000100] Failed to register device\n")
    assert ids(findings) == ["nvidia_drm_kapi"]
    assert "caused_by" not in findings[0] and findings[0]["count"] == 2
    assert findings[0]["pci_bus_id"] == "0000:01:00.0"
    assert "pci=realloc" in findings[0]["remediation"]


def test_nouveau_before_the_driver():
    findings = scan(read("dmesg/nouveau-before-driver.log"))
    assert ids(findings)[:1] == ["gpu_power"]
    assert set(ids(findings)) == {"gpu_power", "nouveau_firmware", "nouveau_bound"}
    nf = [f for f in findings if f["id"] == "nouveau_firmware"][0]
    assert nf["count"] == 3 and "cuda-toolkit alone" in nf["remediation"]


def test_only_the_last_boot_of_a_kern_log_counts():
    text = read("dmesg/kern.log-two-boots.log")
    findings, lines = SCANNER.scan(text)
    assert ids(findings) == ["nvidia_loaded"] and findings[0]["flavour"] == "proprietary"
    assert lines == 5
    assert findings[0]["first_seen"] == "Nov 20 09:12:46"
    everything, lines_all = SCANNER.scan(text, current_boot_only=False)
    assert "nouveau_bound" in ids(everything) and lines_all == 9


def test_bar_lines_of_other_devices_and_rom_bars_do_not_count():
    findings = scan(read("dmesg/bar-unassigned-ovmf.log"))
    assert ids(findings) == ["bar_unassigned", "probe_not_called"]
    found = findings[0]
    assert found["count"] == 4 and found["pci_bus_id"] == "0000:01:00.0"
    assert not any("BAR 6" in ln or "00:1f.0" in ln for ln in found["lines"])
    assert "pci=realloc" in found["remediation"] and "X-PciMmio64Mb" in found["remediation"]
    assert findings[1]["caused_by"] == "bar_unassigned"


def test_bar_message_on_a_device_that_is_not_nvidia_is_ignored():
    text = ("pci 0000:00:03.0: [1af4:1000] type 00 class 0x020000\n"
            "pci 0000:00:03.0: BAR 4: no space for [mem size 0x00004000 64bit pref]\n"
            "pci 0000:00:03.0: BAR 4: failed to assign [mem size 0x00004000 64bit pref]\n")
    assert scan(text) == []


def test_wrapped_nvrm_message_takes_the_address_of_its_first_line():
    text = ("[    5.015146] NVRM: This PCI I/O region assigned to your NVIDIA device is invalid:\n"
            "               NVRM: BAR0 is 0M @ 0x0 (PCI:0000:c1:00.0)\n"
            "[    5.017631] nvidia 0000:c1:00.0: probe with driver nvidia failed with error -1\n")
    findings = scan(text)
    assert ids(findings) == ["bar_unassigned", "probe_not_called"]
    assert findings[0]["pci_bus_id"] == "0000:c1:00.0" and findings[0]["count"] == 2


def test_open_module_refusal_wrapped_over_lines():
    text = ("NVRM: The NVIDIA GPU 0000:17:00.0 (PCI ID: 10de:1bb3) installed in this system\n"
            "NVRM: is not supported by open nvidia.ko because it does not include the\n"
            "NVRM: required GPU System Processor (GSP).\n")
    f = scan(text)[0]
    assert f["id"] == "open_module_unsupported" and f["pci_bus_id"] == "0000:17:00.0"
    assert "proprietary" in f["remediation"]


def test_syslog_hash012_newlines_are_split():
    text = ("Nov 24 10:00:00 guest kernel: NVRM: Xid (PCI:0000:01:00): 79, pid=1, GPU has fallen off the bus."
            "#012NVRM: GPU 0000:01:00.0: GPU has fallen off the bus.\n")
    findings = scan(text)
    assert sorted(ids(findings)) == ["fallen_off_bus", "xid"]
    assert all(f["class"] == "hardware" for f in findings)


def test_two_gpus_are_kept_apart():
    text = ("pci 0000:01:00.0: [10de:20b0] type 00 class 0x030200\n"
            "pci 0000:02:00.0: [10de:20b0] type 00 class 0x030200\n"
            "NVRM: Xid (PCI:0000:02:00): 79, pid=1, GPU has fallen off the bus.\n"
            "NVRM: GPU 0000:01:00.0: RmInitAdapter failed! (0x25:0x65:1468)\n"
            "NVRM: GPU 0000:02:00.0: RmInitAdapter failed! (0x25:0x65:1468)\n")
    findings = scan(text)
    by = dict(((f["id"], f["pci_bus_id"]), f) for f in findings)
    assert by[("rm_init_adapter", "0000:02:00.0")]["caused_by"] == "xid:79"
    assert "caused_by" not in by[("rm_init_adapter", "0000:01:00.0")]
    assert findings[0]["id"] == "xid"


@pytest.mark.parametrize("line,why", NOT_ALARMS)
def test_normal_lines_are_not_alarms(line, why):
    assert why
    assert [f for f in scan(ENUM + line + "\n") if f["severity"] != "info"] == []


def test_real_h100_boot_is_healthy():
    for name in ("dmesg.stdout", "dmesg_T.stdout"):
        findings, lines = SCANNER.scan(read("real/h100-580/" + name))
        assert lines > 300
        assert ids(findings) == ["nvidia_loaded"]
        assert findings[0]["flavour"] == "open" and findings[0]["pci_bus_id"] == "0000:00:06.0"
        healthy, failed, _msg = verdict(findings, ["hardware", "passthrough", "driver", "secure_boot"])
        assert healthy and not failed


@pytest.mark.parametrize("fmt", [
    "[ 1234.567890] {}",
    "[Tue Nov 24 19:05:24 2026] {}",
    "Nov 24 19:05:24 gpu-guest-01 kernel: {}",
    "Nov 24 19:05:24 gpu-guest-01 kernel: [   12.345678] {}",
    "2026-11-24T19:05:24.123456+00:00 gpu-guest-01 kernel: {}",
])
def test_timestamp_formats(fmt):
    f = scan(fmt.format("nouveau 0000:01:00.0: NVIDIA TU102 (172000a1)") + "\n")[0]
    assert f["id"] == "nouveau_bound" and f["first_seen"]
    assert f["lines"] == [fmt.format("nouveau 0000:01:00.0: NVIDIA TU102 (172000a1)")]


def test_fail_on_decides_failure_but_not_health():
    findings = scan(ENUM + "NVRM: Xid (PCI:0000:01:00): 13, pid=1, Graphics Exception\n"
                    + LINES["api_mismatch"] + "\n")
    healthy, failed, msg = verdict(findings, [])
    assert not healthy and not failed
    healthy, failed, msg = verdict(findings, ["driver"])
    assert failed and msg.startswith("The NVIDIA kernel module and user-space libraries")


def test_empty_log_is_healthy():
    assert verdict(scan(""), ["hardware"]) == (True, False, "No known GPU problem in the kernel log.")


def test_site_signatures_are_added_and_validated():
    s = Scanner([{"id": "riser_retrain", "class": "hardware", "severity": "warning",
                  "patterns": [r"pcieport (?P<pci>\S+): link retrain failed"],
                  "summary": "{gpu}: riser link retrained", "remediation": "Reseat the riser."}])
    f = s.scan("pcieport 0000:00:01.0: link retrain failed\n")[0][0]
    assert (f["id"], f["severity"], f["remediation"]) == ("riser_retrain", "warning", "Reseat the riser.")
    for bad, needle in [({"id": "x", "class": "nope", "patterns": ["a"]}, "class"),
                        ({"id": "x", "class": "info", "patterns": ["("]}, "invalid pattern"),
                        ({"id": "X Y", "class": "info", "patterns": ["a"]}, "id"),
                        ({"id": "x", "class": "info"}, "patterns"),
                        ({"id": "x", "class": "info", "severity": "fatal", "patterns": ["a"]}, "severity")]:
        with pytest.raises(CatalogError) as e:
            Scanner([bad])
        assert needle in str(e.value)


@pytest.mark.parametrize("sid", sorted(LINES))
def test_every_signature_line_passes_the_keyword_prefilter(sid):
    from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import KEYWORDS
    sig = [s for s in SIGNATURES if s["id"] == sid][0]
    for line in (LINES[sid], sig["example"]):
        assert any(k in line for k in KEYWORDS), line


def test_scanner_is_linear_in_the_log_size():
    # Many matching lines must not make the scan quadratic (a 40 MB log takes seconds).
    import time
    line = "[    1.000000] NVRM: GPU 0000:01:00.0: RmInitAdapter failed! (0x25:0x65:1468)\n"
    small, big = line * 2000, line * 20000
    t0 = time.perf_counter()
    SCANNER.scan(small)
    t_small = time.perf_counter() - t0
    t0 = time.perf_counter()
    f = SCANNER.scan(big)[0]
    t_big = time.perf_counter() - t0
    assert f[0]["count"] == 20000
    assert t_big < 30 * max(t_small, 0.001)

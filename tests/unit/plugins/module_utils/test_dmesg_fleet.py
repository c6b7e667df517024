# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel log as real fleets write it: MIG Xids, every dmesg and journalctl format
(localized too), the driver's own recovery action, GSP hangs, PCIe AER reported by the port
above the GPU, BARs (a log cut by grep, a BAR assigned after all), Xids we do not know, and
Secure Boot refusing somebody else's module. Each class is built from real public excerpts;
the source of each is named beside it."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import Scanner, verdict

SCANNER = Scanner()
FAIL_ON = ["hardware", "passthrough", "driver", "secure_boot"]
ENUM = "[    0.300000] pci 0000:01:00.0: [10de:20b0] type 00 class 0x030200\n"


def scan(text):
    return SCANNER.scan(text)[0]


def ids(findings):
    return [f["id"] for f in findings]


# ----------------------------------------------------------------------------- MIG
# Formats: NVIDIA's A100 GPU memory error management guide ("Contained Error with SMC Partition
# attribution": "NVRM: Xid (PCI:0000:01:00 GPU-I:05): 94, pid=7194, Contained: CE User Channel
# (0x9). RST: No, D-RST: No") and the driver's kernel_rc.c format string
# "NVRM: Xid (PCI:%04x:%02x:%02x GPU-I:%02u GPU-CI:%02u): %d, pid=%s, name=%s, %s".
MIG_DBE = ("NVRM: Xid (PCI:0000:01:00 GPU-I:05 GPU-CI:00): 48, pid=7194, name=python3, An uncorrectable "
           "double bit error (DBE) has been detected on GPU in the framebuffer at partition 0, subpartition 0.")


def test_a_double_bit_ecc_error_on_a_mig_instance_fails_as_hardware():
    findings = scan(ENUM + "[ 5000.000001] " + MIG_DBE + "\n")
    f = findings[0]
    assert (f["id"], f["xid"], f["class"], f["severity"]) == ("xid", 48, "hardware", "error")
    assert f["pci_bus_id"] == "0000:01:00.0"
    assert (f["mig_gpu_instance"], f["mig_compute_instance"]) == (5, 0)
    assert "MIG GPU instance 5, compute instance 0" in f["summary"]
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert not healthy and failed and "hardware fault" in msg


def test_mig_instances_are_kept_apart_and_an_instance_without_compute_instance_is_read():
    log = (ENUM + "NVRM: Xid (PCI:0000:01:00 GPU-I:05): 94, pid=7194, Contained: CE User Channel (0x9). "
           "RST: No, D-RST: No\n"
           "NVRM: Xid (PCI:0000:01:00 GPU-I:03): 94, pid=7195, Contained: CE User Channel (0x9). "
           "RST: No, D-RST: No\n"
           "NVRM: Xid (PCI:0000:01:00): 95, pid=7062, Uncontained: LTC TAG (0x2,0x1). RST: Yes, D-RST: No\n")
    findings = scan(log)
    by = dict(((f["xid"], f.get("mig_gpu_instance")), f) for f in findings)
    assert set(by) == {(94, 5), (94, 3), (95, None)}
    assert "mig_compute_instance" not in by[(94, 5)]
    assert by[(95, None)]["severity"] == "error" and by[(94, 3)]["severity"] == "warning"


# ---------------------------------------------------------------------- log formats
NOUVEAU = "nouveau 0000:01:00.0: NVIDIA TU102 (172000a1)"
BAR = "pci 0000:01:00.0: BAR 1 [mem size 0x400000000 64bit pref]: can't assign; no space"
FORMATS = [
    # journalctl -k --no-hostname (ublue-os/bazzite #4449: "Mar 21 21:42:01 kernel: NVRM: GPU0 ...")
    "Mar 21 21:42:01 kernel: {}",
    "Nov 24 19:05:24.123456 gpu01 kernel: {}",                      # journalctl -o short-precise
    "2026-11-24T19:05:24+0000 gpu01 kernel: {}",                    # journalctl -o short-iso
    "2026-11-24T19:05:24.123456+00:00 gpu01 kernel: {}",            # short-iso-precise
    "Tue 2026-11-24 19:05:24 UTC gpu01 kernel: {}",                 # journalctl -o short-full
    "1764011124.123456 gpu01 kernel: {}",                           # journalctl -o short-unix
    "[   12.345678] gpu01 kernel: {}",                              # journalctl -o short-monotonic
    "[   12.345678 <    0.000012>] gpu01 kernel: {}",               # journalctl -o short-delta
    "2026-11-24T19:05:24,123456+00:00 {}",                          # dmesg --time-format=iso
    "<6>[   12.345678] {}",                                          # dmesg -r
    "kern  :info  : [   12.345678] {}",                             # dmesg -x
    "[Nov24 19:05] {}",                                             # dmesg --time-format=reltime
    "[  +0.000123] {}",                                             # dmesg -d / reltime delta
    "[Tue Nov 24 19:05:24 2026] {}",                                # dmesg -T
    # Localized journals: Polish "kwi" (NVIDIA/open-gpu-kernel-modules #1045 quotes
    # "kwi 15 07:56:59 testowy kernel: NVRM: Xid ..."), Spanish "dic", German "Mär", French "janv.".
    "kwi 15 07:56:59 testowy kernel: {}",
    "dic 24 19:05:24 gpu01 kernel: {}",
    "Mär 24 19:05:24 gpu01 kernel: {}",
    "janv. 24 19:05:24 gpu01 kernel: {}",
    # A prefix nobody documented: still scanned from where the kernel's message starts.
    "2026/11/24 19:05:24 gpu01 klog[812]: {}",
    "<kern.warn> gpu01 {}",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_nouveau_and_the_bar_lines(fmt):
    log = "\n".join(fmt.format(x) for x in (
        "pci 0000:01:00.0: [10de:1e04] type 00 class 0x030000", BAR, NOUVEAU)) + "\n"
    findings = scan(log)
    assert set(ids(findings)) == {"bar_unassigned", "nouveau_bound"}, (fmt, findings)
    assert all(f["pci_bus_id"] == "0000:01:00.0" for f in findings)
    assert not verdict(findings, FAIL_ON)[0]


def test_the_stamp_is_kept_as_first_seen():
    f = scan("Mär 24 19:05:24 gpu01 kernel: " + NOUVEAU + "\n")[0]
    assert f["first_seen"] == "Mär 24 19:05:24"
    f = scan("2026-11-24T19:05:24,123456+00:00 " + NOUVEAU + "\n")[0]
    assert f["first_seen"] == "2026-11-24T19:05:24,123456+00:00"


def test_drm_lines_are_not_taken_for_stamps():
    f = scan("[drm:nv_drm_load [nvidia_drm]] *ERROR* [nvidia-drm] [GPU ID 0x00000100] "
             "Failed to allocate NvKmsKapiDevice\n")[0]
    assert f["id"] == "nvidia_drm_kapi" and f["first_seen"] is None


# ------------------------------------------------- the driver's recovery action (Xid 154)
# Xid 154 lines: NVIDIA's Xid catalog ("Xid 154 GPU recovery action changed from 0x0 (None) to
# 0x2 (Node Reboot Required)"; values None, Drain P2P, Drain and Reset, GPU Reset Required, Node
# Reboot Required) and public H100 reports ("NVRM: Xid (PCI:0000:97:00): 154, GPU recovery action
# changed from 0x0 (None) to 0x1 (GPU Reset Required)").
@pytest.mark.parametrize("to, severity", [
    ("0x1 (GPU Reset Required)", "error"),
    ("0x2 (Node Reboot Required)", "error"),
    # Every action but None keeps the GPU out of service until it is reset (issue #29).
    ("0x4 (Drain and Reset)", "error"),
    ("0x3 (Drain P2P)", "error"),
    ("0x7 (Recalibrate Fabric)", "error"),
])
def test_xid_154_takes_its_severity_from_the_recovery_action(to, severity):
    line = "NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x0 (None) to %s\n" % to
    f = scan(ENUM + line)[0]
    assert (f["xid"], f["severity"], f["class"]) == (154, severity, "hardware")
    assert f["recovery_action"] == to.split("(")[1].rstrip(")")
    assert f["recovery_action"] in f["summary"]
    assert verdict([f], FAIL_ON)[1] is (severity == "error")


def test_xid_154_back_to_none_is_information():
    f = scan(ENUM + "NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x1 "
                    "(GPU Reset Required) to 0x0 (None)\n")[0]
    assert (f["severity"], f["class"]) == ("info", "info")
    assert verdict([f], FAIL_ON) == (True, False, "No known GPU problem in the kernel log.")


# A GSP hang, in the order NVIDIA/open-gpu-kernel-modules #1080 (RTX 5090, 595.58.03) and #1045
# report it: heartbeat timeout -> Xid 109 CTX SWITCH TIMEOUT -> Xid 154 -> RC watchdog.
GSP_HANG = (
    "[ 5000.100000] NVRM: GPU0 _kgspIsHeartbeatTimedOut: Heartbeat timed out, currentTimeMs 322227881 "
    "heartbeat 0 heartbeatWithOffsetMs 318098841 diff 4129040 timeout 5200\n"
    "[ 5000.100001] NVRM: GPU0 _kgspRpcRecvPoll: GSP RM heartbeat timed out\n"
    "[ 5001.000000] NVRM: Xid (PCI:0000:01:00): 109, pid=4242, name=python3, channel 0x00000007, "
    "errorString CTX SWITCH TIMEOUT, Info 0x74007\n"
    "[ 5001.200000] NVRM: Xid (PCI:0000:01:00): 154, GPU recovery action changed from 0x0 (None) to 0x1 "
    "(GPU Reset Required)\n"
    "[ 5003.000000] NVRM: GPU0 krcWatchdog_IMPL: RC watchdog: GPU is probably locked!  Notify Timeout "
    "Seconds: 7\n")


def test_a_gsp_hang_is_the_root_and_the_program_is_not_blamed():
    findings = scan(ENUM + GSP_HANG)
    assert findings[0]["id"] == "gsp_hang" and findings[0]["class"] == "driver"
    assert findings[0]["count"] == 3 and findings[0]["pci_bus_id"] == "0000:01:00.0"
    xids = dict((f["xid"], f) for f in findings if f["id"] == "xid")
    assert xids[109]["caused_by"] == "gsp_hang" and xids[154]["caused_by"] == "gsp_hang"
    assert "gsp_firmware" not in ids(findings)
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert failed and msg.startswith("GPU 0000:01:00.0: the GSP firmware stopped answering")
    assert "a program using the GPU caused it" not in msg


def test_xid_109_alone_is_still_the_program():
    f = scan(ENUM + "NVRM: Xid (PCI:0000:01:00): 109, pid=1797828, name=pt_main_thread, Ch 00000008, "
                    "errorString CTX SWITCH TIMEOUT, Info 0x58005\n")[0]
    assert (f["class"], f["severity"]) == ("application", "warning") and "caused_by" not in f


# ------------------------------------------------------------------------ PCIe AER
# The root port reports the error naming itself (Red Hat solution 7128107; kernel
# drivers/pci/pcie/aer.c); the topology line says the GPU is below it.
AER_FATAL = (
    "[    0.300000] pci 0000:00:01.0: [8086:1901] type 01 class 0x060400\n"
    "[    0.300100] pci 0000:01:00.0: [10de:2204] type 00 class 0x030000\n"
    "[    0.400000] pci 0000:00:01.0: PCI bridge to [bus 01]\n"
    "[ 9000.000000] pcieport 0000:00:01.0: AER: Multiple Uncorrected (Fatal) error received: 0000:00:01.0\n"
    "[ 9000.000001] pcieport 0000:00:01.0: PCIe Bus Error: severity=Uncorrected (Fatal), "
    "type=Transaction Layer, (Receiver ID)\n"
    "[ 9000.000002] pcieport 0000:00:01.0:   device [8086:1901] error status/mask=00004000/00000000\n"
    "[ 9000.100000] nvidia 0000:01:00.0: AER: can't recover (no error_detected callback)\n"
    "[ 9000.200000] pcieport 0000:00:01.0: AER: device recovery failed\n")


def test_a_fatal_aer_error_of_the_port_above_the_gpu_is_the_gpus():
    findings = scan(AER_FATAL)
    assert ids(findings) == ["pcie_aer", "pcie_aer_unrecovered"]
    root, cons = findings
    assert root["pci_bus_id"] == "0000:01:00.0" and root["reported_by"] == "0000:00:01.0"
    assert root["count"] == 2 and root["severity"] == "error" and root["class"] == "hardware"
    assert cons["caused_by"] == "pcie_aer" and cons["count"] == 2
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert failed and "fatal uncorrected error" in msg


def test_a_port_below_a_switch_range_is_found_and_another_ports_errors_do_not_count():
    log = ("pci 0000:03:00.0: [10de:2330] type 00 class 0x030200\n"
           "pci 0000:05:00.0: [15b3:101b] type 00 class 0x020000\n"
           "pcieport 0000:00:03.1: PCI bridge to [bus 02-03]\n"
           "pci 0000:02:00.0: PCI bridge to [bus 03]\n"
           "pcieport 0000:00:05.0: PCI bridge to [bus 05]\n"
           "pcieport 0000:00:05.0: AER: Uncorrected (Fatal) error received: 0000:05:00.0\n"
           "pcieport 0000:00:03.1: AER: Uncorrected (Non-Fatal) error received: 0000:00:03.1\n")
    findings = scan(log)
    assert ids(findings) == ["pcie_aer_nonfatal"]
    assert findings[0]["pci_bus_id"] == "0000:03:00.0" and findings[0]["severity"] == "warning"
    assert verdict(findings, FAIL_ON)[:2] == (True, False)


def test_corrected_aer_errors_are_information():
    findings = scan(ENUM + "pcieport 0000:00:01.0: PCI bridge to [bus 01]\n"
                    + "pcieport 0000:00:01.0: AER: Corrected error received: 0000:01:00.0\n"
                    + "nvidia 0000:01:00.0: PCIe Bus Error: severity=Corrected, type=Physical Layer, "
                    "(Receiver ID)\n")
    assert ids(findings) == ["pcie_aer_corrected"] and findings[0]["severity"] == "info"
    assert findings[0]["count"] == 2
    assert verdict(findings, FAIL_ON) == (True, False, "No known GPU problem in the kernel log.")


def test_without_topology_a_ports_error_is_not_pinned_on_the_gpu():
    findings = scan(ENUM + "pcieport 0000:00:1c.0: AER: Uncorrected (Fatal) error received: 0000:00:1c.0\n")
    assert findings == []


# -------------------------------------------------------------------------- BARs
# `dmesg | grep -i nvidia` on an ASUS FA608UMI (h8d13/archinstoo #244): no enumeration lines,
# the BAR message wrapped over an indented continuation line.
GREPPED = (
    "[    6.554910] NVRM: This PCI I/O region assigned to your NVIDIA device is invalid:\n"
    "               NVRM: BAR0 is 0M @ 0x0 (PCI:0000:01:00.0)\n"
    "[    6.554913] nvidia: probe of 0000:01:00.0 failed with error -1\n"
    "[    6.554916] NVRM: The NVIDIA probe routine failed for 1 device(s).\n"
    "[    6.554922] NVRM: None of the NVIDIA devices were initialized.\n")


def test_an_invalid_bar_in_a_grepped_log_is_the_root_cause_and_the_probe_one_finding():
    findings = scan(GREPPED)
    assert ids(findings) == ["bar_unassigned", "probe_not_called"]
    bar_finding, probe = findings
    assert bar_finding["pci_bus_id"] == probe["pci_bus_id"] == "0000:01:00.0"
    assert probe["caused_by"] == "bar_unassigned" and probe["count"] == 3
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert failed and msg.startswith("GPU 0000:01:00.0's memory BARs were not assigned")
    assert "pci=realloc" in msg


@pytest.mark.parametrize("failed, assigned", [
    # <= 6.5 and 6.6+ wordings (system76/firmware-open #66, HeyMeco/Rockchip-pcie-devices #2)
    (["pci 0000:01:00.0: BAR 1: no space for [mem size 0x800000000 64bit pref]",
      "pci 0000:01:00.0: BAR 1: failed to assign [mem size 0x800000000 64bit pref]"],
     "pci 0000:01:00.0: BAR 1: assigned [mem 0x800000000-0xfffffffff 64bit pref]"),
    (["pci 0000:01:00.0: BAR 1 [mem size 0x800000000 64bit pref]: can't assign; no space",
      "pci 0000:01:00.0: BAR 1 [mem size 0x800000000 64bit pref]: failed to assign"],
     "pci 0000:01:00.0: BAR 1 [mem 0x800000000-0xfffffffff 64bit pref]: assigned"),
])
def test_a_bar_assigned_after_a_first_failure_is_not_a_failure(failed, assigned):
    log = ENUM + "\n".join(failed) + "\n" + "PCI: No. 2 try to assign unassigned res\n" + assigned + "\n"
    assert scan(log) == []
    # ... but a BAR that fails after it was assigned (or another BAR) still counts.
    assert ids(scan(log + failed[0] + "\n")) == ["bar_unassigned"]
    other = failed[0].replace("BAR 1", "BAR 3")
    assert ids(scan(log + other + "\n")) == ["bar_unassigned"]


# -------------------------------------------------------------------- unknown Xids
def test_nvlink5_xids_say_fatal_or_not():
    # NVLink 5 Xid lines as leptonai/gpud #1174 quotes them from kmsg.
    fatal = scan("NVRM: Xid (PCI:0019:01:00): 149, NETIR Fatal XC0 i0 Link -1 (0x000fe406 0x00000000 "
                 "0x00000000 0x00000000 0x00000000 0x00000000)\n")[0]
    nonfatal = scan("NVRM: Xid (PCI:0018:01:00): 145, RLW_RXPIPE Nonfatal XC0 i0 Link 13 (0x0409a0c2 "
                    "0x00000008 0x00000001 0x00000000 0x00100000 0x00000004)\n")[0]
    assert (fatal["severity"], fatal["class"], fatal["pci_bus_id"]) == ("error", "hardware", "0019:01:00.0")
    assert nonfatal["severity"] == "warning" and "(non-fatal)" in nonfatal["summary"]


def test_an_xid_newer_than_the_catalog_is_neither_the_driver_nor_healthy_silence():
    findings = scan(ENUM + "NVRM: Xid (PCI:0000:01:00): 201, pid=1, name=x, something new\n")
    f = findings[0]
    assert f["class"] == "unknown" and f["severity"] == "warning"
    healthy, failed, msg = verdict(findings, FAIL_ON)
    assert healthy and not failed
    assert "not in this collection's catalog" in msg and "driver is missing" not in msg.split(". Look")[0]


# -------------------------------------------------------------------- Secure Boot
LOCKDOWN = "Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7\n"
LOADED = "NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (dvs-builder@U22)\n"


def test_another_module_refused_while_nvidia_loaded_is_not_a_gpu_finding():
    findings = scan(ENUM + LOCKDOWN + LOADED)
    assert "module_unsigned_rejected" not in ids(findings)
    assert verdict(findings, FAIL_ON)[:2] == (True, False)


def test_modprobe_naming_another_module_is_not_a_gpu_finding():
    line = "modprobe: ERROR: could not insert 'iwlwifi': Key was rejected by service\n"
    assert "module_unsigned_rejected" not in ids(scan(ENUM + line))
    nv = "modprobe: ERROR: could not insert 'nvidia': Key was rejected by service\n"
    assert "module_unsigned_rejected" in ids(scan(ENUM + nv))


def test_a_refusal_without_nvidia_loaded_still_fails_as_secure_boot():
    findings = scan(ENUM + LOCKDOWN)
    assert ids(findings) == ["module_unsigned_rejected"]
    assert verdict(findings, FAIL_ON)[1]

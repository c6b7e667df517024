# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one catalog of kernel-log signatures that dmesg_check knows.

This module is data. The scanner (dmesg.py) matches it, the module's
messages quote its remediations, and docs/troubleshooting.md is generated
from it (tools/gen-troubleshooting.py); a unit test fails when the guide is
out of date.

Fields of a signature:
  id           stable identifier (public contract)
  class        hardware | passthrough | driver | secure_boot | application | unknown | info
  severity     error | warning | info
  role         root (a cause), consequence (follows from a root cause on the
               same GPU), standalone (neither)
  patterns     regular expressions (Python ``re``), searched in each line
               with its timestamp removed; a group named ``pci`` captures a
               PCI address (``0000:01:00.0``, ``0000:01:00`` or nvidia-drm's
               ``GPU ID 0x00000100``) and one named ``bar`` a BAR number
  nvidia_only  the line names a PCI device that must be an NVIDIA one
               (vendor 10de, learnt from the enumeration lines) to count
  summary      one sentence; ``{gpu}`` becomes "GPU 0000:01:00.0" or "The GPU"
  meaning      what it means (guide)
  remediation  what to do
  example      a real log line (guide, tests), with its source
  advice       (optional) what nvidia_support.py adds to the remediation for the GPU the
               finding names: ``gpu`` (its generation's flavour and branch, from the PCI ID
               the log gives) or ``legacy_branch`` (the branch the driver named)
  device       (optional) what the address names when it is not a GPU (``NVSwitch``)
  severity_by  (optional) {group: {value: severity}}: the severity follows what the line
               says (an SXid's ``Fatal`` / ``Non-fatal``); the most severe line of a finding wins
  vary         (optional) groups that keep findings apart on one device (an SXid's number)
  defaults     (optional) {group: text} for a template group the matching line did not give

Templates in summary and remediation: ``{gpu}`` and the named groups of the pattern that
matched (``{legacy}``, ``{sxid}``); ``{message}`` is the line itself (unknown errors).

The rule for what the catalog does not know: an NVRM line (or an NVIDIA module's line)
that reports an error, a failure, a fatal condition, a time-out or an assertion and that no
signature above it matches is the finding ``nvidia_unknown_error`` (class unknown, a
warning: it counts, the guest is degraded until someone looks). An Xid the catalog does
not list, an Xid 154 recovery action it does not know and an SXid of unknown fatality
count likewise. Nothing NVIDIA's driver calls an error is dropped silently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# What the catalog does not know (the docstring above; docs/troubleshooting.md quotes it).
UNKNOWN_RULE = ("An NVRM line (or an NVIDIA module's line) that reports an error, a failure, a fatal "
                "condition, a time-out or an assertion and that no signature matches is the finding "
                "`nvidia_unknown_error` (class unknown, a warning: the guest counts as degraded until someone "
                "has looked). An Xid the catalog does not list, an Xid 154 recovery action it does not know "
                "(or cannot read) and an SXid whose fatality the log does not state count likewise. Nothing "
                "NVIDIA's driver calls an error is dropped silently.")

CLASSES = ("hardware", "passthrough", "driver", "secure_boot", "application", "unknown", "info")
SEVERITIES = ("error", "warning", "info")  # also the order findings are listed in
# The order in which a class is the root cause among several findings of one log.
CLASS_RANK = ("hardware", "passthrough", "secure_boot", "driver", "application", "unknown", "info")
ROLES = ("root", "consequence", "standalone")

# What a class means, said once after the summary of the leading finding.
CLASS_VERDICT = {
    "hardware": "this is a hardware fault; no driver or configuration change will fix it",
    "passthrough": "this is a problem of the VM's PCI resources or of the host's passthrough setup, "
                   "not of the guest's driver",
    "driver": "the NVIDIA driver is missing, mismatched or not in charge of the GPU",
    "secure_boot": "Secure Boot or kernel lockdown refused an unsigned kernel module",
    "application": "a program using the GPU caused it; the GPU and the driver are not at fault",
    "unknown": "this collection does not know this error; NVIDIA's documentation says what it means",
    "info": "this is for information",
}

_PCI = r"(?P<pci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)"
_DRM_GPU = r"\[GPU ID (?P<pci>0x[0-9a-fA-F]{8})\]"

_HOST_MMIO = ("On the host, give the VM a 64-bit MMIO window large enough for the GPU's BARs: "
              "QEMU/OVMF `-fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=65536`, libvirt "
              "`<qemu:commandline>` with the same fw_cfg or a larger `pcihole64`, and "
              "`host-phys-bits=on` on the CPU so the guest can address it (Proxmox: "
              "`cpu: host`, q35).")

SIGNATURES = [
    # ---------------------------------------------------------------- hardware
    {
        "id": "ecc_uncorrectable",
        "class": "hardware",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"(?i)uncorrectable ECC error",
            r"(?i)double[- ]bit ECC error",
            r"(?i)\bDBE\b.*ECC",
            r"(?i)row[- ]remap(?:ping|per)? failure",
        ],
        "summary": "{gpu} has uncorrectable memory errors",
        "meaning": "The GPU's memory (VRAM/HBM) returned data that ECC could not correct. The GPU "
                   "cannot be trusted with work and usually fails to initialise.",
        "remediation": "Stop retrying installs: drain the GPU, reset it (power cycle the host), and if "
                       "the error returns after a reset, have the board replaced (RMA). "
                       "`nvidia-smi -q -d ECC,ROW_REMAPPER` on a host that still sees it shows the counts.",
        "example": "NVRM: GPU 0000:00:04.0: uncorrectable ECC error detected",
    },
    {
        "id": "fallen_off_bus",
        "class": "hardware",
        "severity": "error",
        "role": "root",
        "patterns": [r"(?i)fallen off the bus"],
        "summary": "{gpu} has fallen off the bus",
        "meaning": "The GPU stopped answering on PCIe: a power, thermal, riser/slot or board fault "
                   "(occasionally a host-side reset problem in passthrough).",
        "remediation": "Power cycle the host (a guest reboot is not enough); check power cables, "
                       "seating, riser and temperatures; if it recurs, replace the board.",
        "example": "NVRM: GPU 0000:01:00.0: GPU has fallen off the bus.",
    },
    # PCIe AER (drivers/pci/pcie/aer.c). The root port (or switch port) above the GPU reports
    # the error, often naming itself as the source: with the PCI topology in the log
    # ("PCI bridge to [bus 01]"), a port's error is the GPU's below it. Formats: "AER:
    # Uncorrected (Fatal) error received: 0000:01:00.0" (5.x/6.x), "AER: Multiple ...", and
    # "AER: Uncorrectable (Fatal) error message received from 0000:03:04.0" (6.x, quoted by
    # Red Hat solution 7128107).
    {
        "id": "pcie_aer",
        "class": "hardware",
        "severity": "error",
        "role": "root",
        "nvidia_only": True,
        "patterns": [
            r"AER: (?:Multiple )?Uncorrect(?:ed|able) \(Fatal\) error (?:message )?received(?: from)?:? " + _PCI,
            r"^\S+ " + _PCI + r": (?:AER: )?PCIe Bus Error: severity=Uncorrect(?:ed|able) \(Fatal\)",
        ],
        "summary": "{gpu}'s PCIe link reported a fatal uncorrected error (AER)",
        "meaning": "A fatal uncorrected PCIe error on the GPU's link: the link is unreliable and the GPU "
                   "usually stops answering. A bad slot, riser, cable or board, or signal problems at the "
                   "link speed in use; in a VM the host's port reports it.",
        "remediation": "Reseat the GPU and riser, try another slot, or lower the slot's PCIe "
                       "generation in the host firmware; if errors persist, replace the part. Power "
                       "cycle the host to bring the link back.",
        "example": "pcieport 0000:00:01.0: AER: Uncorrected (Fatal) error received: 0000:01:00.0",
    },
    {
        "id": "pcie_aer_nonfatal",
        "class": "hardware",
        "severity": "warning",
        "role": "root",
        "nvidia_only": True,
        "patterns": [
            r"AER: (?:Multiple )?Uncorrect(?:ed|able) \(Non-Fatal\) error (?:message )?received(?: from)?:? "
            + _PCI,
            r"^\S+ " + _PCI + r": (?:AER: )?PCIe Bus Error: severity=Uncorrect(?:ed|able) \(Non-Fatal\)",
        ],
        "summary": "{gpu}'s PCIe link reported non-fatal uncorrected errors (AER)",
        "meaning": "A transaction on the GPU's link was lost but the link stays up; programs may see "
                   "failed transfers. Repeated errors point to the slot, riser or board.",
        "remediation": "Watch for repeats (`journalctl -k | grep AER`); reseat the GPU and riser or lower "
                       "the slot's PCIe generation if they recur.",
        "example": "pcieport 0000:00:01.0: AER: Uncorrected (Non-Fatal) error received: 0000:01:00.0",
    },
    {
        "id": "pcie_aer_corrected",
        "class": "hardware",
        "severity": "info",
        "role": "standalone",
        "nvidia_only": True,
        "patterns": [
            r"AER: (?:Multiple )?Correct(?:ed|able) error (?:message )?received(?: from)?:? " + _PCI,
            r"^\S+ " + _PCI + r": (?:AER: )?PCIe Bus Error: severity=Corrected",
        ],
        "summary": "{gpu}'s PCIe link corrected errors (AER)",
        "meaning": "The link retried and corrected transfers; nothing was lost. A steady stream costs "
                   "bandwidth and can precede uncorrected errors.",
        "remediation": "Nothing to do for a few; for a steady stream, check the riser and seating.",
        "example": "pcieport 0000:00:01.0: AER: Corrected error received: 0000:01:00.0",
    },
    {
        "id": "pcie_aer_unrecovered",
        "class": "hardware",
        "severity": "error",
        "role": "consequence",
        "nvidia_only": True,
        "patterns": [
            r"^\S+ " + _PCI + r": AER: (?:can't recover|device recovery failed)",
        ],
        "summary": "{gpu} did not recover from a PCIe error (AER: can't recover)",
        "meaning": "The kernel's PCIe error recovery gave up on the device after an uncorrected "
                   "error; the GPU is unusable until the host is power cycled.",
        "remediation": "Power cycle the host; then treat the AER error before it as the cause "
                       "(slot, riser, board).",
        "example": "nvidia 0000:01:00.0: AER: can't recover (no error_detected callback)",
    },
    {
        "id": "gpu_power",
        "class": "hardware",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"GPU is missing power",
            r"does not have the necessary power cables connected",
        ],
        "summary": "{gpu} is missing power",
        "meaning": "The board reports that its auxiliary power connectors are not powered.",
        "remediation": "Connect the GPU's PCIe power cables on the host and check the PSU; in a VM "
                       "this message comes from the real board, not from the guest.",
        "example": "nouveau 0000:01:00.0: gpio: GPU is missing power, check its power cables.  "
                   "Boot with nouveau.config=NvPowerChecks=0 to disable.",
    },
    # NVSwitch errors (NVIDIA Fabric Manager user guide, "NVSwitch SXid Errors"; the driver prints
    # "nvidia-nvswitchN: SXid (PCI:<switch>): <code>, Fatal|Non-fatal, <what>" and detail lines
    # "<code>, Data {...}" / "<code>, Severity ..." (NVIDIA/nvtrust #124, leptonai/gpud #338)).
    # Fatal SXids stall NVLink traffic through the switch until the switches and GPUs are reset;
    # a code seen only on detail lines counts as a warning until its fatality is known.
    {
        "id": "nvswitch_sxid",
        "class": "hardware",
        "severity": "warning",
        "role": "root",
        "device": "NVSwitch",
        "severity_by": {"kind": {"Fatal": "error", "Non-fatal": "warning"}},
        "vary": ["sxid"],
        "patterns": [r"nvidia-nvswitch\d*: SXid \(PCI:" + _PCI + r"\): (?P<sxid>\d+), (?P<kind>Fatal|Non-fatal)\b",
                     r"nvidia-nvswitch\d*: SXid \(PCI:" + _PCI + r"\): (?P<sxid>\d+),"],
        "defaults": {"kind": "fatality not stated"},
        "summary": "{gpu} reported SXid {sxid} ({kind})",
        "meaning": "An NVSwitch (the NVLink switch of HGX/DGX systems) reported an error. A fatal SXid "
                   "stalls NVLink traffic through the switch: the GPUs' jobs abort (Xid 45) until the "
                   "switches and GPUs are reset; a non-fatal one is logged and corrected.",
        "remediation": "Look the SXid up in NVIDIA's Fabric Manager guide (\"NVSwitch SXid Errors\"). For a "
                       "fatal one: stop the GPU jobs, reset the NVSwitches and GPUs (restart the system or "
                       "the fabric partition), and have the board or trunk checked if it recurs.",
        "example": "nvidia-nvswitch3: SXid (PCI:0000:04:00.0): 22013, Non-fatal, Link 44 Minion Link "
                   "DLREQ interrupt",
    },
    # ------------------------------------------------------------- passthrough
    {
        "id": "gpu_not_reset",
        "class": "passthrough",
        "severity": "error",
        "role": "root",
        "patterns": [r"unexpected WPR2 already up"],
        "summary": "{gpu} was not reset between VM boots (GSP found WPR2 already up)",
        "meaning": "The GPU still holds state from the previous VM (or driver) run: its firmware "
                   "region is locked, so GSP cannot boot.",
        "remediation": "On the host, reset the GPU before starting the VM: make sure a function-level "
                       "or bus reset happens (`echo 1 > /sys/bus/pci/devices/<addr>/reset`, the "
                       "`reset_method` attribute), or power cycle the host. In the guest, make sure nouveau never touches the GPU "
                       "(it is blacklisted by the nvidia_driver role), since it also leaves WPR2 up.",
        "example": "NVRM: GPU0 kgspBootstrapRiscvOSEarly_GH100: unexpected WPR2 already up, "
                   "cannot proceed with booting GSP",
    },
    {
        "id": "device_inaccessible",
        "class": "passthrough",
        "severity": "error",
        "role": "root",
        "nvidia_only": True,
        "patterns": [_PCI + r": Unable to change power state from D3\w* to D0, device inaccessible"],
        "summary": "{gpu} cannot be woken from D3cold (device inaccessible)",
        "meaning": "The GPU did not come back from its lowest power state; in a VM this is usually "
                   "the host's reset or power management of the passed-through device.",
        "remediation": "On the host, disable runtime power management for the GPU "
                       "(`power/control` = `on`, `disable_idle_d3=1` for vfio-pci) and reset or power "
                       "cycle it before starting the VM.",
        "example": "nvidia 0000:01:00.0: Unable to change power state from D3cold to D0, "
                   "device inaccessible",
    },
    {
        "id": "bar_unassigned",
        "class": "passthrough",
        "severity": "error",
        "role": "root",
        "nvidia_only": True,
        # BAR 6 is the expansion ROM: the driver does not need it mapped.
        "ignore_groups": {"bar": "6"},
        "patterns": [
            r"This PCI I/O region assigned to your NVIDIA device is invalid",
            r"NVRM: BAR(?P<bar>\d) is 0M @ 0x0 \(PCI:" + _PCI + r"\)",
            r"^pci " + _PCI + r": BAR (?P<bar>[0-5]):? (?:no space for|failed to assign)",
            r"^pci " + _PCI + r": BAR (?P<bar>[0-5]) \[[^\]]*\]: (?:can't assign|failed to assign)",
        ],
        "summary": "{gpu}'s memory BARs were not assigned in the guest",
        "meaning": "The guest firmware/kernel found no room for the GPU's large memory BARs, so "
                   "the driver cannot map the GPU. Typical of OVMF guests with GPUs of 16 GiB and more.",
        "remediation": "In the guest, add `pci=realloc` to the kernel arguments "
                       "(nvidia_driver_kernel_args). " + _HOST_MMIO,
        "example": "NVRM: BAR1 is 0M @ 0x0 (PCI:0000:01:00.0)",
    },
    # ------------------------------------------------------------- secure boot
    {
        "id": "module_unsigned_rejected",
        "class": "secure_boot",
        "severity": "error",
        "role": "root",
        # Not a GPU finding when NVIDIA's module loaded in the same boot, or when the line names
        # another module (a Wi-Fi driver refused by Secure Boot).
        "unless_seen": "nvidia_loaded",
        "module_prefix": "nvidia",
        "patterns": [
            r"Loading of unsigned module is rejected",
            r"Loading of module with unavailable key is rejected",
            r"Lockdown: \S+: unsigned module loading is restricted",
            r"Key was rejected by service",
        ],
        "summary": "Secure Boot refused to load an unsigned NVIDIA kernel module",
        "meaning": "UEFI Secure Boot (kernel lockdown) only loads modules signed by a key the "
                   "firmware or MOK trusts; the DKMS-built NVIDIA module is not.",
        "remediation": "Sign the module with a DKMS key enrolled as MOK (`mokutil --import "
                       "/var/lib/dkms/mok.pub`, confirm at the next boot), or disable Secure Boot in "
                       "the VM's firmware (OVMF without the secboot variables).",
        "example": "Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7",
    },
    # ------------------------------------------------------------------ driver
    # The driver says why it will not take the GPU: these lead, and the probe failures and
    # RmInitAdapter that follow on the same GPU are their consequences. Texts of nv.c
    # (NVIDIA/open-gpu-kernel-modules, kernel-open/nvidia/nv.c, nv_pci_probe), quoted in public
    # reports: tests/unit/fixtures/dmesg/SOURCES.md.
    {
        "id": "gpu_unsupported_by_release",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "advice": "gpu",
        # "NVRM: installed in this system is not supported by the" / "NVRM: NVIDIA 570.86.15 driver
        # release." (wrapped); "... not supported by the 367.57" (older drivers).
        "patterns": [r"NVRM: .*is not supported by the(?: NVIDIA)? \d+\.\d+",
                     r"NVRM: .*is not supported by the\s*$"],
        "summary": "{gpu} is not supported by the installed NVIDIA driver release",
        "meaning": "The driver release does not know this GPU: it is too old for it (Debian 12's own 535 "
                   "driver on a Blackwell GPU) or the GPU is too old for it (a GPU whose last branch is a "
                   "legacy one). The driver ignores the GPU; nvidia-smi finds no devices.",
        "remediation": "Install a driver branch that supports this GPU: `nvidia_driver_branch: auto` "
                       "chooses one from the GPU's PCI ID and NVIDIA's repository; remove Debian's own "
                       "nvidia-driver packages if they are installed. Blacklisting nouveau or kernel "
                       "arguments do not help.",
        "example": "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:25a0) installed in this system is "
                   "not supported by the NVIDIA 520.56.06 driver release.",
    },
    {
        "id": "gpu_legacy_branch_only",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "advice": "legacy_branch",
        "patterns": [r"supported through the NVIDIA (?P<legacy>\d+)\.xx Legacy drivers"],
        "summary": "{gpu} is supported only by NVIDIA's {legacy} legacy driver branch; this driver ignores it",
        "meaning": "NVIDIA dropped this GPU generation from newer branches (Maxwell, Pascal and Volta end "
                   "with 580, Kepler with 470). The driver loads but takes no GPU (\"No NVIDIA GPU found\").",
        "remediation": "Install the {legacy} branch with the proprietary kernel module "
                       "(`nvidia_driver_branch: '{legacy}'`, `nvidia_driver_kernel_module: proprietary`; "
                       "`auto` picks both from the GPU's PCI ID).",
        "example": "NVRM:  supported through the NVIDIA 580.xx Legacy drivers. Please",
    },
    {
        "id": "open_modules_required",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "advice": "gpu",
        "patterns": [r"requires use of (?:the )?NVIDIA open kernel modules"],
        "summary": "{gpu} requires NVIDIA's open kernel modules; the proprietary module cannot drive it",
        "meaning": "Blackwell and newer GPUs are supported only by the open kernel modules. The "
                   "proprietary module loads, then fails to initialise the GPU (RmInitAdapter failed, "
                   "Failed to allocate NvKmsKapiDevice follow from this).",
        "remediation": "Install the open kernel module: `nvidia_driver_kernel_module: open` (or `auto`, which "
                       "picks it for this GPU), then reboot. `pci=realloc` and the nouveau blacklist do not "
                       "help here.",
        "example": "NVRM: installed in this system requires use of the NVIDIA open kernel modules.",
    },
    {
        "id": "vgpu_needs_guest_driver",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [r"NVRM: The NVIDIA vGPU " + _PCI],
        "summary": "{gpu} is an NVIDIA vGPU (a share of a GPU the host splits), which the standard driver refuses",
        "meaning": "The VM was given a virtual GPU of NVIDIA's vGPU software, not the whole GPU by "
                   "passthrough. A vGPU works only with NVIDIA's vGPU (GRID) guest driver of the release "
                   "that matches the host's vGPU manager.",
        "remediation": "Either pass the whole GPU through to the VM (vfio-pci on the host), which is what "
                       "this collection sets up, or install NVIDIA's vGPU (GRID) guest driver from NVIDIA's "
                       "licensing portal (or the cloud provider) instead of the repository's driver.",
        "example": "NVRM: The NVIDIA vGPU 0000:00:05.0 (PCI ID: 10de:27b8)",
    },
    {
        "id": "irq_missing",
        "class": "passthrough",
        "severity": "error",
        "role": "root",
        "nvidia_only": True,
        "patterns": [r"NVRM: Can't find an IRQ for your NVIDIA card"],
        "summary": "{gpu} got no interrupt (IRQ) in this VM; the NVIDIA driver cannot take it",
        "meaning": "The driver needs an interrupt line or MSI for the GPU; in a VM the host's passthrough "
                   "and the VM's machine type provide it. Without one the probe fails.",
        "remediation": "Give the GPU working interrupts: a q35 VM with the GPU behind a PCIe root port "
                       "(MSI), no `pci=nomsi` or `noapic` on the guest's kernel command line, "
                       "`NVreg_EnableMSI` not set to 0; on the host, look for vfio-pci INTx messages "
                       "(`Masking broken INTx support`, vfio-pci `nointxmask=1`) and check that interrupt "
                       "remapping is on. Not a driver or nouveau problem.",
        "example": "NVRM: Can't find an IRQ for your NVIDIA card!",
    },
    {
        "id": "open_module_unsupported",
        "class": "driver",
        "severity": "error",
        "role": "root",
        # The GSP wording only ("... because it does not include the required GPU System
        # Processor"): a vGPU's refusal starts the same way ("is not supported by open nvidia.ko.").
        "patterns": [r"supported by open nvidia\.ko because", r"does not include the required GPU"],
        "summary": "{gpu} is not supported by the open NVIDIA kernel module (no GSP on this GPU)",
        "meaning": "NVIDIA's open kernel modules need a GPU System Processor (Turing and newer); "
                   "Maxwell, Pascal and Volta GPUs need the proprietary module.",
        "remediation": "Install the proprietary kernel module: set `nvidia_driver_kernel_module: "
                       "auto` (the role then picks it for this GPU) or `proprietary` (nvidia-kernel-dkms "
                       "instead of nvidia-kernel-open-dkms), then reboot.",
        "example": "NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:15f8) installed in "
                   "this system is not supported by open nvidia.ko because it does not include "
                   "the required GPU System Processor (GSP).",
    },
    {
        "id": "gsp_hang",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"GSP RM heartbeat timed out",
            r"_kgspIsHeartbeatTimedOut: Heartbeat timed out",
            r"RC watchdog: GPU is probably locked",
        ],
        "summary": "{gpu}: the GSP firmware stopped answering (heartbeat timed out); the GPU is hung",
        "meaning": "The GPU System Processor, which runs the driver's core on Turing and newer GPUs, "
                   "missed its heartbeat. Everything after it (Xid 109 context switch timeouts, Xid "
                   "119/120, Xid 154) follows from the hang: the programs are not at fault.",
        "remediation": "Reset the GPU (in a VM: stop the VM, make sure the host resets the GPU, start it "
                       "again); update the driver, since GSP hangs are usually driver/firmware bugs; with "
                       "the proprietary module `NVreg_EnableGpuFirmware=0` runs without GSP. If it recurs "
                       "on a current driver, report it to NVIDIA with nvidia-bug-report.sh.",
        "example": "NVRM: GPU0 _kgspRpcRecvPoll: GSP RM heartbeat timed out",
    },
    {
        "id": "gsp_firmware",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"RmFetchGspRmImages: No firmware image found",
            r"loading /lib/firmware/nvidia/[^ ]*gsp[^ ]* failed",
            r"kgsp\w*: .*(?:fail|timeout|error)",
            r"(?i)GSP-RM (?:failed|initialization failed|did not)",
            r"(?i)failed to (?:load|boot) GSP",
            r"Cannot initialize GSP firmware RM",
            r"^nvidia " + _PCI + r": Direct firmware load for nvidia/\S+ failed",
            r"Direct firmware load for nvidia/\d+\.\d+[\d.]*/\S+ failed",
        ],
        "summary": "{gpu}: the GSP firmware failed to initialise",
        "meaning": "The driver could not load or boot the GPU System Processor firmware, so the "
                   "GPU cannot be initialised.",
        "remediation": "The NVIDIA driver is missing its own GSP firmware "
                       "(`/lib/firmware/nvidia/<version>/gsp_*.bin`): with Debian's driver install "
                       "`firmware-nvidia-gsp` of the driver's version; with NVIDIA's repository the "
                       "driver's packages are incomplete: reinstall them (the nvidia_driver role does), "
                       "then reboot. With the proprietary module, `NVreg_EnableGpuFirmware=0` disables "
                       "GSP. If it follows a VM restart, reset the GPU on the host. Not nouveau's firmware.",
        "example": "NVRM: RmFetchGspRmImages: No firmware image found",
    },
    {
        "id": "api_mismatch",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [r"NVRM: API mismatch"],
        "summary": "The NVIDIA kernel module and user-space libraries have different versions",
        "meaning": "A driver upgrade replaced the libraries while the old kernel module is still "
                   "loaded (or the other way round).",
        "remediation": "Reboot to load the new kernel module; if it persists, reinstall one driver "
                       "version consistently, locked to its branch (nvidia_driver_branch; NVIDIA's pinning package).",
        "example": "NVRM: API mismatch: the client has the version 535.104.05, but",
    },
    {
        "id": "nouveau_firmware",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"^nouveau " + _PCI + r": (?=.*(?:firmware|\bfw\b))(?=.*(?:fail|not found|error)).*",
            # The driver that printed it decides (nouveau's chip directories: nvidia/tu102/...);
            # NVIDIA's own driver loads nvidia/<version>/gsp_*.bin (gsp_firmware).
            r"^nouveau \S+: Direct firmware load for nvidia/\S+ failed",
            r"^(?!nvidia)(?:\S+ \S+: )?Direct firmware load for nvidia/(?!\d+\.\d+)[a-z]{2}\d+\w*/\S+ failed",
        ],
        "summary": "{gpu} is driven by nouveau, which failed to load its firmware",
        "meaning": "Without NVIDIA's driver the in-kernel nouveau driver takes the GPU and cannot "
                   "load the signed firmware it needs (e.g. nvidia/tu102/...); CUDA does not work.",
        "remediation": "Install NVIDIA's driver (the nvidia_driver role) and reboot; "
                       "the role blacklists nouveau. Installing cuda-toolkit alone does not do this.",
        "example": "nouveau 0000:01:00.0: firmware: failed to load nvidia/tu102/gsp/booter_load-535.113.01.bin (-2)",
    },
    {
        "id": "nouveau_bound",
        "class": "driver",
        "severity": "error",
        "role": "root",
        "patterns": [
            r"^nouveau " + _PCI + r": NVIDIA \w+",
            r"\[drm\] Initialized nouveau .* for " + _PCI,
            r"^nouveau " + _PCI + r": (?:bios|DRM|fb|devinit|gpio|tmr|disp)\b",
        ],
        "summary": "{gpu} is driven by nouveau instead of the NVIDIA driver",
        "meaning": "The open-source nouveau driver owns the GPU; CUDA needs NVIDIA's driver.",
        "remediation": "Install NVIDIA's driver (the nvidia_driver role), make sure nouveau is "
                       "blacklisted in /etc/modprobe.d and in the initramfs "
                       "(`update-initramfs -u`), then reboot.",
        "example": "nouveau 0000:01:00.0: NVIDIA TU102 (172000a1)",
    },
    {
        "id": "rm_init_adapter",
        "class": "driver",
        "severity": "error",
        "role": "consequence",
        "patterns": [r"RmInitAdapter failed", r"rm_init_adapter failed"],
        "summary": "{gpu}: the NVIDIA driver could not initialise the GPU (RmInitAdapter failed)",
        "meaning": "The resource manager failed to bring the GPU up. It is a consequence: the "
                   "cause is usually logged just before it (Xid, ECC, BAR, GSP, reset).",
        "remediation": "Look at the lines before it for the cause; if there is none, check that "
                       "the BARs are assigned (`lspci -vv -s <addr>`), try `pci=realloc`, and make "
                       "sure the GPU is reset on the host between VM boots.",
        "example": "NVRM: GPU 0000:01:00.0: RmInitAdapter failed! (0x25:0x65:1468)",
    },
    {
        "id": "nvidia_drm_kapi",
        "class": "driver",
        "severity": "error",
        "role": "consequence",
        "patterns": [
            _DRM_GPU + r" Failed to allocate NvKmsKapiDevice",
            _DRM_GPU + r" Failed to register device",
            r"Failed to allocate NvKmsKapiDevice",
        ],
        "summary": "{gpu}: nvidia-drm could not attach to the GPU (Failed to allocate NvKmsKapiDevice)",
        "meaning": "nvidia-drm loads but the core driver has no usable GPU to give it. It follows "
                   "an initialisation failure of the GPU; it is rarely the cause.",
        "remediation": "Look for the root cause on the same GPU (Xid, ECC, BAR, GSP, reset); with "
                       "none, check `pci=realloc` and the VM's MMIO window, and that the ROM BAR is "
                       "readable (rombar on).",
        "example": "[drm:nv_drm_load [nvidia_drm]] *ERROR* [nvidia-drm] [GPU ID 0x00000100] "
                   "Failed to allocate NvKmsKapiDevice",
    },
    {
        "id": "probe_not_called",
        "class": "driver",
        "severity": "error",
        "role": "consequence",
        "patterns": [
            r"NVRM: The NVIDIA probe routine was not called",
            r"NVRM: No NVIDIA (?:devices probed|GPU found)",
            r"probe with driver nvidia failed",
            r"nvidia: probe of \S+ failed with error",
            r"NVRM: None of the NVIDIA (?:devices|graphics adapters) were initialized",
            r"NVRM: No NVIDIA GPU found",
            r"NVRM: NVIDIA init module failed",
            r"NVRM: The NVIDIA probe routine failed",
        ],
        "summary": "{gpu}: the NVIDIA driver did not take the GPU (probe not called / no devices probed)",
        "meaning": "nvidia.ko loaded but bound no GPU: another driver (nouveau, vfio-pci) holds it, "
                   "or the GPU failed its probe.",
        "remediation": "Check which driver owns the GPU (`lspci -nnk -d 10de:`); blacklist nouveau "
                       "and rebuild the initramfs; in a passthrough guest check that the GPU is "
                       "really passed (not bound to vfio-pci inside the guest).",
        "example": "NVRM: The NVIDIA probe routine was not called for 1 device(s).",
    },
    # ------------------------------------------------------------------- info
    {
        "id": "nvidia_loaded",
        "class": "info",
        "severity": "info",
        "role": "standalone",
        # The finding's flavour: "open" when the pattern's group matched, else "proprietary".
        "fields": {"flavour": ("flavour", "open", "proprietary")},
        "patterns": [r"NVRM: loading NVIDIA UNIX (?P<flavour>Open )?(?:x86_64 |aarch64 )?Kernel Module"],
        "summary": "The NVIDIA kernel module was loaded",
        "meaning": "Normal: the driver's banner with its version and flavour (open or proprietary).",
        "remediation": "Nothing to do.",
        "example": "NVRM: loading NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)",
    },
    # ---------------------------------------------------------------- unknown
    # Last: what no signature above matched. An NVRM line that reports an error, a failure, a
    # fatal condition, a time-out or an assertion, and the *ERROR* / ERROR lines of NVIDIA's
    # other modules (nvidia-modeset, nvidia-drm, nvidia-peermem, nvidia-uvm).
    {
        "id": "nvidia_unknown_error",
        "class": "unknown",
        "severity": "warning",
        "role": "standalone",
        "patterns": [
            r"^NVRM:? (?=.*(?:\b[Ee]rror|\bERROR|[Ff]ail(?:ed|ure|s)?\b|FAILED|\b[Ff]atal\b|\bFATAL\b|\b[Tt]imed? ?out\b"
            r"|\bTIMEOUT\b|[Aa]ssert(?:ion)?\b))",
            r"^nvidia(?:-modeset|-drm|-peermem|-uvm|-nvlink|-fs)?:? .*\bERROR\b",
            r"\[nvidia[-_]drm\]\] \*ERROR\*",
        ],
        "summary": "{gpu}: the NVIDIA driver reported an error this collection does not know: {message}",
        "meaning": "NVIDIA's driver logged an error that is in none of the signatures above. It is "
                   "reported, never dropped: the guest counts as degraded until someone has looked.",
        "remediation": "Search NVIDIA's documentation and forums for the message; collect "
                       "`nvidia-bug-report.sh` if it recurs. If it is harmless on your systems, teach "
                       "dmesg_check a site signature (class info) for it.",
        "example": "NVRM: nvCheckOkFailedNoLog: Check failed: Invalid data passed [NV_ERR_INVALID_DATA] "
                   "(0x00000025) returned from kgspPrepareForBootstrap_HAL(pGpu, pKernelGsp, KGSP_BOOT_MODE_NORMAL) "
                   "@ kernel_gsp.c:3664",
    },
]

# Every line a built-in signature (or the PCI enumeration) can match contains one of
# these words; the scanner looks at the other lines no further. A unit test checks
# each signature's example and test line against them. Few and rare-lettered on purpose:
# the scanner finds each with one str.find pass over the log ("vidia" stands for nvidia,
# nvidia-drm, nvidia-nvswitch and nvidia/<firmware>; "veau" for nouveau; "BAR" for the
# kernel's BAR assignment lines; "jected" for "is rejected" and "Key was rejected").
KEYWORDS = ("NVRM", "vidia", "veau", "[10de:", "AER", "PCIe Bus Error", "Lockdown", "jected", "BAR", "GPU",
            "D3cold", "PCI bridge to")

# NVIDIA's Xid catalog (https://docs.nvidia.com/deploy/xid-errors/, "Analyzing Xid Errors with
# the Xid Catalog", the table for Ampere and newer, as of 2026; codes marked "Unused" there are
# left out): class, severity, what it means and what to do. The class follows NVIDIA's
# "Resolution Bucket": RESTART_APP is the program's, RESET_GPU / CHECK_MECHANICALS / RESTART_BM
# are the GPU's (hardware) unless NVIDIA names the driver or its firmware. An Xid not listed gets
# class "unknown": look it up, it does not mean that the driver is missing.
_APP_RESTART = "Restart the program; if it recurs with known-good programs, update the driver."
XIDS = {
    8: ("application", "warning", "GPU stopped processing (channel idle timeout)", _APP_RESTART),
    11: ("application", "warning", "invalid or corrupted push buffer stream", _APP_RESTART),
    13: ("application", "warning", "graphics engine exception",
         "Usually a bug in the program (out-of-range access); run it under compute-sanitizer. "
         "If it recurs with known-good programs, check the GPU's health."),
    25: ("application", "warning", "invalid or illegal push buffer stream", _APP_RESTART),
    31: ("application", "warning", "GPU memory page fault",
         "Usually an illegal memory access by the program; run it under compute-sanitizer."),
    32: ("driver", "warning", "invalid or corrupted push buffer stream",
         "Driver or PCIe transfer problem: check for PCIe AER errors and update the driver."),
    37: ("driver", "warning", "driver firmware error", "Update the driver if it recurs."),
    38: ("driver", "warning", "driver firmware error (watchdog timeout)", "Update the driver if it recurs."),
    39: ("application", "warning", "copy engine exception", _APP_RESTART),
    40: ("application", "warning", "copy engine exception", _APP_RESTART),
    41: ("application", "warning", "copy engine exception", _APP_RESTART),
    43: ("application", "warning", "GPU stopped processing (user program fault)",
         "The program was stopped after a fault; the GPU remains usable."),
    44: ("driver", "warning", "graphics engine fault during context switch", "Update the driver if it recurs."),
    45: ("application", "info", "preemptive cleanup after an earlier error",
         "Follows a program being killed or another Xid; look at the Xid before it."),
    46: ("hardware", "error", "GPU stopped processing (GPU timeout)",
         "Reset the GPU; if it recurs, update the driver, then have the board checked."),
    48: ("hardware", "error", "double-bit ECC error",
         "Reset the GPU; if the error recurs, replace the board."),
    54: ("hardware", "error", "auxiliary power is not connected to the GPU board",
         "Connect the GPU's power cables on the host and check the PSU."),
    60: ("application", "warning", "video processor exception", _APP_RESTART),
    61: ("hardware", "warning", "internal micro-controller breakpoint/warning",
         "Reset the GPU; if it recurs, update the driver, then replace the board."),
    62: ("hardware", "error", "internal micro-controller halt",
         "Reset the GPU (power cycle the host); if it recurs, replace the board."),
    63: ("hardware", "warning", "ECC page retirement or row remapping recorded",
         "Reset the GPU at a convenient time so that the remapping takes effect."),
    64: ("hardware", "error", "ECC page retirement or row remapping failed",
         "The GPU cannot isolate faulty memory: replace the board."),
    66: ("driver", "warning", "illegal access by the driver", "Update the driver if it recurs."),
    67: ("driver", "warning", "illegal access by the driver", "Update the driver if it recurs."),
    68: ("application", "warning", "video processor (NVDEC) exception",
         "Usually a fault of the decoding program; update the driver if it recurs."),
    69: ("application", "warning", "graphics engine class error",
         "Usually a fault of the program; update the driver if it recurs."),
    74: ("hardware", "error", "NVLink error",
         "Check the NVLink bridge and connections; reset the GPUs; replace parts if it recurs."),
    78: ("driver", "error", "vGPU start error", "Update the vGPU software on the host and in the guest."),
    79: ("hardware", "error", "GPU has fallen off the bus",
         "Power cycle the host; check power, seating, riser and temperatures; replace the board "
         "if it recurs."),
    80: ("application", "warning", "corrupted data sent to the GPU", _APP_RESTART),
    86: ("application", "warning", "optical flow accelerator exception", _APP_RESTART),
    92: ("hardware", "warning", "high single-bit ECC error rate",
         "Watch the ECC counters; plan to replace the board if the rate stays high."),
    93: ("hardware", "warning", "infoROM erase limit exceeded (non-fatal)",
         "Clear the infoROM erase limit with nvflash, or report it to NVIDIA."),
    94: ("hardware", "warning", "contained ECC error",
         "The affected program was stopped; reset the GPU so that the row remapping takes effect."),
    95: ("hardware", "error", "uncontained ECC error",
         "Reset the GPU (all programs on it are affected); replace the board if it recurs."),
    106: ("info", "info", "SMBPBI test message", "Nothing to do."),
    107: ("info", "info", "SMBPBI test message (silent)", "Nothing to do."),
    109: ("application", "warning", "context switch timeout",
          "Often a hung program; if it follows a GSP hang or recurs without one, reset the GPU and "
          "update the driver."),
    110: ("hardware", "error", "security fault error",
          "Revert recent hardware changes and cold reset the host; contact the vendor if it recurs."),
    119: ("driver", "error", "GSP RPC timeout",
          "Reset the GPU; update the driver; if it recurs, disable GSP (proprietary module) or "
          "replace the board."),
    120: ("driver", "error", "GSP error",
          "Reset the GPU; update the driver; if it recurs, replace the board."),
    121: ("hardware", "warning", "C2C link corrected errors",
          "Reset the GPU in a service window to retrain the link."),
    136: ("hardware", "error", "link training failed", "Reset the GPU; check the link's signal integrity."),
    137: ("application", "warning", "NVLink privilege error (illegal peer access)",
          "Usually a bug in the program; run it under compute-sanitizer."),
    139: ("application", "warning", "optical flow accelerator exception", _APP_RESTART),
    140: ("hardware", "error", "unrecovered ECC error",
          "Do not retry installs: reset the GPU (power cycle the host) and replace the board if "
          "it recurs; no driver or configuration change fixes it."),
    141: ("application", "info", "CUDA fast path error", "Nothing to do unless it recurs."),
    142: ("application", "warning", "video encoder (NVENC) error", _APP_RESTART),
    143: ("hardware", "error", "GPU initialisation failure",
          "Power cycle the host; update the VBIOS/driver; replace the board if it recurs."),
    151: ("driver", "error", "key rotation error (confidential computing)", "Restart the VM."),
    154: ("hardware", "error", "GPU recovery action changed",
          "Follow the recovery action it names (GPU reset, node reboot or drain and reset)."),
    155: ("hardware", "warning", "NVLink software-defined error (link down)",
          "Reset the GPU if the link was not taken down on purpose."),
    156: ("hardware", "warning", "resource retirement event", "Reset the GPU when convenient."),
    157: ("hardware", "error", "resource retirement failure",
          "No repair resources are left: plan to replace the board."),
    158: ("hardware", "error", "GPU fatal timeout", "Reset the GPU; contact support if it recurs."),
    159: ("hardware", "warning", "CHI non-data error (C2C link)", "Check the UVM driver; reset if it recurs."),
    160: ("driver", "warning", "channel retirement event", "Nothing to do unless it recurs."),
    161: ("driver", "warning", "channel retirement failure", "Update the driver if it recurs."),
    162: ("info", "info", "power smoothing circuitry re-engaged", "Nothing to do."),
    163: ("hardware", "warning", "power smoothing circuitry disengaged",
          "Resolve the thermal events, or reload the driver / reset the GPU after a timeout."),
    164: ("hardware", "warning", "power smoothing circuitry low lifetime",
          "Plan to replace the GPU if power smoothing is needed."),
    165: ("hardware", "warning", "power smoothing circuitry lifetime exhausted",
          "Replace the GPU if power smoothing is needed."),
    166: ("driver", "warning", "NVLink traffic before encryption was configured (confidential computing)",
          "Check the confidential computing setup."),
    167: ("hardware", "error", "PCIe fatal timeout", "Power cycle the host; check the slot and riser."),
    168: ("hardware", "error", "errors found in the write-protected memory region",
          "Enable ECC (for row remapping) or retry the boot; replace the board if it recurs."),
    169: ("hardware", "error", "internal micro-controller (SEC2) halt",
          "Reset the GPU (power cycle the host); replace the board if it recurs."),
    170: ("driver", "warning", "NVLink interrupt in confidential computing mode",
          "Check the confidential computing setup."),
    171: ("hardware", "error", "uncorrectable DRAM ECC error (details of Xid 48)",
          "Reset the GPU; replace the board if it recurs."),
    172: ("hardware", "error", "uncorrectable SRAM ECC error (details of Xid 48)",
          "Check the SRAM error threshold (nvidia-smi) and follow the RMA flow if exceeded."),
}
for _code in (70, 71, 72, 75, 76, 77, 85) + tuple(range(126, 136)):
    XIDS[_code] = ("application", "warning", "copy engine exception", _APP_RESTART)
for _code in (82, 83, 84, 88, 89) + tuple(range(96, 106)):
    XIDS[_code] = ("application", "warning", "video decoder or JPEG engine exception", _APP_RESTART)
# NVLink 5 (Blackwell) errors: the message says Fatal or Nonfatal; Nonfatal is a warning.
for _code, _unit in zip(range(144, 151), ("SAW", "RLW", "TLW", "TREX", "NVLPW_CTRL", "NETIR", "MSE")):
    XIDS[_code] = ("hardware", "error", "NVLink %s error" % _unit,
                   "Reset the GPU; check the NVLink connections and the peer device; replace parts "
                   "if it recurs.")
XID_NONFATAL = frozenset(range(144, 151))

# Xids that follow another Xid or hang on the same GPU; with a root cause there they are
# marked caused_by it (NVIDIA: Xid 45 "due to previous errors", Xid 154 "seen in conjunction
# with other Xids", Xid 109 after a GSP hang).
XID_CONSEQUENCES = frozenset((45, 109, 154))

# Xid 154's recovery action (NVML's nvmlDeviceGpuRecoveryAction_t names, as the driver prints
# them: "GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)"): the action
# decides the severity of the finding.
# Every action but None keeps the GPU out of service until it is reset (NVML
# nvmlGpuRecoveryAction_t: NONE 0, GPU_RESET 1, NODE_REBOOT 2, DRAIN_P2P 3, DRAIN_AND_RESET 4;
# NVIDIA's Xid catalog for Xid 154): an error. An action not listed here is an error too
# (XID154_UNKNOWN_ACTION), and so is an Xid 154 whose action the scanner cannot read.
XID154_ACTIONS = {
    "none": ("info", "no recovery action is needed"),
    "drain p2p": ("error", "peer-to-peer traffic must be drained, then the GPU reset"),
    "drain and reset": ("error", "the GPU's work must be drained, then the GPU reset"),
    "drain and reset recommended": ("error", "the GPU's work must be drained, then the GPU reset"),
    "gpu reset required": ("error", "the GPU must be reset before it can be used again"),
    "node reboot required": ("error", "the guest must be rebooted (and the GPU reset by the host)"),
    "os reboot": ("error", "the guest must be rebooted (and the GPU reset by the host)"),
    "bus reset": ("error", "the GPU's PCIe bus must be reset"),
    "system reboot": ("error", "the system must be rebooted"),
}
XID154_UNKNOWN_ACTION = ("error", "the GPU needs the recovery action it names (this collection does not know it; "
                                  "treat it as a required reset)")

UNKNOWN_XID = ("unknown", "warning", "not in this collection's Xid catalog",
               "Look Xid {xid} up in NVIDIA's Xid catalog (https://docs.nvidia.com/deploy/xid-errors/) "
               "for what it means and the recovery action; it does not by itself mean that the "
               "driver is missing or broken.")

XID_SIGNATURE = {
    "id": "xid",
    "role": "root",
    # MIG GPUs add the GPU instance and compute instance (kernel_rc.c: "PCI:%04x:%02x:%02x
    # GPU-I:%02u GPU-CI:%02u"; NVIDIA's A100 memory error guide: "(PCI:0000:01:00 GPU-I:05)").
    "pattern": r"NVRM: Xid \((?:PCI:)?(?P<pci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2})(?:\.[0-7])?"
               r"(?: GPU-I:(?P<gi>\d+))?(?: GPU-CI:(?P<ci>\d+))?\): (?P<xid>\d+)",
    "meaning": "An Xid is the NVIDIA driver's error report for a GPU; the number says what went "
               "wrong, from program faults to hardware failures.",
    "example": "NVRM: Xid (PCI:0000:00:04): 140, An uncorrectable ECC error detected "
               "(possible firmware handling failure)",
}

# Lines that look alarming but are normal; listed so that the guide can say so
# and the tests can prove the scanner stays quiet on them.
NOT_ALARMS = [
    ("nvidia: module verification failed: signature and/or required key missing - tainting kernel",
     "The module is not signed by a key the kernel knows; with Secure Boot off it still loads."),
    ("nvidia: loading out-of-tree module taints kernel.",
     "Every module built outside the kernel tree (DKMS) taints the kernel; harmless."),
    ("nvidia: module license 'NVIDIA' taints kernel.",
     "The proprietary module's licence taints the kernel; harmless."),
    ("pci 0000:01:00.0: BAR 6: no space for [mem size 0x00080000 pref]",
     "BAR 6 is the expansion ROM; the GPU works without it."),
    ("NVRM: Persistence mode is deprecated and will be removed in a future release. "
     "Please use nvidia-persistenced instead.",
     "Printed when `nvidia-smi -pm 1` is used; nvidia-persistenced is the recommended way."),
]

# Xids whose summary says the GPU has uncorrectable memory errors: the hardware errors of the
# catalog that are ECC errors.
XID_UNCORRECTABLE_MEMORY = frozenset(x for x, (cls, sev, name, _action) in XIDS.items()
                                     if cls == "hardware" and sev == "error" and "ECC" in name)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the nvidia_smi module: which fields to query, how to parse
the answer of ``nvidia-smi --query-gpu``, how to tell its failures apart,
and how to judge the GPUs it reports.

Texts and exit codes are those of the real tool (fixtures under
tests/unit/fixtures/ say where each was recorded).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import os
import re
import signal
import subprocess

# (field, key in the result, parser). The first six are required; the others
# are dropped one by one when an older driver does not know them.
FIELDS = [
    ("index", "index", "int"),
    ("name", "name", "str"),
    ("uuid", "uuid", "str"),
    ("pci.bus_id", "pci_bus_id", "pci"),
    ("driver_version", "driver_version", "str"),
    ("memory.total", "memory_total_mib", "int"),
    ("memory.used", "memory_used_mib", "int"),
    ("ecc.mode.current", "ecc_mode", "str"),
    ("ecc.errors.uncorrected.volatile.total", "ecc_uncorrected", "int"),
    ("ecc.errors.corrected.volatile.total", "ecc_corrected", "int"),
    ("temperature.gpu", "temperature_c", "int"),
    ("persistence_mode", "persistence_mode", "str"),
    ("pstate", "pstate", "str"),
    ("power.draw", "power_draw_w", "float"),
    ("power.limit", "power_limit_w", "float"),
    ("utilization.gpu", "utilization_gpu_pct", "int"),
    ("vbios_version", "vbios_version", "str"),
    ("compute_mode", "compute_mode", "str"),
    ("mig.mode.current", "mig_mode", "str"),
    ("pcie.link.gen.current", "pcie_link_gen", "int"),
    ("pcie.link.width.current", "pcie_link_width", "int"),
    ("retired_pages.pending", "retired_pages_pending", "str"),
    ("retired_pages.double_bit.count", "retired_pages_double_bit", "int"),
    ("retired_pages.single_bit_ecc.count", "retired_pages_single_bit", "int"),
    ("remapped_rows.pending", "remapped_rows_pending", "str"),
    ("remapped_rows.failure", "remapped_rows_failure", "str"),
    ("remapped_rows.correctable", "remapped_rows_correctable", "int"),
    ("remapped_rows.uncorrectable", "remapped_rows_uncorrectable", "int"),
]
REQUIRED = ("index", "name", "uuid", "pci.bus_id", "driver_version", "memory.total")

_NA = ("[N/A]", "N/A", "[Not Supported]", "Not Supported", "[Unknown Error]", "[Insufficient Permissions]",
       "[GPU is lost]", "[Requested functionality has been deprecated]", "[GPU requires reset]", "")
# NVML_ERROR_RESET_REQUIRED, as nvidia-smi prints it in a field: the GPU must be reset before it
# answers again (leptonai/gpud #1133 handles the same NVML error).
_RESET_VALUE = "[GPU requires reset]"
# The fields whose value says whether the GPU is fit for work: one nvidia-smi cannot read
# ([Unknown Error]) leaves that unknown, which counts (field_unreadable).
HEALTH_KEYS = ("driver_version", "memory_total_mib", "ecc_uncorrected", "retired_pages_pending",
               "retired_pages_double_bit", "remapped_rows_pending", "remapped_rows_failure",
               "remapped_rows_uncorrectable")
# "WARNING: infoROM is corrupted at gpu 0000:B3:00.0" (exit 14 with the table; `-q` prints it
# and exits 0: microsoft/pai #3756, NVIDIA/gpu-operator #20).
_INFOROM_WARNING = re.compile(r"WARNING: infoROM is corrupted at gpu (?P<pci>\S+)")

_BAD_FIELD = re.compile(r'Field "([^"]+)" is not a valid field to query')

# Real exit codes of nvidia-smi (nvidia-smi(1), "RETURN VALUE", as NVIDIA's manual page for the
# 535-610 drivers lists them): every non-zero code is a failure of the call, whatever rows
# the tool printed beside it. EXIT_CODES: code -> (reason, what NVIDIA says it means).
RC_BAD_ARGUMENT = 2
RC_NOT_SUPPORTED = 3
RC_NO_PERMISSION = 4
RC_NOT_FOUND = 6
RC_POWER_CABLES = 8
RC_DRIVER_NOT_LOADED = 9
RC_IRQ = 10
RC_NVML_MISSING = 12
RC_NOT_IMPLEMENTED = 13
RC_INFOROM = 14
RC_GPU_LOST = 15
RC_OTHER = 255
EXIT_CODES = {
    RC_BAD_ARGUMENT: ("bad_argument", "a supplied argument or flag is invalid"),
    RC_NOT_SUPPORTED: ("not_supported", "the requested operation is not available on the target device"),
    RC_NO_PERMISSION: ("permission_denied", "the current user does not have permission to access this device"),
    RC_NOT_FOUND: ("no_devices", "the query to find an object was unsuccessful"),
    RC_POWER_CABLES: ("power_cables", "a device's external power cables are not properly attached"),
    RC_DRIVER_NOT_LOADED: ("driver_not_loaded", "the NVIDIA driver is not loaded"),
    RC_IRQ: ("irq_issue", "the NVIDIA kernel module detected an interrupt issue with a GPU"),
    RC_NVML_MISSING: ("library_missing", "the NVML shared library could not be found or loaded"),
    RC_NOT_IMPLEMENTED: ("not_implemented", "the local version of NVML does not implement this function"),
    RC_INFOROM: ("inforom_corrupted", "the infoROM is corrupted"),
    RC_GPU_LOST: ("gpu_lost", "the GPU has fallen off the bus or has otherwise become inaccessible"),
    RC_OTHER: ("unknown", "other error or internal driver error occurred"),
}

# Every reason the module returns, and what it says about the guest (the fleet report's
# status): a GPU fault, a guest or driver set up wrong, or a check that could not conclude.
REASON_KIND = {
    "ecc_errors": "hardware", "gpu_lost": "hardware", "inforom_corrupted": "hardware",
    "power_cables": "hardware", "reset_required": "hardware",
    "not_installed": "misconfigured", "driver_not_loaded": "misconfigured", "version_mismatch": "misconfigured",
    "no_devices": "misconfigured", "count_mismatch": "misconfigured", "driver_too_old": "misconfigured",
    "library_missing": "misconfigured", "permission_denied": "misconfigured", "irq_issue": "misconfigured",
    "row_remap_pending": "degraded", "retired_pages_pending": "degraded", "field_unreadable": "degraded",
    "not_supported": "degraded", "not_implemented": "degraded", "bad_argument": "degraded",
    "timeout": "degraded", "unknown": "degraded",
}
REASONS = tuple(REASON_KIND)


def query_argument(fields):
    return "--query-gpu=" + ",".join(fields)


def unknown_field(output):
    """The field an older driver refused (exit 2), or None."""
    m = _BAD_FIELD.search(output or "")
    return m.group(1) if m else None


def normalise_pci(bus_id):
    """``00000000:01:00.0`` (nvidia-smi) -> ``0000:01:00.0`` (the kernel's form)."""
    m = re.match(r"^([0-9A-Fa-f]+):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\.([0-7])$", bus_id.strip())
    if not m:
        return bus_id.strip()
    return "%04x:%s:%s.%s" % (int(m.group(1), 16), m.group(2).lower(), m.group(3).lower(), m.group(4))


def _value(raw, kind):
    v = raw.strip()
    if v in _NA:
        return None
    if kind == "str":
        return v
    if kind == "pci":
        return normalise_pci(v)
    num = v.split(" ")[0]  # units are off (nounits), but be tolerant
    try:
        if kind == "int":
            return int(float(num))
        return float(num)
    except ValueError:
        return None


# One GPU of several that nvidia-smi cannot reach: it says so on a line of its own and answers
# for the others ("Unable to determine the device handle for GPU 0000:0B:00.0: GPU is lost.
# Reboot the system to recover this GPU", NVIDIA/open-gpu-kernel-modules #387 and others quote
# it; "... for GPU0000:65:00.0: Unknown Error" without the space, NVIDIA/nvidia-container-toolkit
# #69). Both mean the GPU is gone from the driver's view.
_HANDLE_LOST = re.compile(r"Unable to determine the device handle for GPU ?(?P<pci>[0-9A-Fa-f]+:[0-9A-Fa-f]{2}:"
                          r"[0-9A-Fa-f]{2}\.[0-7]): (?P<why>[^\n]*)")
_LOST_VALUES = ("[GPU is lost]", "[Unknown Error]")
_UNREADABLE = ("[Unknown Error]", "[GPU is lost]")


def parse_query(output, fields):
    """Parse ``--format=csv,noheader,nounits`` output for ``fields``; raise ValueError when
    no line is a GPU row."""
    return parse_answer(output, fields)[0]


def parse_answer(output, fields):
    """(gpus, lost, stray) from nvidia-smi's answer to a query.

    gpus: one dict per CSV row with the right number of values; a value nvidia-smi could not
    read (``[Unknown Error]``) is null and its key listed in ``unreadable``. lost: one dict
    (pci_bus_id, why, index) per GPU that nvidia-smi could not reach, from a "device handle"
    line or a row whose identity fields read ``[GPU is lost]``. stray: other lines (a loader
    warning on stderr, say), which do not break the parse. A answer without any GPU row or
    lost GPU raises ValueError."""
    kinds = dict((f, (k, t)) for f, k, t in FIELDS)
    gpus, lost, stray = [], [], []
    for line in output.splitlines():
        if not line.strip():
            continue
        m = _HANDLE_LOST.search(line)
        if m:
            lost.append({"pci_bus_id": normalise_pci(m.group("pci")), "why": m.group("why").split(".")[0].strip(),
                         "index": None})
            continue
        row = next(csv.reader([line], skipinitialspace=True))
        if len(row) != len(fields):
            stray.append(line)
            continue
        gpu, unreadable, reset = {}, [], []
        for field, raw in zip(fields, row):
            key, kind = kinds[field]
            gpu[key] = _value(raw, kind)
            if raw.strip() in _UNREADABLE:
                unreadable.append(key)
            elif raw.strip() == _RESET_VALUE:
                reset.append(key)
        if any(row[fields.index(f)].strip() in _LOST_VALUES for f in ("uuid", "pci.bus_id") if f in fields):
            lost.append({"pci_bus_id": gpu.get("pci_bus_id"), "why": "GPU is lost", "index": gpu.get("index")})
            continue
        if unreadable:
            gpu["unreadable"] = unreadable
        if reset:
            gpu["reset_required"] = reset
        gpus.append(gpu)
    if not gpus and not lost:
        bad = stray[0] if stray else "no output"
        raise ValueError("expected %d values per GPU, got: %r" % (len(fields), bad))
    return gpus, lost, stray


def lost_message(lost, gpus):
    """The failure message for GPUs nvidia-smi could not reach."""
    names = "; ".join("GPU %s (%s)" % (g["pci_bus_id"] or "index %s" % g["index"], g["why"]) for g in lost)
    healthy = (" The other GPUs answered: %s." % ", ".join("%s %s" % (g.get("pci_bus_id"), g.get("name"))
                                                           for g in gpus)) if gpus else ""
    return ("nvidia-smi cannot reach %s: the GPU has fallen off the bus or stopped answering. This is a "
            "hardware or host-level fault: stop the VM, reset or power cycle the GPU on the host, check "
            "power and seating; replace the board if it recurs.%s" % (names, healthy))


def findings_to_warn(gpus):
    """Warnings for values nvidia-smi could not read that do not decide the GPU's health
    (the others fail the check: judge's field_unreadable)."""
    out = []
    for g in gpus:
        bad = [k for k in g.get("unreadable") or [] if k not in HEALTH_KEYS]
        if bad:
            out.append("GPU %s (%s): nvidia-smi could not read %s ([Unknown Error])." % (
                g.get("index"), g.get("pci_bus_id"), ", ".join(bad)))
    return out


_NVML_LIBRARY = re.compile(r"NVML library version:\s*(?P<v>[0-9.]+)")
_MODULE_VERSION = re.compile(r"Kernel Module(?: for \w+)?\s+(?P<v>\d+\.\d+(?:\.\d+)?)")


def kernel_module_version(text):
    """The loaded module's version from /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX
    Open Kernel Module for x86_64  580.159.04  Release Build ..."), or None."""
    m = _MODULE_VERSION.search(text or "")
    return m.group("v") if m else None


def parse_cuda_version(text):
    """CUDA version from the banner, ``-q`` or ``--version`` output."""
    m = re.search(r"CUDA Version\s*:\s*([0-9.]+)", text or "")
    return m.group(1) if m else None


def version_tuple(version):
    parts = []
    for p in str(version).strip().split("."):
        if not p.isdigit():
            raise ValueError("%r is not a version made of numbers separated by dots" % version)
        parts.append(int(p))
    return tuple(parts)


def version_older(actual, minimum):
    """True when ``actual`` is older than ``minimum`` (component by component,
    missing components count as 0: 570 == 570.0.0)."""
    a, m = version_tuple(actual), version_tuple(minimum)
    n = max(len(a), len(m))
    return a + (0,) * (n - len(a)) < m + (0,) * (n - len(m))


def classify_failure(rc, output, module_version=None):
    """(reason, msg) for a failed nvidia-smi run (rc != 0). ``module_version`` is the loaded
    kernel module's version (/proc/driver/nvidia/version), for a version mismatch."""
    text = output or ""
    low = text.lower()
    first = text.strip().splitlines()[0] if text.strip() else "no output"
    if "version mismatch" in low:
        lib = _NVML_LIBRARY.search(text)
        lib = lib.group("v") if lib else "unknown (nvidia-smi did not say)"
        return "version_mismatch", (
            "nvidia-smi: %s. The loaded kernel module is %s (/proc/driver/nvidia/version) and the "
            "user-space NVML library is %s: they belong to different driver versions. After a driver "
            "upgrade this lasts until the old module is unloaded: reboot the guest (the usual cure); "
            "reinstalling the driver does not help." % (first, module_version or "unknown (not loaded?)", lib))
    if rc == RC_DRIVER_NOT_LOADED or "couldn't communicate with the nvidia driver" in low:
        return "driver_not_loaded", (
            "nvidia-smi could not talk to the NVIDIA kernel driver (exit %d): the module is not "
            "loaded. Reboot after installing the driver; if it stays unloaded, check `lsmod | grep "
            "nvidia`, the DKMS build (`dkms status`), Secure Boot, and the kernel log "
            "(passthrough.nvidia.dmesg_check)." % rc)
    if rc == RC_NOT_FOUND or "no devices were found" in low:
        return "no_devices", (
            "nvidia-smi found no GPU (exit %d, \"No devices were found\"): the driver is loaded but "
            "sees no usable GPU. Check the passthrough on the host (the GPU is assigned to this VM, "
            "bound to vfio-pci there, reset between boots) and the guest's kernel log for BAR or "
            "initialisation errors (passthrough.nvidia.dmesg_check)." % rc)
    if rc == RC_GPU_LOST or "gpu is lost" in low or "fallen off the bus" in low or _HANDLE_LOST.search(text):
        return "gpu_lost", (
            "nvidia-smi: a GPU has fallen off the bus (exit %d). This is a hardware or host-level "
            "fault: power cycle the host, check power and seating; replace the board if it "
            "recurs." % rc)
    if rc == RC_INFOROM or ("inforom" in low and "corrupt" in low):
        return _inforom("the GPU's infoROM is corrupted (exit %d)" % rc)
    if rc == RC_NVML_MISSING or "libnvidia-ml" in low or "nvml shared library not found" in low:
        return "library_missing", (
            "nvidia-smi cannot find the NVML library libnvidia-ml.so (exit %d): the driver's "
            "user-space part is incomplete. Reinstall the driver packages (libnvidia-ml1 / "
            "nvidia-driver-cuda) and run ldconfig." % rc)
    if rc == RC_NO_PERMISSION or "insufficient permissions" in low:
        return "permission_denied", (
            "nvidia-smi was refused access to the GPU (exit %d): run the task with become: true, "
            "or check the permissions of /dev/nvidia*." % rc)
    if rc == RC_POWER_CABLES:
        return "power_cables", (
            "nvidia-smi: a GPU's external power cables are not properly attached (exit 8). This is the host's "
            "hardware: connect the GPU's PCIe power cables and check the power supply; the guest cannot fix "
            "it. (%s)" % first)
    if rc == RC_IRQ:
        return "irq_issue", (
            "nvidia-smi: the NVIDIA kernel module detected an interrupt (IRQ) problem with a GPU (exit 10). In a "
            "VM this is the passthrough's interrupts: use a q35 machine with the GPU behind a PCIe root port "
            "(MSI), no pci=nomsi on the guest, and check the host's vfio-pci messages and interrupt "
            "remapping. (%s)" % first)
    reason, means = EXIT_CODES.get(rc, ("unknown", "an exit code nvidia-smi(1) does not list"))
    what = {
        "not_supported": "The GPU or driver does not support a queried feature; the GPU's state could not be "
                         "checked fully. Update the driver if the feature should be there.",
        "not_implemented": "This NVML is older than nvidia-smi: the driver's libraries are mixed. Reinstall one "
                           "driver version consistently (nvidia_driver_branch) and reboot.",
        "bad_argument": "nvidia-smi refused the query: this collection's call does not fit this nvidia-smi. "
                        "Report it with the driver version.",
    }.get(reason, "Run nvidia-smi on the guest and read the kernel log (passthrough.nvidia.dmesg_check).")
    return reason, "nvidia-smi failed (exit %d: %s): %s. %s" % (rc, means, first, what)


def _inforom(said):
    """The verdict on a corrupted infoROM, whether nvidia-smi exited 14 or only warned (``said``)."""
    return "inforom_corrupted", (
        "nvidia-smi: %s. The GPU may still work, but its ECC, page retirement and other records are "
        "unreliable: have the board's infoROM reflashed or the board replaced." % said)


def _name(g):
    return "GPU %s (%s, %s)" % (g.get("index"), g.get("pci_bus_id"), g.get("name"))


def _names(gpus):
    return "; ".join(_name(g) for g in gpus)


def judge(gpus, expected_gpus=None, fail_on_ecc=True, min_driver_version=None, lost=None, rc=0, output=""):
    """(reason, msg) of the first problem, or (None, None): from everything nvidia-smi said:
    the GPUs it lost, its exit code (any non-zero code counts, EXIT_CODES), its warnings
    (a corrupted infoROM), the values it could not give ([GPU requires reset], [Unknown Error]
    in a field that decides the GPU's health) and the values it gave."""
    if lost:
        return "gpu_lost", lost_message(lost, gpus)
    if rc:
        return classify_failure(rc, output)
    inforom = _INFOROM_WARNING.search(output or "")
    if inforom:
        return _inforom(inforom.group(0))
    if not gpus and expected_gpus == 0:
        return None, None
    if not gpus:
        return "no_devices", ("nvidia-smi listed no GPU. Check the passthrough on the host and the "
                              "guest's kernel log (passthrough.nvidia.dmesg_check).")
    if expected_gpus is not None and len(gpus) != expected_gpus:
        return "count_mismatch", (
            "Expected %d GPU(s), nvidia-smi sees %d (%s). A GPU may not be passed through to this VM, "
            "or it failed to initialise: check the host's VM configuration and the guest's kernel log."
            % (expected_gpus, len(gpus), ", ".join("%s %s" % (g.get("pci_bus_id"), g.get("name")) for g in gpus)))
    reset = [g for g in gpus if g.get("reset_required")]
    if reset:
        return "reset_required", (
            "%s: nvidia-smi reads [GPU requires reset] (%s): the GPU is out of service until it is reset. Stop "
            "the VM, reset the GPU on the host (or power cycle it), start the VM again; read the kernel log "
            "(dmesg_check) for the Xid that put it there." % (_names(reset), ", ".join(reset[0]["reset_required"])))
    if fail_on_ecc:
        bad = [g for g in gpus if (g.get("ecc_uncorrected") or 0) > 0
               or (g.get("remapped_rows_failure") or "").lower() == "yes"]
        if bad:
            parts = []
            for g in bad:
                what = []
                if (g.get("ecc_uncorrected") or 0) > 0:
                    what.append("%d uncorrected ECC errors" % g["ecc_uncorrected"])
                if (g.get("remapped_rows_failure") or "").lower() == "yes":
                    what.append("a failed row remapping")
                parts.append("%s has %s" % (_name(g), " and ".join(what)))
            return "ecc_errors", (
                "%s: this is a hardware fault of the GPU memory; no driver or configuration change "
                "will fix it. Drain the GPU, reset it (power cycle the host) and replace the board if "
                "the errors return." % "; ".join(parts))
        pending = [g for g in gpus if (g.get("remapped_rows_pending") or "").lower() == "yes"]
        if pending:
            return "row_remap_pending", (
                "%s: a row remapping is pending (%s uncorrectable rows remapped so far): the GPU's memory had "
                "errors and the spare row takes effect only after a GPU reset. Drain the GPU and reset it "
                "(stop the VM, reset or power cycle the GPU on the host); watch the counts afterwards." % (
                    _names(pending), pending[0].get("remapped_rows_uncorrectable")))
        retire = [g for g in gpus if (g.get("retired_pages_pending") or "").lower() == "yes"]
        if retire:
            return "retired_pages_pending", (
                "%s: a page retirement is pending (%s double-bit pages retired): the faulty memory is isolated "
                "only after the GPU is reset. Reboot the guest with a GPU reset on the host; replace the board "
                "if retirements keep coming." % (_names(retire), retire[0].get("retired_pages_double_bit")))
    unreadable = [g for g in gpus if [k for k in g.get("unreadable") or [] if k in HEALTH_KEYS]]
    if unreadable:
        keys = [k for k in unreadable[0]["unreadable"] if k in HEALTH_KEYS]
        return "field_unreadable", (
            "%s: nvidia-smi could not read %s ([Unknown Error]), so the GPU's health is unknown. Check "
            "`nvidia-smi -q -d ECC,ROW_REMAPPER,PAGE_RETIREMENT` and the kernel log; a GPU that keeps failing "
            "to answer is failing." % (_names(unreadable), ", ".join(keys)))
    if min_driver_version:
        drv = gpus[0].get("driver_version")
        if drv and version_older(drv, min_driver_version):
            return "driver_too_old", (
                "The NVIDIA driver is %s, older than the required %s: install a newer branch "
                "(nvidia_driver_branch) and reboot." % (drv, min_driver_version))
    return None, None


class Timeout(Exception):
    """nvidia-smi did not answer in time."""


def run_with_timeout(cmd, timeout):
    """Run ``cmd``; return (rc, stdout and stderr together).

    On timeout the whole process group is killed and Timeout raised without
    waiting for a process stuck in the kernel (a GPU that fell off the bus
    leaves nvidia-smi in uninterruptible sleep), so the play goes on.
    AnsibleModule.run_command cannot do this: it has no timeout.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            env=dict(os.environ, LC_ALL="C"))
    try:
        out, _err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        raise Timeout()
    return proc.returncode, out.decode("utf-8", "replace")

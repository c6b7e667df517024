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
       "[GPU is lost]", "[Requested functionality has been deprecated]", "")

_BAD_FIELD = re.compile(r'Field "([^"]+)" is not a valid field to query')

# Real exit codes of nvidia-smi (nvidia-smi(1), "RETURN VALUE").
RC_NOT_SUPPORTED = 3
RC_NO_PERMISSION = 4
RC_NOT_FOUND = 6
RC_POWER_CABLES = 8
RC_DRIVER_NOT_LOADED = 9
RC_IRQ = 10
RC_NVML_MISSING = 12
RC_INFOROM = 14
RC_GPU_LOST = 15

REASONS = ("not_installed", "driver_not_loaded", "version_mismatch", "no_devices", "count_mismatch",
           "ecc_errors", "timeout", "driver_too_old", "gpu_lost", "inforom_corrupted", "library_missing",
           "permission_denied", "unknown")


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


def parse_query(output, fields):
    """Parse ``--format=csv,noheader,nounits`` output for ``fields``."""
    kinds = dict((f, (k, t)) for f, k, t in FIELDS)
    gpus = []
    for row in csv.reader([ln for ln in output.splitlines() if ln.strip()], skipinitialspace=True):
        if len(row) != len(fields):
            raise ValueError("expected %d values per GPU, got %d: %r" % (len(fields), len(row), row))
        gpu = {}
        for field, raw in zip(fields, row):
            key, kind = kinds[field]
            gpu[key] = _value(raw, kind)
        gpus.append(gpu)
    return gpus


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


def classify_failure(rc, output):
    """(reason, msg) for a failed nvidia-smi run (rc != 0)."""
    text = output or ""
    low = text.lower()
    first = text.strip().splitlines()[0] if text.strip() else "no output"
    if "version mismatch" in low:
        return "version_mismatch", (
            "nvidia-smi: %s. The loaded kernel module and the user-space libraries are different "
            "driver versions; after a driver upgrade, reboot the guest (the usual fix)." % first)
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
    if rc == RC_GPU_LOST or "gpu is lost" in low or "fallen off the bus" in low:
        return "gpu_lost", (
            "nvidia-smi: a GPU has fallen off the bus (exit %d). This is a hardware or host-level "
            "fault: power cycle the host, check power and seating; replace the board if it "
            "recurs." % rc)
    if rc == RC_INFOROM or ("inforom" in low and "corrupt" in low):
        return "inforom_corrupted", (
            "nvidia-smi: the GPU's infoROM is corrupted (exit %d). The GPU may still work, but ECC "
            "and other records are unreliable; have the board's infoROM reflashed or the board "
            "replaced." % rc)
    if rc == RC_NVML_MISSING or "libnvidia-ml" in low or "nvml shared library not found" in low:
        return "library_missing", (
            "nvidia-smi cannot find the NVML library libnvidia-ml.so (exit %d): the driver's "
            "user-space part is incomplete. Reinstall the driver packages (libnvidia-ml1 / "
            "cuda-drivers) and run ldconfig." % rc)
    if rc == RC_NO_PERMISSION or "insufficient permissions" in low:
        return "permission_denied", (
            "nvidia-smi was refused access to the GPU (exit %d): run the task with become: true, "
            "or check the permissions of /dev/nvidia*." % rc)
    extra = ""
    if rc == RC_POWER_CABLES:
        extra = " Exit 8 means a GPU's external power cables are not attached properly."
    elif rc == RC_IRQ:
        extra = " Exit 10 means the NVIDIA kernel module detected an interrupt (IRQ) problem."
    return "unknown", "nvidia-smi failed (exit %d): %s.%s" % (rc, first, extra)


def judge(gpus, expected_gpus=None, fail_on_ecc=True, min_driver_version=None):
    """(reason, msg) of the first problem with healthy-looking output, or (None, None)."""
    if not gpus:
        return "no_devices", ("nvidia-smi listed no GPU. Check the passthrough on the host and the "
                              "guest's kernel log (passthrough.nvidia.dmesg_check).")
    if expected_gpus is not None and len(gpus) != expected_gpus:
        return "count_mismatch", (
            "Expected %d GPU(s), nvidia-smi sees %d (%s). A GPU may not be passed through to this VM, "
            "or it failed to initialise: check the host's VM configuration and the guest's kernel log."
            % (expected_gpus, len(gpus), ", ".join("%s %s" % (g.get("pci_bus_id"), g.get("name")) for g in gpus)))
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
                parts.append("GPU %s (%s, %s) has %s" % (g.get("index"), g.get("pci_bus_id"), g.get("name"),
                                                         " and ".join(what)))
            return "ecc_errors", (
                "%s: this is a hardware fault of the GPU memory; no driver or configuration change "
                "will fix it. Drain the GPU, reset it (power cycle the host) and replace the board if "
                "the errors return." % "; ".join(parts))
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

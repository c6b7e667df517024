#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nvidia_smi
short_description: Gather NVIDIA GPU facts with nvidia-smi and assert that the GPUs are healthy
version_added: 0.1.0
description:
  - Runs C(nvidia-smi --query-gpu) once for the facts of every GPU and returns them.
  - Fails with a RV(reason) and a message saying what to do when C(nvidia-smi) is missing, the driver
    is not loaded, libraries and kernel module disagree, no GPU is visible, a GPU fell off the bus,
    the number of GPUs is not the expected one, a GPU reports uncorrected ECC errors, or the driver is
    older than required.
  - Older drivers that refuse a field (C(Field "x" is not a valid field to query.)) are asked again
    without it, so the module works across driver branches.
  - A hung C(nvidia-smi) (it happens when a GPU falls off the bus) is killed after O(timeout) seconds.
  - Needs nothing on the target beyond Python's standard library and C(nvidia-smi).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  executable:
    description:
      - The C(nvidia-smi) to run; a bare name is looked up on C(PATH) and in C(/usr/bin),
        C(/usr/local/nvidia/bin), C(/usr/local/cuda/bin) and C(/opt/nvidia/bin).
    type: str
    default: nvidia-smi
  expected_gpus:
    description:
      - Fail with RV(reason=count_mismatch) when the number of GPUs differs.
      - V(0) makes C(No devices were found) a success (a guest that should have no GPU).
    type: int
  fail_on_ecc:
    description:
      - Fail with RV(reason=ecc_errors) when a GPU reports uncorrected volatile ECC errors or a failed
        row remapping.
    type: bool
    default: true
  min_driver_version:
    description:
      - Fail with RV(reason=driver_too_old) when the driver is older, compared numerically component
        by component (C(570) or C(570.86.15)).
    type: str
  timeout:
    description: Seconds to wait for each C(nvidia-smi) call (and, with O(compute_check), each CUDA call).
    type: int
    default: 30
  compute_check:
    description:
      - Also launch a CUDA kernel on every GPU, in the same call, exactly as
        M(passthrough.nvidia.cuda_probe) does; its result is RV(compute). It does not change this module's own
        verdict. The fleet report uses it so that a converged run pays one round trip for both checks.
    type: bool
    default: false
  compute_library:
    description: The CUDA driver library for O(compute_check).
    type: str
    default: libcuda.so.1
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
notes:
  - Read-only; never reports a change, runs in check mode.
"""

EXAMPLES = r"""
- name: The guest must see its two GPUs, healthy, with a recent driver
  passthrough.nvidia.nvidia_smi:
    expected_gpus: 2
    min_driver_version: "570"
  register: smi

- name: Show them
  ansible.builtin.debug:
    msg: "{{ smi.gpus | map(attribute='name') | list }} driver {{ smi.driver_version }} CUDA {{ smi.cuda_version }}"

- name: Facts only, never fail on ECC
  passthrough.nvidia.nvidia_smi:
    fail_on_ecc: false
  register: smi
  failed_when: false
"""

RETURN = r"""
compute:
  description: With O(compute_check), the result M(passthrough.nvidia.cuda_probe) returns (status, reason, msg, gpus, ...).
  returned: when O(compute_check) is true
  type: dict
  sample:
    status: ok
    passed: 1
    gpu_count: 1
gpus:
  description: One dict per GPU. Values the GPU does not support (C([N/A])) are null.
  returned: when nvidia-smi answered
  type: list
  elements: dict
  contains:
    index:
      description: GPU index.
      type: int
    name:
      description: Product name.
      type: str
    uuid:
      description: GPU UUID.
      type: str
    pci_bus_id:
      description: PCI address in the kernel's form (C(0000:01:00.0)).
      type: str
    driver_version:
      description: Driver version.
      type: str
    memory_total_mib:
      description: Total memory in MiB.
      type: int
    ecc_mode:
      description: C(Enabled) or C(Disabled); null without ECC.
      type: str
    ecc_uncorrected:
      description: Uncorrected volatile ECC errors; null without ECC.
      type: int
    ecc_corrected:
      description: Corrected volatile ECC errors; null without ECC.
      type: int
    temperature_c:
      description: Temperature in degrees Celsius.
      type: int
    persistence_mode:
      description: C(Enabled) or C(Disabled).
      type: str
    pstate:
      description: Performance state (C(P0) to C(P12)).
      type: str
    remapped_rows_pending:
      description: C(Yes) when a row remapping waits for a GPU reset (Ampere and newer).
      type: str
    remapped_rows_failure:
      description: C(Yes) when a row remapping failed (Ampere and newer); counts as an ECC fault.
      type: str
    retired_pages_pending:
      description: C(Yes) when a page retirement waits for a reboot (before Ampere).
      type: str
    unreadable:
      description:
        - Keys whose value nvidia-smi could not read (C([Unknown Error])); they are null. One of the health
          fields (driver version, memory, ECC, row remapping, page retirement) fails the check
          (RV(reason=field_unreadable)); another is a warning.
      type: list
      elements: str
      returned: when a value could not be read
    reset_required:
      description: Keys that read C([GPU requires reset]) (null); the check fails with RV(reason=reset_required).
      type: list
      elements: str
      returned: when a value read so
  sample:
    - index: 0
      name: NVIDIA H100 80GB HBM3
      uuid: GPU-97c8bc52-3c1c-6734-b79d-e276cb6dec31
      pci_bus_id: "0000:00:06.0"
      driver_version: "580.159.04"
      memory_total_mib: 81559
      ecc_mode: Enabled
      ecc_uncorrected: 0
gpu_count:
  description: Number of GPUs.
  returned: when nvidia-smi answered
  type: int
driver_version:
  description: Driver version of the first GPU.
  returned: when nvidia-smi answered
  type: str
cuda_version:
  description: Highest CUDA version the driver supports, null if unknown.
  returned: when nvidia-smi answered
  type: str
  sample: "13.0"
lost_gpus:
  description:
    - GPUs nvidia-smi could not reach (C(Unable to determine the device handle for GPU ...), or a row
      of C([GPU is lost]) values); the module then fails with RV(reason=gpu_lost) and keeps the other
      GPUs' facts in RV(gpus).
  returned: when nvidia-smi answered
  type: list
  elements: dict
  contains:
    pci_bus_id:
      description: The lost GPU's PCI address (kernel form), null when nvidia-smi did not say.
      type: str
    why:
      description: What nvidia-smi said (C(GPU is lost), C(Unknown Error)).
      type: str
    index:
      description: The GPU's index when nvidia-smi printed a row for it.
      type: int
ignored_output:
  description: Lines of nvidia-smi's output that are no GPU row (a loader warning on stderr); they are ignored.
  returned: when there were such lines
  type: list
  elements: str
unsupported_fields:
  description: Query fields this driver refused; they are missing from RV(gpus).
  returned: always
  type: list
  elements: str
reason:
  description:
    - Why the module failed; one of C(not_installed), C(driver_not_loaded), C(version_mismatch),
      C(no_devices), C(count_mismatch), C(ecc_errors), C(timeout), C(driver_too_old), C(gpu_lost),
      C(inforom_corrupted), C(library_missing), C(permission_denied), C(power_cables), C(irq_issue),
      C(reset_required), C(row_remap_pending), C(retired_pages_pending), C(field_unreadable),
      C(not_supported), C(not_implemented), C(bad_argument), C(unknown).
    - Every non-zero exit code of nvidia-smi fails the check, also when it printed GPU rows (nvidia-smi(1),
      "RETURN VALUE" - 2 bad argument, 3 not supported, 4 no permission, 6 not found, 8 power cables,
      9 driver not loaded, 10 IRQ issue, 12 NVML missing, 13 not implemented, 14 infoROM corrupted,
      15 GPU lost, 255 other); so do its warning that the infoROM is corrupted, C([GPU requires reset]) in any
      field and C([Unknown Error]) in a field that decides the GPU's health.
  returned: on failure
  type: str
rc:
  description: Exit code of the failing nvidia-smi call.
  returned: when nvidia-smi ran and failed
  type: int
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.passthrough.nvidia.plugins.module_utils.check_params import library_error, limits_error
from ansible_collections.passthrough.nvidia.plugins.module_utils.cuda_probe import probe
from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import (
    FIELDS,
    REQUIRED,
    Timeout,
    classify_failure,
    findings_to_warn,
    judge,
    kernel_module_version,
    parse_answer,
    parse_cuda_version,
    query_argument,
    run_with_timeout as run,
    unknown_field,
    version_tuple,
)

SEARCH_PATHS = ["/usr/bin", "/usr/local/nvidia/bin", "/usr/local/cuda/bin", "/opt/nvidia/bin"]
MODULE_VERSION_FILE = "/proc/driver/nvidia/version"


def loaded_module_version():
    try:
        with open(MODULE_VERSION_FILE) as f:
            return kernel_module_version(f.read())
    except (IOError, OSError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            executable=dict(type="str", default="nvidia-smi"),
            expected_gpus=dict(type="int"),
            fail_on_ecc=dict(type="bool", default=True),
            min_driver_version=dict(type="str"),
            timeout=dict(type="int", default=30),
            compute_check=dict(type="bool", default=False),
            compute_library=dict(type="str", default="libcuda.so.1"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    bad = limits_error(p)
    if bad:
        module.fail_json(msg=bad)
    if p["min_driver_version"]:
        try:
            version_tuple(p["min_driver_version"])
        except ValueError as e:
            module.fail_json(msg="min_driver_version: %s" % to_native(e))

    # In the same call (one round trip for the fleet report): CUDA's own check, as cuda_probe makes it.
    bad = library_error(p["compute_library"], "compute_library")
    if bad:
        module.fail_json(msg=bad)
    extra = {"compute": probe(p["compute_library"], p["timeout"])} if p["compute_check"] else {}

    exe = p["executable"]
    if os.sep not in exe:
        exe = module.get_bin_path(exe, opt_dirs=SEARCH_PATHS)
    if not exe or not os.access(exe, os.X_OK):
        module.fail_json(msg="nvidia-smi (%s) is not installed or not executable: install the NVIDIA "
                             "driver (the nvidia_driver role)." % p["executable"],
                         reason="not_installed", unsupported_fields=[], **extra)

    fields = [f for f, _k, _t in FIELDS]
    unsupported = []
    result = dict(changed=False, unsupported_fields=unsupported, executable=exe, **extra)
    try:
        while True:
            rc, out = run([exe, query_argument(fields), "--format=csv,noheader,nounits"], p["timeout"])
            bad = unknown_field(out) if rc != 0 else None
            if bad and bad in fields and bad not in REQUIRED:
                fields.remove(bad)
                unsupported.append(bad)
                continue
            break
        try:
            gpus, lost, stray = parse_answer(out, fields)
        except ValueError as e:
            if rc == 0:
                module.fail_json(msg="Cannot parse the output of nvidia-smi: %s" % to_native(e),
                                 reason="unknown", output=out, **result)
            reason, msg = classify_failure(rc, out, loaded_module_version())
            if reason == "no_devices" and p["expected_gpus"] == 0:
                result.update(gpus=[], gpu_count=0, driver_version=None, cuda_version=None, lost_gpus=[])
                module.exit_json(msg="nvidia-smi found no GPU, as expected (expected_gpus: 0).", **result)
            module.fail_json(msg=msg, reason=reason, rc=rc, output=out, **result)
        # nvidia-smi answered for some GPUs (one of several lost, say): keep their facts.
        rc_q, out_q = run([exe, "-q", "-d", "COMPUTE"], p["timeout"])
    except Timeout:
        module.fail_json(msg="nvidia-smi did not answer within %d seconds: a GPU that has fallen off the "
                             "bus or a hung driver does this. Check the kernel log "
                             "(passthrough.nvidia.dmesg_check) and power cycle the host if a GPU is lost."
                             % p["timeout"], reason="timeout", **result)
    except OSError as e:
        module.fail_json(msg="Cannot run %s: %s" % (exe, to_native(e)), reason="not_installed", **result)

    result.update(
        gpus=gpus,
        gpu_count=len(gpus),
        lost_gpus=lost,
        driver_version=gpus[0].get("driver_version") if gpus else None,
        cuda_version=parse_cuda_version(out_q) if rc_q == 0 else None,
    )
    if stray:
        result["ignored_output"] = stray
    for w in findings_to_warn(gpus):
        module.warn(w)
    # Everything the tool said decides: its exit code and its warnings too, not only the rows.
    reason, msg = judge(gpus, p["expected_gpus"], p["fail_on_ecc"], p["min_driver_version"], lost, rc=rc,
                        output=out)
    if reason:
        if rc != 0:
            result["rc"] = rc
        module.fail_json(msg=msg, reason=reason, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

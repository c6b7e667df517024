#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cuda_probe
short_description: Launch a CUDA kernel on every GPU and check its result
version_added: 0.1.0
description:
  - Proves that CUDA works, not only that C(nvidia-smi) answers. Through the CUDA driver API
    (C(libcuda.so.1), the driver's own library; no CUDA toolkit needed), for each GPU the module
    initialises CUDA, takes the GPU's primary context, loads a small built-in PTX kernel (the driver
    compiles it for the GPU), copies data to the GPU, launches the kernel, copies the result back and
    compares it with the expected values.
  - Returns per GPU the name, PCI address, compute capability, the result and its timing, and on failure
    the CUDA error's name, NVIDIA's meaning of it and what to do (C(CUDA_ERROR_SYSTEM_NOT_READY) on a
    system with NVSwitches means that the Fabric Manager is not running, C(CUDA_ERROR_UNKNOWN) asks for a
    GPU reset and the kernel log, C(CUDA_ERROR_NO_DEVICE) for the kernel module and the passthrough).
  - Never hangs. The work runs in a child process; every CUDA call gets O(timeout) seconds, and a call that
    does not return is named and its GPU reported as hung.
  - Needs nothing on the target beyond Python's standard library and the NVIDIA driver's C(libcuda.so.1).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  library:
    description:
      - The CUDA driver library to load; a bare name is found by the dynamic loader.
    type: str
    default: libcuda.so.1
  expected_gpus:
    description:
      - Fail with RV(reason=count_mismatch) when CUDA sees another number of GPUs.
    type: int
  timeout:
    description: Seconds each CUDA call may take before the GPU counts as hung (and the PyTorch check's limit).
    type: int
    default: 30
  torch_python:
    description:
      - After the driver check passed, this Python (a virtualenv's C(bin/python)) imports C(torch), asks
        C(torch.cuda.is_available()) and computes a small tensor on every GPU, so that a machine-learning stack
        is checked the same way. Its result is RV(torch); a failure fails the module with a C(torch_) reason
        (C(torch_missing), C(torch_cpu_only), C(torch_no_cuda), C(torch_error), C(torch_wrong), C(torch_count),
        C(torch_hung), C(python_failed)).
      - Off when not given.
      - Run as root (become), the check runs as the owner of the interpreter or of its virtualenv when that is
        not root, so that code of the user's environment (a C(.pth), a C(sitecustomize)) never runs as root; the
        result's C(run_as) says which user ran it.
    type: path
attributes:
  check_mode:
    description: Read-only (the kernel writes only to memory the module allocates); runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
notes:
  - Read-only; never reports a change.
  - The kernel is PTX ISA 6.0 for C(sm_50), so every driver since branch 410 compiles it, for any GPU
    generation.
seealso:
  - module: passthrough.nvidia.nvidia_smi
"""

EXAMPLES = r"""
- name: Every GPU must run CUDA work
  passthrough.nvidia.cuda_probe:
    expected_gpus: 8
  register: probe

- name: Show the GPUs that ran the kernel
  ansible.builtin.debug:
    msg: "{{ probe.gpus | map(attribute='name') | list }} CUDA driver API {{ probe.driver_cuda_version }}"

- name: Report instead of failing
  passthrough.nvidia.cuda_probe:
    timeout: 10
  register: probe
  failed_when: false

- name: The driver, then the machine-learning stack of a virtualenv
  passthrough.nvidia.cuda_probe:
    torch_python: /opt/ml/venv/bin/python
"""

RETURN = r"""
status:
  description: C(ok) when every GPU ran the kernel and returned the right result, else C(failed).
  returned: always
  type: str
reason:
  description:
    - Why it failed; one of C(library_missing), C(library_broken), C(no_devices), C(not_ready),
      C(version_mismatch), C(ecc_uncorrectable), C(driver_too_old), C(stub_library), C(driver_error),
      C(cuda_error), C(wrong_result), C(hung), C(crashed), C(not_checked), C(count_mismatch).
  returned: on failure
  type: str
error:
  description: The failure of CUDA as a whole (before any GPU), with RV(error.step).
  returned: when CUDA could not start
  type: dict
  contains:
    code:
      description: The CUresult; null when the call did not return (RV(error.name) is C(timeout)).
      type: int
    name:
      description: NVIDIA's name of the code (C(CUDA_ERROR_NO_DEVICE)).
      type: str
    meaning:
      description: NVIDIA's description of the code (cuda.h).
      type: str
    advice:
      description: What to do.
      type: str
    step:
      description: The CUDA call that failed (C(cuInit)).
      type: str
gpus:
  description: One dict per GPU CUDA sees.
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: CUDA's device ordinal.
      type: int
    name:
      description: Product name.
      type: str
    bus_id:
      description: PCI address in the kernel's form (C(0000:01:00.0)).
      type: str
    compute_capability:
      description: C(major.minor) (C(9.0) for Hopper).
      type: str
    result:
      description: C(ok), C(wrong) (the kernel ran, the values are wrong), C(failed), C(hung) or C(not checked).
      type: str
    step:
      description: The CUDA call that failed or hung.
      type: str
    error:
      description: As RV(error), for this GPU.
      type: dict
    kernel_ms:
      description: Milliseconds from the launch to the end of the synchronisation.
      type: float
    seconds:
      description: Seconds the whole check of this GPU took (context, JIT compile, copies, kernel).
      type: float
    mismatches:
      description: How many of the 1024 results were wrong.
      type: int
  sample:
    - index: 0
      name: NVIDIA H100 80GB HBM3
      bus_id: "0000:00:06.0"
      compute_capability: "9.0"
      result: ok
      kernel_ms: 0.05
      seconds: 0.31
      mismatches: 0
gpu_count:
  description: GPUs CUDA sees; null when CUDA could not start.
  returned: always
  type: int
passed:
  description: GPUs that ran the kernel correctly.
  returned: always
  type: int
driver_cuda_version:
  description: The newest CUDA version the driver supports (cuDriverGetVersion), C(13.0).
  returned: always
  type: str
torch:
  description:
    - With O(torch_python), what PyTorch said; null when the driver check failed first.
  returned: when O(torch_python) is given
  type: dict
  contains:
    status:
      description: C(ok) or C(failed).
      type: str
    reason:
      description: Why it failed (see O(torch_python)).
      type: str
    msg:
      description: What happened and what to do.
      type: str
    version:
      description: C(torch.__version__).
      type: str
    cuda:
      description: The CUDA version PyTorch was built for (C(torch.version.cuda)); null for a CPU-only build.
      type: str
    devices:
      description: One dict per GPU PyTorch used (index, name, ok, seconds).
      type: list
      elements: dict
    python:
      description: The Python that ran it.
      type: str
nvswitches:
  description: Whether the machine has NVSwitches (they need the Fabric Manager).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.passthrough.nvidia.plugins.module_utils.check_params import library_error, limits_error
from ansible_collections.passthrough.nvidia.plugins.module_utils.cuda_probe import probe
from ansible_collections.passthrough.nvidia.plugins.module_utils import torch_check


def main():
    module = AnsibleModule(
        argument_spec=dict(
            library=dict(type="str", default="libcuda.so.1"),
            expected_gpus=dict(type="int"),
            timeout=dict(type="int", default=30),
            torch_python=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    bad = limits_error(p)
    if bad:
        module.fail_json(msg=bad)
    bad = library_error(p["library"], "library")
    if bad:
        module.fail_json(msg=bad)

    res = probe(p["library"], p["timeout"], p["expected_gpus"])
    if p["torch_python"]:
        res["torch"] = None
        if res["status"] == "ok":
            res["torch"] = torch_check.run(p["torch_python"], p["timeout"], cuda_gpus=res["gpu_count"])
            if res["torch"]["status"] != "ok":
                res.update(status="failed", reason=res["torch"]["reason"], msg=res["torch"]["msg"])
            else:
                res["msg"] = "%s %s." % (res["msg"].rstrip("."), res["torch"]["msg"])
    if res["status"] != "ok":
        module.fail_json(changed=False, **res)
    module.exit_json(changed=False, **res)


if __name__ == "__main__":
    main()

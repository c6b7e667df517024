#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: gpu_report
short_description: Write the fleet GPU report (Markdown and JSON) from what a run learned about each guest
version_added: 0.1.0
description:
  - Takes one entry per guest (the results of M(passthrough.nvidia.nvidia_smi) and
    M(passthrough.nvidia.dmesg_check), the managed kernel arguments, the running kernel's command line,
    the reboot state, whether the guest answered) and writes C(gpu-report.md) and C(gpu-report.json) into
    O(dest).
  - Each guest gets an overall status, worst first - C(hardware fault) (uncorrectable ECC errors, a GPU
    lost, a corrupted infoROM), C(misconfigured) (driver missing or not in charge, nouveau bound,
    passthrough or Secure Boot problems, kernel arguments not in effect, a run that stopped on the guest),
    C(unreachable), C(degraded) (reboot pending, warnings in the kernel log, corrected ECC errors, GPUs not
    checked), C(ok) - and the one line that says why.
  - Runs on the controller, in the controller's own process (an action plugin), wherever the task is
    delegated. The files are written atomically; nothing is written when an entry is malformed.
  - The entries come either from O(guests), or - with O(hosts) - from what the run left in each guest's
    hostvars (the results that C(site.yml) and the roles of this collection register).
  - The report is an output of the run, not a state of a managed system; the role marks the task as not
    changed so that a converged run still reports zero changes.
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  guests:
    description:
      - One dict per guest. Keys - C(host) (required), C(reachable) (bool, C(false) for a guest that did
        not answer), C(error) (why it did not), C(completed) (bool, the run reached its end on the guest),
        C(distribution), C(smi) (a registered M(passthrough.nvidia.nvidia_smi) result), C(compute) (a
        registered M(passthrough.nvidia.cuda_probe) result), C(dmesg) (a
        registered M(passthrough.nvidia.dmesg_check) result), C(kernel_args) (list), C(cmdline) (the
        running kernel's command line, or null when it was not read), C(rebooted), C(reboot_required),
        C(reboot_reasons) (list), C(toolkit).
      - Skipped or missing results are reported as not checked.
      - Exactly one of O(guests) and O(hosts).
    type: list
    elements: dict
  hosts:
    description:
      - Inventory hosts to report on, each read from its hostvars as the run left them - the roles'
        results C(nvidia_driver_result) (its C(smi), C(compute), C(dmesg), C(kernel_args), C(cmdline),
        C(rebooted), C(reboot_required), C(reboot_reasons)) and C(cuda_toolkit_result), the report's own
        C(__gpu_report_smi) and C(__gpu_report_compute) (else the RV(passthrough.nvidia.nvidia_smi#module:compute) of
        C(__gpu_report_smi) or of the probe), the play's C(passthrough_setup) and C(passthrough_failure), and the
        distribution facts.
      - Exactly one of O(guests) and O(hosts).
    type: list
    elements: str
  probes:
    description:
      - With O(hosts), the registered result of a M(passthrough.nvidia.nvidia_smi) task looped over the hosts
        (C(results), each with its C(item)) - the controller's own check of the guests the run did not check.
    type: dict
    default: {}
  active_hosts:
    description:
      - With O(hosts), the hosts still active in the play that follows the run's main play (C(ansible_play_hosts));
        a guest that is not - it stopped answering during the run - or that recorded a failure
        (C(passthrough_failure)) is reported as a run that did not reach its end. Not given - not known.
    type: list
    elements: str
  dest:
    description: Directory to write the report into; created with its parents when missing.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [markdown, json]
    default: [markdown, json]
  generated:
    description: When the run happened, as written in the report (default - now, in UTC).
    type: str
  playbook:
    description: The playbook named in the report.
    type: str
    default: site.yml
  mode:
    description: File mode of the report files.
    type: raw
    default: "0644"
attributes:
  check_mode:
    description: Computes the report and returns it; writes nothing.
    support: full
  diff_mode:
    description: Shows each file before and after.
    support: full
seealso:
  - module: passthrough.nvidia.nvidia_smi
  - module: passthrough.nvidia.dmesg_check
"""

EXAMPLES = r"""
- name: Write the report of two guests
  passthrough.nvidia.gpu_report:
    dest: /srv/reports/2026-11-24T10:00:00Z
    guests:
      - host: gpu-guest-01
        smi: "{{ hostvars['gpu-guest-01'].nvidia_driver_result.smi }}"
        dmesg: "{{ hostvars['gpu-guest-01'].nvidia_driver_result.dmesg }}"
        kernel_args: [pci=realloc]
        cmdline: "BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=... ro quiet pci=realloc"
        rebooted: true
      - host: gpu-guest-02
        reachable: false
        error: "Failed to connect to the host via ssh: connection timed out"
  delegate_to: localhost
  register: report

- name: Print the compact table
  ansible.builtin.debug:
    msg: "{{ report.table }}"
"""

RETURN = r"""
files:
  description: The files written (or that would be written in check mode).
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/20261124T100000Z/gpu-report.md, /srv/reports/20261124T100000Z/gpu-report.json]
summary:
  description: Number of guests per status.
  returned: always
  type: dict
  sample: {"ok": 1, "degraded": 0, "hardware fault": 1, "misconfigured": 0, "unreachable": 1}
rows:
  description: One entry per guest, worst status first, as written in C(gpu-report.json).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: Inventory name.
      type: str
    status:
      description: C(hardware fault), C(misconfigured), C(unreachable), C(degraded) or C(ok).
      type: str
    status_reason:
      description: Why, in one line.
      type: str
    gpus:
      description: Name, PCI bus id, ECC mode and counts, memory of each GPU nvidia-smi saw.
      type: list
    driver_version:
      description: Driver version from nvidia-smi, or null.
      type: str
    cuda_version:
      description: CUDA version the driver supports, or null.
      type: str
    compute:
      description:
        - C(ok) when a CUDA kernel ran correctly on every GPU (M(passthrough.nvidia.cuda_probe)), C(failed), or
          null when it was not checked; C(compute_reason) and C(compute_msg) say why it failed.
      type: str
    kernel_args:
      description: Managed kernel arguments and whether the running kernel has each (null - not known).
      type: list
    reboot:
      description: C(done), C(pending), C(not needed) or C(unknown).
      type: str
    findings:
      description: Kernel-log findings of dmesg_check (not the informational ones) with their class.
      type: list
table:
  description: A compact fixed-width table of the guests, one line each, and a summary line.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.passthrough.nvidia.plugins.module_utils.gpu_report import (
    ARGUMENT_SPEC,
    ReportError,
    produce,
)


def main():
    # The action plugin of the same name runs this on the controller, in-process; this entry
    # point serves the same task where the module itself is executed (guests only).
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("guests", "hosts")],
                           required_one_of=[("guests", "hosts")], supports_check_mode=True)
    p = module.params
    if p["hosts"] is not None:
        module.fail_json(msg="hosts is read from the controller's hostvars by the gpu_report action plugin; "
                             "give guests when the module itself runs")
    try:
        result = produce(p["guests"], p, check_mode=module.check_mode, diff=module._diff)
    except ReportError as e:
        module.fail_json(msg="%s; no report written" % to_native(e))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

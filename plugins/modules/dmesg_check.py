#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dmesg_check
short_description: Diagnose NVIDIA GPU problems from the kernel log of a passthrough guest
version_added: 0.1.0
description:
  - Scans the kernel log for known signatures of GPU, passthrough, driver and Secure Boot problems
    (nouveau still bound, BARs not assigned, C(Failed to allocate NvKmsKapiDevice), Xid errors,
    uncorrectable ECC errors, a GPU fallen off the bus, ...), attributes them to GPUs by PCI address,
    and returns findings with a class, a severity and a remediation.
  - Failures come in chains on one GPU; consequences (C(rm_init_adapter), C(nvidia_drm_kapi), probe
    failures) are marked with RV(findings[].caused_by) and the root cause comes first, in
    RV(findings) and in the failure message.
  - The signatures are defined once, in the collection's catalog
    (C(plugins/module_utils/dmesg_catalog.py)); C(docs/troubleshooting.md) is generated from it.
  - Only the current boot is read; for O(source=file) and O(source=content), the part after the last
    boot marker (C(Linux version ...), C(-- Boot ... --)) unless O(current_boot_only=false).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  source:
    description:
      - Where to read the kernel log.
      - V(auto) runs C(dmesg) and falls back to C(journalctl -k -b 0) when C(dmesg) is not permitted.
      - V(file) reads O(path) (C(/var/log/kern.log), a saved C(dmesg -T) output); V(content) takes O(content).
      - When not set, O(path) selects V(file), O(content) selects V(content), and neither selects V(auto).
        O(path) or O(content) with a live source (V(auto), V(dmesg), V(journal)) is refused, so that a saved
        log is never silently ignored for this machine's own log.
    type: str
    choices: [auto, dmesg, journal, file, content]
  path:
    description: The file to read (selects O(source=file)).
    type: path
  content:
    description: Raw kernel log text (logs collected elsewhere; selects O(source=content)).
    type: str
  current_boot_only:
    description: For O(source=file) and O(source=content), read only the last boot in the log.
    type: bool
    default: true
  fail_on:
    description:
      - The task fails when a finding of severity C(error) has one of these classes.
      - Set to V([]) to only report.
    type: list
    elements: str
    choices: [hardware, passthrough, driver, secure_boot, application, unknown, info]
    default: [hardware, passthrough, driver, secure_boot]
  signatures:
    description:
      - Extra, site-specific signatures, with the fields of the built-in ones.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Identifier (lower case, digits, C(_)).
        type: str
        required: true
      class:
        description: One of C(hardware), C(passthrough), C(driver), C(secure_boot), C(application), C(info).
        type: str
        required: true
      severity:
        description: C(error), C(warning) or C(info).
        type: str
        default: error
      role:
        description: C(root), C(consequence) or C(standalone).
        type: str
        default: standalone
      patterns:
        description: Python regular expressions searched in each line (timestamp removed).
        type: list
        elements: str
        required: true
      summary:
        description: One sentence; C({gpu}) becomes the GPU's name.
        type: str
      remediation:
        description: What to do.
        type: str
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed, so there is no diff.
    support: none
notes:
  - Read-only; never reports a change.
  - Reading the kernel log needs root (or C(kernel.dmesg_restrict=0)); use C(become=true).
"""

EXAMPLES = r"""
- name: Diagnose the GPU from the kernel log
  passthrough.nvidia.dmesg_check:
  become: true
  register: dmesg

- name: Report only, never fail
  passthrough.nvidia.dmesg_check:
    fail_on: []
  register: dmesg

- name: Check a kern.log copied from a guest
  passthrough.nvidia.dmesg_check:
    source: file
    path: /srv/logs/guest1/kern.log
  delegate_to: localhost

- name: A site-specific signature
  passthrough.nvidia.dmesg_check:
    signatures:
      - id: riser_retrain
        class: hardware
        severity: warning
        patterns: ['pcieport .*: link retrain failed']
        summary: "{gpu}: the riser's PCIe link had to retrain"
        remediation: Reseat the riser cable.
"""

RETURN = r"""
healthy:
  description: True when no finding has severity C(error).
  returned: always
  type: bool
findings:
  description: What was found, root causes first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Signature id (C(ecc_uncorrectable), C(bar_unassigned), C(xid), ...).
      type: str
    class:
      description:
        - C(hardware), C(passthrough), C(driver), C(secure_boot), C(application), C(unknown) (an Xid
          this collection's catalog does not know, to look up in NVIDIA's) or C(info).
      type: str
    severity:
      description: C(error), C(warning) or C(info).
      type: str
    summary:
      description: One sentence naming the GPU.
      type: str
    remediation:
      description: What to do.
      type: str
    count:
      description: Number of matching lines.
      type: int
    lines:
      description: The first matching lines, verbatim.
      type: list
      elements: str
    pci_bus_id:
      description: The GPU's PCI address, when known.
      type: str
      returned: when known
    xid:
      description: The Xid number.
      type: int
      returned: for Xid findings
    mig_gpu_instance:
      description: The MIG GPU instance an Xid names (C(GPU-I:05) in the line).
      type: int
      returned: for Xids on MIG GPUs
    mig_compute_instance:
      description: The MIG compute instance an Xid names (C(GPU-CI:00)).
      type: int
      returned: for Xids on MIG GPUs that name one
    recovery_action:
      description: The recovery action Xid 154 names (C(GPU Reset Required), C(Node Reboot Required), ...); it sets the severity.
      type: str
      returned: for Xid 154
    reported_by:
      description: The PCIe port above the GPU that reported the error (AER), when the log shows the topology.
      type: str
      returned: for PCIe errors reported by the port above the GPU
    caused_by:
      description: The root finding this one follows from (C(xid:140) for an Xid).
      type: str
      returned: for consequences with a root cause on the same GPU
    first_seen:
      description: Timestamp of the first matching line as written in the log.
      type: str
  sample:
    - id: xid
      class: hardware
      severity: error
      summary: "GPU 0000:00:04.0 has uncorrectable memory errors (Xid 140: unrecovered ECC error)"
      xid: 140
      count: 1
      pci_bus_id: "0000:00:04.0"
lines_scanned:
  description: Number of lines read (of the current boot).
  returned: always
  type: int
source:
  description: What was actually read (C(dmesg), C(journal), a file path, or C(content)).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import (
    CatalogError,
    Scanner,
    verdict,
)


def read_command(module, name):
    if name == "dmesg":
        exe = module.get_bin_path("dmesg")
        cmd = [exe] if exe else None
    else:
        exe = module.get_bin_path("journalctl")
        cmd = [exe, "-k", "-b", "0", "--no-pager", "-q"] if exe else None
    if cmd is None:
        return None, "%s is not installed" % ("dmesg" if name == "dmesg" else "journalctl")
    rc, out, err = module.run_command(cmd, errors="surrogate_or_strict")
    if rc != 0:
        return None, "%s failed (rc=%d): %s" % (name, rc, (err or out).strip())
    return out, None


def choose_source(params):
    """(source, error): the source the options select. A path or content given beside a live
    source is an error (before issue #29 a path without source=file was silently ignored and the
    machine's own log was judged instead)."""
    src = params.get("source")
    if src is None:
        if params.get("path"):
            src = "file"
        elif params.get("content") is not None:
            src = "content"
        else:
            src = "auto"
    elif src in ("auto", "dmesg", "journal"):
        given = [o for o in ("path", "content") if params.get(o) not in (None, "")]
        if given:
            return None, ("%s: source=%s reads this machine's live kernel log and would ignore %s; leave source "
                          "out (%s selects it) or set source=%s" % (
                              given[0], src, given[0], given[0], "file" if given[0] == "path" else "content"))
    return src, None


def read_log(module):
    p = module.params
    src, error = choose_source(p)
    if error:
        module.fail_json(msg=error)
    if src == "content":
        if p["content"] is None:
            module.fail_json(msg="content: source=content needs the log text in 'content'")
        return p["content"], "content"
    if src == "file":
        if not p["path"]:
            module.fail_json(msg="path: source=file needs 'path'")
        try:
            with open(p["path"], "rb") as f:
                return f.read().decode("utf-8", "replace"), p["path"]
        except (IOError, OSError) as e:
            module.fail_json(msg="path: cannot read %s: %s" % (p["path"], to_native(e)))
    tried = []
    for name in (["dmesg", "journal"] if src == "auto" else [src]):
        text, err = read_command(module, name)
        if text is not None:
            return text, name
        tried.append(err)
    module.fail_json(msg="Cannot read the kernel log: %s. Run the task with become: true, or pass a "
                         "saved log with source=file." % "; ".join(tried))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type="str", choices=["auto", "dmesg", "journal", "file", "content"]),
            path=dict(type="path"),
            content=dict(type="str"),
            current_boot_only=dict(type="bool", default=True),
            fail_on=dict(type="list", elements="str",
                         default=["hardware", "passthrough", "driver", "secure_boot"],
                         choices=["hardware", "passthrough", "driver", "secure_boot", "application", "unknown",
                                  "info"]),
            signatures=dict(type="list", elements="dict", default=[]),
        ),
        required_if=[("source", "file", ["path"]), ("source", "content", ["content"])],
        mutually_exclusive=[("path", "content")],
        supports_check_mode=True,
    )
    try:
        scanner = Scanner(module.params["signatures"])
    except CatalogError as e:
        module.fail_json(msg=to_native(e))
    text, source = read_log(module)
    live = source in ("dmesg", "journal")
    findings, lines = scanner.scan(text, current_boot_only=module.params["current_boot_only"] and not live)
    healthy, failed, msg = verdict(findings, module.params["fail_on"])
    result = dict(changed=False, healthy=healthy, findings=findings, lines_scanned=lines, source=source)
    if failed:
        module.fail_json(msg=msg, **result)
    result["msg"] = msg
    module.exit_json(**result)


if __name__ == "__main__":
    main()

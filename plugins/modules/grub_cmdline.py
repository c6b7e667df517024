#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: grub_cmdline
short_description: Add or remove kernel arguments in a GRUB defaults file, safely and idempotently
version_added: 0.1.0
description:
  - Edits C(GRUB_CMDLINE_LINUX) or C(GRUB_CMDLINE_LINUX_DEFAULT) in C(/etc/default/grub) or in a
    drop-in of C(/etc/default/grub.d/), understanding the shell quoting those files use.
  - Only the effective (last uncommented) assignment of the variable is rewritten; comments, other
    variables and every other byte of the file stay as they were. When the variable is not assigned,
    a definition is appended.
  - Kernel parameter names compare as the kernel compares them (C(-) and C(_) are the same), so
    C(nvidia-drm.modeset=1) matches an existing C(nvidia_drm.modeset=0).
  - Values it cannot parse safely (command substitution, backticks, multi-line values) are refused
    with a message and the file is left untouched.
  - The module never runs C(update-grub); notify a handler that does.
  - Reports whether the running kernel was booted without the managed arguments (O(add) and
    O(remove)), read from C(/proc/cmdline).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  path:
    description:
      - The GRUB defaults file to edit. It must exist, unless O(create) is set.
      - A drop-in such as C(/etc/default/grub.d/90-passthrough.cfg) is sourced after
        C(/etc/default/grub); assign C(GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX") in it first to extend
        the packaged value rather than replace it.
    type: path
    default: /etc/default/grub
  variable:
    description: The variable to edit.
    type: str
    choices: [GRUB_CMDLINE_LINUX, GRUB_CMDLINE_LINUX_DEFAULT]
    default: GRUB_CMDLINE_LINUX
  add:
    description:
      - Arguments that must be present.
      - C(key=value) replaces every existing C(key=...) (the kernel would otherwise see both);
        a bare C(key) is appended if absent. New arguments go at the end; the order of the others is kept.
      - Whitespace, quotes, backticks, C($), C(;), newlines and other shell metacharacters are rejected.
    type: list
    elements: str
    default: []
  remove:
    description:
      - Arguments that must be absent. A bare C(key) removes C(key) and every C(key=...);
        C(key=value) removes only that exact argument.
    type: list
    elements: str
    default: []
  create:
    description:
      - Create O(path) when it does not exist, from O(initial_content), then edit it; check and diff mode
        show the whole new file. Its directory must exist.
    type: bool
    default: false
  initial_content:
    description:
      - With O(create), what a new file starts with, before the arguments are added (a drop-in's header
        and C(GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"), say). New files get mode C(0644).
    type: str
    default: ""
  backup:
    description: Keep a timestamped copy of the file before changing it, as M(ansible.builtin.lineinfile) does.
    type: bool
    default: false
  proc_cmdline:
    description: Where to read the running kernel's command line from (for RV(reboot_required)).
    type: path
    default: /proc/cmdline
attributes:
  check_mode:
    description: Reports the change it would make and writes nothing.
    support: full
  diff_mode:
    description: Shows the file before and after.
    support: full
notes:
  - Parameter references such as C($GRUB_CMDLINE_LINUX) in the value are kept as they are and never
    matched by O(add) or O(remove).
  - Files in C(/etc/default/grub.d/) that also set the variable are reported in RV(warnings)
    (they are sourced after C(/etc/default/grub) and may override it).
seealso:
  - module: ansible.builtin.lineinfile
"""

EXAMPLES = r"""
- name: Let the guest reassign PCI BARs (large GPU BARs behind OVMF)
  passthrough.nvidia.grub_cmdline:
    add:
      - pci=realloc
  notify: Update GRUB

- name: Enable nvidia-drm modesetting and drop nomodeset, in a drop-in owned by us
  passthrough.nvidia.grub_cmdline:
    path: /etc/default/grub.d/90-passthrough.cfg
    add:
      - nvidia-drm.modeset=1
    remove:
      - nomodeset
  register: grub

- name: Tell the operator
  ansible.builtin.debug:
    msg: "A reboot is needed for {{ grub.cmdline }}"
  when: grub.reboot_required
"""

RETURN = r"""
cmdline:
  description: The new value of the variable (references shown as written, e.g. C($GRUB_CMDLINE_LINUX)).
  returned: success
  type: str
  sample: "$GRUB_CMDLINE_LINUX pci=realloc"
previous:
  description: The value before the change (empty when the variable was not set).
  returned: success
  type: str
  sample: "$GRUB_CMDLINE_LINUX"
added:
  description: Arguments of O(add) that were not already present.
  returned: success
  type: list
  elements: str
  sample: [pci=realloc]
removed:
  description: Arguments taken out, including values replaced by O(add).
  returned: success
  type: list
  elements: str
  sample: [nomodeset]
reboot_required:
  description:
    - True when the running kernel was not booted with the managed arguments
      (an argument of O(add) missing from C(/proc/cmdline), or one of O(remove) present).
  returned: success
  type: bool
  sample: true
backup_file:
  description: Name of the backup file.
  returned: when a backup was made
  type: str
  sample: /etc/default/grub.12345.2026-11-24@19:30:00~
target:
  description: The file that was edited when O(path) is a symbolic link (the link is kept).
  returned: when O(path) is a symbolic link
  type: str
  sample: /etc/grub-defaults/grub
warnings:
  description: Other files that also set the variable and may override this one.
  returned: when there are any
  type: list
  elements: str
"""

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.passthrough.nvidia.plugins.module_utils.files import write_atomically
from ansible_collections.passthrough.nvidia.plugins.module_utils.grub_cmdline import (
    GrubCmdlineError,
    assigns_variable,
    edit_content,
    reboot_required,
)

GRUB_D = "/etc/default/grub.d"


def _read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def overriding_files(path, variable, grub_d=GRUB_D):
    """Drop-ins that set ``variable`` and are sourced after ``path``."""
    real = os.path.realpath(path)
    in_grub_d = os.path.dirname(real) == os.path.realpath(grub_d)
    found = []
    for other in sorted(glob.glob(os.path.join(grub_d, "*.cfg"))):
        if os.path.realpath(other) == real:
            continue
        if in_grub_d and os.path.basename(other) < os.path.basename(real):
            continue
        try:
            if assigns_variable(_read(other), variable):
                found.append(other)
        except (IOError, OSError):
            continue
    return found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/default/grub"),
            variable=dict(type="str", default="GRUB_CMDLINE_LINUX",
                          choices=["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]),
            add=dict(type="list", elements="str", default=[]),
            remove=dict(type="list", elements="str", default=[]),
            backup=dict(type="bool", default=False),
            create=dict(type="bool", default=False),
            initial_content=dict(type="str", default=""),
            proc_cmdline=dict(type="path", default="/proc/cmdline"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    # A symlinked file is edited where it lives; the link stays (as lineinfile does with follow).
    target = os.path.realpath(path)

    exists = os.path.lexists(path)
    if not exists and not p["create"]:
        module.fail_json(msg="path: %s does not exist; this module creates it only with create: true" % path,
                         path=path)
    if exists and not os.path.isfile(path):
        module.fail_json(msg="path: %s is not a regular file" % path, path=path)
    try:
        content = _read(path) if exists else p["initial_content"]
        result = edit_content(content, p["variable"], p["add"], p["remove"], path=path)
    except GrubCmdlineError as e:
        module.fail_json(msg=to_native(e), path=path)
    except (IOError, OSError) as e:
        module.fail_json(msg="path: cannot read %s: %s" % (path, to_native(e)), path=path)

    try:
        with open(p["proc_cmdline"]) as f:
            running = f.read()
    except (IOError, OSError):
        running = None
    reboot = reboot_required(running, p["add"], p["remove"]) if running is not None else False

    res = dict(
        changed=result.changed or not exists,
        path=path,
        cmdline=result.cmdline,
        previous=result.previous,
        added=result.added,
        removed=result.removed,
        reboot_required=reboot,
    )
    if running is None:
        module.warn("cannot read %s; reboot_required is reported as false" % p["proc_cmdline"])
    for other in overriding_files(path, p["variable"]):
        module.warn("%s also sets %s and is sourced after %s: it may override this value"
                    % (other, p["variable"], path))
    if module._diff:
        res["diff"] = dict(before=content, after=result.content,
                           before_header=path, after_header=path)

    if target != os.path.abspath(path):
        res["target"] = target
    if result.changed or not exists:
        # Check mode says what a real run would meet: a file it cannot write fails both the same way.
        unwritable = cannot_write(target) if exists else (
            None if os.access(os.path.dirname(target) or ".", os.W_OK) else
            "path: cannot create %s: the directory %s is missing or not writable by uid %d (run the task with "
            "become: true); nothing was written" % (target, os.path.dirname(target), os.geteuid()))
        if unwritable:
            module.fail_json(msg=unwritable, path=path)
    if (result.changed or not exists) and not module.check_mode:
        try:
            if p["backup"] and exists:
                res["backup_file"] = module.backup_local(target)
            write_atomically(module, target, to_bytes(result.content, errors="surrogate_or_strict"), exists)
        except (IOError, OSError) as e:
            module.fail_json(msg="path: cannot write %s: %s; the file was not changed" % (target, to_native(e)),
                             path=path)
    module.exit_json(**res)


def cannot_write(target):
    """Why ``target`` cannot be replaced (the module writes a temporary file beside it and
    renames it over), or None."""
    directory = os.path.dirname(target)
    for what, where in (("the directory", directory), ("the file", target)):
        if not os.access(where, os.W_OK):
            return ("path: cannot write %s: %s %s is not writable by uid %d (run the task with "
                    "become: true); the file was not changed" % (target, what, where, os.geteuid()))
    return None


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on a guest for the nvidia_driver role, and why it must reboot: pure
functions (no I/O), called on the controller through the nvidia_driver_changes and
nvidia_driver_reboot_reasons filters with what guest_facts read (one round trip).

changes() compares the guest with what the role would make, part by part, in the order the
role's converge.yml changes them:

- dpkg: a run was killed mid-install (dpkg --audit, half-configured packages);
- prerequisites: the running kernel's headers or dkms are missing (not in containers);
- blacklist: the nouveau blacklist file is not exactly the role's;
- kernel_args: the role's GRUB drop-in is not as wanted, or the running kernel does not honour
  the managed arguments (compared as the kernel compares them, grub_cmdline.not_in_effect);
- packages: the driver plan (driver_plan.plan_driver) changes packages;
- holds: packages held by passthrough.nvidia 0.1 are still held;
- persistenced: nvidia-persistenced is not enabled.

Values from the guest are only compared, never interpolated into anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re

from ansible_collections.passthrough.nvidia.plugins.module_utils.grub_cmdline import not_in_effect

PARTS = ("dpkg", "prerequisites", "blacklist", "kernel_args", "packages", "holds", "persistenced")
# Only drop-ins this role owns are compared byte for byte; /etc/default/grub itself is always
# edited by grub_cmdline, which keeps the rest of the file.
OWNED_GRUB_DIR = "/etc/default/grub.d/"


def _decode(entry):
    """The text of one of guest_facts' ``contents`` entries, or None when it is missing or broken."""
    if not isinstance(entry, dict) or not entry.get("exists") or entry.get("b64") is None:
        return None
    try:
        return base64.b64decode(entry["b64"]).decode("utf-8", "replace")
    except (binascii.Error, TypeError, ValueError):
        return None


def file_is(have, content, mode="0644", uid=0, gid=0):
    """Is ``have`` (one of guest_facts' ``files``) exactly ``content`` with that mode and owner?"""
    if not isinstance(have, dict) or not have.get("exists") or have.get("islnk"):
        return False
    return (have.get("mode") == mode and have.get("uid") == uid and have.get("gid") == gid
            and have.get("sha1") == hashlib.sha1(content.encode("utf-8")).hexdigest())


def changes(state, installed=None, kernel="", in_container=False, plan_changes=(), prerequisites=True,
            blacklist_file="", blacklist_content=None, grub_file="", grub_wanted="", kernel_args=(),
            kernel_args_remove=(), persistenced_link=None, persistenced_unit="", service_mgr="",
            legacy_hold_pattern=None):
    """{"parts": the parts of PARTS that differ, in order, and what each part found:
    prerequisites_missing, legacy_held, kernel_args_not_in_effect, kernel_args_in_place,
    blacklist_in_place, persistenced_enabled, dpkg_interrupted}.

    ``state``: a guest_facts result; ``installed``: ansible_facts.packages; ``blacklist_content``
    None: no blacklist wanted; ``persistenced_link`` None: nvidia-persistenced not wanted."""
    state = state if isinstance(state, dict) else {}
    installed = installed if isinstance(installed, dict) else {}
    files = state.get("files") or {}
    contents = state.get("contents") or {}
    kernel_args, kernel_args_remove = list(kernel_args or []), list(kernel_args_remove or [])

    dpkg_interrupted = bool(state.get("dpkg_audit")) or bool(state.get("unfinished"))
    if not prerequisites or in_container:
        missing = []
    else:
        missing = [p for p in ("linux-headers-%s" % kernel, "dkms") if p not in installed]
    blacklist_in_place = blacklist_content is None or file_is(files.get(blacklist_file), blacklist_content)

    cmdline = _decode(contents.get("/proc/cmdline")) or ""
    args_off = not_in_effect(cmdline, kernel_args, kernel_args_remove)
    dropin = _decode(contents.get(grub_file))
    args_in_place = bool(grub_file.startswith(OWNED_GRUB_DIR) and not kernel_args_remove
                         and dropin is not None and dropin == grub_wanted
                         and (in_container or not args_off))
    args_todo = bool(kernel_args or kernel_args_remove) and not args_in_place

    pattern = re.compile(legacy_hold_pattern) if legacy_hold_pattern else None
    held = [h for h in (state.get("holds") or []) if pattern is not None and pattern.match(str(h))]

    link = files.get(persistenced_link) if persistenced_link else None
    persistenced_enabled = persistenced_link is None or bool(
        isinstance(link, dict) and link.get("exists")
        and (service_mgr == "systemd" or link.get("lnk_target", "") == persistenced_unit))

    differs = {
        "dpkg": dpkg_interrupted,
        "prerequisites": bool(missing),
        "blacklist": not blacklist_in_place,
        "kernel_args": args_todo,
        "packages": bool(plan_changes),
        "holds": bool(held),
        "persistenced": not persistenced_enabled,
    }
    return {
        "parts": [p for p in PARTS if differs[p]],
        "dpkg_interrupted": dpkg_interrupted,
        "prerequisites_missing": missing,
        "blacklist_in_place": blacklist_in_place,
        "kernel_args_not_in_effect": args_off,
        "kernel_args_in_place": args_in_place,
        "legacy_held": held,
        "persistenced_enabled": persistenced_enabled,
    }


def reboot_reasons(driver_changed=False, kernel_args_changed=False, nouveau_loaded=False):
    """Why the guest must reboot after this run's changes, in words (empty: it need not)."""
    reasons = []
    if driver_changed:
        reasons.append("the driver was installed or changed")
    if kernel_args_changed:
        reasons.append("the kernel arguments changed")
    if nouveau_loaded:
        reasons.append("nouveau is loaded")
    return reasons

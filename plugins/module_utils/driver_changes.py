# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What must change on a guest for the nvidia_driver role, and why it must reboot: pure
functions (no I/O), called on the controller through the nvidia_driver_changes and
nvidia_driver_reboot_reasons filters with what guest_facts read (one round trip).

changes() compares the guest with what the role would make, part by part, in the order the
role's converge.yml changes them:

- dpkg: a run was killed mid-install (dpkg --audit, half-configured packages);
- prerequisites: the header packages DKMS needs are missing: the headers metapackage of each
  installed kernel metapackage, the headers of the kernel the guest boots next and of the
  running one (kernels.assess; in a container only the kernels installed in it);
- blacklist: the nouveau blacklist file is not exactly the role's;
- initramfs: an initramfs is older than the blacklist (a run that wrote it did not get to
  update-initramfs), so the next boot would still load nouveau;
- kernel_args: the role's GRUB drop-in is not as wanted, or the running kernel does not honour
  the managed arguments (compared as the kernel compares them, grub_cmdline.not_in_effect);
- grub: the entry GRUB boots next (grub.cfg, written by update-grub) lacks the managed arguments
  (a run that set them did not get to update-grub);
- packages: the driver plan (driver_plan.plan_driver) changes packages;
- module: the driver is installed but DKMS has not built its module for the kernel the guest
  boots next, although that kernel's headers are there (dkms autoinstall builds it);
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

from ansible_collections.passthrough.nvidia.plugins.module_utils import kernels as kernels_mod
from ansible_collections.passthrough.nvidia.plugins.module_utils.grub_cmdline import not_in_effect
from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_support import MODULE_PACKAGES

PARTS = ("dpkg", "prerequisites", "blacklist", "initramfs", "kernel_args", "grub", "packages", "module", "holds",
         "persistenced")
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


def changes(state, installed=None, in_container=False, plan_changes=(), prerequisites=True,
            blacklist_file="", blacklist_content=None, grub_file="", grub_wanted="", kernel_args=(),
            kernel_args_remove=(), persistenced_link=None, persistenced_unit="", service_mgr="",
            legacy_hold_pattern=None):
    """{"parts": the parts of PARTS that differ, in order, and what each part found:
    prerequisites_missing, legacy_held, kernel_args_not_in_effect (kernel_args_missing and
    kernel_args_still_present, its two parts), kernel_args_in_place,
    blacklist_in_place, initramfs_stale, grub_cfg_lacks, persistenced_enabled, dpkg_interrupted,
    kernels (kernels.assess: the kernels, their headers and the module; its ``error`` stops the
    role before anything changes)}.

    ``state``: a guest_facts result (with ``kernels``); ``installed``: ansible_facts.packages;
    ``blacklist_content`` None: no blacklist wanted; ``persistenced_link`` None:
    nvidia-persistenced not wanted."""
    state = state if isinstance(state, dict) else {}
    installed = installed if isinstance(installed, dict) else {}
    files = state.get("files") or {}
    contents = state.get("contents") or {}
    kernel_args, kernel_args_remove = list(kernel_args or []), list(kernel_args_remove or [])

    dpkg_interrupted = bool(state.get("dpkg_audit")) or bool(state.get("unfinished"))
    kinfo = state.get("kernels") if isinstance(state.get("kernels"), dict) else {}
    kern = kernels_mod.assess(kinfo, installed, state.get("apt_policy"), in_container=in_container,
                              prerequisites=prerequisites, module_packages=list(MODULE_PACKAGES.values()))
    missing = kern["headers_missing"]
    blacklist_in_place = blacklist_content is None or file_is(files.get(blacklist_file), blacklist_content)
    # An initramfs made before the blacklist was written still loads nouveau (update-initramfs did
    # not run after it: a killed run, a full /boot). Its age is the evidence: no unpacking needed.
    stale = []
    blacklist_stat = files.get(blacklist_file) if isinstance(files.get(blacklist_file), dict) else {}
    if blacklist_content is not None and blacklist_in_place and isinstance(blacklist_stat.get("mtime"), int):
        for release, initrd in sorted((kinfo.get("initrd") or {}).items()) if isinstance(kinfo.get("initrd"), dict) else []:
            if isinstance(initrd, dict) and isinstance(initrd.get("mtime"), int) and initrd["mtime"] < blacklist_stat["mtime"]:
                stale.append(release)

    cmdline = _decode(contents.get("/proc/cmdline")) or ""
    args_off = not_in_effect(cmdline, kernel_args, kernel_args_remove)
    dropin = _decode(contents.get(grub_file))
    args_in_place = bool(grub_file.startswith(OWNED_GRUB_DIR) and not kernel_args_remove
                         and dropin is not None and dropin == grub_wanted
                         and (in_container or not args_off))
    args_todo = bool(kernel_args or kernel_args_remove) and not args_in_place
    # The entry GRUB boots next, as update-grub last wrote it: without the managed arguments a
    # reboot would not bring them (a run that edited the drop-in did not get to update-grub).
    grub_lacks = []
    if not in_container and kinfo.get("grub_cfg") and isinstance(kinfo.get("next_boot_args"), str):
        grub_lacks = not_in_effect(kinfo["next_boot_args"], kernel_args, kernel_args_remove)

    pattern = re.compile(legacy_hold_pattern) if legacy_hold_pattern else None
    held = [h for h in (state.get("holds") or []) if pattern is not None and pattern.match(str(h))]

    link = files.get(persistenced_link) if persistenced_link else None
    persistenced_enabled = persistenced_link is None or bool(
        isinstance(link, dict) and link.get("exists")
        and (service_mgr == "systemd" or link.get("lnk_target", "") == persistenced_unit))

    # update-initramfs writes each initramfs anew beside the old one: /boot needs room for the
    # largest, or it fails half-way (a full /boot is a classic way to end up with a stale one).
    boot_error = ""
    regenerate = (blacklist_content is not None and not blacklist_in_place) or bool(stale)
    sizes = [i["size"] for i in (kinfo.get("initrd") or {}).values() if isinstance(i, dict) and isinstance(i.get("size"), int)] \
        if isinstance(kinfo.get("initrd"), dict) else []
    free = kinfo.get("boot_free")
    if regenerate and sizes and isinstance(free, int) and free < max(sizes) * 11 // 10:
        boot_error = ("/boot has %d MiB free, and update-initramfs needs about %d MiB to write the initramfs anew (with "
                      "nouveau blacklisted in it). Make room first (`apt autoremove --purge` removes old kernels). "
                      "Nothing was changed." % (free >> 20, (max(sizes) * 11 // 10 >> 20) + 1))

    # The driver is there but its module is not built for the kernel the guest boots next, whose
    # headers are there (built before dkms came, or a build that failed once): dkms autoinstall.
    nb = kern["next_boot"]
    kern["module_message"] = (kernels_mod.missing_module_message(kern, kinfo, "this guest")
                              if kern["next_boot_has_module"] is False else "")
    module_todo = bool(kern["next_boot_has_module"] is False and not plan_changes
                       and (kinfo.get("headers") or {}).get(nb) is True)

    differs = {
        "dpkg": dpkg_interrupted,
        "prerequisites": bool(missing),
        "blacklist": not blacklist_in_place,
        "initramfs": bool(stale),
        "kernel_args": args_todo,
        "grub": bool(grub_lacks),
        "packages": bool(plan_changes),
        "module": module_todo,
        "holds": bool(held),
        "persistenced": not persistenced_enabled,
    }
    return {
        "parts": [p for p in PARTS if differs[p]],
        "dpkg_interrupted": dpkg_interrupted,
        "prerequisites_missing": missing,
        "blacklist_in_place": blacklist_in_place,
        "initramfs_stale": stale,
        "boot_error": boot_error,
        "grub_cfg_lacks": grub_lacks,
        "kernels": kern,
        "kernel_args_not_in_effect": args_off,
        # The same answer in two parts, as the role's result hands it to the report (which never
        # compares again): managed arguments the running kernel lacks (a multi-valued unit such as
        # hugepagesz=1G hugepages=4 as a whole), removed ones it still has.
        "kernel_args_missing": not_in_effect(cmdline, kernel_args, ()),
        "kernel_args_still_present": not_in_effect(cmdline, (), kernel_args_remove),
        "kernel_args_in_place": args_in_place,
        "legacy_held": held,
        "persistenced_enabled": persistenced_enabled,
    }


LOADED_VERSION = re.compile(r"Kernel Module(?: for [A-Za-z0-9_]+)?\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?)")


def loaded_module_version(banner):
    """The version in /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX Open Kernel Module
    for x86_64  580.159.04  Release Build ..."), or None."""
    m = LOADED_VERSION.search(banner or "")
    return m.group(1) if m else None


def reboot_reasons(driver_changed=False, kernel_args_changed=False, nouveau_loaded=False, blacklisted=True,
                   loaded_banner="", installed_version=None):
    """Why the guest must reboot, in words (empty: it need not): this run changed the driver or
    the kernel arguments; or, from the guest's state, nouveau is loaded while the blacklist that
    a reboot would apply is in place (without the blacklist a reboot would load nouveau again),
    or the loaded NVIDIA module is another version than the installed driver (a run that
    installed it did not get to reboot). A guest whose module does not load at all is not
    rebooted again and again: the checks say why."""
    reasons = []
    if driver_changed:
        reasons.append("the driver was installed or changed")
    if kernel_args_changed:
        reasons.append("the kernel arguments changed")
    if nouveau_loaded and blacklisted:
        reasons.append("nouveau is loaded")
    loaded = loaded_module_version(loaded_banner)
    if not driver_changed and loaded and installed_version and loaded != installed_version:
        reasons.append("the loaded NVIDIA module is %s, the installed driver %s" % (loaded, installed_version))
    return reasons


def _tail(text, lines=8, width=2000):
    kept = [ln.rstrip() for ln in (text or "").splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-width:]


def install_error(result, task="", install_list=(), lock_timeout=None, kernels=None):
    """The message that stops the role when installing the driver failed, from the failed
    task's result (ansible.builtin.apt's msg, stdout, stderr, rc): the holder of the dpkg lock;
    or the DKMS build's own error lines (from the make.log that guest_facts read, ``kernels``)
    instead of apt's "dpkg returned an error code (1)"; else what apt said. The exit code and the
    tail of stderr are kept in every case."""
    result = result if isinstance(result, dict) else {}
    msg, out, err = (str(result.get(k) or "") for k in ("msg", "stdout", "stderr"))
    rc = result.get("rc")
    said = " ".join(x for x in (msg.strip(), err.strip()) if x)
    tail = _tail(err) or _tail(msg)
    code = " (exit code %s)" % rc if rc not in (None, "") else ""
    holder = re.search(r"held by process [0-9]+ \([^)]*\)", out + msg + err)
    if holder:
        return ("The dpkg lock is %s and was not released within nvidia_driver_lock_timeout (%s s); unattended-upgrades "
                "does this after boot. Wait for it to finish (or raise nvidia_driver_lock_timeout) and run the play "
                "again; nothing was installed." % (holder.group(0), lock_timeout))
    if task.startswith("Stop when apt"):
        return msg
    what = "Installing %s failed%s" % (" ".join(install_list) or "the driver", code)
    logs = (kernels or {}).get("dkms_logs") if isinstance(kernels, dict) else None
    logs = logs if isinstance(logs, dict) else {}
    named = kernels_mod.make_log_paths(out + msg + err)
    failed = [p for p in named if p in logs] or sorted(logs)
    build = re.search(r"Bad return status for module build on kernel: (\S+)", out + msg + err)
    if failed or build or named:
        errors = kernels_mod.build_errors(logs.get(failed[0], "")) if failed else []
        return ("%s: DKMS could not build NVIDIA's kernel module%s: %s%s. dpkg left the driver packages unconfigured; "
                "once the cause is fixed (the kernel headers, the compiler), the next run finishes them (dpkg "
                "--configure -a). apt said: %s" % (
                    what, " for kernel %s" % build.group(1) if build else "",
                    " | ".join(errors) if errors else "see the build log",
                    " (full log: %s)" % failed[0] if failed else "", tail))
    return "%s: %s" % (what, said or "unknown error")

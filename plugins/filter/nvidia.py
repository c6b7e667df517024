# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that hand the roles their decisions, computed on the controller (no round trip)
by module_utils/driver_plan.py from what guest_facts read on the guest, and the NVIDIA-side
facts of module_utils/nvidia_support.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Documented per filter in the .yml files beside this one (ansible-doc -t filter NAME).

from ansible.errors import AnsibleFilterError

from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_changes
from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_plan
from ansible_collections.passthrough.nvidia.plugins.module_utils import grub_cmdline
from ansible_collections.passthrough.nvidia.plugins.module_utils import nvidia_support


def _state(state, name):
    if not isinstance(state, dict):
        raise AnsibleFilterError("%s: the input must be a guest_facts result (a dict), got %s"
                                 % (name, type(state).__name__))
    return state


def _versions(state, name):
    entry = (state.get("apt_policy") or {}).get(name) or {}
    return entry.get("versions") or [] if isinstance(entry, dict) else []


def nvidia_driver_plan(state, release, flavour="auto", branch="auto", package_set="compute", persistenced=True,
                       installed=None):
    state = _state(state, "nvidia_driver_plan")
    offered = dict((p, _versions(state, p)) for p in nvidia_support.MODULE_PACKAGES.values())
    pinning = (state.get("apt_names") or {}).get(nvidia_support.PINNING_PREFIX) or []
    return driver_plan.plan_driver(release, state.get("pci_gpus") or [], flavour=flavour,
                                   branch="" if branch is None else str(branch), package_set=package_set,
                                   persistenced=bool(persistenced), offered=offered, pinning=pinning,
                                   installed=installed or {})


def nvidia_toolkit_plan(state, version="auto", driver_branch="", release="", installed=None):
    """driver_branch: the branch the driver will have (site.yml: the driver's plan); empty: the
    branch of the installed kernel-module package in ``installed`` (ansible_facts.packages)."""
    state = _state(state, "nvidia_toolkit_plan")
    driver_branch = driver_branch or driver_plan.installed_driver_branch(installed)
    names = (state.get("apt_names") or {}).get("cuda-toolkit-") or []
    rel = nvidia_support.RELEASES.get(release, {}).get("description", release or "this guest")
    return driver_plan.plan_toolkit(state.get("pci_gpus") or [], version="" if version is None else str(version),
                                    available=names, driver_branch=str(driver_branch or ""),
                                    release_description=rel)


def nvidia_driver_changes(state, installed=None, in_container=False, plan_changes=None, prerequisites=True,
                          blacklist_file="", blacklist_content=None, grub_file="", grub_wanted="", kernel_args=None,
                          kernel_args_remove=None, persistenced_link=None, persistenced_unit="", service_mgr="",
                          legacy_hold_pattern=None):
    state = _state(state, "nvidia_driver_changes")
    for value, option in ((blacklist_content, "blacklist_content"), (grub_wanted, "grub_wanted")):
        if value is not None and not isinstance(value, str):
            raise AnsibleFilterError("nvidia_driver_changes: %s must be a string, got %s" % (option, type(value).__name__))
    return driver_changes.changes(
        state, installed=installed, in_container=bool(in_container),
        plan_changes=list(plan_changes or []), prerequisites=bool(prerequisites), blacklist_file=str(blacklist_file or ""),
        blacklist_content=blacklist_content, grub_file=str(grub_file or ""), grub_wanted=grub_wanted or "",
        kernel_args=_arg_list(kernel_args, "nvidia_driver_changes", "kernel_args"),
        kernel_args_remove=_arg_list(kernel_args_remove, "nvidia_driver_changes", "kernel_args_remove"),
        persistenced_link=persistenced_link or None, persistenced_unit=str(persistenced_unit or ""),
        service_mgr=str(service_mgr or ""), legacy_hold_pattern=legacy_hold_pattern or None)


def nvidia_driver_reboot_reasons(driver_changed, kernel_args_changed=False, nouveau_loaded=False, blacklisted=True,
                                 loaded_banner="", installed_version=None):
    if loaded_banner is not None and not isinstance(loaded_banner, str):
        raise AnsibleFilterError("nvidia_driver_reboot_reasons: loaded_banner must be the text of /proc/driver/nvidia/version")
    return driver_changes.reboot_reasons(bool(driver_changed), bool(kernel_args_changed), bool(nouveau_loaded),
                                         blacklisted=bool(blacklisted), loaded_banner=loaded_banner or "",
                                         installed_version=str(installed_version) if installed_version else None)


def nvidia_driver_install_error(result, task="", install_list=None, lock_timeout=None, kernels=None):
    if not isinstance(result, dict):
        raise AnsibleFilterError("nvidia_driver_install_error: the input must be the failed task's result (a dict)")
    return driver_changes.install_error(result, task=str(task or ""), install_list=[str(x) for x in install_list or []],
                                        lock_timeout=lock_timeout, kernels=kernels if isinstance(kernels, dict) else None)


def cuda_toolkit_state_request(installed=None, version="auto", verify=True):
    if installed is not None and not isinstance(installed, dict):
        raise AnsibleFilterError("cuda_toolkit_state_request: the input must be ansible_facts.packages (a dict) or "
                                 "none, got %s" % type(installed).__name__)
    return driver_plan.toolkit_state_request(installed, version=version, verify=bool(verify))


def apt_restore_map(state, paths):
    """{path: {b64, mode} (its content and mode when guest_facts read it) or None (it did not
    exist)} for passthrough.nvidia.apt_update's restore, from a guest_facts result that read ``paths``."""
    state = _state(state, "apt_restore_map")
    contents, files = state.get("contents") or {}, state.get("files") or {}
    out = {}
    for path in paths or []:
        entry = contents.get(path)
        if not isinstance(entry, dict):
            raise AnsibleFilterError("apt_restore_map: guest_facts did not read %s" % path)
        if entry.get("exists") and entry.get("b64") is not None:
            out[path] = {"b64": entry["b64"], "mode": (files.get(path) or {}).get("mode") or "0644"}
        else:
            out[path] = None
    return out


def nvidia_platforms(_ignored=None):
    """The supported releases (codename -> row, with the supported architectures -> NVIDIA's
    directory for each), as cuda_repo's URLs and key pins use them."""
    return dict((k, dict(v, architectures=dict(nvidia_support.ARCHITECTURES))) for k, v in nvidia_support.RELEASES.items())


def nvidia_gpu_generation(device_id):
    return driver_plan.gpu_generation(device_id)


def _arg_list(value, name, option):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("%s: %s must be a list of kernel arguments, got %s %r"
                                 % (name, option, type(value).__name__, value))
    return [str(a) for a in value]


def kernel_args_not_in_effect(cmdline, args, remove=None):
    """The arguments of ``args`` (and of ``remove``) that the running kernel does not honour."""
    if cmdline is not None and not isinstance(cmdline, str):
        raise AnsibleFilterError("kernel_args_not_in_effect: the input must be a kernel command line (a string), "
                                 "got %s" % type(cmdline).__name__)
    return grub_cmdline.not_in_effect(cmdline or "", _arg_list(args, "kernel_args_not_in_effect", "args"),
                                      _arg_list(remove, "kernel_args_not_in_effect", "remove"))


def grub_dropin_content(initial, variable, args):
    """What grub_cmdline writes into a fresh drop-in that holds ``initial``, given ``args`` to add."""
    if not isinstance(initial, str):
        raise AnsibleFilterError("grub_dropin_content: the input must be the drop-in's initial content (a string)")
    try:
        return grub_cmdline.edit_content(initial, str(variable),
                                         add=[grub_cmdline.validate_argument(a, "args")
                                              for a in _arg_list(args, "grub_dropin_content", "args")],
                                         path="the drop-in").content
    except grub_cmdline.GrubCmdlineError as e:
        raise AnsibleFilterError("grub_dropin_content: %s" % e)


class FilterModule(object):
    def filters(self):
        return {
            "nvidia_driver_plan": nvidia_driver_plan,
            "nvidia_toolkit_plan": nvidia_toolkit_plan,
            "nvidia_platforms": nvidia_platforms,
            "apt_restore_map": apt_restore_map,
            "cuda_toolkit_state_request": cuda_toolkit_state_request,
            "nvidia_driver_changes": nvidia_driver_changes,
            "nvidia_driver_reboot_reasons": nvidia_driver_reboot_reasons,
            "nvidia_driver_install_error": nvidia_driver_install_error,
            "nvidia_gpu_generation": nvidia_gpu_generation,
            "kernel_args_not_in_effect": kernel_args_not_in_effect,
            "grub_dropin_content": grub_dropin_content,
        }

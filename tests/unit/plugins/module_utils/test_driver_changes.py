# -*- coding: utf-8 -*-
"""driver_changes: what must change on a guest for the nvidia_driver role (a decision table over
guest_facts-shaped states), and why it must reboot."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_changes as DC

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")

BLACKLIST = "/etc/modprobe.d/passthrough-nvidia-blacklist-nouveau.conf"
BLACKLIST_TEXT = "# Managed by passthrough.nvidia.nvidia_driver\nblacklist nouveau\noptions nouveau modeset=0\n"
DROPIN = "/etc/default/grub.d/90-passthrough-nvidia.cfg"
DROPIN_TEXT = 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT pci=realloc"\n'
LINK = "/etc/systemd/system/multi-user.target.wants/nvidia-persistenced.service"
UNIT = "/lib/systemd/system/nvidia-persistenced.service"
KERNEL = "6.1.0-41-amd64"
MIB = 1 << 20
HOLDS = "^(cuda-drivers(-[0-9]+)?|nvidia-open|nvidia-driver(-cuda)?|libcuda1)$"


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def file_entry(text=None, mode="0644", uid=0, link=None, mtime=1000):
    """One of guest_facts' files, as it describes a regular file, a symlink or nothing."""
    if link is not None:
        return {"exists": True, "islnk": True, "lnk_target": link, "mode": "0777", "uid": 0, "gid": 0, "mtime": mtime}
    if text is None:
        return {"exists": False}
    return {"exists": True, "islnk": False, "mode": mode, "uid": uid, "gid": 0, "mtime": mtime,
            "sha1": hashlib.sha1(text.encode("utf-8")).hexdigest()}


def kernels(**over):
    """guest_facts' kernels of a VM that runs and boots KERNEL, built with the driver's module."""
    k = {"running": KERNEL, "installed": [KERNEL], "headers": {KERNEL: True}, "next_boot": KERNEL,
         "next_boot_how": "default entry 0", "next_boot_args": "root=UUID=1234 ro quiet pci=realloc", "grub_cfg": True,
         "boot_free": 200 * MIB, "initrd": {KERNEL: {"size": 36 * MIB, "mtime": 2000}},
         "dkms": [{"module": "nvidia", "version": "595.45.04", "kernel": KERNEL, "arch": "x86_64", "state": "installed"}],
         "dkms_rc": 0, "dkms_logs": {}}
    k.update(over)
    return k


POLICY = {"linux-headers-amd64": {"installed": "6.1.176-1", "candidate": "6.1.176-1", "versions": ["6.1.176-1"]},
          "linux-headers-" + KERNEL: {"installed": "6.1.158-1", "candidate": "6.1.158-1", "versions": ["6.1.158-1"]}}
# What a converged VM guest has installed (ansible_facts.packages).
INSTALLED = {"linux-image-amd64": [{"version": "6.1.158-1"}], "linux-image-" + KERNEL: [{"version": "6.1.158-1"}],
             "linux-headers-amd64": [{"version": "6.1.158-1"}], "linux-headers-" + KERNEL: [{"version": "6.1.158-1"}],
             "nvidia-kernel-open-dkms": [{"version": "595.45.04-1"}]}


def converged(**over):
    """A converged VM guest's guest_facts answer; ``over`` replaces parts of it."""
    state = {
        "files": {BLACKLIST: file_entry(BLACKLIST_TEXT), DROPIN: file_entry(DROPIN_TEXT), LINK: file_entry(link=UNIT)},
        "contents": {"/proc/cmdline": {"exists": True, "b64": b64("BOOT_IMAGE=/vmlinuz ro quiet pci=realloc\n")},
                     DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}},
        "dpkg_audit": "", "unfinished": [], "holds": [], "kernels": kernels(), "apt_policy": POLICY,
    }
    state.update(over)
    return state


def decide(state, **kw):
    args = dict(installed=INSTALLED, plan_changes=[],
                blacklist_file=BLACKLIST, blacklist_content=BLACKLIST_TEXT, grub_file=DROPIN, grub_wanted=DROPIN_TEXT,
                kernel_args=["pci=realloc"], persistenced_link=LINK, persistenced_unit=UNIT, service_mgr="systemd",
                legacy_hold_pattern=HOLDS)
    args.update(kw)
    return DC.changes(state, **args)


FRESH = {"files": {BLACKLIST: file_entry(), DROPIN: file_entry(), LINK: file_entry()},
         "contents": {"/proc/cmdline": {"exists": True, "b64": b64("ro quiet\n")}, DROPIN: {"exists": False}},
         "dpkg_audit": "", "unfinished": [], "holds": [],
         "kernels": kernels(dkms=[], headers={KERNEL: False}, next_boot_args="root=UUID=1234 ro quiet"), "apt_policy": POLICY}
# A fresh Debian guest as its installer leaves it: the kernel and its metapackage, no headers.
STOCK = {"linux-image-amd64": [{"version": "6.1.158-1"}], "linux-image-" + KERNEL: [{"version": "6.1.158-1"}]}


@pytest.mark.parametrize("state, kw, parts", [
    # A converged guest: nothing to do, converge.yml is skipped as a whole.
    (converged(), {}, []),
    # A fresh Debian guest: everything but dpkg and holds.
    (FRESH, {"installed": STOCK, "plan_changes": ["nvidia-driver-cuda"]},
     ["prerequisites", "blacklist", "kernel_args", "grub", "packages", "persistenced"]),
    # A run killed mid-install.
    (converged(dpkg_audit="The following packages are only half configured"), {}, ["dpkg"]),
    (converged(unfinished=["nvidia-kernel-open-dkms"]), {}, ["dpkg"]),
    # Another kernel's headers are not this kernel's.
    (converged(), {"installed": dict(STOCK, **{"linux-headers-6.1.0-40-amd64": [{}],
                                               "nvidia-kernel-open-dkms": [{"version": "595.45.04-1"}]})},
     ["prerequisites"]),
    (converged(), {"installed": dict(STOCK, **{"nvidia-kernel-open-dkms": [{"version": "595.45.04-1"}]}),
                   "prerequisites": False}, []),
    # Containers without a kernel of their own: no headers, and no kernel argument can reach their kernel.
    (dict(converged(), contents={"/proc/cmdline": {"exists": True, "b64": b64("ro\n")},
                                 DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}},
          kernels=kernels(running="6.18.44-fc-v1252", installed=[], headers={}, next_boot=None, next_boot_args=None,
                          grub_cfg=False, initrd={}, dkms=[])),
     {"installed": {"nvidia-kernel-open-dkms": [{"version": "595.45.04-1"}]}, "in_container": True}, []),
    # A container with a Debian kernel installed: its headers, not the host's.
    (dict(converged(), kernels=kernels(running="6.18.44-fc-v1252", grub_cfg=False, next_boot_args=None, dkms=[])),
     {"installed": STOCK, "in_container": True}, ["prerequisites"]),
    # A new kernel (unattended-upgrades) whose headers came along, but no module yet: dkms builds it.
    (dict(converged(), kernels=kernels(installed=[KERNEL, "6.1.0-50-amd64"], next_boot="6.1.0-50-amd64",
                                       headers={KERNEL: True, "6.1.0-50-amd64": True})),
     {"installed": dict(INSTALLED, **{"linux-headers-6.1.0-50-amd64": [{}]})}, ["module"]),
    # The initramfs is older than the blacklist: the run that wrote it did not get to update-initramfs.
    (dict(converged(), kernels=kernels(initrd={KERNEL: {"size": 36 * MIB, "mtime": 999}})), {}, ["initramfs"]),
    # ... not when no blacklist is wanted.
    (dict(converged(), kernels=kernels(initrd={KERNEL: {"size": 36 * MIB, "mtime": 999}})),
     {"blacklist_content": None}, []),
    # The entry GRUB boots next lacks the argument: the run that set it did not get to update-grub.
    (dict(converged(), kernels=kernels(next_boot_args="root=UUID=1234 ro quiet")), {}, ["grub"]),
    # A GRUB file that keeps a removed argument in grub.cfg.
    (dict(converged(), kernels=kernels(next_boot_args="root=UUID=1234 ro quiet pci=realloc nomodeset")),
     {"kernel_args_remove": ["nomodeset"]}, ["kernel_args", "grub"]),
    # The kernel spells nvidia-drm.modeset=1 as nvidia_drm.modeset=1: the same parameter.
    (dict(converged(), contents={"/proc/cmdline": {"exists": True, "b64": b64("ro nvidia_drm.modeset=1\n")},
                                 DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}},
          kernels=kernels(next_boot_args="root=UUID=1234 ro nvidia_drm.modeset=1")),
     {"kernel_args": ["nvidia-drm.modeset=1"]}, []),
    # The drop-in is right but the guest has not booted it.
    (dict(converged(), contents={"/proc/cmdline": {"exists": True, "b64": b64("ro quiet\n")},
                                 DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}}), {}, ["kernel_args"]),
    # Other bytes in the drop-in.
    (converged(), {"grub_wanted": DROPIN_TEXT.replace("realloc", "nocrs")}, ["kernel_args"]),
    # Arguments to remove, and /etc/default/grub itself: grub_cmdline always decides.
    (converged(), {"kernel_args_remove": ["nomodeset"]}, ["kernel_args"]),
    (converged(), {"grub_file": "/etc/default/grub"}, ["kernel_args"]),
    # No arguments managed at all: nothing to do whatever the drop-in holds.
    (FRESH, {"kernel_args": [], "blacklist_content": None, "persistenced_link": None}, []),
    # The blacklist with another mode or owner is not the role's.
    (converged(files=dict(converged()["files"], **{BLACKLIST: file_entry(BLACKLIST_TEXT, mode="0600")})), {},
     ["blacklist"]),
    (converged(files=dict(converged()["files"], **{BLACKLIST: file_entry(BLACKLIST_TEXT, uid=1000)})), {},
     ["blacklist"]),
    # The holds of passthrough.nvidia 0.1, not the operator's own.
    (converged(holds=["cuda-drivers-580", "libcuda1", "linux-image-amd64"]), {}, ["holds"]),
    (converged(holds=["linux-image-amd64", "cuda-drivers-580x"]), {}, []),
    # nvidia-persistenced: systemd follows the link; another service manager needs its target right.
    (converged(), {"service_mgr": "sysvinit"}, []),
    (converged(files=dict(converged()["files"], **{LINK: file_entry(link="/dev/null")})), {"service_mgr": "sysvinit"},
     ["persistenced"]),
    (converged(files=dict(converged()["files"], **{LINK: file_entry()})), {}, ["persistenced"]),
    (converged(files=dict(converged()["files"], **{LINK: file_entry()})), {"persistenced_link": None}, []),
    # The plan changes packages.
    (converged(), {"plan_changes": ["nvidia-kernel-open-dkms"]}, ["packages"]),
])
def test_decision_table(state, kw, parts):
    assert decide(state, **kw)["parts"] == parts


def test_what_each_part_found():
    got = decide(FRESH, installed=STOCK, kernel_args=["pci=realloc", "iommu=pt"])
    assert got["prerequisites_missing"] == ["linux-headers-amd64", "linux-headers-" + KERNEL]
    assert got["grub_cfg_lacks"] == ["pci=realloc", "iommu=pt"]
    assert got["kernel_args_not_in_effect"] == ["pci=realloc", "iommu=pt"]
    assert not got["kernel_args_in_place"] and not got["blacklist_in_place"] and not got["persistenced_enabled"]
    assert decide(converged(holds=["nvidia-open"]))["legacy_held"] == ["nvidia-open"]


@pytest.mark.parametrize("broken", [None, "not a dict", {"files": None, "contents": None},
                                    {"contents": {"/proc/cmdline": {"exists": True, "b64": "%%% not base64"}}}])
def test_an_answer_of_the_wrong_shape_means_everything_is_to_do(broken):
    # Guest data is untrusted: a broken answer never reads as "in place".
    got = decide(broken, plan_changes=[])
    assert got["parts"] == ["blacklist", "kernel_args", "persistenced"]
    assert got["kernels"]["next_boot"] is None and got["kernels"]["error"] == ""


BANNER_580 = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)  \n"
BANNER_535 = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.216.01  Tue Sep 17 16:51:44 UTC 2024\n"


@pytest.mark.parametrize("kw, reasons", [
    ({}, []),
    ({"driver_changed": True}, ["the driver was installed or changed"]),
    ({"kernel_args_changed": True, "nouveau_loaded": True}, ["the kernel arguments changed", "nouveau is loaded"]),
    ({"driver_changed": True, "kernel_args_changed": True},
     ["the driver was installed or changed", "the kernel arguments changed"]),
    # Without the blacklist a reboot loads nouveau again: no reason to reboot for it.
    ({"nouveau_loaded": True, "blacklisted": False}, []),
    # A run that installed a driver and was stopped before its reboot: the old module still runs.
    ({"loaded_banner": BANNER_580, "installed_version": "595.45.04"},
     ["the loaded NVIDIA module is 580.159.04, the installed driver 595.45.04"]),
    ({"loaded_banner": BANNER_535, "installed_version": "535.216.01"}, []),
    ({"loaded_banner": BANNER_580, "installed_version": None}, []),
    # A module that does not load at all is no reason to reboot again and again.
    ({"loaded_banner": "", "installed_version": "595.45.04"}, []),
])
def test_reboot_reasons(kw, reasons):
    assert DC.reboot_reasons(**kw) == reasons


def test_loaded_module_version_of_the_real_banners():
    with open(os.path.join(FIXTURES, "real", "h100-580", "proc_version.stdout")) as f:
        assert DC.loaded_module_version(f.read()) == "580.159.04"
    assert DC.loaded_module_version(BANNER_535) == "535.216.01"
    assert DC.loaded_module_version("") is None


def test_a_next_boot_kernel_without_headers_to_be_had_stops_before_anything_changes():
    """A guest set to boot a kernel whose headers the mirror no longer carries."""
    state = dict(converged(), kernels=kernels(installed=[KERNEL, "6.1.0-47-amd64"], next_boot="6.1.0-47-amd64",
                                              headers={KERNEL: True, "6.1.0-47-amd64": False},
                                              next_boot_how="saved_entry 1>1"))
    got = decide(state)
    err = got["kernels"]["error"]
    assert "6.1.0-47-amd64" in err and "linux-headers-6.1.0-47-amd64" in err and "Nothing was changed" in err
    assert got["kernels"]["headers_unavailable"] == ["linux-headers-6.1.0-47-amd64"]
    assert got["kernels"]["next_boot_has_module"] is False
    assert "has no NVIDIA kernel module 595.45.04" in got["kernels"]["module_message"]
    assert "Its headers are not installed" in got["kernels"]["module_message"]
    # Told not to install headers, the role does not stop here; the module check does.
    assert decide(state, prerequisites=False)["kernels"]["error"] == ""


def test_the_running_kernels_headers_may_be_gone_when_another_kernel_boots_next():
    state = dict(converged(), kernels=kernels(running="6.1.0-47-amd64", installed=[KERNEL, "6.1.0-47-amd64"]))
    got = decide(state)
    assert got["kernels"]["error"] == ""
    assert got["kernels"]["headers_unavailable"] == ["linux-headers-6.1.0-47-amd64"]
    assert got["parts"] == []


def test_a_failed_build_names_the_build_logs_errors():
    log = "nvidia.c:12:10: fatal error: nv-double.h: No such file or directory\nmake[1]: *** [Makefile:2: x] Error 2\n"
    state = dict(converged(), kernels=kernels(
        dkms=[], dkms_logs={"/var/lib/dkms/nvidia/595.45.04/build/make.log": log}))
    msg = decide(state)["kernels"]["module_message"]
    assert "DKMS could not build it: nvidia.c:12:10: fatal error: nv-double.h: No such file or directory" in msg
    assert "/var/lib/dkms/nvidia/595.45.04/build/make.log" in msg
    assert decide(state)["parts"] == ["module"]


def test_a_full_boot_stops_before_the_blacklist_is_written():
    state = dict(FRESH, kernels=kernels(boot_free=20 * MIB, headers={KERNEL: False}, dkms=[]))
    got = decide(state, installed=STOCK)
    assert "/boot has 20 MiB free" in got["boot_error"] and "Nothing was changed" in got["boot_error"]
    assert decide(converged())["boot_error"] == ""


APT_DKMS_FAILED = """Setting up nvidia-kernel-open-dkms (595.45.04-1) ...
Loading new nvidia/595.45.04 DKMS files...
Building for 6.1.0-50-amd64
Building initial module nvidia/595.45.04 for 6.1.0-50-amd64
Error! Bad return status for module build on kernel: 6.1.0-50-amd64 (x86_64)
Consult /var/lib/dkms/nvidia/595.45.04/build/make.log for more information.
dpkg: error processing package nvidia-kernel-open-dkms (--configure):
"""


def test_install_error_names_the_dkms_build_errors_not_dpkgs():
    result = {"msg": "'/usr/bin/apt-get -y install nvidia-driver-cuda=595.45.04-1' failed: E: Sub-process /usr/bin/dpkg "
                     "returned an error code (1)\n", "stdout": APT_DKMS_FAILED,
              "stderr": "E: Sub-process /usr/bin/dpkg returned an error code (1)\n", "rc": 100}
    logs = {"/var/lib/dkms/nvidia/595.45.04/build/make.log": "nvidia.c:5:10: fatal error: linux/module.h: No such file\n"}
    msg = DC.install_error(result, install_list=["nvidia-driver-cuda=595.45.04-1"], kernels={"dkms_logs": logs})
    assert msg.startswith("Installing nvidia-driver-cuda=595.45.04-1 failed (exit code 100): DKMS could not build")
    assert "for kernel 6.1.0-50-amd64" in msg
    assert "nvidia.c:5:10: fatal error: linux/module.h: No such file" in msg
    assert "(full log: /var/lib/dkms/nvidia/595.45.04/build/make.log)" in msg
    assert "apt said: E: Sub-process /usr/bin/dpkg returned an error code (1)" in msg


def test_install_error_names_the_lock_holder():
    result = {"msg": "Failed to lock apt for exclusive operation: Failed to lock directory /var/lib/dpkg/: E:Could not get "
                     "lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)"}
    msg = DC.install_error(result, lock_timeout=300)
    assert "held by process 4242 (unattended-upgr)" in msg and "nvidia_driver_lock_timeout (300 s)" in msg


def test_install_error_otherwise_says_what_apt_said_with_its_exit_code():
    result = {"msg": "E: Unable to locate package nvidia-driver-cuda", "rc": 100, "stderr": ""}
    assert DC.install_error(result, install_list=["nvidia-driver-cuda"]) == (
        "Installing nvidia-driver-cuda failed (exit code 100): E: Unable to locate package nvidia-driver-cuda")

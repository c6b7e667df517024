# -*- coding: utf-8 -*-
"""driver_changes: what must change on a guest for the nvidia_driver role (a decision table over
guest_facts-shaped states), and why it must reboot."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_changes as DC

BLACKLIST = "/etc/modprobe.d/passthrough-nvidia-blacklist-nouveau.conf"
BLACKLIST_TEXT = "# Managed by passthrough.nvidia.nvidia_driver\nblacklist nouveau\noptions nouveau modeset=0\n"
DROPIN = "/etc/default/grub.d/90-passthrough-nvidia.cfg"
DROPIN_TEXT = 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT pci=realloc"\n'
LINK = "/etc/systemd/system/multi-user.target.wants/nvidia-persistenced.service"
UNIT = "/lib/systemd/system/nvidia-persistenced.service"
KERNEL = "6.1.0-41-amd64"
HOLDS = "^(cuda-drivers(-[0-9]+)?|nvidia-open|nvidia-driver(-cuda)?|libcuda1)$"


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def file_entry(text=None, mode="0644", uid=0, link=None):
    """One of guest_facts' files, as it describes a regular file, a symlink or nothing."""
    if link is not None:
        return {"exists": True, "islnk": True, "lnk_target": link, "mode": "0777", "uid": 0, "gid": 0}
    if text is None:
        return {"exists": False}
    return {"exists": True, "islnk": False, "mode": mode, "uid": uid, "gid": 0,
            "sha1": hashlib.sha1(text.encode("utf-8")).hexdigest()}


def converged(**over):
    """A converged VM guest's guest_facts answer; ``over`` replaces parts of it."""
    state = {
        "files": {BLACKLIST: file_entry(BLACKLIST_TEXT), DROPIN: file_entry(DROPIN_TEXT), LINK: file_entry(link=UNIT)},
        "contents": {"/proc/cmdline": {"exists": True, "b64": b64("BOOT_IMAGE=/vmlinuz ro quiet pci=realloc\n")},
                     DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}},
        "dpkg_audit": "", "unfinished": [], "holds": [],
    }
    state.update(over)
    return state


def decide(state, **kw):
    args = dict(installed={"linux-headers-" + KERNEL: [{}], "dkms": [{}]}, kernel=KERNEL, plan_changes=[],
                blacklist_file=BLACKLIST, blacklist_content=BLACKLIST_TEXT, grub_file=DROPIN, grub_wanted=DROPIN_TEXT,
                kernel_args=["pci=realloc"], persistenced_link=LINK, persistenced_unit=UNIT, service_mgr="systemd",
                legacy_hold_pattern=HOLDS)
    args.update(kw)
    return DC.changes(state, **args)


FRESH = {"files": {BLACKLIST: file_entry(), DROPIN: file_entry(), LINK: file_entry()},
         "contents": {"/proc/cmdline": {"exists": True, "b64": b64("ro quiet\n")}, DROPIN: {"exists": False}},
         "dpkg_audit": "", "unfinished": [], "holds": []}


@pytest.mark.parametrize("state, kw, parts", [
    # A converged guest: nothing to do, converge.yml is skipped as a whole.
    (converged(), {}, []),
    # A fresh Debian guest: everything but dpkg and holds.
    (FRESH, {"installed": {}, "plan_changes": ["nvidia-driver-cuda"]},
     ["prerequisites", "blacklist", "kernel_args", "packages", "persistenced"]),
    # A run killed mid-install.
    (converged(dpkg_audit="The following packages are only half configured"), {}, ["dpkg"]),
    (converged(unfinished=["nvidia-kernel-open-dkms"]), {}, ["dpkg"]),
    # Only the running kernel's headers count, not another kernel's.
    (converged(), {"installed": {"linux-headers-6.1.0-40-amd64": [{}], "dkms": [{}]}}, ["prerequisites"]),
    (converged(), {"installed": {}, "prerequisites": False}, []),
    # Containers: no headers, and no kernel argument can reach their kernel.
    (dict(converged(), contents={"/proc/cmdline": {"exists": True, "b64": b64("ro\n")},
                                 DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}}),
     {"installed": {}, "in_container": True}, []),
    # The kernel spells nvidia-drm.modeset=1 as nvidia_drm.modeset=1: the same parameter.
    (dict(converged(), contents={"/proc/cmdline": {"exists": True, "b64": b64("ro nvidia_drm.modeset=1\n")},
                                 DROPIN: {"exists": True, "b64": b64(DROPIN_TEXT)}}),
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
    got = decide(FRESH, installed={"dkms": [{}]}, kernel_args=["pci=realloc", "iommu=pt"])
    assert got["prerequisites_missing"] == ["linux-headers-" + KERNEL]
    assert got["kernel_args_not_in_effect"] == ["pci=realloc", "iommu=pt"]
    assert not got["kernel_args_in_place"] and not got["blacklist_in_place"] and not got["persistenced_enabled"]
    assert decide(converged(holds=["nvidia-open"]))["legacy_held"] == ["nvidia-open"]


@pytest.mark.parametrize("broken", [None, "not a dict", {"files": None, "contents": None},
                                    {"contents": {"/proc/cmdline": {"exists": True, "b64": "%%% not base64"}}}])
def test_an_answer_of_the_wrong_shape_means_everything_is_to_do(broken):
    # Guest data is untrusted: a broken answer never reads as "in place".
    got = decide(broken, plan_changes=[])
    assert got["parts"] == ["blacklist", "kernel_args", "persistenced"]


@pytest.mark.parametrize("kw, reasons", [
    ({}, []),
    ({"driver_changed": True}, ["the driver was installed or changed"]),
    ({"kernel_args_changed": True, "nouveau_loaded": True}, ["the kernel arguments changed", "nouveau is loaded"]),
    ({"driver_changed": True, "kernel_args_changed": True},
     ["the driver was installed or changed", "the kernel arguments changed"]),
])
def test_reboot_reasons(kw, reasons):
    assert DC.reboot_reasons(**kw) == reasons

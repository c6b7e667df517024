# -*- coding: utf-8 -*-
"""kernels: the guest's kernels, their headers and the DKMS-built module. The grub.cfg, dkms
status and build-log fixtures were recorded on the lab guest (Debian 12 under QEMU/OVMF, its own
update-grub) and in the molecule containers (Debian 12 with NVIDIA's newer dkms, Debian 13),
tests/unit/fixtures/kernels/README.md says how."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import kernels as K

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "kernels")


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


@pytest.mark.parametrize("installed, releases, metas", [
    ({"linux-image-amd64": [], "linux-image-6.1.0-50-amd64": []}, ["6.1.0-50-amd64"], ["amd64"]),
    # The unsigned image and debug symbols are the same kernel, or none at all.
    ({"linux-image-6.1.0-50-amd64-unsigned": [], "linux-image-6.1.0-50-amd64-dbg": [],
      "linux-image-amd64-dbg": []}, ["6.1.0-50-amd64"], []),
    ({"linux-image-cloud-amd64": [], "linux-image-6.12.117+deb13-cloud-amd64": [], "linux-image-6.12.107+deb13-amd64": []},
     ["6.12.107+deb13-amd64", "6.12.117+deb13-cloud-amd64"], ["cloud-amd64"]),
    ({"linux-headers-amd64": [], "linux-base": [], "python3": []}, [], []),
    # A guest's package names are data: anything that is not a release is left out.
    ({"linux-image-6.1.0-50-amd64;reboot": []}, [], []),
])
def test_kernel_packages(installed, releases, metas):
    assert K.kernel_packages(installed) == (releases, metas)


def test_header_packages_for_the_metapackage_the_next_boot_and_the_running_kernel():
    installed = {"linux-image-amd64": [], "linux-image-6.1.0-47-amd64": [], "linux-image-6.1.0-50-amd64": []}
    assert K.header_packages(installed, running="6.1.0-47-amd64", next_boot="6.1.0-50-amd64") == [
        "linux-headers-amd64", "linux-headers-6.1.0-50-amd64", "linux-headers-6.1.0-47-amd64"]


def test_header_packages_in_a_container_leave_out_the_hosts_kernel():
    installed = {"linux-image-cloud-amd64": [], "linux-image-6.1.0-50-cloud-amd64": []}
    assert K.header_packages(installed, running="6.18.44-fc-v1252", next_boot="6.1.0-50-cloud-amd64",
                             in_container=True) == ["linux-headers-cloud-amd64", "linux-headers-6.1.0-50-cloud-amd64"]


def test_header_packages_without_kernels_are_none():
    assert K.header_packages({}, running=None, next_boot=None, in_container=True) == []


def test_header_packages_once_when_next_boot_is_running():
    assert K.header_packages({}, running="6.1.0-50-amd64", next_boot="6.1.0-50-amd64") == ["linux-headers-6.1.0-50-amd64"]


@pytest.mark.parametrize("releases, expected", [
    (["6.1.0-9-amd64", "6.1.0-10-amd64"], "6.1.0-10-amd64"),   # numbers as numbers, as version_sort
    (["6.12.107+deb13-amd64", "6.12.117+deb13-amd64"], "6.12.117+deb13-amd64"),
    (["6.1.0-50-amd64", "6.1.0-50-cloud-amd64"], "6.1.0-50-cloud-amd64"),
    ([], None),
    (["not a kernel"], None),
])
def test_newest(releases, expected):
    assert K.newest(releases) == expected


def test_the_real_grub_cfg_of_the_lab_guest():
    """update-grub's own output on Debian 12 (the lab guest, pci=realloc set by the role)."""
    release, args, how = K.grub_next_boot(fixture("grub.cfg.bookworm"))
    assert release == "6.1.0-50-amd64"
    assert "pci=realloc" in args.split()
    assert how == "default entry 0"


GRUB_TWO = """
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="%(default)s"
fi
menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-1234' {
    linux    /boot/vmlinuz-6.1.0-50-amd64 root=UUID=1234 ro pci=realloc quiet
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-1234' {
    menuentry 'Debian GNU/Linux, with Linux 6.1.0-50-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-50-amd64-advanced-1234' {
        linux    /boot/vmlinuz-6.1.0-50-amd64 root=UUID=1234 ro pci=realloc quiet
    }
    menuentry 'Debian GNU/Linux, with Linux 6.1.0-47-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-47-amd64-advanced-1234' {
        linux    /vmlinuz-6.1.0-47-amd64 root=UUID=1234 ro quiet
    }
}
"""


@pytest.mark.parametrize("default, grubenv, release, args", [
    ("0", "", "6.1.0-50-amd64", "root=UUID=1234 ro pci=realloc quiet"),
    ("1>1", "", "6.1.0-47-amd64", "root=UUID=1234 ro quiet"),           # GRUB_DEFAULT="1>1"; /boot a partition
    ("gnulinux-advanced-1234>gnulinux-6.1.0-47-amd64-advanced-1234", "", "6.1.0-47-amd64", "root=UUID=1234 ro quiet"),
    # An entry of a submenu needs its path: GRUB does not find it and boots entry 0.
    ("gnulinux-6.1.0-47-amd64-advanced-1234", "", "6.1.0-50-amd64", "root=UUID=1234 ro pci=realloc quiet"),
    ("7", "", "6.1.0-50-amd64", "root=UUID=1234 ro pci=realloc quiet"),
    ("Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-47-amd64", "", "6.1.0-47-amd64",
     "root=UUID=1234 ro quiet"),
    ("1", "", "6.1.0-50-amd64", "root=UUID=1234 ro pci=realloc quiet"),  # a submenu boots its first entry
    ("${saved_entry}", "# GRUB Environment Block\nsaved_entry=1>1\n", "6.1.0-47-amd64", "root=UUID=1234 ro quiet"),
    ("${saved_entry}", "", "6.1.0-50-amd64", "root=UUID=1234 ro pci=realloc quiet"),
    # grub-reboot's one-time entry wins over the default.
    ("0", "next_entry=1>1\n", "6.1.0-47-amd64", "root=UUID=1234 ro quiet"),
])
def test_grub_default_entry(default, grubenv, release, args):
    got = K.grub_next_boot(GRUB_TWO % {"default": default}, grubenv)
    assert got[:2] == (release, args)


def test_grub_default_that_names_no_entry_says_so():
    assert K.grub_next_boot(GRUB_TWO % {"default": "7"})[2] == "default entry 7, which grub.cfg does not have: GRUB boots entry 0"


@pytest.mark.parametrize("cfg, why", [
    ("", "no grub.cfg"),
    ("set default=0\n", "grub.cfg has no menu entry"),
    ("menuentry 'Windows' {\n chainloader /EFI/Microsoft/Boot/bootmgfw.efi\n}\n", "does not boot a Debian kernel"),
])
def test_grub_next_boot_cannot_tell(cfg, why):
    release, args, how = K.grub_next_boot(cfg)
    assert release is None and args is None
    assert why in how


def dkms_tree(root, installed=(), built=(), added=()):
    """A DKMS tree as dkms 3 leaves it: <module>/<version>/source, <module>/<version>/<kernel>/<arch>/
    module/<name>.ko for a build, and <module>/kernel-<kernel>-<arch> linking to
    <version>/<kernel>/<arch> for an installed one (dkms's own _is_module_installed test)."""
    for module, version, kernel in list(installed) + list(built):
        d = root / module / version / kernel / "x86_64" / "module"
        d.mkdir(parents=True)
        (d / (module + ".ko")).write_text("ko")
    for module, version, kernel in installed:
        os.symlink("%s/%s/x86_64" % (version, kernel), str(root / module / ("kernel-%s-x86_64" % kernel)))
    for module, version in added:
        (root / module / version / "source").mkdir(parents=True)
    return str(root)


def test_read_dkms_tree_says_what_dkms_status_says(tmp_path):
    tree = dkms_tree(tmp_path, installed=[("nvidia", "595.45.04", "6.1.0-50-amd64"),
                                          ("nvidia", "595.45.04", "6.1.0-50-cloud-amd64")],
                     built=[("nvidia", "595.45.04", "6.12.117+deb13-amd64")], added=[("other", "1.0")])
    found = K.read_dkms_tree(tree)
    assert {"module": "nvidia", "version": "595.45.04", "kernel": "6.1.0-50-amd64", "arch": "x86_64",
            "state": "installed"} in found
    assert {"module": "nvidia", "version": "595.45.04", "kernel": "6.12.117+deb13-amd64", "arch": "x86_64",
            "state": "built"} in found
    assert {"module": "other", "version": "1.0", "kernel": None, "arch": None, "state": "added"} in found
    assert K.module_kernels(found, "595.45.04") == ["6.1.0-50-amd64", "6.1.0-50-cloud-amd64"]
    assert K.module_kernels(found, "580.105.08") == []


def test_read_dkms_tree_a_link_to_another_version_installs_that_one_only(tmp_path):
    """After an upgrade whose build failed, kernel-<k> still points at the old version."""
    tree = dkms_tree(tmp_path, installed=[("nvidia", "580.105.08", "6.1.0-50-amd64")],
                     built=[("nvidia", "595.45.04", "6.1.0-50-amd64")])
    found = K.read_dkms_tree(tree)
    assert K.module_kernels(found, "580.105.08") == ["6.1.0-50-amd64"]
    assert K.module_kernels(found, "595.45.04") == []


def test_read_dkms_tree_without_dkms(tmp_path):
    assert K.read_dkms_tree(str(tmp_path / "none")) == []


def test_module_kernels_by_module_name():
    found = [{"module": "nvidia", "version": "580.105.08", "kernel": "6.1.0-50-amd64", "arch": "x86_64",
              "state": "installed"},
             {"module": "other", "version": "580.105.08", "kernel": "6.1.0-47-amd64", "arch": "x86_64",
              "state": "installed"}]
    assert K.module_kernels(found, "580.105.08", module="nvidia") == ["6.1.0-50-amd64"]
    assert K.module_kernels(found, "580.105.08") == ["6.1.0-47-amd64", "6.1.0-50-amd64"]


def test_build_errors_of_a_real_failed_build():
    """The make.log of a DKMS build that failed (recorded in a container: the module source
    broken on purpose), reduced to what went wrong."""
    log = fixture("make.log.failed")
    errors = K.build_errors(log)
    assert any("error:" in e for e in errors)
    assert errors[-1].startswith("make") and "Error" in errors[-1]
    assert len(errors) <= 12


def test_build_errors_keep_the_first_and_the_last():
    log = "\n".join("nvidia.c:%d: error: boom %d" % (i, i) for i in range(30)) + "\nmake: *** [modules] Error 2\n"
    errors = K.build_errors(log, limit=5)
    assert errors[0] == "nvidia.c:0: error: boom 0"
    assert errors[-1] == "make: *** [modules] Error 2"
    assert len(errors) == 5


def test_make_log_paths_from_apt_output():
    text = fixture("apt-dkms-failed.txt")
    paths = K.make_log_paths(text)
    assert paths and all(p.startswith("/var/lib/dkms/nvidia/") and p.endswith("/make.log") for p in paths)


def test_read_kernels_of_a_tree(tmp_path):
    boot, mods = tmp_path / "boot", tmp_path / "modules"
    for d in (boot / "grub", mods / "6.1.0-50-amd64" / "build", mods / "6.1.0-47-amd64"):
        d.mkdir(parents=True)
    for r in ("6.1.0-47-amd64", "6.1.0-50-amd64"):
        (boot / ("vmlinuz-" + r)).write_text("kernel")
    (boot / "initrd.img-6.1.0-50-amd64").write_text("x" * 10)
    (boot / "vmlinuz-6.1.0-50-amd64;rm -rf").write_text("not a release")
    dkms = tmp_path / "dkms" / "nvidia" / "580.105.08" / "build"
    dkms.mkdir(parents=True)
    (dkms / "make.log").write_text("nvidia.c:1: error: boom\n")
    got = K.read_kernels(boot=str(boot), modules=str(mods), grub_cfg=str(boot / "grub" / "grub.cfg"),
                         grubenv=str(boot / "grub" / "grubenv"), dkms_tree=str(tmp_path / "dkms"))
    assert got["installed"] == ["6.1.0-47-amd64", "6.1.0-50-amd64"]
    assert got["headers"] == {"6.1.0-47-amd64": False, "6.1.0-50-amd64": True}
    assert got["next_boot"] == "6.1.0-50-amd64"
    assert got["next_boot_how"].startswith("newest kernel in /boot")
    assert got["next_boot_args"] is None and got["grub_cfg"] is False
    assert got["initrd"]["6.1.0-50-amd64"]["size"] == 10 and got["initrd"]["6.1.0-47-amd64"] is None
    assert got["boot_free"] > 0
    assert list(got["dkms_logs"].values()) == ["nvidia.c:1: error: boom\n"]


def test_read_kernels_a_grub_entry_for_a_kernel_not_in_boot_falls_back(tmp_path):
    boot = tmp_path / "boot"
    (boot / "grub").mkdir(parents=True)
    (boot / "vmlinuz-6.1.0-47-amd64").write_text("kernel")
    (boot / "grub" / "grub.cfg").write_text(GRUB_TWO % {"default": "0"})
    got = K.read_kernels(boot=str(boot), modules=str(tmp_path), grub_cfg=str(boot / "grub" / "grub.cfg"),
                         grubenv=str(boot / "grub" / "grubenv"), dkms_tree=str(tmp_path / "none"))
    assert got["next_boot"] == "6.1.0-47-amd64"
    assert "6.1.0-50-amd64, which is not in /boot" in got["next_boot_how"]
    assert got["dkms_logs"] == {}

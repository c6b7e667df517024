# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.modules import guest_facts


def test_files_contents_and_modules(run_module, tmp_path):
    f = tmp_path / "nvidia-cuda.sources"
    f.write_bytes(b"Types: deb\n")
    os.chmod(str(f), 0o640)
    link = tmp_path / "wants.service"
    os.symlink("/lib/systemd/system/nvidia-persistenced.service", str(link))
    res, failed = run_module(guest_facts, {"paths": [str(f), str(link), str(tmp_path / "missing")],
                                           "read": [str(f), str(tmp_path / "missing")], "read_limit": 5,
                                           "modules": ["nouveau_surely_not_loaded"], "_ansible_check_mode": True})
    assert not failed and not res["changed"]
    assert res["files"][str(f)]["sha1"] == hashlib.sha1(b"Types: deb\n").hexdigest()
    assert res["files"][str(f)]["mode"] == "0640" and not res["files"][str(f)]["islnk"]
    assert res["files"][str(link)]["lnk_target"] == "/lib/systemd/system/nvidia-persistenced.service"
    assert res["files"][str(tmp_path / "missing")] == {"exists": False}
    assert base64.b64decode(res["contents"][str(f)]["b64"]) == b"Types"
    assert res["contents"][str(tmp_path / "missing")] == {"exists": False, "b64": None}
    assert res["modules_loaded"] == {"nouveau_surely_not_loaded": False}


@pytest.mark.skipif(not os.path.exists("/usr/bin/dpkg-query"), reason="needs dpkg (Debian)")
def test_package_facts_of_this_debian_machine(run_module):
    res, failed = run_module(guest_facts, {"package_facts": True})
    assert not failed
    pkgs = res["ansible_facts"]["packages"]
    assert pkgs["dpkg"][0]["name"] == "dpkg" and pkgs["dpkg"][0]["source"] == "apt"
    assert isinstance(res["holds"], list) and isinstance(res["dpkg_audit"], str)


def test_bad_pattern_names_the_option(run_module):
    res, failed = run_module(guest_facts, {"sources_pattern": "(unclosed"})
    assert failed and res["msg"].startswith("sources_pattern '(unclosed' is not a valid regular expression")


def test_bad_read_limit(run_module):
    res, failed = run_module(guest_facts, {"read": ["/etc/hostname"], "read_limit": 0})
    assert failed and "read_limit must be a positive number" in res["msg"]


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "openpgp")


def test_keyrings_real_key_not_a_key_and_missing(run_module, tmp_path):
    bad = tmp_path / "key.asc"
    bad.write_text("not a key\n")
    armored = os.path.join(FIXTURES, "debian-archive-bookworm-stable.asc")
    res, failed = run_module(guest_facts, {"keyrings": [armored, str(bad), str(tmp_path / "none.asc")]})
    assert not failed
    assert res["keyrings"][armored] == {"exists": True, "armored": True,
                                        "fingerprints": ["4D64FEC119C2029067D6E791F8D2585B8783D481"]}
    assert res["keyrings"][str(bad)]["fingerprints"] == [] and not res["keyrings"][str(bad)]["armored"]
    assert res["keyrings"][str(bad)]["error"].startswith("%s is not an OpenPGP public key: " % bad)
    assert res["keyrings"][str(tmp_path / "none.asc")] == {"exists": False, "armored": False, "fingerprints": []}


def test_commands_run_in_check_mode_and_a_missing_one_is_reported(run_module, tmp_path):
    tool = tmp_path / "nvcc"
    tool.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.8, V12.8.93'\necho warn >&2\nexit 0\n")
    os.chmod(str(tool), 0o755)
    res, failed = run_module(guest_facts, {"commands": [[str(tool), "--version"], [str(tmp_path / "gone"), "-V"],
                                                        ["sh", "-c", "exit 3"]],
                                           "_ansible_check_mode": True})
    assert not failed and not res["changed"]
    ok, gone, three = res["commands"]
    assert ok == {"argv": [str(tool), "--version"], "rc": 0,
                  "stdout": "Cuda compilation tools, release 12.8, V12.8.93\n", "stderr": "warn\n"}
    assert gone["rc"] is None and gone["stderr"] == "%s: not found or not executable" % (tmp_path / "gone")
    assert three["rc"] == 3 and three["argv"] == ["sh", "-c", "exit 3"]


def test_an_empty_command_is_refused_by_its_index(run_module):
    res, failed = run_module(guest_facts, {"commands": [["true"], []]})
    assert failed and res["msg"] == "commands[1] must be a non-empty argument vector, got []"


def write_gpu(root, address, vendor="0x10de", device="0x2330", cls="0x030200", driver=None):
    d = root / address
    d.mkdir(parents=True)
    for name, value in (("vendor", vendor), ("device", device), ("class", cls), ("subsystem_vendor", vendor),
                        ("subsystem_device", "0x16c1")):
        (d / name).write_text(value + "\n")
    if driver:
        os.symlink("../../../bus/pci/drivers/" + driver, str(d / "driver"))


def test_pci_gpus_lists_nvidia_display_controllers_only(run_module, tmp_path):
    root = tmp_path / "devices"
    write_gpu(root, "0000:00:06.0", driver="vfio-pci")
    write_gpu(root, "0000:00:06.1", cls="0x040300")                   # the GPU's HDMI audio function
    write_gpu(root, "0000:00:02.0", vendor="0x1af4", device="0x1050")  # virtio-gpu
    write_gpu(root, "0000:00:07.0", device="0x1b38", cls="0x030000")
    res, failed = run_module(guest_facts, {"pci_devices": str(root)})
    assert not failed
    assert [(g["address"], g["device"], g["driver"]) for g in res["pci_gpus"]] == [
        ("0000:00:06.0", "0x2330", "vfio-pci"), ("0000:00:07.0", "0x1b38", None)]


def test_pci_gpus_of_a_missing_directory_is_none(run_module, tmp_path):
    res, failed = run_module(guest_facts, {"pci_devices": str(tmp_path / "nothing")})
    assert not failed and res["pci_gpus"] == []


@pytest.mark.skipif(not os.path.exists("/usr/bin/apt-cache"), reason="needs apt (Debian)")
def test_apt_policy_and_names_of_this_debian_machine(run_module):
    res, failed = run_module(guest_facts, {"apt_policy": ["dpkg", "surely-no-such-package"], "apt_names": ["dpkg"]})
    assert not failed
    assert res["apt_policy"]["dpkg"]["installed"] and res["apt_policy"]["dpkg"]["versions"]
    assert "surely-no-such-package" not in res["apt_policy"]
    assert "dpkg" in res["apt_names"]["dpkg"] and all(n.startswith("dpkg") for n in res["apt_names"]["dpkg"])


@pytest.mark.parametrize("args", [{"apt_policy": ["-o=Dir::Etc=/tmp"]}, {"apt_names": ["--help"]}])
def test_apt_options_cannot_be_smuggled_in_as_names(run_module, args):
    res, failed = run_module(guest_facts, args)
    assert failed and "apt_" in res["msg"]


@pytest.mark.skipif(not os.path.exists("/usr/bin/apt-cache"), reason="needs apt (Debian)")
def test_kernels_read_the_kernels_and_ask_apt_for_their_headers(run_module, tmp_path, monkeypatch):
    """The kernels option describes the kernels (here a tree of /boot, /lib/modules and DKMS's tree
    made for the test) and asks apt about the header packages they need in the same call."""
    from ansible_collections.passthrough.nvidia.plugins.module_utils import kernels as K
    boot, mods = tmp_path / "boot", tmp_path / "modules"
    (boot / "grub").mkdir(parents=True)
    (mods / "6.1.0-50-amd64" / "build").mkdir(parents=True)
    (boot / "vmlinuz-6.1.0-50-amd64").write_text("kernel")
    (boot / "initrd.img-6.1.0-50-amd64").write_text("initrd")
    real = K.read_kernels
    monkeypatch.setattr(guest_facts, "read_kernels", lambda: real(
        boot=str(boot), modules=str(mods), grub_cfg=str(boot / "grub" / "grub.cfg"),
        grubenv=str(boot / "grub" / "grubenv"), dkms_tree=str(tmp_path / "dkms")))
    monkeypatch.setattr(guest_facts, "read_dkms_tree", lambda: K.read_dkms_tree(str(tmp_path / "dkms")))
    res, failed = run_module(guest_facts, {"kernels": True, "apt_policy": ["dpkg"], "_ansible_check_mode": True})
    assert not failed, res
    k = res["kernels"]
    assert k["installed"] == ["6.1.0-50-amd64"] and k["headers"] == {"6.1.0-50-amd64": True}
    assert k["next_boot"] == "6.1.0-50-amd64" and k["next_boot_how"].startswith("newest kernel in /boot")
    assert k["running"] == os.uname()[2]
    # The next boot kernel's headers and the running one's; apt was asked about them with dpkg.
    assert "linux-headers-6.1.0-50-amd64" in k["header_packages"]
    assert "linux-headers-%s" % os.uname()[2] in k["header_packages"]
    assert "dpkg" in res["apt_policy"]
    assert k["dkms"] == []

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table of module_utils/driver_plan.py: what the driver and toolkit roles
install for each GPU generation, Debian release, variable and repository, and what they refuse."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_plan as dp
from ansible_collections.passthrough.nvidia.plugins.module_utils import nvidia_support as ns

# PCI device ids from NVIDIA's driver README, Appendix A (and the PCI ID repository).
IDS = {
    "kepler": "0x102d",     # Tesla K80
    "maxwell": "0x13f2",    # Tesla M60
    "pascal": "0x1b38",     # Tesla P40
    "volta": "0x1db4",      # Tesla V100 PCIe 16GB
    "turing": "0x1eb8",     # Tesla T4
    "ampere": "0x20b5",     # A100 80GB PCIe
    "ada": "0x27b8",        # L4
    "hopper": "0x2330",     # H100 SXM5 80GB
    "blackwell": "0x2b85",  # RTX 5090
}

# What the test repository's debian12 / debian13 offer (tests/repo/build_repo.py).
D12 = {"nvidia-kernel-open-dkms": ["595.45.04-1", "580.105.08-1", "580.65.06-1"],
       "nvidia-kernel-dkms": ["595.45.04-1", "580.105.08-1", "580.65.06-1"]}
PIN12 = ["nvidia-driver-pinning-580", "nvidia-driver-pinning-595", "nvidia-driver-pinning-580.65.06",
         "nvidia-driver-pinning-580.105.08", "nvidia-driver-pinning-595.45.04"]
D13 = {"nvidia-kernel-open-dkms": ["595.45.04-1"], "nvidia-kernel-dkms": ["595.45.04-1"]}
PIN13 = ["nvidia-driver-pinning-595", "nvidia-driver-pinning-595.45.04"]


def gpu(gen, address="0000:01:00.0"):
    return {"address": address, "vendor": "0x10de", "device": IDS[gen], "class": "0x030200"}


def plan(gens, release="bookworm", **kw):
    offered, pinning = (D12, PIN12) if release == "bookworm" else (D13, PIN13)
    kw.setdefault("offered", offered)
    kw.setdefault("pinning", pinning)
    return dp.plan_driver(release, [gpu(g, "0000:0%d:00.0" % i) for i, g in enumerate(gens, 1)], **kw)


@pytest.mark.parametrize("gen,device", sorted(IDS.items()))
def test_generation_of_real_device_ids(gen, device):
    assert dp.gpu_generation(device) == gen


@pytest.mark.parametrize("value", ["", "0x", "zzzz", "0x1eb8\n0x2330", None, "../../etc", 0x10000, True])
def test_untrusted_ids_are_unknown(value):
    assert dp.gpu_generation(value) == "unknown"


def test_the_ranges_do_not_overlap():
    spans = sorted((lo, hi) for lo, hi, _g in ns.PCI_DEVICE_RANGES)
    for (lo1, hi1), (lo2, _hi2) in zip(spans, spans[1:]):
        assert hi1 < lo2, "ranges %#x-%#x and %#x overlap" % (lo1, hi1, lo2)


# The decision table: GPUs, release, variables -> flavour, branch, packages (or the refusal).
TABLE = [
    # gens, release, kwargs, flavour, branch, debian_version, pin
    (["hopper"], "bookworm", {}, "open", "595", "595.45.04-1", "nvidia-driver-pinning-595"),
    (["turing"], "trixie", {}, "open", "595", "595.45.04-1", "nvidia-driver-pinning-595"),
    (["pascal"], "bookworm", {}, "proprietary", "580", "580.105.08-1", "nvidia-driver-pinning-580"),
    (["volta", "volta"], "bookworm", {}, "proprietary", "580", "580.105.08-1", "nvidia-driver-pinning-580"),
    (["ampere", "volta"], "bookworm", {}, "proprietary", "580", "580.105.08-1", "nvidia-driver-pinning-580"),
    (["hopper"], "bookworm", {"branch": "580"}, "open", "580", "580.105.08-1", "nvidia-driver-pinning-580"),
    (["hopper"], "bookworm", {"branch": "580.65.06"}, "open", "580", "580.65.06-1",
     "nvidia-driver-pinning-580.65.06"),
    (["ada"], "bookworm", {"flavour": "proprietary"}, "proprietary", "595", "595.45.04-1",
     "nvidia-driver-pinning-595"),
    (["blackwell"], "trixie", {"branch": "auto", "flavour": "auto"}, "open", "595", "595.45.04-1",
     "nvidia-driver-pinning-595"),
]


@pytest.mark.parametrize("gens,release,kw,flavour,branch,debver,pin", TABLE)
def test_decision_table(gens, release, kw, flavour, branch, debver, pin):
    p = plan(gens, release, **kw)
    assert p["error"] == ""
    assert (p["flavour"], p["branch"], p["debian_version"], p["pin_package"]) == (flavour, branch, debver, pin)
    assert p["packages"] == ns.PACKAGE_SETS["compute"][flavour] + ["nvidia-persistenced"]


REFUSALS = [
    (["pascal"], "trixie", {}, ["last driver branch for Pascal is 580", "no 580 branch", "Debian 12"]),
    (["blackwell"], "bookworm", {"flavour": "proprietary"}, ["support only the open kernel modules",
                                                             "nvidia_driver_kernel_module to open"]),
    (["pascal"], "bookworm", {"flavour": "open"}, ["support only the proprietary kernel modules"]),
    (["pascal", "blackwell"], "bookworm", {}, ["no single driver flavour"]),
    (["pascal"], "bookworm", {"branch": "595"}, ["supported only up to branch 580"]),
    (["hopper"], "trixie", {"branch": "580"}, ["has no open kernel modules for branch 580", "offers 595"]),
    (["hopper"], "bookworm", {"branch": "580.99.01"},
     ["no nvidia-kernel-open-dkms 580.99.01", "580.65.06, 580.105.08"]),
    (["kepler"], "bookworm", {}, ["last driver for Kepler is branch 470"]),
    ([], "bookworm", {}, ["No NVIDIA GPU is visible", "not passed through", "vfio-pci"]),
    (["hopper"], "bookworm", {"branch": 580.1}, []),  # a float from YAML is still a version: accepted below
    (["hopper"], "bookworm", {"branch": "5.8"}, ["nvidia_driver_branch is '5.8'"]),
    (["hopper"], "bookworm", {"flavour": "nouveau"}, ["nvidia_driver_kernel_module is 'nouveau'"]),
    (["hopper"], "bookworm", {"package_set": "everything"}, ["nvidia_driver_package_set is 'everything'"]),
    (["hopper"], "bookworm", {"pinning": []}, ["no nvidia-driver-pinning-595"]),
    (["hopper"], "bookworm", {"offered": {}}, ["offers no nvidia-kernel-open-dkms"]),
    (["hopper"], "buster", {}, ["'buster' is not supported"]),
]


@pytest.mark.parametrize("gens,release,kw,words", REFUSALS)
def test_refusals_say_what_to_do(gens, release, kw, words):
    if "branch" in kw and not isinstance(kw["branch"], str):
        kw = dict(kw, branch=str(kw["branch"]))
        p = plan(gens, release, **kw)
        # "580.1" is a well-formed version the repository does not have: refused by name.
        assert "no nvidia-kernel-open-dkms 580.1" in p["error"]
        return
    p = plan(gens, release, **kw) if gens else dp.plan_driver(release, [], offered=D12, pinning=PIN12)
    assert p["error"], p
    for w in words:
        assert w in p["error"], p["error"]
    assert p["error"].endswith("Nothing was changed.")


def test_gpu_names_in_messages_are_sanitised():
    p = dp.plan_driver("trixie", [{"address": "0000:01:00.0; rm -rf /", "device": "0x1b38"}], offered=D13,
                       pinning=PIN13)
    assert "rm -rf" not in p["error"] and "? (10de:1b38, Pascal)" in p["error"]


def installed(*pairs):
    return dict((n, [{"name": n, "version": v}]) for n, v in pairs)


def open_converged(v, branch):
    """A guest converged with the compute set and the open module at driver ``v`` of ``branch``."""
    return installed(("nvidia-driver-cuda", v), ("nvidia-kernel-open-dkms", v), ("nvidia-persistenced", v),
                     ("nvidia-driver-pinning-%s" % branch, "%s-5" % branch))


def open_595():
    """A guest converged with the defaults on a Hopper GPU (debian12): compute set, open, 595."""
    return open_converged("595.45.04-1", "595")


def test_a_converged_guest_has_no_changes():
    p = plan(["hopper"], installed=open_595())
    assert p["changes"] == [] and p["module_package"] == "nvidia-kernel-open-dkms"


def test_a_point_release_of_the_branch_is_not_a_change():
    v = "580.65.06-1"
    have = installed(("nvidia-driver-cuda", v), ("nvidia-kernel-dkms", v), ("nvidia-persistenced", v),
                     ("nvidia-driver-pinning-580", "580-5"))
    assert plan(["pascal"], installed=have)["changes"] == []


def test_changing_the_branch_is_a_change_and_swaps_the_lock():
    p = plan(["hopper"], branch="580", installed=open_595())
    assert p["pin_remove"] == ["nvidia-driver-pinning-595"]
    assert "install nvidia-driver-pinning-580" in p["changes"]
    assert "nvidia-driver-cuda 595.45.04-1 is installed, 580 wanted" in p["changes"]


def test_switching_the_flavour_removes_the_other_module():
    p = plan(["hopper"], flavour="proprietary", installed=open_595())
    assert p["remove"] == ["nvidia-kernel-open-dkms"] and p["module_package"] == "nvidia-kernel-dkms"
    assert any("switch the kernel modules" in c for c in p["changes"])
    assert "install nvidia-kernel-dkms" in p["changes"]


@pytest.mark.parametrize("package_set,flavour,packages", [
    ("full", "open", ["nvidia-open"]), ("full", "proprietary", ["cuda-drivers"]),
    ("desktop", "open", ["nvidia-driver", "nvidia-kernel-open-dkms"]),
])
def test_package_sets(package_set, flavour, packages):
    p = plan(["hopper"], package_set=package_set, flavour=flavour, persistenced=False)
    assert p["packages"] == packages


TOOLKITS12 = ["cuda-toolkit-12-8", "cuda-toolkit-12-9", "cuda-toolkit-13-5", "cuda-toolkit-12", "cuda-toolkit",
              "cuda-toolkit-config-common"]


@pytest.mark.parametrize("gens,version,branch,want", [
    (["hopper"], "auto", "595", "13.5"),
    (["pascal"], "auto", "580", "12.9"),
    (["hopper", "volta"], "auto", "580", "12.9"),
    ([], "auto", "", "13.5"),  # a build-only container
    (["hopper"], "12.8", "595", "12.8"),
    (["hopper"], "auto", "560", "12.9"),  # CUDA 13 needs 580
])
def test_toolkit_choice(gens, version, branch, want):
    t = dp.plan_toolkit([gpu(g) for g in gens], version=version, available=TOOLKITS12, driver_branch=branch)
    assert t["error"] == "" and t["version"] == want and t["package"] == "cuda-toolkit-" + want.replace(".", "-")


@pytest.mark.parametrize("gens,version,words", [
    (["hopper"], "12.7", ["no cuda-toolkit-12-7", "12.8, 12.9, 13.5"]),
    (["pascal"], "13.5", ["CUDA 13 no longer compiles for", "Pascal"]),
    (["hopper"], "12.1", ["no cuda-toolkit-12-1"]),  # "12.10" read by YAML as a number
    (["hopper"], "13", ["MAJOR.MINOR"]),
])
def test_toolkit_refusals(gens, version, words):
    t = dp.plan_toolkit([gpu(g) for g in gens], version=version, available=TOOLKITS12, driver_branch="595")
    for w in words:
        assert w in t["error"], t["error"]


def test_no_toolkit_offered_names_what_is_there():
    t = dp.plan_toolkit([gpu("pascal")], available=["cuda-toolkit-13-3", "cuda-toolkit-13-5"],
                        release_description="Debian 13 (trixie)")
    assert "offers no CUDA toolkit this guest can use" in t["error"] and "13.3, 13.5" in t["error"]


def test_support_matrix_follows_the_facts():
    rows = dict(dp.support_matrix())
    assert rows["Pascal"]["Debian 12 (bookworm)"].startswith("proprietary modules, branch 580, CUDA 12.")
    assert rows["Pascal"]["Debian 13 (trixie)"].startswith("no driver")
    assert rows["Blackwell"]["Debian 13 (trixie)"].startswith("open modules")
    assert rows["Kepler"]["Debian 12 (bookworm)"].startswith("no driver")


def test_a_branch_without_proprietary_modules_is_refused_naming_the_open_ones():
    # Driver guide 620: "Proprietary Kernel Modules Removed".
    offered = {"nvidia-kernel-open-dkms": ["620.10.01-1", "610.20.01-1"], "nvidia-kernel-dkms": ["610.20.01-1"]}
    p = dp.plan_driver("bookworm", [gpu("ada")], flavour="proprietary", branch="620", offered=offered,
                       pinning=["nvidia-driver-pinning-620", "nvidia-driver-pinning-610"])
    assert "no proprietary kernel modules for branch 620 (it has open kernel modules for 620)" in p["error"]
    # auto picks the newest branch that has the flavour asked for.
    p = dp.plan_driver("bookworm", [gpu("ada")], flavour="proprietary", offered=offered,
                       pinning=["nvidia-driver-pinning-620", "nvidia-driver-pinning-610"])
    assert p["error"] == "" and p["branch"] == "610"
    p = dp.plan_driver("bookworm", [gpu("ada")], offered=offered,
                       pinning=["nvidia-driver-pinning-620", "nvidia-driver-pinning-610"])
    assert (p["flavour"], p["branch"]) == ("open", "620")


def test_the_toolkit_filter_takes_the_installed_driver_branch():
    from ansible_collections.passthrough.nvidia.plugins.filter.nvidia import nvidia_toolkit_plan
    state = {"pci_gpus": [gpu("hopper")], "apt_names": {"cuda-toolkit-": TOOLKITS12}}
    # A driver of branch 560 installed: CUDA 13 needs 580, so 12.9.
    old = installed(("nvidia-kernel-dkms", "560.35.03-1"))
    assert nvidia_toolkit_plan(state, installed=old)["version"] == "12.9"
    assert nvidia_toolkit_plan(state, installed=open_595())["version"] == "13.5"
    # The branch the driver will have (site.yml) wins over what is installed now.
    assert nvidia_toolkit_plan(state, installed=old, driver_branch="595")["version"] == "13.5"
    assert nvidia_toolkit_plan(state)["version"] == "13.5"


@pytest.mark.parametrize("device,archs", [("0x2330", ["sm_90"]), ("0x1eb8", ["sm_75"]), ("0x2204", ["sm_80"]),
                                          ("0x2684", ["sm_89"]), ("0x2901", ["sm_100"]), ("0x2b85", ["sm_120"]),
                                          ("0x9999", [])])
def test_the_toolkit_plan_names_the_gpus_architecture(device, archs):
    plan = dp.plan_toolkit([{"address": "0000:00:06.0", "device": device}], available=["cuda-toolkit-13-5"])
    assert plan["archs"] == archs


def test_two_generations_compile_for_both():
    assert dp.gpu_archs([{"address": "a", "device": "0x2330"}, {"address": "b", "device": "0x1eb8"}]) == ["sm_75", "sm_90"]


# Issue #30, item 9: auto chooses when no driver is installed; a branch published later does not
# upgrade (and reboot) a converged fleet on an unrelated run. The plan says an upgrade is there.
def open_580():
    return open_converged("580.105.08-1", "580")


def test_auto_keeps_the_installed_branch_and_says_a_newer_one_is_offered():
    p = plan(["hopper"], installed=open_580())
    assert (p["branch"], p["debian_version"], p["upgrade_available"], p["changes"]) == ("580", "580.105.08-1", "595", [])
    assert "the installed branch (auto keeps it" in p["reasons"][-1] and "nvidia_driver_branch: '595'" in p["reasons"][-1]


def test_auto_on_a_guest_without_a_driver_takes_the_newest_branch():
    p = plan(["hopper"])
    assert (p["branch"], p["upgrade_available"]) == ("595", None)


def test_asking_for_the_newer_branch_upgrades():
    p = plan(["hopper"], branch="595", installed=open_580())
    assert p["branch"] == "595" and "install nvidia-driver-pinning-595" in p["changes"]


def test_an_installed_branch_the_repository_no_longer_offers_is_not_kept():
    v = "570.1.1-1"
    have = installed(("nvidia-driver-cuda", v), ("nvidia-kernel-open-dkms", v), ("nvidia-driver-pinning-570", "570-5"))
    assert plan(["hopper"], installed=have)["branch"] == "595"


def test_latest_follows_the_newest_branch():
    p = plan(["hopper"], branch="latest", installed=open_580())
    assert p["branch"] == "595" and "install nvidia-driver-pinning-595" in p["changes"]
    assert dp.validate_driver_input("auto", "latest", "compute") == []

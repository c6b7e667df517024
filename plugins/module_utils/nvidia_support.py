# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every NVIDIA-side fact passthrough.nvidia depends on, in one place.

A maintainer updates this file when NVIDIA ships: a new Debian release's repository and key,
a new driver branch, a new GPU generation, a CUDA major version. The roles take these facts
through the filter plugins (plugins/filter/nvidia.py); the README's support matrix is generated
from them (tools/gen-support-matrix.py); the unit tests check both.

What a guest's repository really holds (which branches, which toolkits) is never assumed from
this file: the roles read it on the guest (apt-cache) and stop with a clear message when what
is asked for is not there. The branch lists below only fill the support matrix.

Sources are named beside each fact; ../shared/nvidia-repositories.md collects them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

NVIDIA_VENDOR_ID = 0x10DE

# One row per Debian release (ansible_facts.distribution_release). repo_dir, key_file and
# key_fingerprint: NVIDIA's repository layout and signing keys (cuda-repo-management #30, #34,
# #39; the debian12 key since the 2022 rotation, 7fa2af80 revoked; Debian 13's sqv rejects the
# SHA-1 binding of the debian12 key, so debian13 has its own). branches/toolkits: what NVIDIA's
# repository for the release was seen to carry in late 2026 (support matrix only; debian13 has
# no 580 branch: cuda-repo-management #38, #40; it starts with 590 / CUDA 13.1).
RELEASES = {
    "bookworm": {
        "description": "Debian 12 (bookworm)",
        "distribution": "Debian",
        "major": "12",
        "repo_dir": "debian12",
        "key_file": "3bf863cc.pub",
        "key_fingerprint": "EB693B3035CD5710E231E123A4B469963BF863CC",
        "branches": ["580", "590", "595", "610", "620"],
        "cuda": ["12.8", "12.9", "13.0", "13.1", "13.2", "13.3", "13.4", "13.5"],
    },
    "trixie": {
        "description": "Debian 13 (trixie)",
        "distribution": "Debian",
        "major": "13",
        "repo_dir": "debian13",
        "key_file": "8793F200.pub",
        "key_fingerprint": "02182E60104FCDC26EAE1B8597A5D4CB8793F200",
        "branches": ["590", "595", "610", "620"],
        "cuda": ["13.1", "13.2", "13.3", "13.4", "13.5"],
    },
}

# Architectures as Ansible reports them -> NVIDIA's repository directory.
ARCHITECTURES = {"x86_64": "x86_64"}

# The Debian components NVIDIA's Debian packages need beyond main: the support packages
# (nvidia-kernel-common, nvidia-support, glx-alternative-nvidia) are in contrib; NVIDIA's
# instructions run `add-apt-repository contrib`. A stock install has main non-free-firmware.
DEBIAN_COMPONENTS_NEEDED = ["contrib"]

# GPU generations, oldest first. open: NVIDIA's open kernel modules support it (they need the
# GSP: Turing and newer; NVIDIA driver README "Open Linux Kernel Modules"); proprietary: the
# proprietary modules do (Blackwell and newer are open-only); last_branch: the newest driver
# branch that supports it (Maxwell, Pascal and Volta end with 580, the 580 README; 590 refuses
# them; Kepler ended with 470); cuda_major_max: the newest CUDA major that still compiles for
# it (CUDA 13.0 removed sm_50 to sm_72).
GENERATIONS = [
    {"name": "kepler", "title": "Kepler", "open": False, "proprietary": True, "last_branch": "470", "cuda_major_max": 11},
    {"name": "maxwell", "title": "Maxwell", "open": False, "proprietary": True, "last_branch": "580", "cuda_major_max": 12},
    {"name": "pascal", "title": "Pascal", "open": False, "proprietary": True, "last_branch": "580", "cuda_major_max": 12},
    {"name": "volta", "title": "Volta", "open": False, "proprietary": True, "last_branch": "580", "cuda_major_max": 12},
    {"name": "turing", "title": "Turing", "open": True, "proprietary": True, "last_branch": None, "cuda_major_max": None},
    {"name": "ampere", "title": "Ampere", "open": True, "proprietary": True, "last_branch": None, "cuda_major_max": None},
    {"name": "ada", "title": "Ada Lovelace", "open": True, "proprietary": True, "last_branch": None, "cuda_major_max": None},
    {"name": "hopper", "title": "Hopper", "open": True, "proprietary": True, "last_branch": None, "cuda_major_max": None},
    {"name": "blackwell", "title": "Blackwell", "open": True, "proprietary": False, "last_branch": None,
     "cuda_major_max": None},
]
GENERATION = dict((g["name"], g) for g in GENERATIONS)

# The SASS architecture to compile a check program for, per generation (NVIDIA's CUDA C++
# programming guide, "Compute Capabilities"; a cubin runs on GPUs of the same major version and
# an equal or higher minor one, so Ampere's sm_80 runs on GA10x's 8.6 too). Blackwell's data
# centre chips are 10.x and its GB20x chips 12.0: different majors, told apart by device id
# (SM_BY_DEVICE_RANGE).
GENERATION_SM = {"maxwell": "sm_50", "pascal": "sm_60", "volta": "sm_70", "turing": "sm_75", "ampere": "sm_80",
                 "ada": "sm_89", "hopper": "sm_90", "blackwell": "sm_100"}
SM_BY_DEVICE_RANGE = [(0x2B00, 0x2FFF, "sm_120")]  # GB202..GB207 (RTX 50, RTX PRO 6000)

# PCI device id ranges (inclusive) of NVIDIA's GPU chips -> generation. NVIDIA allocates device
# ids per chip in blocks; the ranges follow the chip families of the PCI ID repository
# (pci-ids.ucw.cz, vendor 10de) and the device lists of NVIDIA's driver README, "Appendix A.
# Supported NVIDIA GPU Products" (470 for Kepler, 580 for Maxwell to Volta, 595 for the rest).
# Ids in the comments are examples from those lists; the unit tests check each.
PCI_DEVICE_RANGES = [
    (0x0FC0, 0x0FFF, "kepler"),     # GK107
    (0x1000, 0x103F, "kepler"),     # GK110/GK210: 0x1023 Tesla K40m, 0x102D Tesla K80
    (0x1180, 0x11FF, "kepler"),     # GK104/GK106
    (0x1280, 0x12BF, "kepler"),     # GK208
    (0x1340, 0x13BF, "maxwell"),    # GM107/GM108: 0x1380 GTX 750 Ti
    (0x13C0, 0x13FF, "maxwell"),    # GM204: 0x13C2 GTX 970, 0x13F2 Tesla M60
    (0x1400, 0x143F, "maxwell"),    # GM206
    (0x1617, 0x1667, "maxwell"),    # GM204M
    (0x174D, 0x179C, "maxwell"),    # GM108M
    (0x17C0, 0x17FF, "maxwell"),    # GM200: 0x17C8 GTX 980 Ti, 0x17FD Tesla M40
    (0x15F0, 0x15FF, "pascal"),     # GP100: 0x15F8 Tesla P100 PCIe 16GB
    (0x1B00, 0x1B3F, "pascal"),     # GP102: 0x1B06 GTX 1080 Ti, 0x1B38 Tesla P40
    (0x1B80, 0x1BFF, "pascal"),     # GP104: 0x1B80 GTX 1080, 0x1BB3 Tesla P4
    (0x1C00, 0x1C7F, "pascal"),     # GP106
    (0x1C80, 0x1CFF, "pascal"),     # GP107
    (0x1D00, 0x1D7F, "pascal"),     # GP108
    (0x1D80, 0x1DFF, "volta"),      # GV100: 0x1D81 TITAN V, 0x1DB4 Tesla V100 PCIe 16GB
    (0x1E00, 0x1E7F, "turing"),     # TU102: 0x1E02 TITAN RTX, 0x1E07 RTX 2080 Ti
    (0x1E80, 0x1EFF, "turing"),     # TU104: 0x1EB8 Tesla T4
    (0x1F00, 0x1F7F, "turing"),     # TU106
    (0x1F80, 0x1FFF, "turing"),     # TU117
    (0x2180, 0x21FF, "turing"),     # TU116
    (0x20B0, 0x20FF, "ampere"),     # GA100: 0x20B0 A100 SXM4 40GB, 0x20B5 A100 80GB PCIe
    (0x2200, 0x22FF, "ampere"),     # GA102: 0x2204 RTX 3090, 0x2235 A40
    (0x2300, 0x23FF, "hopper"),     # GH100: 0x2330 H100 SXM5 80GB, 0x2331 H100 PCIe, 0x2342 GH200
    (0x2400, 0x25FF, "ampere"),     # GA103/GA104/GA106/GA107: 0x2484 RTX 3070, 0x25B6 A16
    (0x2600, 0x28FF, "ada"),        # AD102..AD107: 0x2684 RTX 4090, 0x26B9 L40S, 0x27B8 L4
    (0x2900, 0x29FF, "blackwell"),  # GB100/GB102: 0x2901 B200, 0x2941 GB200
    (0x2B00, 0x2FFF, "blackwell"),  # GB202..GB207: 0x2B85 RTX 5090, 0x2BB1 RTX PRO 6000
    (0x3100, 0x31FF, "blackwell"),  # GB110 (Blackwell Ultra): 0x3182 B300
]

# The oldest driver branch each CUDA major runs on (CUDA Toolkit release notes, "CUDA Driver":
# minor version compatibility within a major from 525 for 12.x and 580 for 13.x).
CUDA_MIN_BRANCH = {12: 525, 13: 580}

# What each package set installs, by flavour (NVIDIA driver installation guide for Debian 12/13).
# compute: headless CUDA (what a passthrough ML guest wants); nvidia-persistenced is only
# recommended by the driver packages, so it is named (nvidia_driver_persistenced).
# full: NVIDIA's "full driver" metapackages (cuda-drivers means the proprietary module).
# desktop: graphics without CUDA.
MODULE_PACKAGES = {"open": "nvidia-kernel-open-dkms", "proprietary": "nvidia-kernel-dkms"}
PACKAGE_SETS = {
    "compute": {"open": ["nvidia-driver-cuda", "nvidia-kernel-open-dkms"],
                "proprietary": ["nvidia-driver-cuda", "nvidia-kernel-dkms"]},
    "full": {"open": ["nvidia-open"], "proprietary": ["cuda-drivers"]},
    "desktop": {"open": ["nvidia-driver", "nvidia-kernel-open-dkms"],
                "proprietary": ["nvidia-driver", "nvidia-kernel-dkms"]},
}
PERSISTENCED_PACKAGE = "nvidia-persistenced"

# The newest branch with proprietary kernel modules: NVIDIA's driver installation guide for 620
# (2026-11) says "Proprietary Kernel Modules Removed"; 610's still has both. Support matrix only:
# on a guest, what the repository offers (apt-cache) decides.
PROPRIETARY_LAST_BRANCH = "610"

# NVIDIA's branch and version locks: pinning packages that install an apt preferences file at
# priority 1001 for that branch or version ("install the pinning package prior to installing
# the driver", driver installation guide). Names: nvidia-driver-pinning-<branch> and
# nvidia-driver-pinning-<version>.
PINNING_PREFIX = "nvidia-driver-pinning-"

# The driver packages of NVIDIA's repository the roles look at: an installed one means "NVIDIA's
# driver is here"; a held one was frozen by passthrough.nvidia before 0.2.0 (apt-mark hold) and
# is released now that the pinning package locks the branch.
DRIVER_PACKAGES = [
    "cuda-drivers", "nvidia-open", "nvidia-driver", "nvidia-driver-cuda", "nvidia-kernel-open-dkms",
    "nvidia-kernel-dkms", "nvidia-kernel-support", "nvidia-smi", "nvidia-persistenced", "libnvidia-ml1",
    "libcuda1", "nvidia-settings", "nvidia-xconfig", "nvidia-modprobe", "firmware-nvidia-gsp",
]


def release(codename):
    """The row of RELEASES for a Debian codename, or None."""
    return RELEASES.get(codename)


# The facts platform_error() reads (ansible.builtin.setup's min and virtual subsets).
PLATFORM_FACTS = ("distribution", "distribution_release", "distribution_version", "architecture",
                  "virtualization_type", "virtualization_role")


def supported_platforms():
    """The supported platforms in words: 'Debian 12 (bookworm), Debian 13 (trixie) on x86_64'."""
    rels = sorted(RELEASES.values(), key=lambda r: int(r["major"]))
    return "%s on %s" % (", ".join(r["description"] for r in rels), ", ".join(sorted(ARCHITECTURES)))


def platform_error(host, facts):
    """'' when ``facts`` (ansible_facts of ``host``) are a supported platform (a release of
    RELEASES, its distribution, an architecture of ARCHITECTURES), else the message that stops
    the run before anything changes. Facts come from the guest: only their text is used."""
    facts = facts if isinstance(facts, dict) else {}
    distribution = str(facts.get("distribution") or "")
    codename = str(facts.get("distribution_release") or "")
    arch = str(facts.get("architecture") or "")
    row = RELEASES.get(codename)
    if row is not None and row["distribution"] == distribution and arch in ARCHITECTURES:
        return ""
    what = " ".join(x for x in (distribution or "an unknown distribution", str(facts.get("distribution_version") or "")) if x)
    return ("%s runs %s (%s) on %s, which passthrough.nvidia does not support. Supported: %s. "
            "Nothing was changed on this guest." % (
                host, what, codename or "unknown release", arch or "an unknown architecture", supported_platforms()))


def generation_of(device_id):
    """The GENERATIONS row of an NVIDIA PCI device id ('10de:2b85', '0x2b85', '2b85' or an int),
    or None when the id is not in PCI_DEVICE_RANGES."""
    if isinstance(device_id, int):
        dev = device_id
    else:
        text = str(device_id or "").strip().lower()
        if ":" in text:
            vendor, text = text.split(":", 1)
            if vendor not in ("10de", "0x10de"):
                return None
        try:
            dev = int(text, 16)
        except ValueError:
            return None
    return generation_by_id(dev)


def generation_by_id(dev):
    """The GENERATIONS row of an NVIDIA PCI device id (an int), or None: the one lookup of
    PCI_DEVICE_RANGES (driver_plan.gpu_generation and the kernel-log advice use it)."""
    for low, high, name in PCI_DEVICE_RANGES:
        if low <= dev <= high:
            return GENERATION[name]
    return None


def releases_with_branch(branch):
    """The descriptions of the releases whose NVIDIA repository was seen with ``branch``."""
    return [r["description"] for _k, r in sorted(RELEASES.items(), key=lambda kv: int(kv[1]["major"]))
            if str(branch) in r["branches"]]


def gpu_driver_advice(device_id):
    """What a GPU needs from the driver, in one sentence from GENERATIONS, or '' when the PCI
    device id is unknown. Used where the kernel log says a driver refused a GPU."""
    gen = generation_of(device_id)
    if gen is None:
        return ""
    flavours = [f for f in ("open", "proprietary") if gen[f]]
    flavour = ("the open or the proprietary kernel module" if len(flavours) == 2
               else "the %s kernel module (`nvidia_driver_kernel_module: %s`)" % (flavours[0], flavours[0]))
    if gen["last_branch"]:
        where = releases_with_branch(gen["last_branch"])
        return ("%s is %s %s GPU: it needs %s, from driver branch %s or older (`nvidia_driver_branch: '%s'`); %s." % (
            device_id, _article(gen["title"]), gen["title"], flavour, gen["last_branch"], gen["last_branch"],
            ("NVIDIA's repository has that branch for %s only" % " and ".join(where)) if where
            else "NVIDIA's repositories for the supported releases no longer have that branch"))
    return ("%s is %s %s GPU: it needs %s, from a current driver branch (`nvidia_driver_branch: auto` "
            "chooses one)." % (device_id, _article(gen["title"]), gen["title"], flavour))


def _article(word):
    return "an" if word[:1].lower() in "aeiou" else "a"


def legacy_branch_advice(branch):
    """Where the legacy ``branch`` NVIDIA's driver named can be had, in one sentence."""
    where = releases_with_branch(branch)
    if where:
        missing = [r["description"] for _k, r in sorted(RELEASES.items()) if r["description"] not in where]
        return ("NVIDIA's repository has the %s branch for %s%s." % (
            branch, " and ".join(where),
            (" (not for %s: such a GPU needs a guest of a release that has it)" % ", ".join(missing)) if missing else ""))
    return ("NVIDIA's repositories for the supported releases have no %s branch: this GPU cannot get an "
            "NVIDIA-repository driver there." % branch)

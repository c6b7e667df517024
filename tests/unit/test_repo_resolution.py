# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt resolves the test repository (tests/repo/build_repo.py) as ../shared/nvidia-repositories.md
says it resolves NVIDIA's real one: one test per relationship, with the real apt (apt-get -s,
apt-cache policy) against the built repository, a private apt state (no root state touched)
and the stand-in of Debian's contrib component."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "repo"))
import build_repo  # noqa: E402 pylint: disable=wrong-import-position

from ansible_collections.passthrough.nvidia.plugins.module_utils import nvidia_support  # noqa: E402


@pytest.fixture(scope="session")
def repo(built_repo):
    return built_repo


class Apt(object):
    """apt with its own configuration, lists and dpkg status under ``root``."""

    def __init__(self, root, repo, dist="debian12", contrib=True, installed=()):
        self.root, self.repo, self.dist = root, repo, dist
        for d in ("etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/apt.conf.d", "state/lists/partial",
                  "cache/archives/partial"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        nv = os.path.join(repo, "compute", "cuda", "repos", dist, "x86_64")
        src = ("Types: deb\nURIs: file:%s/\nSuites: /\nSigned-By: %s\n" % (nv, os.path.join(nv, build_repo.DISTS[dist][0])))
        standins = [os.path.join(repo, "debian-main-standin", dist)]
        if contrib:
            standins.append(os.path.join(repo, "debian-contrib-standin"))
        for c in standins:
            src += "\nTypes: deb\nURIs: file:%s/\nSuites: /\nSigned-By: %s/key.asc\n" % (c, c)
        with open(os.path.join(root, "etc/apt/sources.list.d/test.sources"), "w") as f:
            f.write(src)
        self.set_installed(installed)
        self.apt("apt-get", "update")

    def opts(self):
        r = self.root
        return ["-o", "Dir::Etc=%s/etc/apt" % r, "-o", "Dir::Etc::Parts=%s/etc/apt/apt.conf.d" % r,
                "-o", "Dir::State=%s/state" % r, "-o", "Dir::State::status=%s/status" % r,
                "-o", "Dir::Cache=%s/cache" % r, "-o", "Debug::NoLocking=1",
                "-o", "APT::Architecture=amd64", "-o", "APT::Architectures::=amd64"]

    def apt(self, tool, *args):
        p = subprocess.run([tool] + self.opts() + list(args), capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"), check=False)
        return p.returncode, p.stdout + p.stderr

    def stanzas(self):
        """Package stanzas of the repository (name, version) -> text."""
        out = {}
        path = os.path.join(self.repo, "compute", "cuda", "repos", self.dist, "x86_64", "Packages")
        for block in open(path).read().split("\n\n"):
            fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", block, re.M))
            if "Package" in fields:
                out[(fields["Package"], fields["Version"])] = block
        return out

    def set_installed(self, installed):
        """dpkg status: debconf (for nvidia-support) and the (name, version) pairs, with the
        repository's control fields, as dpkg records an installed package."""
        text = "Package: debconf\nStatus: install ok installed\nVersion: 1.5.82\nArchitecture: all\n" \
               "Maintainer: x\nDescription: x\n\n"
        st = self.stanzas() if installed else {}
        for name, version in installed:
            if name in CONTRIB or name in LEAVES:
                text += "Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: amd64\n" \
                        "Maintainer: x\nDescription: x\n\n" % (name, version)
                continue
            block = st[(name, version)]
            keep = [ln for ln in block.splitlines() if ln.split(":", 1)[0] in
                    ("Package", "Version", "Architecture", "Depends", "Recommends", "Conflicts", "Maintainer",
                     "Description")]
            keep.insert(1, "Status: install ok installed")
            text += "\n".join(keep) + "\n\n"
        with open(os.path.join(self.root, "status"), "w") as f:
            f.write(text)

    def pin_from_package(self, deb_name):
        """Installs the preferences file that a pinning package carries (as dpkg would)."""
        nv = os.path.join(self.repo, "compute", "cuda", "repos", self.dist, "x86_64")
        deb = [n for n in os.listdir(nv) if n.startswith(deb_name + "_")][0]
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", os.path.join(nv, deb)], capture_output=True, check=True)
        names = subprocess.run(["tar", "-t"], input=tar.stdout, capture_output=True, check=True).stdout.decode()
        pref = [n for n in names.splitlines() if "/etc/apt/preferences.d/" in n and not n.endswith("/")]
        assert len(pref) == 1, names
        content = subprocess.run(["tar", "-xO", pref[0]], input=tar.stdout, capture_output=True, check=True).stdout
        with open(os.path.join(self.root, "etc/apt/preferences.d", os.path.basename(pref[0])), "wb") as f:
            f.write(content)
        return content.decode()

    def simulate(self, *names, recommends=False):
        """(rc, {package: version} apt would install or change, names apt would remove, output)."""
        args = ["-s", "install"] + ([] if recommends else ["--no-install-recommends"]) + list(names)
        rc, out = self.apt("apt-get", *args)
        inst = dict(re.findall(r"^Inst (\S+) (?:\[\S+\] )?\((\S+) ", out, re.M))
        remv = re.findall(r"^Remv (\S+)", out, re.M)
        return rc, inst, remv, out

    def versions(self, name):
        rc, out = self.apt("apt-cache", "policy", name)
        return re.findall(r"^\s+(?:\*\*\* )?(\d\S*) -?\d+$", out, re.M)


CONTRIB = set(c[0] for c in build_repo.DEBIAN_CONTRIB)
LEAVES = set(build_repo.DEBIAN_MAIN_LEAVES)
# Packages of the transactions that are not NVIDIA's driver (their versions are no branch).
NOT_DRIVER = CONTRIB | LEAVES | {"dkms"}
# A guest that has the driver's dkms and what it needs.
DKMS_INSTALLED = [("dkms", "3.2.2-1~deb13u1")] + [(n, "1.0-1") for n in build_repo.DEBIAN_MAIN_LEAVES]


def branch(v):
    return v.split(".", 1)[0]


@pytest.fixture
def apt12(repo, tmp_path):
    return Apt(str(tmp_path), repo, "debian12")


def test_cuda_drivers_with_the_open_module_is_refused(apt12):
    # "cuda-drivers cannot be installed together with nvidia-kernel-open-dkms"
    rc, inst, _remv, out = apt12.simulate("cuda-drivers", "nvidia-kernel-open-dkms")
    assert rc == 100 and not inst
    assert "Conflicts: nvidia-kernel-open-dkms" in out or "Conflicts: nvidia-kernel-dkms" in out


def test_cuda_drivers_means_the_proprietary_module(apt12):
    rc, inst, _remv, out = apt12.simulate("cuda-drivers")
    assert rc == 0, out
    assert "nvidia-kernel-dkms" in inst and "nvidia-kernel-open-dkms" not in inst


def test_cuda_drivers_580_alone_installs_the_newest_branch(apt12):
    # "Because those dependencies are >=, cuda-drivers-580 installs the newest branch"
    rc, inst, _remv, out = apt12.simulate("cuda-drivers-580")
    assert rc == 0, out
    assert branch(inst["cuda-drivers-580"]) == "580"
    assert branch(inst["nvidia-driver-cuda"]) == "595" and branch(inst["nvidia-kernel-dkms"]) == "595"


def test_the_branch_pinning_package_makes_cuda_drivers_580_select_580(apt12):
    pref = apt12.pin_from_package("nvidia-driver-pinning-580")
    assert "Pin-Priority: 1001" in pref
    rc, inst, _remv, out = apt12.simulate("cuda-drivers-580")
    assert rc == 0, out
    assert set(branch(v) for n, v in inst.items() if n not in NOT_DRIVER) == {"580"}
    # The newest of the branch.
    assert inst["nvidia-driver-cuda"] == "580.105.08-1"


def test_the_version_pinning_package_selects_that_version(apt12):
    apt12.pin_from_package("nvidia-driver-pinning-580.65.06")
    rc, inst, _remv, out = apt12.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms")
    assert rc == 0, out
    assert inst["nvidia-driver-cuda"] == inst["nvidia-kernel-open-dkms"] == "580.65.06-1"


def test_the_pinning_package_downgrades_an_installed_newer_branch(repo, tmp_path):
    v = "595.45.04-1"
    have = [(n, v) for n in ("nvidia-driver-cuda", "nvidia-kernel-open-dkms", "nvidia-kernel-support", "nvidia-smi",
                             "libcuda1", "libnvidia-ml1", "nvidia-modprobe", "firmware-nvidia-gsp")]
    have += [(n, ver) for n, ver, _a, _f in build_repo.DEBIAN_CONTRIB] + DKMS_INSTALLED
    apt = Apt(str(tmp_path), repo, "debian12", installed=have)
    assert apt.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms")[1] == {}  # nothing to do unpinned
    apt.pin_from_package("nvidia-driver-pinning-580")
    rc, inst, _remv, out = apt.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms")
    assert rc == 0, out
    assert inst["nvidia-driver-cuda"] == "580.105.08-1" and inst["nvidia-kernel-open-dkms"] == "580.105.08-1"
    assert inst["libcuda1"] == "580.105.08-1"  # "=" dependencies take the libraries along


def test_our_repository_pin_does_not_outrank_nvidias_pinning_package(apt12):
    """cuda_repo's preferences file (priority 600 for NVIDIA's driver packages) is read after
    NVIDIA's pinning file: apt takes the first pin that matches a version, so a file read first
    would silently undo the branch lock."""
    import jinja2
    tpl = open(os.path.join(ROOT, "roles", "cuda_repo", "templates", "nvidia-cuda.pref.j2")).read()
    import yaml
    rv = yaml.safe_load(open(os.path.join(ROOT, "roles", "cuda_repo", "vars", "main.yml")))
    rd = yaml.safe_load(open(os.path.join(ROOT, "roles", "cuda_repo", "defaults", "main.yml")))
    text = jinja2.Template(tpl).render(cuda_repo_pin="nvidia", ansible_managed="test",
                                       __cuda_repo_nvidia_packages=rv["__cuda_repo_nvidia_packages"])
    with open(os.path.join(apt12.root, "etc/apt/preferences.d", os.path.basename(rd["cuda_repo_pin_file"])), "w") as f:
        f.write(text)
    apt12.pin_from_package("nvidia-driver-pinning-580")
    rc, inst, _remv, out = apt12.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms")
    assert rc == 0, out
    assert branch(inst["nvidia-driver-cuda"]) == "580"


def test_compute_only_open_installs_no_proprietary_module_and_no_desktop(apt12):
    rc, inst, _remv, out = apt12.simulate(*nvidia_support.PACKAGE_SETS["compute"]["open"])
    assert rc == 0, out
    assert "nvidia-kernel-open-dkms" in inst and "nvidia-kernel-dkms" not in inst
    assert "xserver-xorg-video-nvidia" not in inst and "nvidia-settings" not in inst
    assert "firmware-nvidia-gsp" in inst


def test_nvidia_driver_cuda_alone_takes_the_proprietary_module(apt12):
    # The module alternative has the proprietary module first: the roles always name the module.
    rc, inst, _remv, out = apt12.simulate("nvidia-driver-cuda")
    assert rc == 0, out
    assert "nvidia-kernel-dkms" in inst and "nvidia-kernel-open-dkms" not in inst


def test_nvidia_persistenced_is_only_recommended(apt12):
    assert "nvidia-persistenced" not in apt12.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms")[1]
    assert "nvidia-persistenced" in apt12.simulate("nvidia-driver-cuda", "nvidia-kernel-open-dkms",
                                                   recommends=True)[1]


def test_nvidia_open_takes_the_open_module(apt12):
    rc, inst, _remv, out = apt12.simulate("nvidia-open")
    assert rc == 0, out
    assert "nvidia-kernel-open-dkms" in inst and "nvidia-kernel-dkms" not in inst
    assert "nvidia-driver-cuda" in inst and "nvidia-driver" in inst


def test_desktop_set_has_no_cuda(apt12):
    rc, inst, _remv, out = apt12.simulate(*nvidia_support.PACKAGE_SETS["desktop"]["open"])
    assert rc == 0, out
    assert "libcuda1" not in inst and "nvidia-driver-cuda" not in inst


def test_switching_the_flavour_removes_the_other_module(repo, tmp_path):
    v = "595.45.04-1"
    have = [(n, v) for n in ("nvidia-kernel-open-dkms", "nvidia-kernel-support", "nvidia-modprobe",
                             "firmware-nvidia-gsp")] + [(n, ver) for n, ver, _a, _f in build_repo.DEBIAN_CONTRIB]
    have += DKMS_INSTALLED
    apt = Apt(str(tmp_path), repo, "debian12", installed=have)
    rc, inst, remv, out = apt.simulate("nvidia-kernel-dkms")
    assert rc == 0, out
    assert "nvidia-kernel-dkms" in inst and remv == ["nvidia-kernel-open-dkms"]


def test_without_debian_contrib_the_driver_cannot_be_installed(repo, tmp_path):
    apt = Apt(str(tmp_path), repo, "debian12", contrib=False)
    rc, inst, _remv, out = apt.simulate(*nvidia_support.PACKAGE_SETS["compute"]["open"])
    assert rc == 100 and not inst
    assert "nvidia-kernel-common" in out


def test_debian13_has_no_580_branch_and_no_cuda_12(repo, tmp_path):
    apt = Apt(str(tmp_path), repo, "debian13")
    assert apt.versions("nvidia-driver-cuda") and all(branch(v) != "580" for v in apt.versions("nvidia-driver-cuda"))
    assert apt.versions("nvidia-driver-pinning-580") == []
    assert apt.versions("cuda-toolkit-12-8") == []
    assert apt.versions("cuda-toolkit-13-5") != []


def test_debian12_toolkits(apt12):
    for name in ("cuda-toolkit-12-8", "cuda-toolkit-12-9", "cuda-toolkit-13-5"):
        assert apt12.versions(name), name
    # The toolkit alone does not pull the driver.
    rc, inst, _remv, out = apt12.simulate("cuda-toolkit-13-5")
    assert rc == 0, out
    assert not [n for n in inst if n.startswith(("nvidia-", "libcuda"))]


def test_the_facts_module_matches_the_test_repository():
    """nvidia_support's release rows name the repository directories and key files that
    build_repo publishes; its branch list of debian13 has no 580 either."""
    for codename, row in nvidia_support.RELEASES.items():
        assert build_repo.DISTS[row["repo_dir"]][0] == row["key_file"]
        for b in build_repo.BRANCHES[row["repo_dir"]]:
            assert b in row["branches"], (codename, b)
        for t in build_repo.TOOLKITS[row["repo_dir"]]:
            assert ".".join(t.split(".")[:2]) in row["cuda"], (codename, t)


def test_the_module_packages_take_nvidias_newer_dkms_on_debian12(apt12):
    """Drivers from 570.148 need dkms >= 3.1.8; Debian 12's is 3.0.10, NVIDIA's repository carries
    a newer one: apt takes NVIDIA's for the module package."""
    assert build_repo.DEBIAN_MAIN["debian12"][0][1] in apt12.versions("dkms")  # Debian's is there, too old
    for module in nvidia_support.MODULE_PACKAGES.values():
        rc, inst, _remv, out = apt12.simulate(module)
        assert rc == 0, out
        assert inst["dkms"] == "3.2.2-1~deb13u1", out


def test_debian13_module_packages_take_debians_own_dkms(repo, tmp_path):
    apt = Apt(str(tmp_path), repo, "debian13")
    nv = os.path.join(repo, "compute", "cuda", "repos", "debian13", "x86_64", "Packages")
    assert "\nPackage: dkms\n" not in "\n" + open(nv).read()
    rc, inst, _remv, out = apt.simulate("nvidia-kernel-open-dkms")
    assert rc == 0, out
    assert inst["dkms"] == build_repo.DEBIAN_MAIN["debian13"][0][1]


def test_without_a_new_enough_dkms_the_module_cannot_be_installed(repo, tmp_path):
    """Without NVIDIA's repository's dkms (a Debian 12 mirror of only part of it), Debian 12's
    3.0.10 does not satisfy the module package."""
    apt = Apt(str(tmp_path), repo, "debian12")
    pin = os.path.join(apt.root, "etc/apt/preferences.d/no-nvidia-dkms")
    with open(pin, "w") as f:
        f.write("Package: dkms\nPin: version 3.2.*\nPin-Priority: -1\n")
    rc, inst, _remv, out = apt.simulate("nvidia-kernel-open-dkms")
    assert rc == 100 and not inst
    assert "dkms (>= 3.1.8)" in out


@pytest.mark.parametrize("module, flavour", [("nvidia-kernel-open-dkms", "open"), ("nvidia-kernel-dkms", "proprietary")])
def test_the_module_packages_carry_dkms_source_and_dh_dkms_scripts(repo, module, flavour):
    """Each module package ships a real module's source with a dkms.conf (tests/doubles/nvidia-kmod)
    and the maintainer scripts that have DKMS build and remove it, as dh_dkms writes them."""
    import tempfile
    nv = os.path.join(repo, "compute", "cuda", "repos", "debian12", "x86_64")
    deb = os.path.join(nv, "%s_580.105.08-1_amd64.deb" % module)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-R", deb, d], check=True)
        src = os.path.join(d, "usr", "src", "nvidia-580.105.08")
        conf = open(os.path.join(src, "dkms.conf")).read()
        assert 'PACKAGE_NAME="nvidia"' in conf and 'PACKAGE_VERSION="580.105.08"' in conf
        assert 'DEST_MODULE_LOCATION[0]="/updates/dkms"' in conf and "AUTOINSTALL=yes" in conf
        assert open(os.path.join(src, "nvidia.c")).read() == open(os.path.join(build_repo.KMOD_DOUBLE, "nvidia.c")).read()
        header = open(os.path.join(src, "nv-double.h")).read()
        assert '#define NV_DOUBLE_VERSION "580.105.08"' in header
        assert "#define NV_DOUBLE_OPEN %d" % (flavour == "open") in header
        postinst = open(os.path.join(d, "DEBIAN", "postinst")).read()
        assert "/usr/lib/dkms/common.postinst nvidia 580.105.08" in postinst
        assert "dkms remove -m nvidia -v 580.105.08 --all" in open(os.path.join(d, "DEBIAN", "prerm")).read()

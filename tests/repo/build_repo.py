#!/usr/bin/env python
"""Builds the local apt repository that stands in for NVIDIA's CUDA repository.

NVIDIA's download site is not reachable from our machines, so the roles are tested
against this copy of its layout and package relationships:

  <out>/compute/cuda/repos/debian12/x86_64/   flat repository (Packages, Release,
                                              InRelease, Release.gpg, 3bf863cc.pub)
  <out>/compute/cuda/repos/debian13/x86_64/   the same, signed by a second key
                                              published as 8793F200.pub

Package names, versions and relationships follow ../shared/nvidia-repositories.md (the
evidence of what NVIDIA's real repositories hold), each relationship with its source in a
comment (R: ...): driver branches (BRANCHES; debian13 without 580), the compute-only,
desktop and full package sets, the mutually exclusive kernel-module packages, the ">="
metapackages cuda-drivers / cuda-drivers-<branch> / nvidia-open, the pinning packages
nvidia-driver-pinning-<branch> and -<version> (apt preferences at 1001), toolkits per
distribution (TOOLKITS), and Debian contrib dependencies (DEBIAN_CONTRIB). Their
*contents* are TEST DOUBLES for what cannot exist here (a kernel module for a GPU we do
not have): files in the places the real ones use and an nvidia-smi double
(tests/doubles/nvidia-smi) whose state a scenario selects in /etc/nvidia-smi-double/state.
Every package says so in its description. tests/unit/test_repo_resolution.py proves with
apt-get -s that apt resolves this repository as the evidence says it resolves NVIDIA's.

  <out>/debian-contrib-standin/  Debian's contrib packages of DEBIAN_CONTRIB (names,
                                 versions, dependencies), for those unit tests only.
  <out>/debian-main-standin/<dir>/  the Debian main packages of DEBIAN_MAIN that the
                                 relationships reach (Debian 12's and 13's own dkms), likewise.

The signing keys are test keys made here (ed25519); their fingerprints are written
to <out>/fingerprints/<dir>.txt for the scenarios to pin. Keys are kept between runs
(stable fingerprints); the packages and indexes are rebuilt when this recipe changes.

Usage: build_repo.py OUT_DIR
       build_repo.py --variant tampered|wrong-key|rotated OUT_DIR VARIANT_DIR
  A variant is a copy of the repository made unusable the way an attacker or a broken
  mirror would: "tampered" changes Packages after signing (apt: Hash Sum mismatch),
  "wrong-key" signs Release with another key (apt: NO_PUBKEY), "rotated" signs it with a
  new key and publishes that key as the repository's key file (NVIDIA's 2022 rotation).
  The fault scenarios serve them to prove that apt refuses them and the roles fail cleanly.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLES = os.path.join(os.path.dirname(HERE), "doubles")
LIBCUDA_DOUBLE = os.path.join(DOUBLES, "libcuda-double.c")
# The kernel module double (a real, small module) that the module packages ship as DKMS source.
KMOD_DOUBLE = os.path.join(DOUBLES, "nvidia-kmod")
KMOD_FILES = ("nvidia.c", "Kbuild")

# What each distribution directory carries, following ../shared/nvidia-repositories.md (and
# the facts module plugins/module_utils/nvidia_support.py): debian12 has the 580 branch (two
# releases of it, for version locks) and a newer one; debian13 has no 580 branch
# (cuda-repo-management #38, #40). The first version of a branch is what cuda-drivers-<branch>
# depends on with ">=" (the real cuda-drivers-580 says ">= 580.65.06").
BRANCHES = {
    "debian12": {"580": ["580.65.06-1", "580.105.08-1"], "595": ["595.45.04-1"]},
    "debian13": {"595": ["595.45.04-1"]},
}
# Toolkits: debian12 keeps 12.8, 12.9 and has 13.x; debian13 starts in the 13.1 era and has
# no 12.x (medium: "probably absent"; the roles check on the guest).
TOOLKITS = {
    "debian12": ["12.8.93-1", "12.9.86-1", "13.5.37-1"],
    "debian13": ["13.3.55-1", "13.5.37-1"],
}
# Debian's contrib packages NVIDIA's packages need (real names, versions and dependencies of
# Debian 12's contrib). In the containers and the lab VM they come from Debian's real contrib
# component, which the cuda_repo role enables; the unit tests of the relationships, which run
# without Debian's archive, get them from a stand-in contrib repository built from these.
DEBIAN_CONTRIB = [
    ("nvidia-kernel-common", "20220217+3~deb12u1", "amd64", {"Description": "NVIDIA binary kernel module support files"}),
    ("nvidia-support", "20220217+3~deb12u1", "amd64",
     {"Depends": "debconf (>= 0.5) | debconf-2.0", "Description": "NVIDIA binary graphics driver support files"}),
]

# Debian's main packages the module packages' relationships reach (real names, versions and
# dependencies of each release's archive), for the unit tests' stand-in of Debian main: Debian
# 12's dkms is too old for the ">= 3.1.8" NVIDIA's packages ask for, Debian 13's is not.
DEBIAN_MAIN = {
    "debian12": [("dkms", "3.0.10-8+deb12u1", "all",
                  {"Depends": "kmod | kldutils, gcc | c-compiler, dpkg-dev, make | build-essential, patch"})],
    "debian13": [("dkms", "3.2.2-1~deb13u1", "all", {"Depends": "kmod, dpkg-dev, make | build-essential, patch"})],
}
DEBIAN_MAIN_LEAVES = ["kmod", "gcc", "dpkg-dev", "make", "patch"]

DISTS = {
    # dir: (key file name as NVIDIA publishes it, key uid)
    "debian12": ("3bf863cc.pub", "passthrough.nvidia TEST repository key (debian12) <test-debian12@localhost>"),
    "debian13": ("8793F200.pub", "passthrough.nvidia TEST repository key (debian13) <test-debian13@localhost>"),
}

DOUBLE_NOTE = ("TEST DOUBLE built by passthrough.nvidia's tests/repo/build_repo.py: same name, version "
               "and dependencies as NVIDIA's package, but no real driver or toolkit inside.")

NVCC = """#!/bin/sh
# TEST DOUBLE of nvcc (passthrough.nvidia tests): answers --version like CUDA %(mm)s's nvcc.
case "$1" in
  --version|-V)
    echo "nvcc: NVIDIA (R) Cuda compiler driver"
    echo "Copyright (c) 2005-2026 NVIDIA Corporation"
    echo "Built on Fri_Feb_21_20:23:50_PST_2026"
    echo "Cuda compilation tools, release %(mm)s, V%(up)s"
    echo "Build cuda_%(mm)s.r%(mm)s/compiler.35583870_0"
    ;;
  *) echo "nvcc (test double): only --version is implemented" >&2; exit 1 ;;
esac
"""

# nvidia-modprobe loads NVIDIA's kernel module for the programs that need it (the real one is a
# setuid helper that also makes the /dev/nvidia* nodes; a guest without a GPU has none to make).
NVIDIA_MODPROBE = """#!/bin/sh
# TEST DOUBLE of nvidia-modprobe (passthrough.nvidia tests): loads the nvidia module.
exec /sbin/modprobe nvidia
"""
# nvidia-persistenced, started at boot by its unit, opens the GPU through the module, which it has
# nvidia-modprobe load: on a guest without a GPU this is what loads the module at boot.
NVIDIA_PERSISTENCED = """#!/bin/sh
# TEST DOUBLE of nvidia-persistenced (passthrough.nvidia tests): has the module loaded, keeps no state.
/usr/bin/nvidia-modprobe || exit 1
exit 0
"""

PERSISTENCED_UNIT = """[Unit]
Description=NVIDIA Persistence Daemon (passthrough.nvidia test double)
Wants=syslog.target

[Service]
Type=forking
ExecStart=/usr/bin/nvidia-persistenced --user nvidia-persistenced --no-persistence-mode --verbose
ExecStopPost=/bin/rm -rf /var/run/nvidia-persistenced

[Install]
WantedBy=multi-user.target
"""

# What NVIDIA's pinning packages install (driver installation guide, "version locking": an apt
# preferences file that raises the branch or version to priority 1001, so apt also downgrades
# to it). The exact package globs of NVIDIA's file are unknown; these cover every package of
# the driver in this repository (and no pinning package: their versions are not driver versions).
# DKMS source of the module packages, laid out as NVIDIA's and Debian's packaging does (dkms.conf
# beside the source in /usr/src/<name>-<version>; NVIDIA/debian-packaging-nvidia-driver,
# debian/nvidia-kernel-dkms.dkms.in: one BUILT_MODULE_NAME per module, DEST_MODULE_LOCATION
# /updates/dkms, AUTOINSTALL=yes). The module name "nvidia": NVIDIA's CUDA-repository packages
# load "nvidia" (Debian's own say "nvidia-current"; GoogleCloudDataproc's install_gpu_driver.sh
# tells the two apart this way). One module, nvidia.ko, instead of NVIDIA's five.
DKMS_CONF = """# TEST DOUBLE of NVIDIA's dkms.conf (passthrough.nvidia tests/doubles/nvidia-kmod): a real module
# that DKMS builds with the kernel's build system; it drives no GPU.
PACKAGE_NAME="nvidia"
PACKAGE_VERSION="%(u)s"
BUILT_MODULE_NAME[0]="nvidia"
DEST_MODULE_LOCATION[0]="/updates/dkms"
AUTOINSTALL=yes
MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build modules"
CLEAN="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build clean"
"""
KMOD_HEADER = """/* Written by the module package (passthrough.nvidia TEST DOUBLE): its version and flavour. */
#define NV_DOUBLE_VERSION "%(u)s"
#define NV_DOUBLE_OPEN %(open)d
"""
# What dh_dkms puts into a module package's maintainer scripts (debhelper's postinst-dkms and
# prerm-dkms snippets, as Debian's and NVIDIA's module packages carry them): DKMS adds the source
# and builds it for the kernels it finds (dkms's common.postinst: the running kernel and the
# newest one; in a chroot or container, every kernel whose headers are there), and removes it
# for every kernel before the package goes.
DKMS_POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ]; then
    /usr/lib/dkms/common.postinst nvidia %(u)s "" "" "$2"
fi
"""
DKMS_PRERM = """#!/bin/sh
set -e
case "$1" in
    remove|upgrade|deconfigure)
        if [ "$(dkms status -m nvidia -v %(u)s)" ]; then
            dkms remove -m nvidia -v %(u)s --all
        fi
    ;;
esac
"""
# The newer dkms NVIDIA's repository carries (../shared/nvidia-repositories.md: drivers from
# 570.148 need dkms >= 3.1.8, Debian 12 has 3.0.10, "the CUDA repositories carry a newer dkms of
# their own", medium). Here it is Debian 13's real dkms, unchanged (tests/repo/debian-debs.txt,
# fetched by `make deps` and checked by apt against Debian's archive key): a real dkms, newer than
# 3.1.8, published in the debian12 directory as NVIDIA's. debian13's own dkms is new enough.
DKMS_MIN = "3.1.8"
DEBIAN_DEBS_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".cache", "debian-debs")
NVIDIA_DKMS_DISTS = ("debian12",)


def nvidia_dkms_deb():
    found = sorted(f for f in os.listdir(DEBIAN_DEBS_DIR) if f.startswith("dkms_") and f.endswith(".deb")) \
        if os.path.isdir(DEBIAN_DEBS_DIR) else []
    if not found:
        sys.exit("build_repo: Debian's dkms package is not in %s: run `make deps` (tests/repo/fetch-debian-debs.sh)"
                 % DEBIAN_DEBS_DIR)
    return os.path.join(DEBIAN_DEBS_DIR, found[-1])


PIN_FILE = """# NVIDIA driver %(what)s lock (nvidia-driver-pinning-%(key)s; TEST DOUBLE of NVIDIA's file)
Package: *nvidia* libcuda* cuda-drivers* xserver-xorg-video-nvidia*
Pin: version %(pattern)s
Pin-Priority: 1001
"""


def upstream(version):
    return version.rsplit("-", 1)[0]


def driver_packages(v, branch, floor, smi, banner, libcuda):
    """The packages of one driver version v (Debian version) of a branch. Every relationship
    names its source (R: ../shared/nvidia-repositories.md)."""
    u = upstream(v)
    module = ("nvidia-kernel-dkms (= %s) | nvidia-kernel-open-dkms (= %s)" % (v, v))
    pk = []
    # R: the two module packages exclude each other ("cuda-drivers cannot be installed together with
    # nvidia-kernel-open-dkms"). Their own dependencies follow Debian's packaging, which NVIDIA's
    # follows (NVIDIA/debian-packaging-nvidia-driver debian/control.in: "Depends: dkms,
    # nvidia-kernel-support"), with the newer dkms the 570.148+ drivers need; the GSP firmware for
    # the open module. They carry a real module's source that DKMS builds per kernel
    # (tests/doubles/nvidia-kmod) and dh_dkms's maintainer scripts.
    src = "/usr/src/nvidia-%s" % u
    kmod = dict(("%s/%s" % (src, f), (open(os.path.join(KMOD_DOUBLE, f)).read(), 0o644)) for f in KMOD_FILES)
    for name, other, flavour, extra in (
            ("nvidia-kernel-open-dkms", "nvidia-kernel-dkms", "open", ", firmware-nvidia-gsp (= %s)" % v),
            ("nvidia-kernel-dkms", "nvidia-kernel-open-dkms", "proprietary", "")):
        files = dict(kmod)
        files.update({"%s/dkms.conf" % src: (DKMS_CONF % {"u": u}, 0o644),
                      "%s/nv-double.h" % src: (KMOD_HEADER % {"u": u, "open": flavour == "open"}, 0o644),
                      "/DEBIAN/postinst": (DKMS_POSTINST % {"u": u}, 0o755),
                      "/DEBIAN/prerm": (DKMS_PRERM % {"u": u}, 0o755)})
        pk.append((name, v, "amd64",
                   {"Depends": "dkms (>= %s), nvidia-kernel-support (= %s)%s" % (DKMS_MIN, v, extra), "Conflicts": other,
                    "Description": "NVIDIA %s GPU kernel modules (DKMS source)" % flavour}, files))
    # R: nvidia-kernel-support and its contrib dependency (Debian's packaging: nvidia-kernel-common
    # is in contrib; a stock install lacks contrib, so apt refuses without it).
    pk.append(("nvidia-kernel-support", v, "amd64",
               {"Depends": "nvidia-kernel-common (>= 20151021), nvidia-modprobe (>= %s)" % branch,
                "Description": "NVIDIA binary kernel module support files"}, {}))
    pk.append(("firmware-nvidia-gsp", v, "amd64", {"Description": "NVIDIA GSP firmware"},
               {"/lib/firmware/nvidia/%s/gsp_tu10x.bin" % u: ("TEST DOUBLE\n", 0o644)}))
    pk.append(("nvidia-modprobe", v, "amd64", {"Description": "utility to load NVIDIA kernel modules"},
               {"/usr/bin/nvidia-modprobe": (NVIDIA_MODPROBE, 0o755)}))
    # R: libcuda1 depends on nvidia-support (contrib) in Debian's packaging.
    pk.append(("libnvidia-ml1", v, "amd64", {"Description": "NVIDIA Management Library (NVML) runtime"},
               {"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.%s" % u: ("TEST DOUBLE\n", 0o644)}))
    # The library is the libcuda double (tests/doubles/libcuda-double.c, compiled here): the
    # driver API cuda_probe calls, answering as the real one on the nvidia-smi double's GPU. As
    # Debian's libcuda1: the versioned file, the libcuda.so.1 link, an ldconfig trigger.
    pk.append(("libcuda1", v, "amd64", {"Depends": "nvidia-support", "Description": "NVIDIA CUDA Driver Library"},
               {"/usr/lib/x86_64-linux-gnu/libcuda.so.%s" % u: (libcuda, 0o644),
                "/usr/lib/x86_64-linux-gnu/libcuda.so.1": ("libcuda.so.%s" % u, "link"),
                "/DEBIAN/triggers": ("activate-noawait ldconfig\n", 0o644)}))
    # R: "do not depend on a separate nvidia-smi package existing" (low); here it is separate.
    pk.append(("nvidia-smi", v, "amd64",
               {"Depends": "libnvidia-ml1 (= %s)" % v, "Description": "NVIDIA System Management Interface"},
               {"/usr/bin/nvidia-smi": (smi, 0o755), "/usr/share/nvidia-smi-double/banner": (banner, 0o644)}))
    pk.append(("nvidia-persistenced", v, "amd64", {"Description": "NVIDIA Persistence Daemon"},
               {"/usr/bin/nvidia-persistenced": (NVIDIA_PERSISTENCED, 0o755),
                "/lib/systemd/system/nvidia-persistenced.service": (PERSISTENCED_UNIT, 0o644)}))
    pk.append(("nvidia-settings", v, "amd64", {"Description": "tool for configuring the NVIDIA graphics driver"}, {}))
    pk.append(("nvidia-xconfig", v, "amd64", {"Description": "X configuration tool for non-free NVIDIA drivers"}, {}))
    pk.append(("xserver-xorg-video-nvidia", v, "amd64", {"Description": "NVIDIA binary Xorg driver"}, {}))
    # R: compute only = nvidia-driver-cuda plus the module of one's choice (NVIDIA's install guide);
    # its module dependency is an alternative with the proprietary module first, as nvidia-driver's
    # (medium: inferred from nvidia-driver; so apt alone would pick proprietary: name the module).
    # R: nvidia-persistenced is only recommended.
    pk.append(("nvidia-driver-cuda", v, "amd64",
               {"Depends": "nvidia-smi (= %s), libcuda1 (= %s), libnvidia-ml1 (= %s), nvidia-kernel-support (= %s), %s"
                % (v, v, v, v, module),
                "Recommends": "nvidia-persistenced (= %s)" % v,
                "Description": "NVIDIA driver CUDA integration components"},
               {"/usr/share/doc/nvidia-driver-cuda/README.double": (DOUBLE_NOTE + "\n", 0o644)}))
    # R: nvidia-driver (desktop): the module alternative with the proprietary module first;
    # nvidia-persistenced recommended (NVIDIA/debian-packaging-nvidia-driver). No CUDA library.
    pk.append(("nvidia-driver", v, "amd64",
               {"Depends": "nvidia-kernel-support (= %s), xserver-xorg-video-nvidia (= %s), %s" % (v, v, module),
                "Recommends": "nvidia-persistenced (= %s), nvidia-settings (= %s)" % (v, v),
                "Description": "NVIDIA metapackage"}, {}))
    # R: the full driver metapackages, all ">=" (a real apt-cache show of cuda-drivers-580
    # 580.105.08-1): cuda-drivers-<branch> and cuda-drivers mean the proprietary module; nvidia-open
    # the open one. A satisfied ">=" never downgrades and an unpinned one takes the newest branch.
    full = ["nvidia-driver (>= %s)" % floor, "nvidia-driver-cuda (>= %s)" % floor, "nvidia-kernel-dkms (>= %s)" % floor,
            "nvidia-settings (>= %s)" % floor, "nvidia-xconfig (>= %s)" % floor]
    pk.append(("cuda-drivers-%s" % branch, v, "amd64",
               {"Depends": ", ".join(full), "Description": "CUDA Driver native %s branch" % branch}, {}))
    pk.append(("cuda-drivers", v, "amd64",
               {"Depends": ", ".join(full), "Description": "CUDA Driver meta-package"}, {}))
    pk.append(("nvidia-open", v, "amd64",
               {"Depends": ", ".join(f.replace("nvidia-kernel-dkms", "nvidia-kernel-open-dkms") for f in full),
                "Description": "NVIDIA driver with open kernel modules (metapackage)"}, {}))
    # R: pinning packages nvidia-driver-pinning-<version> (an apt preferences file at 1001).
    pk.append(("nvidia-driver-pinning-%s" % u, "%s-1" % u, "all",
               {"Description": "NVIDIA driver version lock %s" % u},
               # A name with dots needs the .pref extension, or apt ignores the file (apt_preferences(5)).
               {"/etc/apt/preferences.d/nvidia-driver-pinning-%s.pref" % u:
                (PIN_FILE % {"what": "version", "key": u, "pattern": u + "-*"}, 0o644)}))
    return pk


_BUILT = {}


def libcuda_double():
    """tests/doubles/libcuda-double.c compiled for the guests (amd64, glibc; Debian 12 and 13)."""
    if "libcuda" not in _BUILT:
        work = tempfile.mkdtemp()
        try:
            so = os.path.join(work, "libcuda.so.1")
            run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", so, LIBCUDA_DOUBLE])
            _BUILT["libcuda"] = open(so, "rb").read()
        finally:
            shutil.rmtree(work)
    return _BUILT["libcuda"]


# NVIDIA's real CUDA compiler, from its PyPI wheels (tests/repo/cuda-wheels.txt, downloaded by
# `make deps` to .cache/cuda-wheels/): the toolkit of this version is real, the others are doubles.
WHEELS_LIST = os.path.join(HERE, "cuda-wheels.txt")
WHEELS_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".cache", "cuda-wheels")
REAL_TOOLKIT = "13.5.37"
# What each package of NVIDIA's takes from the wheels' tree (nvidia/cu13/ unpacked), following
# the real package split: cuda-toolkit-X-Y -> cuda-compiler-X-Y -> cuda-nvcc-X-Y -> cuda-crt,
# cuda-nvvm (13.x); cuda-cudart(-dev), cuda-cccl, cuda-cuobjdump. Left out: libnvvm.so (73 MB,
# used by NVRTC and JIT LTO, not by nvcc) and everything the wheels do not carry (libraries such
# as cuBLAS, tools such as nsight): the real toolkit has more packages, these are the ones a
# compile needs. Fidelity gap: the wheels' layout (include/ and lib/ under the toolkit's home,
# lib64 a link to lib) instead of the deb's targets/x86_64-linux/, with the wheels' own
# nvcc.profile that finds them there.
TOOLKIT_PARTS = {
    "cuda-nvcc": ["bin/nvcc", "bin/nvcc.profile", "bin/ptxas", "bin/fatbinary", "bin/nvlink", "bin/cudafe++",
                  "bin/bin2c", "bin/__nvcc_device_query", "bin/crt"],
    "cuda-nvvm": ["nvvm/bin", "nvvm/libdevice"],
    "cuda-crt": ["include/crt"],
    "cuda-cuobjdump": ["bin/cuobjdump"],
    "cuda-cccl": ["include/cccl"],
    "cuda-cudart": ["lib/libcudart.so.13"],
}
SHARED_DEBS = set()


def wheels_tree():
    """The pinned wheels unpacked side by side into one CUDA tree (once per build)."""
    if "tree" not in _BUILT:
        import zipfile
        names = [ln.split("==")[0].strip() for ln in open(WHEELS_LIST) if ln.strip() and not ln.startswith("#")]
        tree = tempfile.mkdtemp(prefix="cuda-wheels-")
        for name in names:
            found = [f for f in sorted(os.listdir(WHEELS_DIR)) if os.path.isdir(WHEELS_DIR)
                     and f.startswith(name.replace("-", "_") + "-") and f.endswith(".whl")] \
                if os.path.isdir(WHEELS_DIR) else []
            if not found:
                sys.exit("build_repo: NVIDIA's wheel %s is not in %s: run `make deps` (make wheels)" % (name, WHEELS_DIR))
            with zipfile.ZipFile(os.path.join(WHEELS_DIR, found[0])) as z:
                for info in z.infolist():
                    if not info.filename.startswith("nvidia/cu13/") or info.filename.endswith("/"):
                        continue
                    rel = info.filename[len("nvidia/cu13/"):]
                    if rel.endswith("__init__.py") or rel.endswith("libnvvm.so.4"):
                        continue
                    dest = os.path.join(tree, rel)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with z.open(info) as src, open(dest, "wb") as f:
                        shutil.copyfileobj(src, f)
                    executable = rel.startswith("bin/") or rel.startswith("nvvm/bin/")
                    os.chmod(dest, 0o755 if executable and not rel.endswith(".stub") and not rel.endswith(".profile")
                             else 0o644)
        _BUILT["tree"] = tree
    return _BUILT["tree"]


def part(tree, rel):
    path = os.path.join(tree, rel)
    if os.path.isdir(path):
        return (path, "tree")
    return (open(path, "rb").read(), os.stat(path).st_mode & 0o777)


def real_toolkit_packages(t, major, minor):
    """NVIDIA's 13.5 toolkit as its packages split it, with the wheels' real files."""
    tree = wheels_tree()
    mm, sfx = "%s.%s" % (major, minor), "%s-%s" % (major, minor)
    home = "/usr/local/cuda-%s" % mm
    pk = []

    def add(name, depends, rels, extra=None, desc=None):
        files = {"%s/%s" % (home, rel): part(tree, rel) for rel in rels}
        files.update(extra or {})
        fields = {"Description": desc or "CUDA %s (%s, NVIDIA's real files from its PyPI wheels)" % (name, mm)}
        if depends:
            fields["Depends"] = ", ".join("%s-%s (>= %s)" % (d, sfx, t) for d in depends)
        pk.append(("%s-%s" % (name, sfx), t, "amd64", fields, files))
        SHARED_DEBS.add(("%s-%s" % (name, sfx), t))

    add("cuda-crt", [], TOOLKIT_PARTS["cuda-crt"])
    add("cuda-nvvm", [], TOOLKIT_PARTS["cuda-nvvm"])
    add("cuda-nvcc", ["cuda-crt", "cuda-nvvm"], TOOLKIT_PARTS["cuda-nvcc"])
    add("cuda-cuobjdump", [], TOOLKIT_PARTS["cuda-cuobjdump"])
    add("cuda-cccl", [], TOOLKIT_PARTS["cuda-cccl"])
    add("cuda-cudart", [], TOOLKIT_PARTS["cuda-cudart"],
        {"%s/lib/libcudart.so" % home: ("libcudart.so.%s" % major, "link")})
    headers = [os.path.join("include", f) for f in sorted(os.listdir(os.path.join(tree, "include")))
               if f not in ("crt", "cccl")]
    add("cuda-cudart-dev", ["cuda-cudart", "cuda-cccl"], headers + ["lib/libcudart_static.a", "lib/libcudadevrt.a"])
    add("cuda-compiler", ["cuda-nvcc", "cuda-cuobjdump"], [])
    add("cuda-toolkit", ["cuda-compiler", "cuda-cudart-dev"], [],
        {"%s/version.json" % home: ('{"cuda": {"name": "CUDA SDK", "version": "%s"}}\n' % upstream(t), 0o644),
         "%s/lib64" % home: ("lib", "link")},
        desc="CUDA Toolkit %s meta-package" % mm)
    return pk


def toolkit_packages(versions):
    """cuda-toolkit-X-Y per version, cuda-toolkit-X and cuda-toolkit for the newest of each.
    R: cuda-toolkit-X-Y is the toolkit alone and does not pull the driver. The version of the
    pinned wheels (REAL_TOOLKIT) is NVIDIA's real compiler; the others are nvcc doubles."""
    pk, newest = [], {}
    for t in versions:
        up = upstream(t)
        major, minor = up.split(".")[:2]
        mm = "%s.%s" % (major, minor)
        if up == REAL_TOOLKIT:
            pk.extend(real_toolkit_packages(t, major, minor))
        else:
            pk.append(("cuda-toolkit-%s-%s" % (major, minor), t, "amd64",
                       {"Description": "CUDA Toolkit %s meta-package" % mm},
                       {"/usr/local/cuda-%s/bin/nvcc" % mm: (NVCC % {"mm": mm, "up": up}, 0o755),
                        "/usr/local/cuda-%s/lib64/libcudart.so.%s" % (mm, major): ("TEST DOUBLE\n", 0o644),
                        "/usr/local/cuda-%s/version.json" % mm:
                        ('{"cuda": {"name": "CUDA SDK", "version": "%s"}}\n' % up, 0o644)}))
        newest[major] = (t, "cuda-toolkit-%s-%s" % (major, minor))
    for major, (t, name) in sorted(newest.items()):
        pk.append(("cuda-toolkit-%s" % major, t, "amd64",
                   {"Depends": "%s (>= %s)" % (name, t), "Description": "CUDA Toolkit %s meta-package" % major}, {}))
    t, name = newest[max(newest, key=int)]
    pk.append(("cuda-toolkit", t, "amd64", {"Depends": "%s (>= %s)" % (name, t), "Description": "CUDA Toolkit meta-package"},
               {}))
    pk.append(("cuda", t, "amd64", {"Depends": "cuda-drivers (>= 580), %s (>= %s)" % (name, t),
                                    "Description": "CUDA meta-package"}, {}))
    return pk


def packages(dist_dir="debian12"):
    """(name, version, arch, fields, files{path: (content, mode)}) of every package of a
    distribution directory."""
    smi = open(os.path.join(DOUBLES, "nvidia-smi")).read().replace("#!/usr/bin/env python", "#!/usr/bin/python3", 1)
    banner = open(os.path.join(DOUBLES, "nvidia-smi.banner")).read()
    libcuda = libcuda_double()
    pk = []
    for branch, versions in sorted(BRANCHES[dist_dir].items()):
        floor = upstream(versions[0])
        for v in versions:
            pk.extend(driver_packages(v, branch, floor, smi, banner, libcuda))
        # R: nvidia-driver-pinning-<branch> (version like "580-5"): branch lock at 1001.
        pk.append(("nvidia-driver-pinning-%s" % branch, "%s-5" % branch, "all",
                   {"Description": "NVIDIA driver branch lock %s" % branch},
                   {"/etc/apt/preferences.d/nvidia-driver-pinning-%s" % branch:
                    (PIN_FILE % {"what": "branch", "key": branch, "pattern": "%s.*" % branch}, 0o644)}))
    pk.extend(toolkit_packages(TOOLKITS[dist_dir]))
    # Not one of NVIDIA's packages: a Debian package name at a higher version than Debian's,
    # standing for any Debian package whose name NVIDIA's repository might carry. The apt pin
    # must keep Debian's (molecule default verifies `apt-cache policy pciutils`).
    pk.append(("pciutils", "1:99.0-1", "amd64", {"Description": "PROBE of the apt pin (not NVIDIA's)"}, {}))
    return pk


NVIDIA_REPOS = "https://developer.download.nvidia.com/compute/cuda/repos"


def keyring_package(dist_dir, key_binary):
    # As NVIDIA's cuda-keyring: a one-line source for NVIDIA's own site, whatever mirror
    # served the package (the cuda_repo role removes it in favour of its deb822 source).
    src = "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] %s/%s/x86_64/ /\n" % (NVIDIA_REPOS, dist_dir)
    return ("cuda-keyring", "1.1-1", "all", {"Description": "GPG keyring for the CUDA repository"},
            {"/usr/share/keyrings/cuda-archive-keyring.gpg": (key_binary, 0o644),
             "/etc/apt/sources.list.d/cuda-%s-x86_64.list" % dist_dir: (src, 0o644)})


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_deb(name, version, arch, fields, files, outdir, work):
    root = os.path.join(work, "%s_%s" % (name, version))
    os.makedirs(os.path.join(root, "DEBIAN"))
    for path, (content, mode) in files.items():
        dest = root + path
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if mode == "link":
            os.symlink(content, dest)
            continue
        if mode == "tree":  # a directory of real files (NVIDIA's wheels unpacked)
            shutil.copytree(content, dest, symlinks=True, dirs_exist_ok=True)
            continue
        with open(dest, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        os.chmod(dest, mode)
    desc = fields.get("Description", name)
    control = ["Package: %s" % name, "Version: %s" % version, "Architecture: %s" % arch,
               "Maintainer: passthrough.nvidia tests <test@localhost>", "Section: multiverse/devel",
               "Priority: optional"]
    for k in ("Depends", "Recommends", "Provides", "Conflicts"):
        if k in fields:
            control.append("%s: %s" % (k, fields[k]))
    control.append("Description: %s (TEST DOUBLE)" % desc)
    control.append(" " + DOUBLE_NOTE)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write("\n".join(control) + "\n")
    deb = os.path.join(outdir, "%s_%s_%s.deb" % (name, version, arch))
    # The real toolkit's hundreds of MB: a fast gzip level (the build and every unpack stay quick).
    level = "-z1" if any(m == "tree" or (isinstance(c, bytes) and len(c) > 1 << 20) for c, m in files.values()) else "-z9"
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", level, "--build", root, deb], stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    return deb


# gpg homedirs used by this run: their gpg-agents are stopped at the end (stop_agents), so no
# agent outlives the build and removes its sockets while a caller deletes the directory.
HOMES = set()


def stop_agents():
    for home in sorted(HOMES):
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    HOMES.clear()


def ensure_key(keys_dir, dist_dir, uid):
    home = os.path.join(keys_dir, dist_dir)
    HOMES.add(home)
    if not os.path.exists(os.path.join(home, "done")):
        shutil.rmtree(home, ignore_errors=True)
        os.makedirs(home, mode=0o700)
        run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519",
             "sign", "never"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        open(os.path.join(home, "done"), "w").close()
    out = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--fingerprint", "--list-secret-keys"],
              capture_output=True, text=True).stdout
    fpr = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]
    return home, fpr


RFC9580_V6 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "fixtures", "openpgp",
                          "rfc9580-v6-certificate.asc")


def hostile_keys(nvidia_home, nvidia_fpr, work, dest):
    """Key files that must not be trusted in place of NVIDIA's key (the bad_key scenario and the
    unit tests of module_utils/openpgp.py serve or read them):

    subkey-attack.pub  an attacker's primary key that carries NVIDIA's (test) key as a subkey.
                       An attacker needs no secret of NVIDIA's for this with an encryption
                       subkey; here gpg attaches the key by its keygrip with the key's own
                       creation time (--faked-system-time), so the subkey's fingerprint is
                       NVIDIA's, and `gpg --show-keys` lists it with the others.
    two-primaries.pub  NVIDIA's key and another primary key in one armored block.
    binary.pub         NVIDIA's key, not armored.
    v6.pub             a v6 certificate (RFC 9580 A.3).
    Returns {file name: the attacker's or other primary fingerprint}."""
    os.makedirs(dest, exist_ok=True)
    attacker = os.path.join(work, "attacker")
    shutil.rmtree(attacker, ignore_errors=True)
    HOMES.add(attacker)
    os.makedirs(attacker, mode=0o700)
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    secret = run(g + ["--homedir", nvidia_home, "--export-secret-keys", nvidia_fpr], capture_output=True).stdout
    run(g + ["--homedir", attacker, "--import"], input=secret, **quiet)
    colons = run(["gpg", "--homedir", attacker, "--batch", "--with-colons", "--with-keygrip", "-K", nvidia_fpr],
                 capture_output=True, text=True).stdout
    grip = [ln.split(":")[9] for ln in colons.splitlines() if ln.startswith("grp:")][0]
    created = [ln.split(":")[5] for ln in colons.splitlines() if ln.startswith("sec:")][0]
    # The attacker's key is older than NVIDIA's: gpg will not bind a subkey at a time before
    # its primary key existed.
    run(g + ["--homedir", attacker, "--faked-system-time", "%d!" % (int(created) - 3600), "--quick-gen-key",
             "passthrough.nvidia TEST attacker <attacker@localhost>", "ed25519", "sign", "never"], **quiet)
    out = run(["gpg", "--homedir", attacker, "--batch", "--with-colons", "--fingerprint", "-K",
               "attacker@localhost"], capture_output=True, text=True).stdout
    attacker_fpr = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]
    run(g + ["--homedir", attacker, "--faked-system-time", created + "!", "--expert", "--command-fd", "0",
             "--edit-key", attacker_fpr], input=("addkey\n13\n%s\nQ\n0\nsave\n" % grip).encode(), **quiet)
    files = {
        "subkey-attack.pub": run(["gpg", "--homedir", attacker, "--batch", "--armor", "--export", attacker_fpr],
                                 capture_output=True).stdout,
        "two-primaries.pub": run(["gpg", "--homedir", attacker, "--batch", "--armor", "--export", nvidia_fpr,
                                  attacker_fpr], capture_output=True).stdout,
        "binary.pub": run(["gpg", "--homedir", nvidia_home, "--batch", "--export", nvidia_fpr],
                          capture_output=True).stdout,
        "v6.pub": open(RFC9580_V6, "rb").read(),
    }
    # Two primaries in one block: gpg exports the attacker's copy of NVIDIA's key with the
    # attacker's subkey gone, so the block holds NVIDIA's primary first, then the attacker's.
    for name, data in files.items():
        with open(os.path.join(dest, name), "wb") as f:
            f.write(data)
    return {"subkey-attack.pub": attacker_fpr, "two-primaries.pub": attacker_fpr}


def index_and_sign(repo, home, fpr, origin="NVIDIA", label="NVIDIA CUDA"):
    with open(os.path.join(repo, "Packages"), "w") as f:
        run(["apt-ftparchive", "packages", "."], cwd=repo, stdout=f)
    run(["gzip", "-9kf", "Packages"], cwd=repo)
    release = run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=" + origin,
                   "-o", "APT::FTPArchive::Release::Label=" + label,
                   "-o", "APT::FTPArchive::Release::Architectures=amd64",
                   "release", "."], cwd=repo, capture_output=True).stdout
    with open(os.path.join(repo, "Release"), "wb") as f:
        f.write(release)
    gpg = ["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
           "--local-user", fpr]
    run(gpg + ["--clearsign", "-o", "InRelease", "Release"], cwd=repo)
    run(gpg + ["-abs", "-o", "Release.gpg", "Release"], cwd=repo)


def standin(out, keys_dir, rel, packages, label):
    """A flat repository at <out>/<rel> with Debian's packages ``packages`` (name, version and
    dependencies as Debian's; no content), signed by a key of its own, for the unit tests that
    resolve the test repository with apt-get -s away from Debian's archive."""
    home, fpr = ensure_key(keys_dir, "standin", "passthrough.nvidia TEST Debian stand-in <standin@localhost>")
    repo = os.path.join(out, rel)
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    work = tempfile.mkdtemp()
    try:
        for name, version, arch, fields in packages:
            build_deb(name, version, arch, fields, {}, outdir=repo, work=work)
    finally:
        shutil.rmtree(work)
    index_and_sign(repo, home, fpr, origin="Debian", label=label)
    with open(os.path.join(repo, "key.asc"), "wb") as f:
        f.write(run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr], capture_output=True).stdout)


def contrib_standin(out, keys_dir):
    standin(out, keys_dir, "debian-contrib-standin", DEBIAN_CONTRIB, "Debian contrib (TEST stand-in)")
    for dist_dir, pkgs in sorted(DEBIAN_MAIN.items()):
        leaves = [(n, "1.0-1", "amd64", {"Description": "%s (TEST stand-in)" % n}) for n in DEBIAN_MAIN_LEAVES]
        standin(out, keys_dir, os.path.join("debian-main-standin", dist_dir), pkgs + leaves,
                "Debian main (TEST stand-in)")


def main(out):
    recipe = hashlib.sha256()
    for p in (__file__, os.path.join(DOUBLES, "nvidia-smi"), os.path.join(DOUBLES, "nvidia-smi.banner"), RFC9580_V6,
              LIBCUDA_DOUBLE, WHEELS_LIST, nvidia_dkms_deb()) + tuple(os.path.join(KMOD_DOUBLE, f) for f in KMOD_FILES):
        recipe.update(open(p, "rb").read())
    stamp = os.path.join(out, "recipe")
    keys_dir = os.path.join(out, "keys")
    repos = os.path.join(out, "compute", "cuda", "repos")
    if os.path.exists(stamp) and open(stamp).read() == recipe.hexdigest():
        print("build_repo: %s is up to date" % out)
        return
    os.makedirs(os.path.join(out, "fingerprints"), exist_ok=True)
    shutil.rmtree(repos, ignore_errors=True)
    shared = {}
    for dist_dir, (key_file, uid) in sorted(DISTS.items()):
        home, fpr = ensure_key(keys_dir, dist_dir, uid)
        repo = os.path.join(repos, dist_dir, "x86_64")
        os.makedirs(repo)
        pub = run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr], capture_output=True).stdout
        key_bin = run(["gpg", "--homedir", home, "--batch", "--export", fpr], capture_output=True).stdout
        with open(os.path.join(repo, key_file), "wb") as f:
            f.write(pub)
        with open(os.path.join(out, "fingerprints", dist_dir + ".txt"), "w") as f:
            f.write(fpr + "\n")
        work = tempfile.mkdtemp()
        try:
            for pkg in packages(dist_dir) + [keyring_package(dist_dir, key_bin)]:
                if (pkg[0], pkg[1]) in shared:  # the same real toolkit package in both directories
                    os.link(shared[(pkg[0], pkg[1])], os.path.join(repo, os.path.basename(shared[(pkg[0], pkg[1])])))
                    continue
                deb = build_deb(*pkg, outdir=repo, work=work)
                if (pkg[0], pkg[1]) in SHARED_DEBS:
                    shared[(pkg[0], pkg[1])] = deb
        finally:
            shutil.rmtree(work)
        if dist_dir in NVIDIA_DKMS_DISTS:
            shutil.copy(nvidia_dkms_deb(), repo)
        index_and_sign(repo, home, fpr)
        print("build_repo: %s signed by %s" % (repo, fpr))
        if dist_dir == "debian12":
            work = tempfile.mkdtemp()
            try:
                hostile_keys(home, fpr, work, os.path.join(repos, "hostile"))
            finally:
                stop_agents()
                shutil.rmtree(work)
    contrib_standin(out, keys_dir)
    stop_agents()
    if "tree" in _BUILT:
        shutil.rmtree(_BUILT.pop("tree"))
    with open(stamp, "w") as f:
        f.write(recipe.hexdigest())


def resign(out, repo, name, uid):
    """Signs the repository's Release again with another key (kept as <out>/keys/<name>)."""
    home, fpr = ensure_key(os.path.join(out, "keys"), name, uid)
    gpg = ["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
           "--local-user", fpr]
    run(gpg + ["--clearsign", "-o", "InRelease", "Release"], cwd=repo)
    run(gpg + ["-abs", "-o", "Release.gpg", "Release"], cwd=repo)
    return home, fpr


def variant(kind, out, dest):
    main(out)
    shutil.rmtree(dest, ignore_errors=True)

    def copy(src, dst):
        # The packages are the same in every variant (and large): linked, not copied; the indexes
        # and signatures, which a variant changes, are copies.
        if src.endswith(".deb"):
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)
    shutil.copytree(os.path.join(out, "compute"), os.path.join(dest, "compute"), copy_function=copy)
    shutil.copytree(os.path.join(out, "fingerprints"), os.path.join(dest, "fingerprints"))
    for dist_dir in sorted(DISTS):
        repo = os.path.join(dest, "compute", "cuda", "repos", dist_dir, "x86_64")
        if kind == "tampered":
            with open(os.path.join(repo, "Packages"), "a") as f:
                f.write("\nPackage: nvidia-backdoor\nVersion: 1.0\nArchitecture: amd64\n"
                        "Filename: ./nvidia-backdoor_1.0_amd64.deb\nSize: 1\n"
                        "Description: injected after signing\n")
            run(["gzip", "-9kf", "Packages"], cwd=repo)
        elif kind == "rotated":
            # NVIDIA rotated its key (as in 2022): the repository is signed by a new key, and the
            # key file published beside it is that new key.
            home, fpr = resign(out, repo, "rotated", "passthrough.nvidia TEST rotated NVIDIA key <rotated@localhost>")
            with open(os.path.join(repo, DISTS[dist_dir][0]), "wb") as f:
                f.write(run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr], capture_output=True).stdout)
        elif kind == "wrong-key":
            resign(out, repo, "rogue", "passthrough.nvidia TEST rogue key <rogue@localhost>")
        else:
            sys.exit("build_repo: unknown variant %r (tampered, wrong-key, rotated)" % kind)
    stop_agents()
    print("build_repo: variant %s in %s" % (kind, dest))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--variant":
        variant(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: build_repo.py OUT_DIR | build_repo.py --variant KIND OUT_DIR VARIANT_DIR")

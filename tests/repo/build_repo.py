#!/usr/bin/env python
"""Builds the local apt repository that stands in for NVIDIA's CUDA repository.

NVIDIA's download site is not reachable from our machines, so the roles are tested
against this copy of its layout and package relationships:

  <out>/compute/cuda/repos/debian12/x86_64/   flat repository (Packages, Release,
                                              InRelease, Release.gpg, 3bf863cc.pub)
  <out>/compute/cuda/repos/debian13/x86_64/   the same, signed by a second key
                                              published as 8793F200.pub

Package names, versions and dependencies follow NVIDIA's repository (cuda-drivers,
cuda-drivers-<branch>, nvidia-open, nvidia-driver, nvidia-kernel-open-dkms /
nvidia-kernel-dkms, nvidia-smi, nvidia-persistenced, cuda-toolkit, cuda-toolkit-X-Y,
cuda, cuda-keyring). Their *contents* are TEST DOUBLES for what cannot exist here (a
kernel module for a GPU we do not have): files in the places the real ones use and an
nvidia-smi double (tests/doubles/nvidia-smi) whose state a scenario selects in
/etc/nvidia-smi-double/state. Every package says so in its description.

The signing keys are test keys made here (ed25519); their fingerprints are written
to <out>/fingerprints/<dir>.txt for the scenarios to pin. Keys are kept between runs
(stable fingerprints); the packages and indexes are rebuilt when this recipe changes.

Usage: build_repo.py OUT_DIR
       build_repo.py --variant tampered|wrong-key OUT_DIR VARIANT_DIR
  A variant is a copy of the repository made unusable the way an attacker or a broken
  mirror would: "tampered" changes Packages after signing (apt: Hash Sum mismatch),
  "wrong-key" signs Release with another key (apt: NO_PUBKEY). The fault scenarios
  serve them to prove that apt refuses them and the roles fail cleanly.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLES = os.path.join(os.path.dirname(HERE), "doubles")

DRIVER = "580.95.05-1"
DRIVER_UP = "580.95.05"
BRANCH = "580"
TOOLKIT = "12.8.93-1"

DISTS = {
    # dir: (key file name as NVIDIA publishes it, key uid)
    "debian12": ("3bf863cc.pub", "passthrough.nvidia TEST repository key (debian12) <test-debian12@localhost>"),
    "debian13": ("8793F200.pub", "passthrough.nvidia TEST repository key (debian13) <test-debian13@localhost>"),
}

DOUBLE_NOTE = ("TEST DOUBLE built by passthrough.nvidia's tests/repo/build_repo.py: same name, version "
               "and dependencies as NVIDIA's package, but no real driver or toolkit inside.")

NVCC = """#!/bin/sh
# TEST DOUBLE of nvcc (passthrough.nvidia tests): answers --version like CUDA 12.8's nvcc.
case "$1" in
  --version|-V)
    echo "nvcc: NVIDIA (R) Cuda compiler driver"
    echo "Copyright (c) 2005-2025 NVIDIA Corporation"
    echo "Built on Fri_Feb_21_20:23:50_PST_2025"
    echo "Cuda compilation tools, release 12.8, V12.8.93"
    echo "Build cuda_12.8.r12.8/compiler.35583870_0"
    ;;
  *) echo "nvcc (test double): only --version is implemented" >&2; exit 1 ;;
esac
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


def packages():
    """(name, version, arch, fields, files{path: (content, mode)}) of every package."""
    v = DRIVER
    smi = open(os.path.join(DOUBLES, "nvidia-smi")).read().replace("#!/usr/bin/env python", "#!/usr/bin/python3", 1)
    banner = open(os.path.join(DOUBLES, "nvidia-smi.banner")).read()
    dkms_conf = 'PACKAGE_NAME="nvidia"\nPACKAGE_VERSION="%s"\n# TEST DOUBLE: nothing to build\n' % DRIVER_UP
    pk = []
    pk.append(("nvidia-kernel-open-dkms", v, "amd64",
               {"Provides": "nvidia-kernel-dkms-any (= %s)" % v, "Conflicts": "nvidia-kernel-dkms",
                "Description": "NVIDIA open GPU kernel modules (DKMS source)"},
               {"/usr/src/nvidia-%s/dkms.conf" % DRIVER_UP: (dkms_conf, 0o644),
                "/usr/src/nvidia-%s/FLAVOUR" % DRIVER_UP: ("open\n", 0o644)}))
    pk.append(("nvidia-kernel-dkms", v, "amd64",
               {"Provides": "nvidia-kernel-dkms-any (= %s)" % v, "Conflicts": "nvidia-kernel-open-dkms",
                "Description": "NVIDIA proprietary kernel modules (DKMS source)"},
               {"/usr/src/nvidia-%s/dkms.conf" % DRIVER_UP: (dkms_conf, 0o644),
                "/usr/src/nvidia-%s/FLAVOUR" % DRIVER_UP: ("proprietary\n", 0o644)}))
    pk.append(("nvidia-smi", v, "amd64", {"Description": "NVIDIA System Management Interface"},
               {"/usr/bin/nvidia-smi": (smi, 0o755), "/usr/share/nvidia-smi-double/banner": (banner, 0o644)}))
    pk.append(("nvidia-persistenced", v, "amd64", {"Description": "NVIDIA Persistence Daemon"},
               {"/usr/bin/nvidia-persistenced": ("#!/bin/sh\nexit 0\n", 0o755),
                "/lib/systemd/system/nvidia-persistenced.service": (PERSISTENCED_UNIT, 0o644)}))
    pk.append(("nvidia-driver-cuda", v, "amd64",
               {"Depends": "nvidia-smi (= %s), nvidia-persistenced (= %s)" % (v, v),
                "Description": "NVIDIA driver CUDA integration components"},
               {"/usr/share/doc/nvidia-driver-cuda/README.double": (DOUBLE_NOTE + "\n", 0o644)}))
    pk.append(("nvidia-driver", v, "amd64",
               {"Depends": "nvidia-driver-cuda (= %s), nvidia-kernel-open-dkms (= %s) | nvidia-kernel-dkms (= %s)"
                % (v, v, v),
                "Description": "NVIDIA metapackage"}, {}))
    pk.append(("nvidia-open", v, "amd64",
               {"Depends": "nvidia-driver (= %s), nvidia-kernel-open-dkms (= %s)" % (v, v),
                "Description": "NVIDIA driver with open kernel modules (metapackage)"}, {}))
    pk.append(("cuda-drivers-%s" % BRANCH, v, "amd64",
               {"Depends": "nvidia-driver (= %s)" % v, "Description": "CUDA Driver native %s branch" % BRANCH}, {}))
    pk.append(("cuda-drivers", v, "amd64",
               {"Depends": "cuda-drivers-%s (= %s)" % (BRANCH, v), "Description": "CUDA Driver meta-package"}, {}))
    t = TOOLKIT
    pk.append(("cuda-toolkit-12-8", t, "amd64", {"Description": "CUDA Toolkit 12.8 meta-package"},
               {"/usr/local/cuda-12.8/bin/nvcc": (NVCC, 0o755),
                "/usr/local/cuda-12.8/lib64/libcudart.so.12": ("TEST DOUBLE\n", 0o644),
                "/usr/local/cuda-12.8/version.json": ('{"cuda": {"name": "CUDA SDK", "version": "12.8.1"}}\n', 0o644)}))
    pk.append(("cuda-toolkit-12", t, "amd64",
               {"Depends": "cuda-toolkit-12-8 (>= %s)" % t, "Description": "CUDA Toolkit 12 meta-package"}, {}))
    pk.append(("cuda-toolkit", t, "amd64",
               {"Depends": "cuda-toolkit-12-8 (>= %s)" % t, "Description": "CUDA Toolkit meta-package"}, {}))
    pk.append(("cuda", t, "amd64",
               {"Depends": "cuda-drivers (>= 580), cuda-toolkit-12-8 (>= %s)" % t, "Description": "CUDA meta-package"},
               {}))
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
    root = os.path.join(work, name)
    os.makedirs(os.path.join(root, "DEBIAN"))
    for path, (content, mode) in files.items():
        dest = root + path
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        os.chmod(dest, mode)
    desc = fields.get("Description", name)
    control = ["Package: %s" % name, "Version: %s" % version, "Architecture: %s" % arch,
               "Maintainer: passthrough.nvidia tests <test@localhost>", "Section: multiverse/devel",
               "Priority: optional"]
    for k in ("Depends", "Provides", "Conflicts"):
        if k in fields:
            control.append("%s: %s" % (k, fields[k]))
    control.append("Description: %s (TEST DOUBLE)" % desc)
    control.append(" " + DOUBLE_NOTE)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write("\n".join(control) + "\n")
    deb = os.path.join(outdir, "%s_%s_%s.deb" % (name, version, arch))
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, deb], stdout=subprocess.DEVNULL)


def ensure_key(keys_dir, dist_dir, uid):
    home = os.path.join(keys_dir, dist_dir)
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


def main(out):
    recipe = hashlib.sha256()
    for p in (__file__, os.path.join(DOUBLES, "nvidia-smi"), os.path.join(DOUBLES, "nvidia-smi.banner"), RFC9580_V6):
        recipe.update(open(p, "rb").read())
    stamp = os.path.join(out, "recipe")
    keys_dir = os.path.join(out, "keys")
    repos = os.path.join(out, "compute", "cuda", "repos")
    if os.path.exists(stamp) and open(stamp).read() == recipe.hexdigest():
        print("build_repo: %s is up to date" % out)
        return
    os.makedirs(os.path.join(out, "fingerprints"), exist_ok=True)
    shutil.rmtree(repos, ignore_errors=True)
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
            for pkg in packages() + [keyring_package(dist_dir, key_bin)]:
                build_deb(*pkg, outdir=repo, work=work)
        finally:
            shutil.rmtree(work)
        with open(os.path.join(repo, "Packages"), "w") as f:
            run(["apt-ftparchive", "packages", "."], cwd=repo, stdout=f)
        run(["gzip", "-9kf", "Packages"], cwd=repo)
        release = run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Origin=NVIDIA",
                       "-o", "APT::FTPArchive::Release::Label=NVIDIA CUDA",
                       "-o", "APT::FTPArchive::Release::Architectures=amd64",
                       "release", "."], cwd=repo, capture_output=True).stdout
        with open(os.path.join(repo, "Release"), "wb") as f:
            f.write(release)
        gpg = ["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
               "--local-user", fpr]
        run(gpg + ["--clearsign", "-o", "InRelease", "Release"], cwd=repo)
        run(gpg + ["-abs", "-o", "Release.gpg", "Release"], cwd=repo)
        print("build_repo: %s signed by %s" % (repo, fpr))
        if dist_dir == "debian12":
            work = tempfile.mkdtemp()
            try:
                hostile_keys(home, fpr, work, os.path.join(repos, "hostile"))
            finally:
                shutil.rmtree(work)
    with open(stamp, "w") as f:
        f.write(recipe.hexdigest())


def variant(kind, out, dest):
    main(out)
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(os.path.join(out, "compute"), os.path.join(dest, "compute"))
    shutil.copytree(os.path.join(out, "fingerprints"), os.path.join(dest, "fingerprints"))
    for dist_dir in sorted(DISTS):
        repo = os.path.join(dest, "compute", "cuda", "repos", dist_dir, "x86_64")
        if kind == "tampered":
            with open(os.path.join(repo, "Packages"), "a") as f:
                f.write("\nPackage: nvidia-backdoor\nVersion: 1.0\nArchitecture: amd64\n"
                        "Filename: ./nvidia-backdoor_1.0_amd64.deb\nSize: 1\n"
                        "Description: injected after signing\n")
            run(["gzip", "-9kf", "Packages"], cwd=repo)
        elif kind == "wrong-key":
            home, fpr = ensure_key(os.path.join(out, "keys"), "rogue",
                                   "passthrough.nvidia TEST rogue key <rogue@localhost>")
            gpg = ["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback",
                   "--passphrase", "", "--local-user", fpr]
            run(gpg + ["--clearsign", "-o", "InRelease", "Release"], cwd=repo)
            run(gpg + ["-abs", "-o", "Release.gpg", "Release"], cwd=repo)
        else:
            sys.exit("build_repo: unknown variant %r (tampered, wrong-key)" % kind)
    print("build_repo: variant %s in %s" % (kind, dest))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--variant":
        variant(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: build_repo.py OUT_DIR | build_repo.py --variant KIND OUT_DIR VARIANT_DIR")

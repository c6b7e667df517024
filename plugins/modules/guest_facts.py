#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: guest_facts
short_description: Learn in one round trip what the passthrough.nvidia roles need to know about a guest
version_added: 0.1.0
description:
  - Returns, from one call, the state the roles would otherwise learn with a dozen tasks - checksums
    and modes of files, the contents of small files, the primary-key fingerprints of keyrings, the
    installed packages (in M(ansible.builtin.package_facts)' form), held packages, what C(dpkg --audit)
    says, the age of apt's package lists, sources that mention a repository, and loaded kernel modules.
  - The roles compare this state with what they would write and skip the tasks whose result is already
    there, so a converged run costs few round trips. The tasks that change things are the usual
    modules (M(ansible.builtin.template), M(ansible.builtin.apt), ...), with their check and diff modes.
  - Read-only; runs in check mode.
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  paths:
    description: Files to describe (RV(files)); missing files are reported as not existing.
    type: list
    elements: path
    default: []
  read:
    description: Files whose content to return base64-encoded (RV(contents)), at most O(read_limit) bytes each.
    type: list
    elements: path
    default: []
  read_limit:
    description: Bytes read from each file of O(read).
    type: int
    default: 65536
  keyrings:
    description:
      - OpenPGP key files (ASCII-armored or binary) whose primary-key fingerprints to return (RV(keyrings)).
      - The fingerprints are computed in Python as RFC 4880 and RFC 9580 define them (v4 and v6 keys), so
        C(gpg) is not needed on the guest.
    type: list
    elements: path
    default: []
  commands:
    description:
      - Read-only commands to run, each an argument vector (no shell), such as C([/usr/local/cuda-12.8/bin/nvcc, --version]);
        their exit codes and output are returned in RV(commands), in order.
      - A command whose executable does not exist is reported with C(rc=null), not as a failure.
      - They run in check mode too, so only give commands that change nothing.
    type: list
    elements: list
    default: []
  package_facts:
    description:
      - Return the installed packages as C(ansible_facts.packages), in the form of
        M(ansible.builtin.package_facts) with C(manager=apt), and RV(holds), RV(unfinished) and
        RV(dpkg_audit). One C(dpkg-query) call.
    type: bool
    default: false
  sources_pattern:
    description:
      - A regular expression; the apt sources (C(/etc/apt/sources.list) and the C(.list) and C(.sources)
        files of C(/etc/apt/sources.list.d)) with a non-comment line matching it are listed in RV(sources).
    type: str
  modules:
    description: Kernel modules to report as loaded or not (RV(modules_loaded)), from C(/sys/module).
    type: list
    elements: str
    default: []
  pci_devices:
    description:
      - A sysfs C(bus/pci/devices) directory (C(/sys/bus/pci/devices)) whose NVIDIA display controllers to list in
        RV(pci_gpus). They are there before any driver is loaded. Not read when unset.
    type: path
  apt_policy:
    description: Packages whose installed, candidate and available versions to return (RV(apt_policy), one
      C(apt-cache policy) call).
    type: list
    elements: str
    default: []
  apt_names:
    description: Prefixes of package names to list from apt's cache (RV(apt_names), C(apt-cache pkgnames PREFIX)),
      such as C(nvidia-driver-pinning-) or C(cuda-toolkit-).
    type: list
    elements: str
    default: []
  kernels:
    description:
      - Describe the guest's kernels (RV(kernels)) - the running one, those in C(/boot), which have headers for
        DKMS, the kernel GRUB boots next, free space in C(/boot) and the initramfs files - and run
        what C(dkms status) would say (read from DKMS's tree). The header packages those kernels need (Debian's C(linux-headers-*) for the installed
        kernel metapackages, the running kernel and the next boot kernel) are added to O(apt_policy).
    type: bool
    default: false
  debian_components:
    description:
      - Components that Debian's own sources must have (such as C(contrib)); RV(debian_components_missing) lists
        the entries of Debian's archive for the guest's release (C(/etc/os-release)) that lack one, as
        M(passthrough.nvidia.apt_components) would change them.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing.
    support: none
seealso:
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.stat
"""

EXAMPLES = r"""
- name: Learn the state of NVIDIA's apt source and key in one call
  passthrough.nvidia.guest_facts:
    paths: [/etc/apt/sources.list.d/nvidia-cuda.sources]
    keyrings: [/usr/share/keyrings/nvidia-cuda-debian12.asc]
    sources_pattern: 'developer\.download\.nvidia\.com/compute/cuda/repos'
    package_facts: true
  register: state

- name: The key is the pinned one
  ansible.builtin.debug:
    msg: "{{ state.keyrings['/usr/share/keyrings/nvidia-cuda-debian12.asc'].fingerprints }}"
"""

RETURN = r"""
files:
  description: Per path of O(paths) - C(exists), C(sha1) (regular files), C(mode) (octal string), C(uid),
    C(gid), C(islnk), C(lnk_target), C(isdir), C(mtime) (seconds since the epoch).
  returned: always
  type: dict
  sample: {"/etc/apt/sources.list.d/nvidia-cuda.sources": {"exists": true, "sha1": "5d4...", "mode": "0644"}}
contents:
  description: Per path of O(read) - C(exists) and C(b64) (the content, base64).
  returned: always
  type: dict
keyrings:
  description: Per path of O(keyrings) - C(exists), C(armored), C(fingerprints) (primary keys, upper case),
    and C(error) when the file is not an OpenPGP key (then C(fingerprints) is empty).
  returned: always
  type: dict
commands:
  description: Per command of O(commands), in order - C(argv), C(rc) (null when the executable does not exist),
    C(stdout), C(stderr).
  returned: always
  type: list
  elements: dict
  sample: [{"argv": ["/usr/local/cuda-12.8/bin/nvcc", "--version"], "rc": 0, "stdout": "nvcc: NVIDIA (R) Cuda compiler driver...", "stderr": ""}]
holds:
  description: Packages whose dpkg selection is hold.
  returned: when O(package_facts=true)
  type: list
  elements: str
unfinished:
  description: Packages dpkg left unpacked or half-configured (a killed run).
  returned: when O(package_facts=true)
  type: list
  elements: str
dpkg_audit:
  description: What C(dpkg --audit) printed (empty when dpkg is consistent).
  returned: when O(package_facts=true)
  type: str
apt_cache_age:
  description: Seconds since apt's package lists were last updated, as M(ansible.builtin.apt)'s
    C(cache_valid_time) counts it; null when they never were.
  returned: always
  type: int
sources:
  description: apt source files with a line matching O(sources_pattern).
  returned: when O(sources_pattern) is set
  type: list
  elements: str
modules_loaded:
  description: Per module of O(modules), whether it is loaded.
  returned: always
  type: dict
pci_gpus:
  description: The NVIDIA display controllers under O(pci_devices) - C(address), C(vendor), C(device), C(class),
    C(subsystem_vendor), C(subsystem_device), C(driver) (the bound driver, or null).
  returned: when O(pci_devices) is set
  type: list
  elements: dict
  sample: [{"address": "0000:01:00.0", "vendor": "0x10de", "device": "0x1eb8", "class": "0x030200", "driver": "vfio-pci"}]
apt_policy:
  description: Per package of O(apt_policy) that apt knows - C(installed) and C(candidate) (null for none) and
    C(versions), the version table newest first.
  returned: always
  type: dict
apt_names:
  description: Per prefix of O(apt_names), the package names apt knows that start with it, sorted.
  returned: always
  type: dict
kernels:
  description:
    - With O(kernels) - C(running) (the running kernel's release), C(installed) (releases with a
      C(/boot/vmlinuz-<release>)), C(headers) (release -> whether C(/lib/modules/<release>/build) exists),
      C(next_boot) (the release GRUB's default entry boots, or the newest in C(/boot)), C(next_boot_how),
      C(next_boot_args) (that entry's kernel arguments in grub.cfg, null without a grub.cfg), C(grub_cfg)
      (whether it exists), C(boot_free) (bytes free in C(/boot)), C(initrd) (release -> size and mtime, or
      null), C(header_packages) (the header packages those kernels may need, the running kernel's included), C(dkms) (what
      C(dkms status) says - module, version, kernel, arch, state - read from C(/var/lib/dkms) as dkms decides it), C(dkms_logs) (path -> text of the
      C(make.log) of each DKMS build that did not finish; a successful build removes it).
  returned: when O(kernels) is set
  type: dict
debian_components_missing:
  description: Entries ("suites URIs") of Debian's archive that lack a component of O(debian_components).
  returned: when O(debian_components) is set
  type: list
  elements: str
debian_source_found:
  description: Whether any source has an entry of Debian's archive for the release.
  returned: when O(debian_components) is set
  type: bool
"""

import base64
import hashlib
import os
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.passthrough.nvidia.plugins.module_utils.apt_sources import is_debian_source, missing
from ansible_collections.passthrough.nvidia.plugins.module_utils.kernels import header_packages, read_dkms_tree, read_kernels
from ansible_collections.passthrough.nvidia.plugins.module_utils.guest_state import (
    APT_LISTS,
    APT_UPDATE_SUCCESS_STAMP,
    DPKG_FORMAT,
    compile_pattern,
    is_armored,
    matching_lines,
    openpgp_fingerprints,
    parse_apt_policy,
    parse_dpkg_query,
    read_pci_gpus,
)

SOURCES_DIR = "/etc/apt/sources.list.d"
SOURCES_LIST = "/etc/apt/sources.list"
# Keyrings larger than this are not NVIDIA's single key (Debian's whole archive keyring is 100 KiB).
KEYRING_LIMIT = 1 << 20


def describe(path):
    try:
        st = os.lstat(path)
    except OSError:
        return {"exists": False}
    out = {"exists": True, "mode": "%04o" % stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
           "islnk": stat.S_ISLNK(st.st_mode), "isdir": stat.S_ISDIR(st.st_mode), "mtime": int(st.st_mtime)}
    if out["islnk"]:
        out["lnk_target"] = os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        h = hashlib.sha1()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
        out["sha1"] = h.hexdigest()
    return out


def read_head(path, limit):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except (IOError, OSError):
        return None


def run_readonly(module, argv, index):
    """One command of the commands option: its exit code and output; rc None when the
    executable does not exist."""
    argv = [to_native(a) for a in argv]
    if not argv or not argv[0]:
        module.fail_json(msg="commands[%d] must be a non-empty argument vector, got %r" % (index, argv))
    exe = argv[0] if os.path.isabs(argv[0]) else module.get_bin_path(argv[0])
    if not exe or not os.access(exe, os.X_OK):
        return {"argv": argv, "rc": None, "stdout": "", "stderr": "%s: not found or not executable" % argv[0]}
    rc, out, err = module.run_command([exe] + argv[1:], environ_update={"LC_ALL": "C"})
    return {"argv": argv, "rc": rc, "stdout": out, "stderr": err}


def source_files():
    """apt's one-line and deb822 source files."""
    found = [SOURCES_LIST] if os.path.exists(SOURCES_LIST) else []
    if os.path.isdir(SOURCES_DIR):
        found += sorted(os.path.join(SOURCES_DIR, n) for n in os.listdir(SOURCES_DIR) if n.endswith((".list", ".sources")))
    return found


def os_release_codename(path="/etc/os-release"):
    data = read_head(path, 1 << 16) or b""
    for line in data.decode("utf-8", "replace").splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return ""


def apt_cache_age():
    for path in (APT_UPDATE_SUCCESS_STAMP, APT_LISTS):
        if os.path.exists(path):
            return int(max(0, time.time() - os.stat(path).st_mtime))
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", default=[]),
            read=dict(type="list", elements="path", default=[]),
            read_limit=dict(type="int", default=65536),
            keyrings=dict(type="list", elements="path", default=[], no_log=False),
            package_facts=dict(type="bool", default=False),
            sources_pattern=dict(type="str"),
            modules=dict(type="list", elements="str", default=[]),
            commands=dict(type="list", elements="list", default=[]),
            pci_devices=dict(type="path"),
            apt_policy=dict(type="list", elements="str", default=[]),
            apt_names=dict(type="list", elements="str", default=[]),
            debian_components=dict(type="list", elements="str", default=[]),
            kernels=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["read_limit"] < 1:
        module.fail_json(msg="read_limit must be a positive number of bytes, got %d" % p["read_limit"])
    result = dict(changed=False, files={}, contents={}, keyrings={}, modules_loaded={}, apt_cache_age=apt_cache_age())

    for path in p["paths"]:
        try:
            result["files"][path] = describe(path)
        except (IOError, OSError) as e:
            module.fail_json(msg="cannot read %s: %s" % (path, to_native(e)))

    for path in p["read"]:
        data = read_head(path, p["read_limit"])
        result["contents"][path] = {"exists": data is not None,
                                    "b64": to_text(base64.b64encode(data)) if data is not None else None}

    for path in p["keyrings"]:
        data = read_head(path, KEYRING_LIMIT)
        entry = {"exists": data is not None, "armored": bool(data) and is_armored(data), "fingerprints": []}
        if data is not None:
            try:
                entry["fingerprints"] = openpgp_fingerprints(data)
            except ValueError as e:
                entry["error"] = "%s is not an OpenPGP public key: %s" % (path, e)
        result["keyrings"][path] = entry

    result["commands"] = [run_readonly(module, argv, i) for i, argv in enumerate(p["commands"])]

    if p["package_facts"]:
        dpkg_query = module.get_bin_path("dpkg-query", required=True)
        rc, out, err = module.run_command([dpkg_query, "-W", "-f", DPKG_FORMAT], environ_update={"LC_ALL": "C"})
        if rc != 0:
            module.fail_json(msg="dpkg-query failed (rc %d): %s" % (rc, err.strip()))
        packages, holds, unfinished = parse_dpkg_query(out)
        rc, audit, err = module.run_command([module.get_bin_path("dpkg", required=True), "--audit"],
                                            environ_update={"LC_ALL": "C"})
        result.update(holds=holds, unfinished=unfinished, dpkg_audit=audit.strip(),
                      ansible_facts=dict(packages=packages))

    if p["sources_pattern"] is not None:
        try:
            regex = compile_pattern(p["sources_pattern"])
        except ValueError as e:
            module.fail_json(msg=to_native(e))
        result["sources"] = []
        for path in [SOURCES_LIST] + [x for x in source_files() if x != SOURCES_LIST]:
            data = read_head(path, 1 << 20)
            if data is not None and matching_lines(data.decode("utf-8", "replace"), regex):
                result["sources"].append(path)

    for name in p["modules"]:
        result["modules_loaded"][name] = os.path.isdir(os.path.join("/sys/module", name))

    if p["pci_devices"] is not None:
        result["pci_gpus"] = read_pci_gpus(p["pci_devices"])

    if p["kernels"]:
        kernels = read_kernels()
        if "ansible_facts" in result:
            installed = result["ansible_facts"]["packages"]
        else:
            rc, out, err = module.run_command([module.get_bin_path("dpkg-query", required=True), "-W", "-f", DPKG_FORMAT],
                                              environ_update={"LC_ALL": "C"})
            installed = parse_dpkg_query(out)[0] if rc == 0 else {}
        # Every candidate (the running kernel's too): the caller, which knows whether the guest is a
        # container, decides which of them it needs.
        kernels["header_packages"] = header_packages(installed, kernels["running"], kernels["next_boot"])
        kernels["dkms"] = read_dkms_tree()
        result["kernels"] = kernels
        p["apt_policy"] = list(p["apt_policy"]) + [n for n in kernels["header_packages"] if n not in p["apt_policy"]]

    result["apt_policy"] = {}
    names = [n for n in p["apt_policy"] if n]
    if names:
        if any(n.startswith("-") for n in names):
            module.fail_json(msg="apt_policy: package names must not start with '-': %r" % names)
        rc, out, err = module.run_command([module.get_bin_path("apt-cache", required=True), "policy", "--"] + names,
                                          environ_update={"LC_ALL": "C"})
        if rc != 0:
            module.fail_json(msg="apt-cache policy failed (rc %d): %s" % (rc, err.strip()))
        result["apt_policy"] = parse_apt_policy(out)

    result["apt_names"] = {}
    for prefix in p["apt_names"]:
        if not prefix or prefix.startswith("-"):
            module.fail_json(msg="apt_names: %r is not a package name prefix" % prefix)
        rc, out, err = module.run_command([module.get_bin_path("apt-cache", required=True), "pkgnames", prefix],
                                          environ_update={"LC_ALL": "C"})
        # apt-cache pkgnames exits 0 with no output when nothing matches.
        if rc != 0:
            module.fail_json(msg="apt-cache pkgnames %s failed (rc %d): %s" % (prefix, rc, err.strip()))
        result["apt_names"][prefix] = sorted(set(n.strip() for n in out.splitlines() if n.strip()))

    if p["debian_components"]:
        release = os_release_codename()
        result["debian_components_missing"], result["debian_source_found"] = [], False
        for path in source_files():
            data = read_head(path, 1 << 20)
            if data is None:
                continue
            text, deb822 = data.decode("utf-8", "replace"), path.endswith(".sources")
            result["debian_source_found"] = result["debian_source_found"] or is_debian_source(text, release, deb822)
            result["debian_components_missing"] += missing(text, release, p["debian_components"], deb822)

    module.exit_json(**result)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The driver and toolkit decisions of the roles, as pure functions (no I/O).

The roles call them through the filter plugins of plugins/filter/nvidia.py, on the controller,
with what guest_facts read on the guest: the NVIDIA GPUs in sysfs, the versions and pinning
packages NVIDIA's repository offers there (apt-cache), the installed packages. What they decide:

- plan_driver: kernel-module flavour, branch (and version), the pinning package, the packages,
  and what must change on the guest; or an error that says what to do, before anything changes.
- plan_toolkit: the CUDA toolkit version and package, or an error naming the versions that exist.

The NVIDIA-side facts (generations, limits, package sets) are in nvidia_support.py. Values that
come from a guest are untrusted: anything that does not look like what sysfs or apt print is
treated as unknown, never interpolated into a command.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.passthrough.nvidia.plugins.module_utils import nvidia_support as ns

FLAVOURS = ("auto", "open", "proprietary")
PACKAGE_SETS = tuple(sorted(ns.PACKAGE_SETS))
BRANCH_RE = re.compile(r"^[0-9]{3,4}$")
DRIVER_VERSION_RE = re.compile(r"^[0-9]{3,4}\.[0-9]{1,4}(\.[0-9]{1,4})?$")
DEBIAN_VERSION_RE = re.compile(r"^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$")
PCI_ID_RE = re.compile(r"^(0x)?[0-9a-fA-F]{4}$")
TOOLKIT_PACKAGE_RE = re.compile(r"^cuda-toolkit-([0-9]{1,3})-([0-9]{1,3})$")
TOOLKIT_VERSION_RE = re.compile(r"^([0-9]{1,3})\.([0-9]{1,3})$")


def parse_pci_id(value):
    """An int from a sysfs id such as '0x1eb8', or None when it does not look like one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 0xFFFF else None
    if not isinstance(value, str) or not PCI_ID_RE.match(value.strip()):
        return None
    return int(value.strip(), 16)


def gpu_generation(device_id):
    """The generation name of an NVIDIA PCI device id, or 'unknown'."""
    dev = parse_pci_id(device_id)
    gen = ns.generation_by_id(dev) if dev is not None else None
    return gen["name"] if gen else "unknown"


def upstream_version(version):
    """'580.105.08' from the Debian version '580.105.08-1' (or '1:580.105.08-1')."""
    if not isinstance(version, str) or not DEBIAN_VERSION_RE.match(version):
        return ""
    v = version.split(":", 1)[-1]
    return v.rsplit("-", 1)[0] if "-" in v else v


def branch_of(version):
    """'580' from '580.105.08-1'; '' when the version is not a driver version."""
    up = upstream_version(version)
    head = up.split(".", 1)[0]
    return head if BRANCH_RE.match(head) and "." in up else ""


def _version_key(version):
    return [int(p) if p.isdigit() else 0 for p in re.split(r"[.-]", upstream_version(version))]


def describe_gpus(gpus):
    """The NVIDIA display-class devices of guest_facts' pci_gpus, each with its generation.
    Entries that are not dicts with a valid device id are kept with generation 'unknown'."""
    out = []
    for g in gpus or []:
        if not isinstance(g, dict):
            continue
        dev = parse_pci_id(g.get("device"))
        address = g.get("address") if isinstance(g.get("address"), str) else ""
        address = address if re.match(r"^[0-9a-fA-F:.]{1,16}$", address) else "?"
        out.append({"address": address, "device": "%04x" % dev if dev is not None else "?",
                    "generation": gpu_generation(dev) if dev is not None else "unknown"})
    return out


def gpu_archs(gpus):
    """The sm_XX architectures (sorted, unique) to compile for the GPUs of guest_facts' pci_gpus;
    GPUs of an unknown generation add none."""
    archs = set()
    for g in describe_gpus(gpus):
        dev = parse_pci_id(g["device"]) if g["device"] != "?" else None
        sm = ns.GENERATION_SM.get(g["generation"])
        for low, high, special in ns.SM_BY_DEVICE_RANGE:
            if dev is not None and low <= dev <= high:
                sm = special
        if sm:
            archs.add(sm)
    return sorted(archs, key=lambda a: int(a[3:]))


def _gpu_names(gpus):
    return ", ".join("%s (10de:%s, %s)" % (g["address"], g["device"], _title(g["generation"])) for g in gpus)


def _title(generation):
    return ns.GENERATION[generation]["title"] if generation in ns.GENERATION else "unknown generation"


def _gen(generation):
    # An id the table does not know is taken for a generation newer than the table (NVIDIA
    # allocates new chips above the old ranges): open modules only, no branch limit.
    return ns.GENERATION.get(generation, ns.GENERATION[ns.GENERATIONS[-1]["name"]])


def branches_offered(versions):
    """Sorted branches (numerically) of a list of Debian versions."""
    return sorted(set(b for b in (branch_of(v) for v in versions or []) if b), key=int)


def _installed_version(installed, name):
    entries = (installed or {}).get(name)
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        return entries[0].get("version") if isinstance(entries[0].get("version"), str) else ""
    if isinstance(entries, str):
        return entries
    return None


def validate_driver_input(flavour, branch, package_set):
    """Errors of the role's own variables, naming them (before anything is asked of the guest)."""
    errors = []
    if flavour not in FLAVOURS:
        errors.append("nvidia_driver_kernel_module is %r; it must be one of %s."
                      % (flavour, ", ".join(FLAVOURS)))
    b = str(branch) if branch is not None else ""
    if not (b in ("", "auto", "latest") or BRANCH_RE.match(b) or DRIVER_VERSION_RE.match(b)):
        errors.append("nvidia_driver_branch is %r; it must be auto, latest, a branch such as \"580\" or a driver version"
                      " such as \"580.105.08\" (quoted: YAML reads 580.10 as a number)." % (branch,))
    if package_set not in PACKAGE_SETS:
        errors.append("nvidia_driver_package_set is %r; it must be one of %s."
                      % (package_set, ", ".join(PACKAGE_SETS)))
    return errors


def plan_driver(release, gpus, flavour="auto", branch="auto", package_set="compute", persistenced=True,
                offered=None, pinning=None, installed=None):
    """What the driver role installs on a guest, and what must change there.

    release: the Debian codename; gpus: guest_facts' pci_gpus; flavour: auto|open|proprietary;
    branch: auto (the newest fitting branch when no driver is installed, else the installed branch),
    latest (always the newest fitting branch), a branch ("580") or a driver version ("580.105.08"); package_set: compute|full|
    desktop; offered: {package: [versions NVIDIA's repository offers on the guest]} for the two
    kernel-module packages; pinning: the names of the pinning packages the guest's apt knows;
    installed: ansible_facts.packages.

    Returns a dict: error ('' when the plan holds), gpus (with generations), flavour, branch,
    version (exact driver version or ''), pin_package, pin_remove, packages, remove, changes
    (what differs on the guest, in words; empty when converged), reasons (why each choice)."""
    offered = offered or {}
    pinning = [p for p in (pinning or []) if isinstance(p, str)]
    plan = {"error": "", "gpus": describe_gpus(gpus), "flavour": "", "branch": "", "version": "", "debian_version": "",
            "upgrade_available": None, "module_package": "",
            "pin_package": "", "pin_remove": [], "packages": [], "remove": [], "changes": [], "reasons": [],
            "branches_offered": {}}
    errors = validate_driver_input(flavour, branch, package_set)
    if release not in ns.RELEASES:
        errors.append("Debian release %r is not supported (supported: %s)." % (release, ", ".join(sorted(ns.RELEASES))))
    if errors:
        plan["error"] = " ".join(errors) + " Nothing was changed."
        return plan
    rel = ns.RELEASES[release]
    gpus = plan["gpus"]
    if not gpus:
        plan["error"] = ("No NVIDIA GPU is visible in this guest (no PCI device of vendor 10de with a display class"
                         " in sysfs): the GPU is not passed through. On the host, assign it to the VM (Proxmox:"
                         " hostpci0; libvirt: a <hostdev> of type pci; QEMU: -device vfio-pci,host=...), check that"
                         " the host binds it to vfio-pci, and start the VM again. Nothing was changed.")
        return plan
    gens = [_gen(g["generation"]) for g in gpus]
    for f in ("open", "proprietary"):
        plan["branches_offered"][f] = branches_offered(offered.get(ns.MODULE_PACKAGES[f]))

    # Flavour: what every GPU supports; open where both are possible (NVIDIA's default since 560).
    can_open = all(g["open"] for g in gens)
    can_prop = all(g["proprietary"] for g in gens)
    if flavour == "auto":
        if can_open:
            plan["flavour"] = "open"
            plan["reasons"].append("open kernel modules: every GPU is Turing or newer (NVIDIA's default since 560)")
        elif can_prop:
            plan["flavour"] = "proprietary"
            plan["reasons"].append("proprietary kernel modules: %s need them (open modules need the GSP of Turing"
                                   " and newer)" % _gpu_names([g for g, x in zip(gpus, gens) if not x["open"]]))
        else:
            old = _gpu_names([g for g, x in zip(gpus, gens) if not x["open"]])
            new = _gpu_names([g for g, x in zip(gpus, gens) if not x["proprietary"]])
            plan["error"] = ("This guest has GPUs that no single driver flavour supports: %s need the proprietary"
                             " modules, %s the open ones. Pass them through to different guests. Nothing was"
                             " changed." % (old, new))
            return plan
    else:
        unfit = [g for g, x in zip(gpus, gens) if not x[flavour]]
        if unfit:
            other = "open" if flavour == "proprietary" else "proprietary"
            plan["error"] = ("nvidia_driver_kernel_module is %s, but %s support only the %s kernel modules. Set"
                             " nvidia_driver_kernel_module to %s or auto. Nothing was changed."
                             % (flavour, _gpu_names(unfit), other, other))
            return plan
        plan["flavour"] = flavour
        plan["reasons"].append("%s kernel modules: nvidia_driver_kernel_module" % flavour)
    fl = plan["flavour"]
    have = plan["branches_offered"][fl]
    module_pkg = plan["module_package"] = ns.MODULE_PACKAGES[fl]

    # Branch: the newest the repository offers for the flavour, but no newer than the oldest
    # GPU's last branch; or the one asked for, if the repository and the GPUs allow it.
    limits = [(int(x["last_branch"]), g) for g, x in zip(gpus, gens) if x["last_branch"]]
    limit = min(limits, key=lambda t: t[0]) if limits else None
    latest = branch == "latest"
    b = "" if branch in (None, "", "auto", "latest") else str(branch)
    repo = "NVIDIA's %s repository on this guest" % rel["repo_dir"]
    offered_txt = ", ".join(have) if have else "none"
    if limit and limit[0] < 525:
        plan["error"] = ("%s: NVIDIA's last driver for %s is branch %d, which NVIDIA's CUDA repositories no longer"
                         " carry. This GPU cannot be used with a current driver. Nothing was changed."
                         % (_gpu_names([limit[1]]), _title(limit[1]["generation"]), limit[0]))
        return plan
    if not have:
        plan["error"] = ("%s offers no %s (%s kernel modules) at all (apt-cache policy %s shows no version): check"
                         " that the cuda_repo role ran and apt's lists are fresh. Nothing was changed."
                         % (repo, module_pkg, fl, module_pkg))
        return plan
    if not b:
        fitting = [x for x in have if not limit or int(x) <= limit[0]]
        if limit and str(limit[0]) not in have:
            plan["error"] = ("%s: NVIDIA's last driver branch for %s is %d, and %s has no %d branch of %s (it offers"
                             " %s). NVIDIA ships no driver for this GPU on %s: use a Debian 12 guest for it (whose"
                             " repository has %d), or Debian's own packages. Nothing was changed."
                             % (_gpu_names([limit[1]]), _title(limit[1]["generation"]), limit[0], repo, limit[0],
                                module_pkg, offered_txt, rel["description"], limit[0]))
            return plan
        # auto chooses when no driver is installed; afterwards the installed branch stays (a newly
        # published branch must not upgrade, and reboot, a whole fleet on an unrelated run: issue
        # #30). Updates within the branch still come; a newer branch is said, not installed.
        kept = "" if latest else installed_driver_branch(installed)
        if kept and kept in fitting:
            plan["branch"] = kept
            newer = [x for x in fitting if int(x) > int(kept)]
            plan["upgrade_available"] = newer[-1] if newer else None
            plan["reasons"].append("branch %s: the installed branch (auto keeps it%s)" % (
                kept, "; %s offers branch %s: set nvidia_driver_branch: '%s' to upgrade" % (repo, newer[-1], newer[-1])
                if newer else ""))
        else:
            plan["branch"] = fitting[-1]
            plan["reasons"].append("branch %s: %s" % (plan["branch"], (
                "the last branch for %s" % _title(limit[1]["generation"])) if limit else
                "the newest branch %s offers with %s modules" % (repo, fl)))
    else:
        want = b.split(".", 1)[0]
        if limit and int(want) > limit[0]:
            plan["error"] = ("nvidia_driver_branch is %s, but %s are supported only up to branch %d. Set"
                             " nvidia_driver_branch to %d or auto. Nothing was changed."
                             % (b, _gpu_names([limit[1]]), limit[0], limit[0]))
            return plan
        if want not in have:
            other = plan["branches_offered"]["open" if fl == "proprietary" else "proprietary"]
            hint = (" (it has %s kernel modules for %s)" % ("open" if fl == "proprietary" else "proprietary", want)
                    if want in other else "")
            plan["error"] = ("nvidia_driver_branch is %s, but %s has no %s kernel modules for branch %s%s; it offers"
                             " %s for %s. Nothing was changed." % (b, repo, fl, want, hint, offered_txt, module_pkg))
            return plan
        if "." in b:
            versions = [upstream_version(v) for v in offered.get(module_pkg) or []]
            if b not in versions:
                plan["error"] = ("nvidia_driver_branch is %s, but %s has no %s %s; it offers %s. Nothing was"
                                 " changed." % (b, repo, module_pkg, b, ", ".join(sorted(set(
                                     v for v in versions if v.startswith(want + ".")), key=_version_key)) or "none"))
                return plan
            plan["version"] = b
        plan["branch"] = want
        plan["reasons"].append("branch %s: nvidia_driver_branch" % b)

    # The release to install: the newest of the branch, or the version asked for.
    if plan["version"]:
        mine = [v for v in offered.get(module_pkg) or [] if upstream_version(v) == plan["version"]]
    else:
        mine = [v for v in offered.get(module_pkg) or [] if branch_of(v) == plan["branch"]]
    plan["debian_version"] = sorted(mine, key=_version_key)[-1]

    # The lock: NVIDIA's pinning package, installed before the driver.
    plan["pin_package"] = ns.PINNING_PREFIX + (plan["version"] or plan["branch"])
    if plan["pin_package"] not in pinning:
        plan["error"] = ("%s has no %s (apt-cache pkgnames %s finds %s): NVIDIA locks a branch or version with"
                         " this package, and the role does not install a driver it cannot lock. Nothing was"
                         " changed." % (repo, plan["pin_package"], ns.PINNING_PREFIX,
                                        ", ".join(sorted(pinning)) or "none"))
        return plan
    packages = list(ns.PACKAGE_SETS[package_set][fl])
    if persistenced and ns.PERSISTENCED_PACKAGE not in packages:
        packages.append(ns.PERSISTENCED_PACKAGE)
    plan["packages"] = packages
    other_module = ns.MODULE_PACKAGES["open" if fl == "proprietary" else "proprietary"]

    # What differs on the guest.
    changes = plan["changes"]
    installed = installed or {}
    if _installed_version(installed, plan["pin_package"]) is None:
        changes.append("install %s" % plan["pin_package"])
    plan["pin_remove"] = sorted(n for n in installed if isinstance(n, str) and n.startswith(ns.PINNING_PREFIX)
                                and n != plan["pin_package"])
    if plan["pin_remove"]:
        changes.append("remove %s" % ", ".join(plan["pin_remove"]))
    if _installed_version(installed, other_module) is not None:
        plan["remove"] = [other_module]
        changes.append("switch the kernel modules from %s to %s" % (other_module, module_pkg))
    for name in packages:
        v = _installed_version(installed, name)
        if v is None:
            changes.append("install %s" % name)
        else:
            got = upstream_version(v) if plan["version"] else branch_of(v)
            want = plan["version"] or plan["branch"]
            if got and got != want:
                changes.append("%s %s is installed, %s wanted" % (name, v, want))
    return plan


def installed_driver_branch(installed):
    """The branch of the installed kernel-module package ('' when none is installed)."""
    for name in (ns.MODULE_PACKAGES["open"], ns.MODULE_PACKAGES["proprietary"]):
        v = _installed_version(installed or {}, name)
        if v:
            return branch_of(v)
    return ""


def toolkit_versions(names):
    """Sorted 'MAJOR.MINOR' toolkit versions from package names such as cuda-toolkit-13-5."""
    out = set()
    for n in names or []:
        m = TOOLKIT_PACKAGE_RE.match(n) if isinstance(n, str) else None
        if m:
            out.add((int(m.group(1)), int(m.group(2))))
    return ["%d.%d" % v for v in sorted(out)]


# The files the cuda_toolkit role writes, and the prefix of the names it asks apt for.
TOOLKIT_FILES = {"profile": "/etc/profile.d/cuda.sh", "ldconfig": "/etc/ld.so.conf.d/cuda.conf"}
TOOLKIT_NAMES_PREFIX = "cuda-toolkit-"


def toolkit_state_request(installed=None, version="auto", verify=True):
    """What a state call (guest_facts) must read for the cuda_toolkit role: its files, the
    directories of the toolkits installed (``installed``: ansible_facts.packages, when known) and
    of ``version`` when it names one, their ``nvcc --version`` (``verify``), and the toolkits apt
    offers. The one producer of this list: the role asks for it itself, and a play that lets
    another role's state call ask for it (site.yml: nvidia_driver_state_extra) declares it with
    the same filter."""
    known = set()
    for name in (installed or {}):
        m = TOOLKIT_PACKAGE_RE.match(str(name))
        if m:
            known.add((int(m.group(1)), int(m.group(2))))
    m = TOOLKIT_VERSION_RE.match("" if version is None else str(version))
    if m:
        known.add((int(m.group(1)), int(m.group(2))))
    homes = ["/usr/local/cuda-%d.%d" % v for v in sorted(known)]
    return {
        "paths": [TOOLKIT_FILES["profile"], TOOLKIT_FILES["ldconfig"]] + homes,
        "commands": [[h + "/bin/nvcc", "--version"] for h in homes] if verify else [],
        "apt_names": [TOOLKIT_NAMES_PREFIX],
        "files": dict(TOOLKIT_FILES),
    }


def plan_toolkit(gpus, version="auto", available=None, driver_branch="", release_description="this guest"):
    """The CUDA toolkit for a guest: the newest that the repository offers and every GPU can be
    compiled for (CUDA 13 dropped Maxwell, Pascal and Volta) and the driver branch runs; or the
    version asked for, if that holds. available: package names (apt-cache pkgnames cuda-toolkit-).
    Returns error, version, package, reasons, available (the versions found), archs (sm_XX of
    the GPUs, for the compile check)."""
    avail = toolkit_versions(available)
    plan = {"error": "", "version": "", "package": "", "home": "", "reasons": [], "available": avail,
            "archs": gpu_archs(gpus)}
    gpus = describe_gpus(gpus)
    caps = [(ns.GENERATION[g["generation"]]["cuda_major_max"], g) for g in gpus
            if g["generation"] in ns.GENERATION and ns.GENERATION[g["generation"]]["cuda_major_max"]]
    cap = min(caps, key=lambda t: t[0]) if caps else None
    branch = int(driver_branch) if isinstance(driver_branch, str) and BRANCH_RE.match(driver_branch) else None
    v = "" if version in (None, "", "auto") else str(version)
    if v and not TOOLKIT_VERSION_RE.match(v):
        plan["error"] = ("cuda_toolkit_version is %r; it must be auto or MAJOR.MINOR such as \"13.5\" (quoted: YAML"
                         " reads 12.10 as the number 12.1)." % (version,))
        return plan

    def fits(ver):
        major = int(ver.split(".")[0])
        if cap and major > cap[0]:
            return "CUDA %d no longer compiles for %s (CUDA %d.x is the last that does)" % (
                major, _gpu_names([cap[1]]), cap[0])
        need = ns.CUDA_MIN_BRANCH.get(major)
        if branch and need and branch < need:
            return "CUDA %d.x needs driver branch %d or newer; the driver is branch %d" % (major, need, branch)
        return ""

    if not v:
        good = [a for a in avail if not fits(a)]
        if not good:
            plan["error"] = ("NVIDIA's repository on %s offers no CUDA toolkit this guest can use (it offers %s%s)."
                             " Nothing was changed." % (release_description, ", ".join(avail) or "none",
                                                        ("; " + fits(avail[-1])) if avail else ""))
            return plan
        plan["version"] = good[-1]
        plan["reasons"].append("CUDA %s: the newest toolkit offered%s" % (
            good[-1], (" that compiles for %s" % _title(cap[1]["generation"])) if cap and good[-1] != avail[-1]
            else ""))
    else:
        if v not in avail:
            plan["error"] = ("cuda_toolkit_version is %s, but NVIDIA's repository on %s has no cuda-toolkit-%s; it"
                             " offers %s. Nothing was changed." % (v, release_description, v.replace(".", "-"),
                                                                   ", ".join(avail) or "none"))
            return plan
        why = fits(v)
        if why:
            plan["error"] = "cuda_toolkit_version is %s, but %s. Nothing was changed." % (v, why)
            return plan
        plan["version"] = v
        plan["reasons"].append("CUDA %s: cuda_toolkit_version" % v)
    plan["package"] = "cuda-toolkit-" + plan["version"].replace(".", "-")
    # Where NVIDIA's cuda-toolkit-X-Y packages install.
    plan["home"] = "/usr/local/cuda-" + plan["version"]
    return plan


def support_matrix():
    """Rows (generation title, {release description: what the roles install with their defaults})
    from the facts of nvidia_support.py, through the same decisions the roles make."""
    rows = []
    example = dict((g, "%04x" % low) for low, _high, g in reversed(ns.PCI_DEVICE_RANGES))
    for gen in ns.GENERATIONS:
        cells = {}
        for codename, rel in sorted(ns.RELEASES.items(), key=lambda kv: kv[1]["major"]):
            offered = {
                ns.MODULE_PACKAGES["open"]: ["%s.10.01-1" % b for b in rel["branches"]],
                ns.MODULE_PACKAGES["proprietary"]: ["%s.10.01-1" % b for b in rel["branches"]
                                                    if int(b) <= int(ns.PROPRIETARY_LAST_BRANCH)],
            }
            pinning = [ns.PINNING_PREFIX + b for b in rel["branches"]]
            gpus = [{"address": "0000:01:00.0", "device": example[gen["name"]]}]
            d = plan_driver(codename, gpus, offered=offered, pinning=pinning)
            if d["error"]:
                cells[rel["description"]] = "no driver: %s" % _matrix_reason(gen, rel)
                continue
            t = plan_toolkit(gpus, available=["cuda-toolkit-" + c.replace(".", "-") for c in rel["cuda"]],
                             driver_branch=d["branch"])
            cells[rel["description"]] = "%s modules, branch %s, CUDA %s" % (
                d["flavour"], d["branch"], t["version"] or "none")
        rows.append((gen["title"], cells))
    return rows


def _matrix_reason(gen, rel):
    if gen["last_branch"] and int(gen["last_branch"]) < 525:
        return "last branch %s is not in NVIDIA's repositories" % gen["last_branch"]
    return "last branch %s, which NVIDIA's %s repository does not have" % (gen["last_branch"], rel["repo_dir"])

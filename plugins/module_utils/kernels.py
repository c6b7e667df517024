# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest's kernels, their headers and the DKMS-built NVIDIA module: pure functions.

NVIDIA's kernel module is built by DKMS, per kernel, from the module package's source, against
that kernel's headers (/lib/modules/<release>/build). A kernel without headers gets no module,
and the guest that boots it has no GPU. What matters is the kernel the guest boots next: the
default entry of GRUB's generated /boot/grub/grub.cfg (what ``update-grub`` wrote from
GRUB_DEFAULT), or, without a grub.cfg (a container), the newest kernel in /boot, which is what
Debian's /etc/grub.d/10_linux puts first.

guest_facts reads the guest (kernels option) with ``read_kernels``; everything else here is
called on the controller through the nvidia_driver_kernels filter, with data from the guest
treated as untrusted (only compared, never interpolated into commands).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shlex

from ansible_collections.passthrough.nvidia.plugins.module_utils.driver_plan import upstream_version

# A Debian kernel release: "6.1.0-50-amd64", "6.12.117+deb13-cloud-amd64". Letters, digits and
# . + - _ ~ only: anything else from a guest is ignored.
RELEASE = re.compile(r"^[0-9][A-Za-z0-9.+_~-]{0,127}$")
# Debian's kernel image packages: linux-image-<release> (signed), -<release>-unsigned, -dbg;
# the metapackages linux-image-<flavour> (amd64, cloud-amd64, rt-amd64) follow the newest ABI.
IMAGE_PACKAGE = re.compile(r"^linux-image-(?P<rest>[A-Za-z0-9.+_~-]+)$")
BOOT = "/boot"
MODULES = "/lib/modules"
GRUB_CFG = "/boot/grub/grub.cfg"
GRUBENV = "/boot/grub/grubenv"
DKMS_TREE = "/var/lib/dkms"
LOG_LIMIT = 1 << 16


def is_release(text):
    return isinstance(text, str) and bool(RELEASE.match(text))


def natural_key(release):
    """Sort key that orders kernel releases as GRUB's 10_linux (version_sort) does: numbers as
    numbers, the rest as text ("6.1.0-9" < "6.1.0-10")."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", release)]


def newest(releases):
    found = sorted((r for r in releases if is_release(r)), key=natural_key)
    return found[-1] if found else None


def kernel_packages(installed):
    """(releases, metapackages) of the kernel image packages in ``installed`` (ansible_facts.packages
    or a list of names): releases are kernel release strings, metapackages the flavours of
    linux-image-<flavour> ("amd64", "cloud-amd64")."""
    releases, metas = set(), set()
    for name in (installed or {}):
        m = IMAGE_PACKAGE.match(str(name))
        if not m:
            continue
        rest = m.group("rest")
        if rest.endswith("-dbg") or rest.endswith("-signed-template"):
            continue
        if rest[:1].isdigit():
            if rest.endswith("-unsigned"):
                rest = rest[:-len("-unsigned")]
            if is_release(rest):
                releases.add(rest)
        else:
            metas.add(rest)
    return sorted(releases, key=natural_key), sorted(metas)


def header_packages(installed, running=None, next_boot=None, in_container=False):
    """The Debian header packages a guest needs so that DKMS builds NVIDIA's module for every
    kernel it may run, in the order apt is asked for them:
    linux-headers-<flavour> for each installed linux-image-<flavour> metapackage (a kernel
    upgrade then brings its headers along and DKMS builds for it), linux-headers-<release> for
    the kernel the guest boots next and for the running kernel (not in a container: its kernel
    is the host's)."""
    releases, metas = kernel_packages(installed)
    wanted = ["linux-headers-%s" % m for m in metas]
    for release in ([next_boot] + ([] if in_container else [running])):
        if is_release(release):
            wanted.append("linux-headers-%s" % release)
    seen, out = set(), []
    for name in wanted:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


# --- grub.cfg: which kernel the default entry boots ----------------------------------------

_ENTRY = re.compile(r"^\s*(menuentry|submenu)\s+(.*?)\s*\{\s*$")
_LINUX = re.compile(r"^\s*linux(?:efi|16)?\s+(\S+)(.*)$")


def _words(text):
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def parse_grub_entries(text):
    """The menu of a grub.cfg as a tree: [{"title", "id", "linux", "args", "children"}]. Only
    what update-grub writes is understood: menuentry/submenu blocks with a quoted title, an
    optional ``$menuentry_id_option 'id'``, and a ``linux /boot/vmlinuz-<release> args`` line."""
    root = {"children": []}
    stack = [root]
    for line in (text or "").splitlines():
        m = _ENTRY.match(line)
        if m:
            words = _words(m.group(2))
            entry = {"kind": m.group(1), "title": words[0] if words else "", "id": None, "linux": None,
                     "args": "", "children": []}
            for i, w in enumerate(words):
                if w == "$menuentry_id_option" and i + 1 < len(words):
                    entry["id"] = words[i + 1]
            stack[-1]["children"].append(entry)
            stack.append(entry)
            continue
        if len(stack) > 1:
            stripped = line.strip()
            lm = _LINUX.match(line)
            if lm and stack[-1]["kind"] == "menuentry" and stack[-1]["linux"] is None:
                stack[-1]["linux"] = lm.group(1)
                stack[-1]["args"] = lm.group(2).strip()
            elif stripped == "}":
                stack.pop()
    return root["children"]


def _grub_default(text):
    """The literal value of ``set default=...`` (the last literal one), or None."""
    value = None
    for line in (text or "").splitlines():
        m = re.match(r"^\s*set\s+default=(.*)$", line)
        if m:
            words = _words(m.group(1))
            if words:
                value = words[0]
    return value


def _grubenv(text):
    out = {}
    for line in (text or "").splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _select(entries, ref):
    """The entry a GRUB default names: a number, a title, an id, or a path "1>2" into submenus."""
    if ref is None:
        return None
    cur = entries
    picked = None
    for part in str(ref).split(">"):
        part = part.strip()
        picked = None
        if part.isdigit():
            if int(part) < len(cur):
                picked = cur[int(part)]
        else:
            for e in cur:
                if part in (e["title"], e["id"]):
                    picked = e
                    break
        if picked is None:
            return None
        cur = picked["children"]
    while picked is not None and picked["kind"] == "submenu":  # a submenu itself boots its first entry
        picked = picked["children"][0] if picked["children"] else None
    return picked


def release_of_linux_path(path):
    m = re.search(r"vmlinuz-([^/\s]+)$", path or "")
    return m.group(1) if m and is_release(m.group(1)) else None


def grub_next_boot(grub_cfg, grubenv=""):
    """(release, args, how) of the entry GRUB boots by default, from the text of grub.cfg and
    grubenv: a one-time next_entry (grub-reboot) first, then ``set default`` (with
    ``${saved_entry}`` from grubenv for GRUB_DEFAULT=saved). (None, None, why) when it cannot
    be told."""
    if not grub_cfg:
        return None, None, "no grub.cfg"
    env = _grubenv(grubenv)
    entries = parse_grub_entries(grub_cfg)
    if not entries:
        return None, None, "grub.cfg has no menu entry"
    if env.get("next_entry"):
        ref, how = env["next_entry"], "grubenv next_entry %s" % env["next_entry"]
    else:
        ref = _grub_default(grub_cfg)
        if ref is None or ref == "${next_entry}":
            ref = "0"
        if ref == "${saved_entry}":
            ref = env.get("saved_entry") or "0"
            how = "saved_entry %s" % ref
        else:
            how = "default entry %s" % ref
    entry = _select(entries, ref)
    if entry is None:
        # GRUB boots the first entry when its default names none (an id of a submenu's entry
        # needs its "submenu>" path).
        entry, how = _select(entries, "0"), "%s, which grub.cfg does not have: GRUB boots entry 0" % how
        if entry is None:
            return None, None, how
    release = release_of_linux_path(entry["linux"])
    if release is None:
        return None, None, "the %s does not boot a Debian kernel" % how
    return release, entry["args"], how


# --- dkms ------------------------------------------------------------------------------------

def read_dkms_tree(tree=DKMS_TREE):
    """What ``dkms status`` says, read from DKMS's tree as dkms itself decides it (no dkms process:
    it is a shell script that takes a moment): [{"module", "version", "kernel", "arch", "state"}].
    A module version is "installed" for a kernel when <tree>/<module>/kernel-<kernel>-<arch> links to
    <tree>/<module>/<version>/<kernel>/<arch> (dkms's _is_module_installed, in 3.0 and 3.2), "built"
    when that directory is there without the link, "added" when only <version>/source is."""
    out = []
    try:
        modules = sorted(os.listdir(tree))
    except (IOError, OSError):
        return out
    for module in modules:
        mdir = os.path.join(tree, module)
        if not os.path.isdir(mdir) or os.path.islink(mdir):
            continue
        active = set()
        for name in sorted(os.listdir(mdir)):
            link = os.path.join(mdir, name)
            if name.startswith("kernel-") and os.path.islink(link):
                target = os.path.realpath(link)
                rel = os.path.relpath(target, os.path.realpath(mdir)).split(os.sep)
                if len(rel) == 3 and os.path.isdir(target) and is_release(rel[1]):
                    active.add(tuple(rel))
        for version in sorted(os.listdir(mdir)):
            vdir = os.path.join(mdir, version)
            if version.startswith("kernel-") or version == "original_module" or not os.path.isdir(vdir) \
                    or os.path.islink(vdir):
                continue
            kernels = [k for k in sorted(os.listdir(vdir), key=natural_key) if is_release(k)
                       and os.path.isdir(os.path.join(vdir, k))]
            if not kernels:
                out.append({"module": module, "version": version, "kernel": None, "arch": None, "state": "added"})
            for kernel in kernels:
                for arch in sorted(os.listdir(os.path.join(vdir, kernel))):
                    state = "installed" if (version, kernel, arch) in active else "built"
                    out.append({"module": module, "version": version, "kernel": kernel, "arch": arch, "state": state})
    return out


def module_kernels(dkms, version, module=None):
    """The kernels for which DKMS has ``module`` (any module when None) at ``version`` installed."""
    return sorted(set(e["kernel"] for e in dkms or [] if isinstance(e, dict) and e.get("state") == "installed"
                      and e.get("version") == version and e.get("kernel") and (module is None or e.get("module") == module)),
                  key=natural_key)


_ERROR = re.compile(r"(error|Error|ERROR|\*\*\*|undefined|No such file|not found|cannot|Cannot)")


def build_errors(log, limit=12):
    """The lines of a DKMS build log (make.log) that say what failed: compiler and make errors,
    first ones first (the later ones are usually consequences), at most ``limit``."""
    lines = []
    for line in (log or "").splitlines():
        s = line.rstrip()
        if s and _ERROR.search(s) and s not in lines:
            lines.append(s)
    if len(lines) > limit:
        lines = lines[:limit - 1] + [lines[-1]]
    return lines


def make_log_paths(text):
    """The DKMS build logs apt's or dkms's output points to ("Consult /var/lib/dkms/.../make.log")."""
    return sorted(set(re.findall(r"(/var/lib/dkms/[A-Za-z0-9._+/-]+/make\.log)", text or "")))


# --- reading the guest (guest_facts, on the guest) -------------------------------------------

def _read(path, limit=LOG_LIMIT):
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def read_kernels(boot=BOOT, modules=MODULES, grub_cfg=GRUB_CFG, grubenv=GRUBENV, dkms_tree=DKMS_TREE):
    """What the guest has: the running kernel, the kernels in /boot (vmlinuz-<release>), which of
    them have headers (a ``build`` directory DKMS can build against), the next boot kernel and
    how it was found, the grub.cfg arguments of that entry, free space in /boot and the size of
    each initramfs, and the logs of DKMS builds that did not finish (a successful build cleans
    its build directory: <tree>/<module>/<version>/build/make.log is there only after a failure)."""
    running = os.uname()[2]
    try:
        names = os.listdir(boot)
    except (IOError, OSError):
        names = []
    installed = sorted((n[len("vmlinuz-"):] for n in names if n.startswith("vmlinuz-") and is_release(n[len("vmlinuz-"):])),
                       key=natural_key)
    initrd = {}
    for release in installed:
        try:
            st = os.stat(os.path.join(boot, "initrd.img-%s" % release))
            initrd[release] = {"size": st.st_size, "mtime": int(st.st_mtime)}
        except (IOError, OSError):
            initrd[release] = None
    headers = dict((r, os.path.isdir(os.path.join(modules, r, "build"))) for r in installed)
    cfg = _read(grub_cfg, 1 << 20)
    next_boot, args, how = grub_next_boot(cfg, _read(grubenv, 4096) or "")
    if next_boot is not None and next_boot not in installed:
        how = "%s names %s, which is not in /boot" % (how, next_boot)
        next_boot, args = None, None
    if next_boot is None and installed:
        next_boot, args, how = newest(installed), None, "newest kernel in /boot (%s)" % how
    try:
        st = os.statvfs(boot)
        boot_free = st.f_bavail * st.f_frsize
    except (IOError, OSError):
        boot_free = None
    logs = {}
    try:
        module_dirs = sorted(os.listdir(dkms_tree))
    except (IOError, OSError):
        module_dirs = []
    for module in module_dirs:
        try:
            versions = sorted(os.listdir(os.path.join(dkms_tree, module)))
        except (IOError, OSError):
            continue
        for version in versions:
            path = os.path.join(dkms_tree, module, version, "build", "make.log")
            text = _read(path)
            if text is not None:
                logs[path] = text
    return {"running": running, "installed": installed, "headers": headers, "next_boot": next_boot,
            "next_boot_how": how, "next_boot_args": args, "grub_cfg": cfg is not None, "boot_free": boot_free,
            "initrd": initrd, "dkms_logs": logs}


# --- the decision (on the controller) --------------------------------------------------------

def assess(kernels, installed=None, apt_policy=None, in_container=False, prerequisites=True, module_packages=()):
    """What the guest's kernels need for NVIDIA's DKMS module, from guest_facts' ``kernels`` and
    ``apt_policy`` and ansible_facts.packages (``installed``):

    - headers_wanted: the header packages (kernels.header_packages), headers_missing: those not
      installed that apt can install (the role's prerequisites), headers_unavailable: those apt
      has no candidate for;
    - error: why the role must stop before changing anything: the kernel the guest boots next has
      no headers and apt has none for it, so DKMS could not build the module for it;
    - module_version (the installed module package's upstream version, None without one),
      module_kernels (kernels DKMS has that version installed for), next_boot_has_module
      (None when there is no driver or no kernel to boot: a container without kernels),
      running_has_module;
    - running, next_boot, next_boot_how: as guest_facts found them (only release strings kept).
    With ``prerequisites`` false the role installs no headers: nothing is missing and no error,
    but next_boot_has_module still tells."""
    kernels = kernels if isinstance(kernels, dict) else {}
    installed = installed if isinstance(installed, dict) else {}
    policy = apt_policy if isinstance(apt_policy, dict) else {}
    running = kernels.get("running") if is_release(kernels.get("running")) else None
    next_boot = kernels.get("next_boot") if is_release(kernels.get("next_boot")) else None
    has_build = kernels.get("headers") if isinstance(kernels.get("headers"), dict) else {}

    wanted = header_packages(installed, running, next_boot, in_container) if prerequisites else []
    not_installed = [n for n in wanted if n not in installed]

    def candidate(name):
        entry = policy.get(name)
        return isinstance(entry, dict) and bool(entry.get("candidate"))

    missing = [n for n in not_installed if candidate(n)]
    unavailable = [n for n in not_installed if not candidate(n)]
    next_headers = "linux-headers-%s" % next_boot if next_boot else None
    error = ""
    if next_boot and next_headers in unavailable and not has_build.get(next_boot):
        error = ("This guest boots kernel %s next (%s), and apt has no %s: without that kernel's headers DKMS "
                 "cannot build NVIDIA's kernel module for it, and the guest would boot without its GPU. Make the "
                 "headers installable (the kernel is older than what the Debian mirror carries: `apt install "
                 "linux-image-amd64 linux-headers-amd64` brings the current kernel and its headers, then reboot into "
                 "it), or make GRUB boot a kernel whose headers apt has. Nothing was changed."
                 % (next_boot, kernels.get("next_boot_how") or "GRUB's default entry", next_headers))

    version = None
    for name in module_packages or ():
        entries = installed.get(name)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            version = upstream_version(entries[0].get("version")) or None
            break
    built = module_kernels(kernels.get("dkms"), version) if version else []
    return {
        "running": running,
        "next_boot": next_boot,
        "next_boot_how": str(kernels.get("next_boot_how") or ""),
        "headers_wanted": wanted,
        "headers_missing": missing,
        "headers_unavailable": unavailable,
        "error": error,
        "module_version": version,
        "module_kernels": built,
        "next_boot_has_module": None if (version is None or next_boot is None) else next_boot in built,
        "running_has_module": None if (version is None or running is None or in_container) else running in built,
    }


def missing_module_message(assessment, kernels, host="the guest"):
    """Why the kernel the guest boots next has no NVIDIA module, with the DKMS build log's error
    lines when a build failed (not apt's "dpkg returned an error code"), and what to do."""
    a = assessment if isinstance(assessment, dict) else {}
    kernels = kernels if isinstance(kernels, dict) else {}
    nb, version = a.get("next_boot"), a.get("module_version")
    built = ", ".join(a.get("module_kernels") or []) or "no kernel"
    has_build = (kernels.get("headers") or {}).get(nb) if isinstance(kernels.get("headers"), dict) else False
    msg = ("The kernel %s boots next, %s (%s), has no NVIDIA kernel module %s: DKMS built it for %s. "
           % (host, nb, a.get("next_boot_how") or "GRUB's default entry", version, built))
    logs = kernels.get("dkms_logs") if isinstance(kernels.get("dkms_logs"), dict) else {}
    failed = sorted(p for p in logs if "/%s/build/make.log" % version in p)
    if not has_build:
        msg += ("Its headers are not installed (linux-headers-%s), so DKMS had nothing to build against. Install them "
                "(nvidia_driver_install_prerequisites: true does) and run `dkms autoinstall -k %s`. " % (nb, nb))
    elif failed:
        errors = build_errors(logs[failed[0]])
        msg += ("DKMS could not build it: %s (full log: %s). " % (" | ".join(errors) or "see the log", failed[0]))
    else:
        msg += "Run `dkms autoinstall -k %s` on the guest and read its output. " % nb
    return msg + "The guest was not rebooted into it."

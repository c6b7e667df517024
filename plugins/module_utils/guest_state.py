# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of guest_facts: what the roles need to know about a guest, learned in one
round trip, so that a converged run skips the work whose result is already known."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

# OpenPGP parsing lives in openpgp.py; these names stay importable from here.
from ansible_collections.passthrough.nvidia.plugins.module_utils.openpgp import (  # noqa: F401 pylint: disable=unused-import
    dearmor,
    is_armored,
    openpgp_fingerprints,
)

# dpkg-query -W -f with this format: one line per package known to dpkg.
DPKG_FORMAT = "${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n"

# apt's own notion of "when the lists were last updated" (ansible.builtin.apt's cache_valid_time).
APT_UPDATE_SUCCESS_STAMP = "/var/lib/apt/periodic/update-success-stamp"
APT_LISTS = "/var/lib/apt/lists"


def parse_dpkg_query(text):
    """(packages, holds, unfinished) from ``dpkg-query -W -f DPKG_FORMAT`` output.

    ``packages`` has ansible.builtin.package_facts' form (name -> list of dicts with
    name, version, arch, source) and holds the installed packages only; ``holds`` the
    packages whose selection is hold; ``unfinished`` the packages dpkg left in a state
    other than installed or removed (unpacked, half-configured, ...)."""
    packages, holds, unfinished = {}, [], []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 4 or not fields[0]:
            continue
        name, version, arch, abbrev = fields[0], fields[1], fields[2], fields[3]
        want = abbrev[:1]
        status = abbrev[1:2]
        if want == "h":
            holds.append(name)
        if status == "i":
            packages.setdefault(name, []).append({"name": name, "version": version, "arch": arch, "source": "apt"})
        elif status not in ("n", "c", ""):
            unfinished.append(name)
    return packages, sorted(set(holds)), sorted(set(unfinished))


def compile_pattern(pattern):
    """The sources pattern as a compiled regular expression; ValueError names the problem."""
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError("sources_pattern %r is not a valid regular expression: %s" % (pattern, e))


def matching_lines(text, regex):
    """Non-comment lines of a sources file that match ``regex``."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if regex.search(line):
            out.append(line)
    return out


# NVIDIA's PCI vendor id; display controllers are PCI class 0x03 (VGA 0x0300, 3D 0x0302).
NVIDIA_VENDOR = "0x10de"
PCI_DEVICES = "/sys/bus/pci/devices"


def _read_id(path):
    try:
        with open(path) as f:
            return f.read(64).strip().lower()
    except (IOError, OSError):
        return ""


def read_pci_gpus(root=PCI_DEVICES):
    """The NVIDIA display controllers under a sysfs ``bus/pci/devices`` directory, sorted by
    address: address, vendor, device, class, subsystem_vendor, subsystem_device, driver (the
    bound driver's name, or None). A missing directory is no GPU."""
    out = []
    try:
        names = sorted(os.listdir(root))
    except (IOError, OSError):
        return out
    for name in names:
        d = os.path.join(root, name)
        if _read_id(os.path.join(d, "vendor")) != NVIDIA_VENDOR:
            continue
        cls = _read_id(os.path.join(d, "class"))
        if not cls.startswith("0x03"):
            continue
        drv = os.path.join(d, "driver")
        out.append({"address": name, "vendor": NVIDIA_VENDOR, "device": _read_id(os.path.join(d, "device")),
                    "class": cls, "subsystem_vendor": _read_id(os.path.join(d, "subsystem_vendor")),
                    "subsystem_device": _read_id(os.path.join(d, "subsystem_device")),
                    "driver": os.path.basename(os.readlink(drv)) if os.path.islink(drv) else None})
    return out


def parse_apt_policy(text):
    """``apt-cache policy NAME...`` (LC_ALL=C) as {name: {installed, candidate, versions}}:
    installed and candidate are None for "(none)"; versions lists the version table, newest
    first as apt prints it. A name apt does not know is absent."""
    out, cur, in_table = {}, None, False
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" ") and line.rstrip().endswith(":"):
            cur = {"installed": None, "candidate": None, "versions": []}
            out[line.rstrip()[:-1]] = cur
            in_table = False
            continue
        if cur is None:
            continue
        s = line.strip()
        if s.startswith("Installed:"):
            v = s.split(":", 1)[1].strip()
            cur["installed"] = None if v == "(none)" else v
        elif s.startswith("Candidate:"):
            v = s.split(":", 1)[1].strip()
            cur["candidate"] = None if v == "(none)" else v
        elif s.startswith("Version table:"):
            in_table = True
        elif in_table:
            # "     580.105.08-1 600" or " *** 580.105.08-1 100"; the source lines have 8 blanks.
            indent = len(line) - len(line.lstrip())
            parts = s.split()
            if parts[0] == "***":
                parts = parts[1:]
            if indent <= 5 and len(parts) >= 2 and parts[1].lstrip("-").isdigit():
                if parts[0] not in cur["versions"]:
                    cur["versions"].append(parts[0])
    return out

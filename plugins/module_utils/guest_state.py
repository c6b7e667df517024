# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of guest_facts: what the roles need to know about a guest, learned in one
round trip, so that a converged run skips the work whose result is already known."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

# -*- coding: utf-8 -*-
"""Debian's own apt sources get contrib, in both formats, and nothing else changes."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.passthrough.nvidia.plugins.module_utils import apt_sources as a
from ansible_collections.passthrough.nvidia.plugins.module_utils.guest_state import parse_apt_policy

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt")

# As Debian 12's installer writes /etc/apt/sources.list (a stock install), with a third-party
# repository that also calls its component "main" and NVIDIA's flat repository.
BOOKWORM = """#deb cdrom:[Debian GNU/Linux 12.8.0 _Bookworm_ - Official amd64 NETINST]/ bookworm main non-free-firmware

deb http://deb.debian.org/debian/ bookworm main non-free-firmware
deb-src http://deb.debian.org/debian/ bookworm main non-free-firmware

deb http://security.debian.org/debian-security bookworm-security main non-free-firmware
deb-src http://security.debian.org/debian-security bookworm-security main non-free-firmware

# bookworm-updates, to get updates before a point release is made;
deb http://deb.debian.org/debian/ bookworm-updates main non-free-firmware
deb [signed-by=/usr/share/keyrings/sury.gpg] https://packages.sury.org/php/ bookworm main
deb [signed-by=/etc/apt/keyrings/nvidia-cuda.asc] https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /
"""

TRIXIE = """Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# Security updates
Types: deb
URIs: http://security.debian.org/debian-security
Suites: trixie-security
Components: main
 non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports
Components: main non-free-firmware
Enabled: no
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def test_one_line_debian_entries_get_contrib_and_nothing_else_changes():
    new, changed = a.add_components(BOOKWORM, "bookworm", ["contrib"], False)
    assert len(changed) == 5
    old_lines, new_lines = BOOKWORM.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    diff = [(o, n) for o, n in zip(old_lines, new_lines) if o != n]
    assert all(n == o.replace("main non-free-firmware", "main contrib non-free-firmware") for o, n in diff)
    assert "https://packages.sury.org/php/ bookworm main\n" in new
    assert new.splitlines()[0].startswith("#deb cdrom")  # comments are not entries
    assert a.add_components(new, "bookworm", ["contrib"], False) == (new, [])


def test_deb822_stanzas_get_contrib_continuations_folded_disabled_left_alone():
    new, changed = a.add_components(TRIXIE, "trixie", ["contrib"], True)
    assert changed == ["trixie trixie-updates http://deb.debian.org/debian",
                       "trixie-security http://security.debian.org/debian-security"]
    assert new.count("Components: main contrib non-free-firmware\n") == 2
    assert "Enabled: no" in new and new.count("Components: main non-free-firmware\n") == 1
    assert "# Security updates\n" in new and new.count("Signed-By:") == 3
    assert a.missing(new, "trixie", ["contrib"], True) == []


def test_order_and_several_components():
    new, _changed = a.add_components("deb http://m/debian bookworm main non-free-firmware\n", "bookworm",
                                     ["non-free", "contrib"], False)
    assert new == "deb http://m/debian bookworm main contrib non-free non-free-firmware\n"


def test_another_release_and_unknown_sources_are_not_debian():
    assert not a.is_debian_source(BOOKWORM, "trixie", False)
    assert a.is_debian_source(BOOKWORM, "bookworm", False)
    assert not a.is_debian_source("deb https://packages.sury.org/php/ bookworm main\n", "bookworm", False)
    # A local mirror under another path, with Debian's own component, counts.
    assert a.is_debian_source("deb http://mirror.lan/deb bookworm main non-free-firmware\n", "bookworm", False)


def test_crlf_lines_keep_their_ending():
    new, _c = a.add_components("deb http://deb.debian.org/debian bookworm main\r\n", "bookworm", ["contrib"], False)
    assert new == "deb http://deb.debian.org/debian bookworm main contrib\r\n"


def test_apt_cache_policy_parse_real_output():
    text = open(os.path.join(FIXTURES, "policy-host-bookworm.txt")).read()
    pol = parse_apt_policy(text)
    assert set(pol) == {"apt", "dpkg"}
    for name in pol:
        assert pol[name]["installed"] in pol[name]["versions"]
        assert pol[name]["candidate"] == pol[name]["versions"][0]


def test_apt_cache_policy_parse_none_and_pins():
    text = ("nvidia-driver-cuda:\n  Installed: (none)\n  Candidate: 580.105.08-1\n  Version table:\n"
            "     595.45.04-1 600\n        100 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  Packages\n"
            "     580.105.08-1 1001\n        100 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  Packages\n"
            "virtual-only:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n")
    pol = parse_apt_policy(text)
    assert pol["nvidia-driver-cuda"] == {"installed": None, "candidate": "580.105.08-1",
                                         "versions": ["595.45.04-1", "580.105.08-1"]}
    assert pol["virtual-only"] == {"installed": None, "candidate": None, "versions": []}


NVIDIA = re.compile(r"(developer\.download\.nvidia\.com/compute/cuda/repos|127\.0\.0\.1:8808/compute/cuda/repos/debian12/x86_64/)")

DEBIAN_SOURCES_WITH_NVIDIA = """Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# NVIDIA's, added by hand
Types: deb
URIs: https://developer.download.nvidia.com/compute/cuda/repos/debian13/x86_64/
Suites: /
Signed-By: /usr/share/keyrings/cuda-archive-keyring.gpg

Types: deb
URIs: http://security.debian.org/debian-security
Suites: trixie-security
Components: main non-free-firmware
"""


def test_remove_entries_deb822_takes_the_nvidia_stanza_only():
    new, removed = a.remove_entries(DEBIAN_SOURCES_WITH_NVIDIA, NVIDIA, True)
    assert len(removed) == 1 and "developer.download.nvidia.com" in removed[0]
    # A comment inside the stanza belongs to it and goes with it; one blank line between the two left.
    assert "nvidia" not in new.lower()
    stanzas = DEBIAN_SOURCES_WITH_NVIDIA.split("\n\n")
    assert new == stanzas[0] + "\n\n" + stanzas[2]


def test_remove_entries_one_line_keeps_other_lines_and_comments():
    text = ("deb http://deb.debian.org/debian bookworm main non-free-firmware\n"
            "# deb https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n"
            "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] "
            "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n"
            "deb http://deb.debian.org/debian bookworm-updates main non-free-firmware\n")
    new, removed = a.remove_entries(text, NVIDIA, False)
    assert removed == ["deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] "
                       "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /"]
    assert new == ("deb http://deb.debian.org/debian bookworm main non-free-firmware\n"
                   "# deb https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n"
                   "deb http://deb.debian.org/debian bookworm-updates main non-free-firmware\n")


def test_remove_entries_of_a_file_that_is_only_nvidias_leaves_nothing():
    text = "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n"
    new, removed = a.remove_entries(text, NVIDIA, False)
    assert new.strip() == "" and len(removed) == 1


def test_remove_entries_of_nothing_matching_is_no_change():
    assert a.remove_entries(DEBIAN_SOURCES_WITH_NVIDIA, re.compile("example.org"), True) == (DEBIAN_SOURCES_WITH_NVIDIA, [])

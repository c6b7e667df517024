# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import guest_state as G

# dpkg-query -W -f "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n" on a guest
# with the driver held, a package removed but not purged and one left half-configured.
DPKG = (
    "cuda-drivers\t580.159.04-1\tamd64\thi \n"
    "nvidia-kernel-open-dkms\t580.159.04-1\tamd64\thi \n"
    "python3\t3.11.2-1+b1\tamd64\tii \n"
    "nouveau-firmware-old\t1.0\tall\trc \n"
    "nvidia-persistenced\t580.159.04-1\tamd64\tiF \n"
    "libfoo\t1.0\tamd64\tun \n"
)


def test_dpkg_query_in_package_facts_form():
    packages, holds, unfinished = G.parse_dpkg_query(DPKG)
    assert packages["cuda-drivers"] == [{"name": "cuda-drivers", "version": "580.159.04-1", "arch": "amd64",
                                         "source": "apt"}]
    assert sorted(packages) == ["cuda-drivers", "nvidia-kernel-open-dkms", "python3"]
    assert holds == ["cuda-drivers", "nvidia-kernel-open-dkms"]
    assert unfinished == ["nvidia-persistenced"]


def test_dpkg_query_ignores_blank_and_short_lines():
    assert G.parse_dpkg_query("\nbroken line\n") == ({}, [], [])


# gpg --batch --with-colons --show-keys --with-fingerprint on NVIDIA's 3bf863cc.pub (a
# primary key and a subkey: only the primary key's fingerprint counts).
GPG = """pub:-:4096:1:A4B469963BF863CC:1650549221:::-:::scESC::::::23::0:
fpr:::::::::EB693B3035CD5710E231E123A4B469963BF863CC:
uid:-::::1650549221::A9C6F1DE6B1C6A1C9D7FF0E62B0E43A0E1DBE86C::cudatools <cudatools@nvidia.com>::::::::::0:
sub:-:4096:1:0123456789ABCDEF:1650549221::::::e::::::23:
fpr:::::::::00112233445566778899AABBCCDDEEFF00112233:
"""


def test_gpg_primary_fingerprints_only():
    assert G.parse_gpg_fingerprints(GPG) == ["EB693B3035CD5710E231E123A4B469963BF863CC"]
    assert G.parse_gpg_fingerprints(GPG + GPG) == ["EB693B3035CD5710E231E123A4B469963BF863CC"] * 2


def test_armored():
    assert G.is_armored(b"\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    assert not G.is_armored(b"\x99\x02\r\x04")


def test_sources_pattern_skips_comments_and_names_bad_regex():
    rx = G.compile_pattern(r"developer\.download\.nvidia\.com/compute/cuda/repos")
    text = ("# deb https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n"
            "deb [signed-by=/usr/share/keyrings/cuda.gpg] https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n")
    assert G.matching_lines(text, rx) == [text.splitlines()[1]]
    with pytest.raises(ValueError) as e:
        G.compile_pattern("(unclosed")
    assert "sources_pattern '(unclosed' is not a valid regular expression" in str(e.value)

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import subprocess

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


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "openpgp")
DEBIAN_BOOKWORM = "4D64FEC119C2029067D6E791F8D2585B8783D481"
RFC9580_V6 = "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"
# RFC 9580 Appendix A.1: a v4 Ed25519Legacy public key packet alone, and its fingerprint.
RFC9580_V4_ED25519 = base64.b64decode("xjMEU/NfCxYJKwYBBAHaRw8BAQdAPwmJlL3ZFu1AUxl5NOSofIBzOhKA1i+AEJkuQ+47JAY=")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


@pytest.mark.parametrize("name, want", [
    ("debian-archive-bookworm-stable.gpg", [DEBIAN_BOOKWORM]),
    ("debian-archive-bookworm-stable.asc", [DEBIAN_BOOKWORM]),
    ("rfc9580-v6-certificate.asc", [RFC9580_V6]),
])
def test_fingerprints_of_real_keys(name, want):
    # The Debian key carries a subkey-free Ed25519 primary with its signatures; the RFC's v6
    # certificate a primary key and a subkey: only primary keys count, as gpg lists them.
    assert G.openpgp_fingerprints(fixture(name)) == want


def test_fingerprint_of_the_rfc_v4_sample_key_packet():
    assert G.openpgp_fingerprints(RFC9580_V4_ED25519) == ["C959BDBAFA32A2F89A153B678CFDE12197965A9A"]


def test_two_keys_in_one_keyring_are_both_listed():
    binary = fixture("debian-archive-bookworm-stable.gpg")
    assert G.openpgp_fingerprints(binary + RFC9580_V4_ED25519) == [
        DEBIAN_BOOKWORM, "C959BDBAFA32A2F89A153B678CFDE12197965A9A"]


def test_armor_headers_and_crlf_are_read():
    armored = fixture("debian-archive-bookworm-stable.asc").replace(
        b"-----\n\n", b"-----\nComment: passthrough.nvidia test\nVersion: 1\n\n", 1).replace(b"\n", b"\r\n")
    assert G.openpgp_fingerprints(armored) == [DEBIAN_BOOKWORM]


@pytest.mark.parametrize("data, message", [
    (b"not a key\n", "not the start of an OpenPGP packet"),
    (b"", "no public key packet"),
    (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjME\n", "no complete ASCII-armored public key block"),
    (b"\xc6\x33\x04", "cut short"),
    # An old-format public key packet of version 3 (RFC 4880 5.5.2), which this does not read.
    (b"\x99\x00\x01\x03", "public key version 3 is not supported"),
])
def test_what_is_not_a_key_is_refused(data, message):
    with pytest.raises(ValueError) as e:
        G.openpgp_fingerprints(data)
    assert message in str(e.value)


def test_a_damaged_armored_key_fails_its_checksum():
    armored = fixture("debian-archive-bookworm-stable.asc")
    lines = armored.split(b"\n")
    body = [i for i, line in enumerate(lines) if line and not line.startswith((b"-", b"="))][1]
    # Swap two base64 characters: still valid base64, different bytes.
    line = bytearray(lines[body])
    line[3], line[4] = line[4], line[3]
    assert line != lines[body]
    lines[body] = bytes(line)
    with pytest.raises(ValueError) as e:
        G.openpgp_fingerprints(b"\n".join(lines))
    assert "CRC-24" in str(e.value)


@pytest.mark.skipif(not os.path.exists("/usr/bin/gpg"), reason="needs gpg")
def test_same_fingerprints_as_gpg_for_a_new_rsa_key_with_a_subkey(tmp_path):
    # NVIDIA's repository keys are RSA: make one with a subkey and compare with gpg's own listing.
    home = str(tmp_path / "gnupg")
    os.mkdir(home, 0o700)
    env = dict(os.environ, GNUPGHOME=home, LC_ALL="C")
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "test <t@example.invalid>", "rsa2048",
                    "sign", "never"], env=env, check=True, capture_output=True)
    fpr = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys"], env=env, check=True, capture_output=True,
                         text=True).stdout
    primary = [line.split(":")[9] for line in fpr.splitlines() if line.startswith("fpr:")][0]
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-add-key", primary, "rsa2048", "encr", "never"],
                   env=env, check=True, capture_output=True)
    armored = subprocess.run(["gpg", "--batch", "--armor", "--export"], env=env, check=True, capture_output=True).stdout
    binary = subprocess.run(["gpg", "--batch", "--export"], env=env, check=True, capture_output=True).stdout
    assert G.openpgp_fingerprints(armored) == G.openpgp_fingerprints(binary) == [primary]


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

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that decides whether a downloaded key is the pinned one. The hostile key files
are made by tests/repo/build_repo.py's hostile_keys() with the real gpg, as the bad_key scenario
serves them: an attacker's primary key carrying the pinned key as a subkey (gpg --show-keys
lists the subkey's fingerprint, which is all the role checked before), two primary keys in one
block, the key in binary, a v6 key."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import subprocess

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils.openpgp import (
    KeyRejected,
    armor,
    dearmor,
    normalise_fingerprint,
    openpgp_fingerprints,
    verify_pinned,
)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..")
V6 = os.path.join(ROOT, "tests", "unit", "fixtures", "openpgp", "rfc9580-v6-certificate.asc")
V6_FPR = "CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9"
DEBIAN = os.path.join(ROOT, "tests", "unit", "fixtures", "openpgp", "debian-archive-bookworm-stable.asc")
DEBIAN_FPR = "4D64FEC119C2029067D6E791F8D2585B8783D481"


def _build_repo():
    spec = importlib.util.spec_from_file_location("build_repo", os.path.join(ROOT, "tests", "repo", "build_repo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A test 'NVIDIA' key made with gpg, and the hostile files made from it."""
    work = str(tmp_path_factory.mktemp("keys"))
    home = os.path.join(work, "nvidia")
    os.makedirs(home, mode=0o700)
    subprocess.run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key",
                    "passthrough.nvidia TEST NVIDIA <nvidia@localhost>", "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    out = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--fingerprint", "-K"],
                         check=True, capture_output=True, text=True).stdout
    fpr = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]
    dest = os.path.join(work, "served")
    build_repo = _build_repo()
    build_repo.HOMES.add(home)
    others = build_repo.hostile_keys(home, fpr, work, dest)
    genuine = subprocess.run(["gpg", "--homedir", home, "--batch", "--armor", "--export", fpr],
                             check=True, capture_output=True).stdout
    # No gpg-agent outlives the fixture (one removing its sockets races pytest's cleanup).
    build_repo.stop_agents()
    files = dict((n, open(os.path.join(dest, n), "rb").read()) for n in os.listdir(dest))
    return {"fpr": fpr, "genuine": genuine, "files": files, "attacker": others["subkey-attack.pub"]}


def show_keys(data):
    import tempfile
    home = tempfile.mkdtemp()
    try:
        return subprocess.run(["gpg", "--batch", "--no-options", "--homedir", home, "--with-colons",
                               "--show-keys"], input=data, capture_output=True, check=False).stdout.decode()
    finally:
        import shutil
        shutil.rmtree(home)


def test_the_genuine_key_is_accepted_and_installed_as_it_was_checked(keys):
    armored, info = verify_pinned(keys["genuine"], keys["fpr"])
    assert info["fingerprint"] == keys["fpr"]
    assert dearmor(armored) == dearmor(keys["genuine"])
    listing = show_keys(armored)
    assert listing.count("pub:") == 1 and ("fpr:::::::::%s:" % keys["fpr"]) in listing


def test_a_key_carrying_the_pinned_key_as_a_subkey_is_refused(keys):
    data = keys["files"]["subkey-attack.pub"]
    # What the role trusted before: gpg lists the pinned fingerprint among the key's fingerprints.
    listing = show_keys(data)
    assert ("fpr:::::::::%s:" % keys["fpr"]) in listing and listing.count("pub:") == 1
    with pytest.raises(KeyRejected) as e:
        verify_pinned(data, keys["fpr"])
    assert "carries the pinned key %s only as a subkey of another primary key %s" % (keys["fpr"], keys["attacker"]) \
        in str(e.value)


def test_two_primaries_are_refused_even_when_one_is_the_pinned_one(keys):
    data = keys["files"]["two-primaries.pub"]
    assert sorted(openpgp_fingerprints(data)) == sorted([keys["fpr"], keys["attacker"]])
    with pytest.raises(KeyRejected) as e:
        verify_pinned(data, keys["fpr"])
    assert str(e.value).startswith("holds 2 primary keys (") and keys["fpr"] in str(e.value)


def test_a_binary_key_is_refused_even_when_it_is_the_pinned_one(keys):
    data = keys["files"]["binary.pub"]
    assert openpgp_fingerprints(data) == [keys["fpr"]]
    with pytest.raises(KeyRejected) as e:
        verify_pinned(data, keys["fpr"])
    assert "is not an ASCII-armored OpenPGP public key" in str(e.value)


def test_a_v6_key_is_read_and_checked_by_its_v6_fingerprint(keys):
    data = keys["files"]["v6.pub"]
    with pytest.raises(KeyRejected) as e:
        verify_pinned(data, keys["fpr"])
    assert "is not the pinned key %s (it has %s)" % (keys["fpr"], V6_FPR) in str(e.value)
    armored, info = verify_pinned(open(V6, "rb").read(), V6_FPR.lower())
    assert info["fingerprint"] == V6_FPR and len(info["subkeys"]) == 1


def test_trust_packets_are_dropped_and_foreign_packets_refused():
    data = dearmor(open(DEBIAN, "rb").read())
    trust = bytes([0xC0 | 12, 2, 0, 0])
    armored, _info = verify_pinned(armor(data + trust), DEBIAN_FPR)
    assert dearmor(armored) == data
    literal = bytes([0xC0 | 11, 3]) + b"b\x00x"
    with pytest.raises(KeyRejected) as e:
        verify_pinned(armor(data + literal), DEBIAN_FPR)
    assert "carries a packet of type 11" in str(e.value)
    with pytest.raises(KeyRejected) as e:
        verify_pinned(armor(literal + data), DEBIAN_FPR)
    assert "starts with a packet of type 11" in str(e.value)


@pytest.mark.parametrize("text, want", [
    ("EB69 3B30 35CD 5710 E231  E123 A4B4 6996 3BF8 63CC", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    ("0xeb693b3035cd5710e231e123a4b469963bf863cc", "EB693B3035CD5710E231E123A4B469963BF863CC"),
    (V6_FPR.lower(), V6_FPR),
])
def test_full_fingerprints_are_normalised(text, want):
    assert normalise_fingerprint(text) == want


@pytest.mark.parametrize("text", ["3BF863CC", "A4B469963BF863CC", "EB693B3035CD5710E231E123A4B469963BF863C",
                                  "EB693B3035CD5710E231E123A4B469963BF863CG", "", None])
def test_short_or_broken_fingerprints_are_refused(text):
    with pytest.raises(ValueError) as e:
        normalise_fingerprint(text)
    assert "is not a full OpenPGP fingerprint" in str(e.value)


def test_armor_round_trips_with_its_checksum():
    data = dearmor(open(DEBIAN, "rb").read())
    assert dearmor(armor(data)) == data
    assert openpgp_fingerprints(armor(data)) == [DEBIAN_FPR]

# -*- coding: utf-8 -*-
"""apt_update: what apt-get update said, sorted out. Every output here is the real apt's, run at
test time with a private state (no root state touched) against the test repository and the
copies of it that apt must refuse (tests/repo/build_repo.py variants): tampered, signed by
another key, a rotated key, unreachable, another source broken, the lists lock held."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import apt_update as A
from ansible_collections.passthrough.nvidia.plugins.module_utils.openpgp import openpgp_fingerprints

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(ROOT, "tests", "repo"))
import build_repo  # noqa: E402 pylint: disable=wrong-import-position

pytestmark = pytest.mark.skipif(not shutil.which("apt-get"), reason="needs apt (Debian)")


@pytest.fixture(scope="module")
def repos(tmp_path_factory, built_repo):
    out = built_repo
    variants = {}
    for kind in ("tampered", "wrong-key", "rotated"):
        dest = str(tmp_path_factory.mktemp(kind))
        build_repo.variant(kind, out, dest)
        variants[kind] = dest
    variants["good"] = out
    return variants


def repo_dir(base):
    return os.path.join(base, "compute", "cuda", "repos", "debian12", "x86_64")


class PrivateApt(object):
    """apt-get update with its own configuration, lists and (optionally) lock under ``root``."""

    def __init__(self, root, sources, locking=False):
        self.root = str(root)
        for d in ("etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/apt.conf.d", "state/lists/partial",
                  "cache/archives/partial"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        open(os.path.join(self.root, "status"), "w").close()
        with open(os.path.join(self.root, "etc/apt/sources.list.d/test.sources"), "w") as f:
            f.write("\n".join(sources))
        self.locking = locking

    def update(self):
        r = self.root
        opts = ["-o", "Dir::Etc=%s/etc/apt" % r, "-o", "Dir::Etc::Parts=%s/etc/apt/apt.conf.d" % r,
                "-o", "Dir::State=%s/state" % r, "-o", "Dir::State::status=%s/status" % r,
                "-o", "Dir::Cache=%s/cache" % r, "-o", "APT::Architecture=amd64"]
        if not self.locking:
            opts += ["-o", "Debug::NoLocking=1"]
        p = subprocess.run(["apt-get"] + opts + ["update"], capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"), check=False)
        return p.returncode, p.stdout + "\n" + p.stderr


def stanza(uri, key):
    return "Types: deb\nURIs: %s\nSuites: /\nSigned-By: %s\n" % (uri, key)


def pinned_key(repos):
    return os.path.join(repo_dir(repos["good"]), "3bf863cc.pub")


def run(tmp_path, repos, uri, extra=(), locking=False):
    apt = PrivateApt(tmp_path, [stanza(uri, pinned_key(repos))] + list(extra), locking=locking)
    rc, out = apt.update()
    return rc, out, A.classify(rc, out, uri)


def test_the_good_repository_is_ok(tmp_path, repos):
    rc, out, c = run(tmp_path, repos, "file:%s/" % repo_dir(repos["good"]))
    assert rc == 0 and c["kind"] == "ok", out


def test_tampered_packages_are_a_hash_mismatch_worth_one_more_try(tmp_path, repos):
    uri = "file:%s/" % repo_dir(repos["tampered"])
    rc, out, c = run(tmp_path, repos, uri)
    assert rc == 100 and c["kind"] == "hash_mismatch", out
    assert A.transient(c)
    msg = A.message(c, uri, rc, out)
    assert "exit code 100" in msg and "Hash Sum mismatch" in msg
    assert "failed its checksum verification" in msg


def test_a_release_signed_by_another_key_with_the_pinned_key_still_published(tmp_path, repos):
    """apt says NO_PUBKEY; the key published beside the repository is still the pinned one: the
    repository is signed by somebody else."""
    uri = "file:%s/" % repo_dir(repos["wrong-key"])
    rc, out, c = run(tmp_path, repos, uri)
    assert c["kind"] == "key_unknown" and len(c["key_id"]) == 16, out
    published = openpgp_fingerprints(open(os.path.join(repo_dir(repos["wrong-key"]), "3bf863cc.pub"), "rb").read())
    msg = A.message(c, uri, rc, out, key_url="http://mirror/3bf863cc.pub", published=published, pinned=published[0])
    assert "signed by somebody other than the key's publisher" in msg and "still the pinned one" in msg
    assert "NO_PUBKEY %s" % c["key_id"] in msg


def test_a_rotated_key_is_told_from_a_foreign_signature(tmp_path, repos):
    """The repository signed by a new key that is also the key now published at the key URL: NVIDIA
    rotated its key (as in 2022, when 7fa2af80 gave way to 3bf863cc)."""
    uri = "file:%s/" % repo_dir(repos["rotated"])
    rc, out, c = run(tmp_path, repos, uri)
    assert c["kind"] == "key_unknown", out
    published = openpgp_fingerprints(open(os.path.join(repo_dir(repos["rotated"]), "3bf863cc.pub"), "rb").read())
    assert published[0].endswith(c["key_id"])
    msg = A.message(c, uri, rc, out, key_url="http://mirror/3bf863cc.pub", published=published, pinned="EB69")
    assert "NVIDIA has rotated its signing key" in msg and published[0] in msg


def test_an_unreachable_repository(tmp_path, repos):
    uri = "http://127.0.0.1:1/compute/cuda/repos/debian12/x86_64/"
    rc, out, c = run(tmp_path, repos, uri)
    # apt exits 0 here: a fetch that failed is only a warning to it.
    assert rc == 0 and c["kind"] == "unreachable", out
    assert "Connection refused" in A.message(c, uri, rc, out)


def test_another_broken_source_is_not_ours(tmp_path, repos):
    uri = "file:%s/" % repo_dir(repos["good"])
    broken = stanza("file:%s/" % repo_dir(repos["tampered"]), pinned_key(repos))
    rc, out, c = run(tmp_path, repos, uri, extra=["\n" + broken])
    assert c["kind"] == "other_source", out
    assert c["ours"] == [] and c["urls"] == ["file:%s" % repo_dir(repos["tampered"])]


@pytest.mark.skipif(os.geteuid() != 0, reason="apt takes its lock as root")
def test_the_lists_lock_held_names_the_holder(tmp_path, repos):
    uri = "file:%s/" % repo_dir(repos["good"])
    apt = PrivateApt(tmp_path, [stanza(uri, pinned_key(repos))], locking=True)
    with open(os.path.join(str(tmp_path), "state", "lists", "lock"), "w") as held:
        fcntl.lockf(held, fcntl.LOCK_EX)
        rc, out = apt.update()
    c = A.classify(rc, out, uri)
    assert c["kind"] == "lock", out
    assert c["lock_holder"].startswith("process %d (" % os.getpid())
    assert "locked by process %d" % os.getpid() in A.message(c, uri, rc, out)


@pytest.mark.parametrize("text, lines", [
    ("E: one\n   continued\nW: two\nGet:1 x\n", ["E: one continued", "W: two"]),
    ("Err:1 http://x InRelease\n  Could not connect\n", ["Err:1 http://x InRelease Could not connect"]),
    ("", []),
])
def test_problem_lines(text, lines):
    assert A.problem_lines(text) == lines


def test_credentials_in_a_url_do_not_hide_that_it_is_ours():
    assert A.concerns("W: Failed to fetch https://mirror.example/cuda/InRelease  Could not connect",
                      "https://user:secret@mirror.example/cuda/")
    assert not A.concerns("W: Failed to fetch https://other.example/cuda/InRelease", "https://mirror.example/cuda/")


def test_the_restore_map_of_a_state_call():
    """apt_restore_map: what guest_facts read becomes apt_update's restore, a missing file a removal;
    a path the state call did not read is an error, not a silent deletion."""
    from ansible.errors import AnsibleFilterError
    from ansible_collections.passthrough.nvidia.plugins.filter.nvidia import apt_restore_map
    state = {"contents": {"/etc/apt/keyrings/nvidia-cuda.asc": {"exists": True, "b64": "a2V5"},
                          "/etc/apt/sources.list.d/nvidia-cuda.sources": {"exists": False, "b64": None}},
             "files": {"/etc/apt/keyrings/nvidia-cuda.asc": {"exists": True, "mode": "0640"}}}
    assert apt_restore_map(state, ["/etc/apt/keyrings/nvidia-cuda.asc", "/etc/apt/sources.list.d/nvidia-cuda.sources"]) == {
        "/etc/apt/keyrings/nvidia-cuda.asc": {"b64": "a2V5", "mode": "0640"},
        "/etc/apt/sources.list.d/nvidia-cuda.sources": None}
    with pytest.raises(AnsibleFilterError, match="did not read /etc/apt/preferences.d/x"):
        apt_restore_map(state, ["/etc/apt/preferences.d/x"])


def test_notes_about_a_source_are_no_failure():
    """apt's warning about credentials over plain http (a mirror reached with user:password, as the
    default scenario's third guest is) is a note: apt used the repository."""
    out = ("Get:1 http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64  InRelease [1164 B]\n"
           "W: http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/InRelease: /etc/apt/auth.conf.d/nvidia-cuda.conf: "
           "Credentials for 127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/ match, but the protocol is not encrypted. "
           "Annotate with http:// to use.\n"
           "W: Target Packages (main/binary-amd64/Packages) is configured multiple times in /etc/apt/sources.list:1 and "
           "/etc/apt/sources.list.d/x.list:1\n")
    c = A.classify(0, out, "http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/")
    assert c["kind"] == "ok" and c["ours"] == [] and c["others"] == []

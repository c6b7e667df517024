# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.passthrough.nvidia.plugins.modules import signing_key

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "openpgp")
DEBIAN_FPR = "4D64FEC119C2029067D6E791F8D2585B8783D481"


def test_installs_the_pinned_key_then_is_idempotent(tmp_path, run_module):
    dest = tmp_path / "keyrings" / "debian.asc"
    dest.parent.mkdir()
    args = {"src": os.path.join(FIX, "debian-archive-bookworm-stable.asc"), "fingerprint": DEBIAN_FPR,
            "dest": str(dest), "url": "https://deb.example/key.asc"}
    res, failed = run_module(signing_key, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and res["changed"] and not dest.exists()
    assert res["diff"]["after"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    res, failed = run_module(signing_key, args)
    assert not failed and res["changed"] and res["fingerprint"] == DEBIAN_FPR and not res.get("warnings")
    assert oct(dest.stat().st_mode & 0o777) == "0o644"
    res, failed = run_module(signing_key, args)
    assert not failed and not res["changed"]


def test_a_wrong_key_writes_nothing(tmp_path, run_module):
    dest = tmp_path / "k.asc"
    res, failed = run_module(signing_key, {"src": os.path.join(FIX, "rfc9580-v6-certificate.asc"),
                                           "fingerprint": DEBIAN_FPR, "dest": str(dest),
                                           "url": "http://mirror.example/key.asc"})
    assert failed and res["reason"] == "not_pinned" and not dest.exists()
    assert res["msg"].startswith("The key at http://mirror.example/key.asc is not the pinned key %s" % DEBIAN_FPR)
    assert "Nothing was trusted and no source was written" in res["msg"]


def test_trusted_gpg_d_and_short_fingerprints_are_refused(tmp_path, run_module):
    src = os.path.join(FIX, "debian-archive-bookworm-stable.asc")
    res, failed = run_module(signing_key, {"src": src, "fingerprint": DEBIAN_FPR,
                                           "dest": "/etc/apt/trusted.gpg.d/nvidia.asc"})
    assert failed and res["reason"] == "trusted_gpg_d" and "trusts for every source" in res["msg"]
    res, failed = run_module(signing_key, {"src": src, "fingerprint": "8783D481", "dest": str(tmp_path / "k")})
    assert failed and res["msg"].startswith("fingerprint: '8783D481' is not a full OpenPGP fingerprint")


def test_plain_http_is_warned_about(tmp_path, run_module):
    res, failed = run_module(signing_key, {"src": os.path.join(FIX, "debian-archive-bookworm-stable.asc"),
                                           "fingerprint": DEBIAN_FPR, "dest": str(tmp_path / "k.asc"),
                                           "url": "http://mirror.example/key.asc",
                                           "repository_url": "http://mirror.example/repo/"})
    assert not failed and len(res["warnings"]) == 2
    assert res["warnings"][0].startswith("The key is fetched over plain http (http://mirror.example/key.asc)")


class _Server(object):
    """A loopback HTTP server for the download tests (bound before the test talks to it)."""

    def __init__(self, directory):
        import functools
        import http.server
        import threading
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
        handler.log_message = lambda *a: None
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def test_downloads_the_key_itself_and_check_mode_verifies_it(tmp_path, run_module):
    server = _Server(FIX)
    try:
        dest = tmp_path / "keyrings" / "k.asc"
        args = {"url": server.url + "/debian-archive-bookworm-stable.asc", "fingerprint": DEBIAN_FPR, "dest": str(dest)}
        res, failed = run_module(signing_key, dict(args, _ansible_check_mode=True))
        assert not failed and res["changed"] and not dest.parent.exists()
        res, failed = run_module(signing_key, dict(args, fingerprint="CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9",
                                                   _ansible_check_mode=True))
        assert failed and res["reason"] == "not_pinned"
        res, failed = run_module(signing_key, args)
        assert not failed and res["changed"] and dest.exists() and oct(dest.parent.stat().st_mode & 0o777) == "0o755"
        assert any("plain http" in w for w in res.get("warnings", []))
        res, failed = run_module(signing_key, dict(args, url=server.url + "/missing.asc"))
        assert failed and res["reason"] == "download_failed"
        assert res["msg"].startswith("Cannot download the CUDA repository key %s/missing.asc: " % server.url)
    finally:
        server.close()


def test_a_refused_key_over_http_is_warned_about_too(tmp_path, run_module):
    res, failed = run_module(signing_key, {"src": os.path.join(FIX, "rfc9580-v6-certificate.asc"),
                                           "fingerprint": DEBIAN_FPR, "dest": str(tmp_path / "k.asc"),
                                           "url": "http://mirror.example/key.asc"})
    assert failed and res["reason"] == "not_pinned" and "plain http" in res["warnings"][0]

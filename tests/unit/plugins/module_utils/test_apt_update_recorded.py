# -*- coding: utf-8 -*-
"""apt_update on apt's real answers recorded in the Debian 12 (apt 2.6) and Debian 13 (apt 3.0, sqv)
test images (tests/unit/fixtures/apt/, each file's first line says how). Issue #30: an outage, a
full disk or a key rotation seen through sqv is never called tampering."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import apt_update as A

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "apt")


def recorded(name):
    with open(os.path.join(FIX, name)) as f:
        text = f.read()
    body = text.split("\n", 1)[1]
    url = re.search(r"(http://\S+/x86_64)", body).group(1) + "/"
    return body, url


@pytest.mark.parametrize("name, status", [
    ("apt26-http-401.txt", "401 Unauthorized"), ("apt30-http-401.txt", "401 Unauthorized"),
    ("apt26-http-403.txt", "403 Forbidden"), ("apt30-http-403.txt", "403 Forbidden"),
    ("apt26-http-404.txt", "404 Not Found"),
    ("apt26-http-503.txt", "503 Service Unavailable"), ("apt30-http-503.txt", "503 Service Unavailable"),
])
def test_an_http_error_is_told_apart_from_a_bad_signature(name, status):
    # Both apts add "The repository ... is not signed" after the HTTP error: that was read as tampering.
    output, url = recorded(name)
    c = A.classify(100, output, url)
    assert (c["kind"], c["http_status"]) == ("http_error", status)
    msg = A.message(c, url, 100, output)
    assert "HTTP %s" % status in msg and "not a signature problem" in msg and "Do not trust" not in msg
    assert A.transient(c) == status.startswith("503")


def test_sqv_names_the_missing_key_by_its_fingerprint():
    output, url = recorded("apt30-sqv-missing-key.txt")
    c = A.classify(100, output, url)
    assert c["kind"] == "key_unknown" and c["key_fingerprint"] == "DE81B04A10E33BDE3FBE805806247A5C9846AD7B"
    assert c["key_id"] == "06247A5C9846AD7B"
    # The key published at the key URL is that key: a rotation, not tampering.
    msg = A.message(c, url, 100, output, key_url=url + "key.pub", published=[c["key_fingerprint"]], pinned="X" * 40)
    assert "NVIDIA has rotated its signing key" in msg


def test_a_full_disk_is_not_an_unreachable_repository():
    output, url = recorded("apt26-enospc.txt")
    c = A.classify(0, output, url)
    assert c["kind"] == "no_space"
    assert "is full" in A.message(c, url, 0, output)


def test_a_refused_connection_stays_unreachable():
    output, url = recorded("apt26-connection-refused.txt")
    assert A.classify(0, output, url)["kind"] == "unreachable"


def test_a_clock_behind_the_release_date_gets_its_hint():
    # apt's own wording (apt-pkg/acquire-item.cc); a container cannot set its clock to record it.
    url = "http://127.0.0.1:8808/compute/cuda/repos/debian12/x86_64/"
    output = ("Get:1 %s InRelease [1164 B]\nReading package lists...\nE: Release file for %sInRelease is not valid yet "
              "(invalid for another 2d 3h 1min 20s). Updates for this repository will not be applied.\n" % (url, url))
    c = A.classify(100, output, url)
    assert (c["kind"], c["valid_in"]) == ("not_valid_yet", "2d 3h 1min 20s")
    assert "clock is behind" in A.message(c, url, 100, output)

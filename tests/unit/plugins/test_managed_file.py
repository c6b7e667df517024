# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.passthrough.nvidia.plugins.test import managed_file as plugin

managed_file = plugin.managed_file

CONTENT = "Types: deb\nSuites: /\n# café\n"
HAVE = {"exists": True, "mode": "0644", "uid": 0, "gid": 0, "islnk": False, "isdir": False,
        "sha1": hashlib.sha1(CONTENT.encode("utf-8")).hexdigest()}


def test_registered_as_a_jinja_test():
    assert plugin.TestModule().tests() == {"managed_file": managed_file}


def test_the_same_file_is_managed():
    assert managed_file(HAVE, CONTENT) is True
    assert managed_file(dict(HAVE, mode="0600"), CONTENT, mode="0600") is True


@pytest.mark.parametrize("change", [
    {"exists": False}, {"mode": "0640"}, {"uid": 1000}, {"gid": 4}, {"islnk": True}, {"sha1": "0" * 40},
])
def test_any_difference_is_not_managed(change):
    assert managed_file(dict(HAVE, **change), CONTENT) is False


def test_other_content_is_not_managed():
    assert managed_file(HAVE, CONTENT + "\n") is False


def test_a_directory_has_no_sha1():
    assert managed_file({"exists": True, "mode": "0644", "uid": 0, "gid": 0, "isdir": True}, CONTENT) is False


@pytest.mark.parametrize("have, content, mode, message", [
    (None, CONTENT, "0644", "must be one file of guest_facts' files"),
    ({"sha1": "x"}, CONTENT, "0644", "must be one file of guest_facts' files"),
    (HAVE, 42, "0644", "content must be a string, got int"),
    (HAVE, CONTENT, "644", "mode must be a four-digit octal string"),
    (HAVE, CONTENT, "0948", "mode must be a four-digit octal string"),
])
def test_bad_input_names_what_is_wrong(have, content, mode, message):
    with pytest.raises(AnsibleFilterError) as e:
        managed_file(have, content, mode=mode)
    assert message in str(e.value)

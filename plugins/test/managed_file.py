# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja test: is a file, as passthrough.nvidia.guest_facts describes it, exactly what a
role would write (content, mode, owner)? The roles skip their copy/template tasks when it is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.six import string_types


def managed_file(have, content, mode="0644", uid=0, gid=0):
    if not isinstance(have, dict) or "exists" not in have:
        raise AnsibleFilterError(
            "managed_file: the value must be one file of guest_facts' files (a dict with 'exists'), got %r" % (have,))
    if not isinstance(content, string_types):
        raise AnsibleFilterError("managed_file: content must be a string, got %s" % type(content).__name__)
    if not isinstance(mode, string_types) or len(mode) != 4 or any(c not in "01234567" for c in mode):
        raise AnsibleFilterError("managed_file: mode must be a four-digit octal string such as '0644', got %r" % (mode,))
    return bool(have["exists"] and not have.get("islnk") and have.get("mode") == mode and have.get("uid") == uid
                and have.get("gid") == gid
                and have.get("sha1") == hashlib.sha1(to_bytes(content, errors="surrogate_or_strict")).hexdigest())


class TestModule(object):
    def tests(self):
        return {"managed_file": managed_file}

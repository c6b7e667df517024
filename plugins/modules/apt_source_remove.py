#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_source_remove
short_description: Remove the apt source entries that point at a repository, and nothing else
version_added: 0.3.0
description:
  - Removes, from C(/etc/apt/sources.list) and the C(.list) and C(.sources) files of C(/etc/apt/sources.list.d),
    the entries whose URI matches O(pattern) - a line in the one-line format, a whole stanza in deb822 - and keeps
    every other byte of each file - other entries (such as Debian's own in C(debian.sources)), comments, options.
  - A file left with nothing but blanks is removed; one that keeps comments or other entries stays.
  - Files are written atomically.
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  pattern:
    description: A regular expression searched in each entry's URIs.
    type: str
    required: true
  keep:
    description: Files to leave alone (the source the caller owns).
    type: list
    elements: path
    default: []
  paths:
    description: The files to look at; by default C(/etc/apt/sources.list) and the C(.list) and C(.sources) files of
      C(/etc/apt/sources.list.d).
    type: list
    elements: path
attributes:
  check_mode:
    description: Says what would be removed, changes nothing.
    support: full
  diff_mode:
    description: Shows each file before and after.
    support: full
seealso:
  - module: passthrough.nvidia.apt_components
"""

EXAMPLES = r"""
- name: Remove other sources of NVIDIA's CUDA repositories, keep ours
  passthrough.nvidia.apt_source_remove:
    pattern: 'developer\.download\.nvidia\.com/compute/cuda/repos'
    keep: [/etc/apt/sources.list.d/nvidia-cuda.sources]
"""

RETURN = r"""
removed:
  description: Per file, the entries removed.
  returned: always
  type: dict
deleted:
  description: The files removed because nothing but blanks was left.
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.passthrough.nvidia.plugins.module_utils.apt_sources import remove_entries
from ansible_collections.passthrough.nvidia.plugins.module_utils.files import write_atomically

SOURCES_LIST = "/etc/apt/sources.list"
SOURCES_DIR = "/etc/apt/sources.list.d"


def default_paths():
    paths = [SOURCES_LIST]
    if os.path.isdir(SOURCES_DIR):
        paths += sorted(os.path.join(SOURCES_DIR, n) for n in os.listdir(SOURCES_DIR) if n.endswith((".list", ".sources")))
    return paths


def main():
    module = AnsibleModule(
        argument_spec=dict(
            pattern=dict(type="str", required=True),
            keep=dict(type="list", elements="path", default=[]),
            paths=dict(type="list", elements="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        regex = re.compile(p["pattern"])
    except re.error as e:
        module.fail_json(msg="pattern %r is not a valid regular expression: %s" % (p["pattern"], e))
    keep = set(os.path.abspath(k) for k in p["keep"])
    result = dict(changed=False, removed={}, deleted=[])
    diffs = []
    for path in p["paths"] if p["paths"] is not None else default_paths():
        if os.path.abspath(path) in keep or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as f:
                before = to_text(f.read(), errors="surrogate_or_strict")
        except (IOError, OSError, UnicodeError) as e:
            module.fail_json(msg="cannot read %s: %s" % (path, to_native(e)))
        after, removed = remove_entries(before, regex, path.endswith(".sources"))
        if not removed:
            continue
        result["changed"] = True
        result["removed"][path] = removed
        gone = after.strip() == ""
        if gone:
            result["deleted"].append(path)
        diffs.append(dict(before_header=path, after_header=path if not gone else "(removed)", before=before,
                          after="" if gone else after))
        if module.check_mode:
            continue
        try:
            if gone:
                os.unlink(path)
            else:
                write_atomically(module, path, to_bytes(after, errors="surrogate_or_strict"))
        except (IOError, OSError) as e:
            module.fail_json(msg="cannot write %s: %s" % (path, to_native(e)), **result)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()

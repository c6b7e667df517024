#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_components
short_description: Add components (such as contrib) to Debian's own apt sources, keeping everything else
version_added: 0.2.0
description:
  - NVIDIA's Debian packages need Debian's C(contrib) component (nvidia-kernel-common, nvidia-support), which a
    stock Debian 12 or 13 install does not enable (it has C(main non-free-firmware)).
  - Adds the O(components) to every entry of Debian's archive for O(release) in C(/etc/apt/sources.list) and the
    C(.list) and C(.sources) files of C(/etc/apt/sources.list.d), in the one-line format and in deb822. Only the
    component list of those entries changes; other entries, comments, options and field order stay as they were.
  - An entry is Debian's when it is of type C(deb) or C(deb-src), has a suite of O(release) (C(bookworm),
    C(bookworm-updates), C(bookworm-security), ...) and the C(main) component, and either its URI ends in
    C(/debian) or C(/debian-security) or it has C(non-free-firmware). Disabled deb822 stanzas (with C(Enabled) set to C(no))
    are left alone.
  - Files are written atomically. Refresh apt's lists afterwards (M(ansible.builtin.apt) with C(update_cache)).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  components:
    description: Components every Debian entry must have.
    type: list
    elements: str
    default: [contrib]
  release:
    description: The Debian codename whose entries to change (C(ansible_facts.distribution_release)).
    type: str
    required: true
  sources_dir:
    description: The directory of source files (C(/etc/apt/sources.list.d)); C(sources.list) is its parent's.
    type: path
    default: /etc/apt/sources.list.d
attributes:
  check_mode:
    description: Reports what would change; writes nothing.
    support: full
  diff_mode:
    description: Shows each file before and after.
    support: full
notes:
  - Fails, writing nothing, when no source has an entry of Debian's archive for O(release) (a guest that takes
    Debian's packages from a source this module does not recognise must add the component itself).
"""

EXAMPLES = r"""
- name: Enable Debian's contrib component for NVIDIA's packages
  passthrough.nvidia.apt_components:
    release: "{{ ansible_facts['distribution_release'] }}"
    components: [contrib]
  register: components

- name: Refresh apt's lists
  ansible.builtin.apt:
    update_cache: true
  when: components is changed
"""

RETURN = r"""
files:
  description: The files changed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
entries:
  description: The entries changed, as "suites URIs".
  returned: always
  type: list
  elements: str
before:
  description: Per file changed, its content before (C(b64)) and its mode, for M(passthrough.nvidia.apt_update) to put
    back.
  returned: always
  type: dict
"""

import base64
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.passthrough.nvidia.plugins.module_utils.apt_sources import add_components, is_debian_source
from ansible_collections.passthrough.nvidia.plugins.module_utils.files import write_atomically

NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


def source_files(sources_dir):
    files = [os.path.join(os.path.dirname(sources_dir.rstrip("/")), "sources.list")]
    if os.path.isdir(sources_dir):
        files += sorted(os.path.join(sources_dir, n) for n in os.listdir(sources_dir)
                        if n.endswith((".list", ".sources")))
    return [f for f in files if os.path.isfile(f)]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            components=dict(type="list", elements="str", default=["contrib"]),
            release=dict(type="str", required=True),
            sources_dir=dict(type="path", default="/etc/apt/sources.list.d"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    bad = [c for c in p["components"] if not c or any(ch not in NAME_CHARS for ch in c)]
    if bad or not p["components"]:
        module.fail_json(msg="components: %r are not Debian component names (such as contrib); nothing was changed"
                         % (bad or p["components"]))
    if not p["release"] or any(ch not in NAME_CHARS for ch in p["release"]):
        module.fail_json(msg="release: %r is not a Debian codename (such as bookworm); nothing was changed"
                         % p["release"])
    todo, entries, debian_seen, diffs, before = [], [], False, [], {}
    for path in source_files(p["sources_dir"]):
        try:
            with open(path, "rb") as f:
                text = to_text(f.read(), errors="surrogate_or_strict")
        except (IOError, OSError, UnicodeError) as e:
            module.fail_json(msg="cannot read %s: %s; nothing was changed" % (path, to_native(e)))
        deb822 = path.endswith(".sources")
        debian_seen = debian_seen or is_debian_source(text, p["release"], deb822)
        new, changed = add_components(text, p["release"], p["components"], deb822)
        if changed:
            todo.append((path, new))
            before[path] = {"b64": to_text(base64.b64encode(to_bytes(text, errors="surrogate_or_strict"))),
                            "mode": "%04o" % stat.S_IMODE(os.stat(path).st_mode)}
            entries.extend(changed)
            diffs.append(dict(before=text, after=new, before_header=path, after_header=path))
    if not debian_seen:
        module.fail_json(msg="no apt source has an entry of Debian's archive for %s (main, with a URI ending in /debian"
                         " or the non-free-firmware component) in %s: add the components %s to the source of Debian's"
                         " packages yourself; nothing was changed" % (p["release"], ", ".join(
                             source_files(p["sources_dir"])) or "no file", " ".join(p["components"])))
    res = dict(changed=bool(todo), files=[t[0] for t in todo], entries=entries, before=before)
    if module._diff:
        res["diff"] = diffs
    if todo and not module.check_mode:
        for path, new in todo:
            try:
                write_atomically(module, path, to_bytes(new, errors="surrogate_or_strict"))
            except (IOError, OSError) as e:
                module.fail_json(msg="cannot write %s: %s" % (path, to_native(e)), **res)
    module.exit_json(**res)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apt_update
short_description: Refresh apt's package lists, and put a repository's sources back when apt cannot use it
version_added: 0.3.0
description:
  - Runs C(apt-get update), waiting for apt's list lock when another apt holds it, and tells apart what can go
    wrong with one repository (O(repository_url)) - the lock not released in time, a signature by a key the guest
    does not trust (with O(key_url), whether the publisher rotated its key or somebody else signed the repository),
    a bad signature, files that do not match their signed checksums (tried again O(retries) times first, as a
    mirror caught in the middle of a sync heals), the repository unreachable - from another source of the guest
    failing, which is not this repository's doing and only warned about.
  - When the repository cannot be used, the files of O(restore) are put back as they were before this run
    (written atomically, or removed when they did not exist) and the lists are refreshed again, so apt keeps
    working for every other source and nothing half-written is left, as M(ansible.builtin.apt_repository) does.
  - The failure keeps apt's exit code and the end of its output.
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  repository_url:
    description: The repository whose failures count (a flat repository's URL, as in its apt source).
    type: str
    required: true
  lock_timeout:
    description: Seconds to wait for apt's list lock (C(/var/lib/apt/lists/lock)) held by another apt.
    type: int
    default: 300
  retries:
    description: Further tries when the repository's files do not match their checksums.
    type: int
    default: 1
  retry_delay:
    description: Seconds before such a try.
    type: int
    default: 5
  restore:
    description:
      - Files to put back when apt cannot use the repository - path -> C({b64, mode}) (the content before this run,
        base64, and its octal mode) or null (the file did not exist - remove it).
    type: dict
    default: {}
  key_url:
    description: Where the repository's signing key is published; with a signature by an unknown key it is fetched
      to tell a key rotation (the published key is the new one) from a foreign signature.
    type: str
  url_username:
    description: User for O(key_url).
    type: str
  url_password:
    description: Password for O(key_url).
    type: str
  pinned_fingerprint:
    description: The fingerprint the repository's key is pinned to (named in the message).
    type: str
    default: ''
  timeout:
    description: Seconds for fetching O(key_url).
    type: int
    default: 30
extends_documentation_fragment: []
attributes:
  check_mode:
    description: Refreshes nothing and puts nothing back; reports that the lists would be refreshed.
    support: full
  diff_mode:
    description: No diff; the lists are apt's own state.
    support: none
seealso:
  - module: ansible.builtin.apt
  - module: ansible.builtin.apt_repository
notes:
  - apt's output is read with C(LC_ALL=C).
"""

EXAMPLES = r"""
- name: Refresh the lists; put the previous NVIDIA source back if apt cannot use the repository
  passthrough.nvidia.apt_update:
    repository_url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/
    key_url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub
    pinned_fingerprint: EB693B3035CD5710E231E123A4B469963BF863CC
    restore:
      /etc/apt/sources.list.d/nvidia-cuda.sources: null
"""

RETURN = r"""
cache_updated:
  description: Whether apt's package lists were refreshed (as M(ansible.builtin.apt) says it); false in check mode
    and when the refresh failed.
  returned: always
  type: bool
kind:
  description: What happened - C(ok), C(other_source) (another source failed; NVIDIA's was read), C(lock),
    C(no_space) (the lists' disk is full), C(http_error) (an HTTP status for the index - 401, 403, 404, 407,
    5xx - which apt follows with "is not signed"; 5xx are retried), C(key_unknown) (NO_PUBKEY, or sqv's
    "Missing key"), C(not_valid_yet) (the guest's clock is behind), C(bad_signature), C(hash_mismatch),
    C(unreachable), C(failed).
  returned: always
  type: str
rc:
  description: apt-get update's exit code (the last try).
  returned: always
  type: int
stderr_tail:
  description: The last lines of apt's output.
  returned: always
  type: str
others:
  description: apt's messages about other sources.
  returned: always
  type: list
  elements: str
urls:
  description: The other sources apt could not use.
  returned: always
  type: list
  elements: str
restored:
  description: The files of O(restore) that were written back or removed.
  returned: always
  type: list
  elements: str
tries:
  description: How many times apt-get update ran.
  returned: always
  type: int
"""

import base64
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import fetch_url

from ansible_collections.passthrough.nvidia.plugins.module_utils import apt_update as A
from ansible_collections.passthrough.nvidia.plugins.module_utils.files import write_atomically
from ansible_collections.passthrough.nvidia.plugins.module_utils.openpgp import openpgp_fingerprints


def apt_update(module):
    rc, out, err = module.run_command([module.get_bin_path("apt-get", required=True), "update"],
                                      environ_update={"LC_ALL": "C"})
    return rc, (out or "") + "\n" + (err or "")


def restore_files(module, restore):
    done = []
    for path, entry in sorted((restore or {}).items()):
        try:
            if entry is None:
                if os.path.lexists(path):
                    os.unlink(path)
                    done.append(path)
                continue
            data = base64.b64decode(entry["b64"])
            mode = int(str(entry.get("mode") or "0644"), 8)
            current = None
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    current = f.read()
            if current != data:
                write_atomically(module, path, data, exists=current is not None, mode=mode)
                done.append(path)
        except (IOError, OSError, KeyError, TypeError, ValueError) as e:
            module.fail_json(msg="restore: cannot put %s back: %s" % (path, to_native(e)), kind="failed",
                             restored=done)
    return done


def published_fingerprints(module, url):
    """The primary fingerprints of the key now published at ``url``, or None when it cannot be read."""
    if not url:
        return None
    module.params["force_basic_auth"] = bool(module.params.get("url_username"))
    resp, info = fetch_url(module, url, timeout=module.params["timeout"])
    if info.get("status") != 200 or resp is None:
        return None
    try:
        return openpgp_fingerprints(resp.read(1 << 20))
    except ValueError:
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            repository_url=dict(type="str", required=True),
            lock_timeout=dict(type="int", default=300),
            retries=dict(type="int", default=1),
            retry_delay=dict(type="int", default=5),
            restore=dict(type="dict", default={}),
            key_url=dict(type="str", no_log=False),
            url_username=dict(type="str"),
            url_password=dict(type="str", no_log=True),
            pinned_fingerprint=dict(type="str", default=""),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for name in ("lock_timeout", "retries", "retry_delay", "timeout"):
        if p[name] < 0:
            module.fail_json(msg="%s must not be negative, got %d" % (name, p[name]))
    for path, entry in (p["restore"] or {}).items():
        if not os.path.isabs(path) or (entry is not None and not (isinstance(entry, dict) and "b64" in entry)):
            module.fail_json(msg="restore: %r must map an absolute path to {b64, mode} or null" % path)
    result = dict(changed=True, cache_updated=False, kind="ok", rc=0, stderr_tail="", others=[], urls=[], restored=[],
                  tries=0)
    if module.check_mode:
        module.exit_json(**result)

    deadline = time.time() + p["lock_timeout"]
    retries = p["retries"]
    while True:
        rc, output = apt_update(module)
        result["tries"] += 1
        c = A.classify(rc, output, p["repository_url"])
        # Another apt holds the lists (unattended-upgrades after boot): wait for it, as apt's own
        # DPkg::Lock::Timeout does for the dpkg lock.
        if c["kind"] == "lock" and time.time() < deadline:
            time.sleep(2)
            continue
        if A.transient(c) and retries > 0:
            retries -= 1
            time.sleep(p["retry_delay"])
            continue
        break
    result.update(kind=c["kind"], rc=rc, stderr_tail=A.tail(output), others=c["others"], urls=c["urls"],
                  cache_updated=c["kind"] in ("ok", "other_source"))
    if c["kind"] == "ok":
        module.exit_json(**result)
    if c["kind"] == "other_source":
        module.warn("apt could not use another source of this guest (%s): %s. NVIDIA's repository was read; "
                    "the other source is left as it is." % (", ".join(c["urls"]) or "see apt's output", "; ".join(c["others"])))
        module.exit_json(**result)
    if c["kind"] == "lock":
        result.update(changed=False, msg=A.message(c, p["repository_url"], rc, output))
        module.fail_json(**result)
    published = published_fingerprints(module, p["key_url"]) if c["kind"] == "key_unknown" else None
    msg = A.message(c, p["repository_url"], rc, output, key_url=p["key_url"] or "", published=published,
                    pinned=p["pinned_fingerprint"])
    result["restored"] = restore_files(module, p["restore"])
    if result["restored"]:
        apt_update(module)
        msg += " The sources as they were before this run are back (%s), so apt keeps working for the other " \
               "sources; run the play again once the repository is fixed." % ", ".join(result["restored"])
    else:
        msg += " Nothing of the sources was changed by this run."
    result["msg"] = msg
    module.fail_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: signing_key
short_description: Install a repository signing key only when its primary key is the pinned one
version_added: 0.1.0
description:
  - Reads a downloaded OpenPGP key file on the guest and installs, at O(dest), only the pinned key
    (its primary key with its own user IDs, signatures and subkeys, ASCII-armored) when the file's
    one primary key has the full fingerprint O(fingerprint).
  - Refuses, before anything is written, a file that is not ASCII-armored, holds more than one
    primary key, carries the pinned key only as a subkey of another primary key (apt would trust
    that primary's signatures), has another fingerprint, or carries packets a public key does not.
  - Needs no C(gpg) on the guest (minimal Debian 12/13 installs have none); v4 and v6 keys.
  - Refuses a O(dest) under C(/etc/apt/trusted.gpg.d), which apt trusts for every source.
  - Warns once about keys or repositories reached over plain C(http) (allowed for mirrors).
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  src:
    description:
      - A downloaded key file on the guest (it is only read).
      - One of O(src) and O(url) is required; with O(url) the module downloads the key itself, into
        memory (no staging file, and check mode can verify the key too).
    type: path
  fingerprint:
    description: The pinned full fingerprint (40 hex digits for a v4 key, 64 for v6); blanks are ignored.
    type: str
    required: true
  dest:
    description: Where the verified key is installed (the file C(Signed-By) names).
    type: path
    required: true
  mode:
    description: Mode of O(dest).
    type: raw
    default: "0644"
  url:
    description:
      - Where the key comes from. Without O(src) the module downloads it (certificates are checked);
        with O(src), it is only named in the messages and the C(http) warning.
    type: str
  url_username:
    description: User name for the download (kept out of the messages).
    type: str
  url_password:
    description: Password for the download.
    type: str
  timeout:
    description: Seconds the download may take.
    type: int
    default: 30
  repository_url:
    description: The repository the key signs, for the C(http) warning.
    type: str
attributes:
  check_mode:
    description: Checks the key and reports whether the keyring would change; writes nothing.
    support: full
  diff_mode:
    description: Shows the keyring before and after (armored text).
    support: full
notes:
  - The file at O(dest) is written atomically, owned by root, and left unchanged when it already holds
    exactly the verified key; its directory is created (0755) when missing, after the key was verified.
"""

EXAMPLES = r"""
- name: Download NVIDIA's key and install it only if its primary key is NVIDIA's
  passthrough.nvidia.signing_key:
    url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub
    fingerprint: EB693B3035CD5710E231E123A4B469963BF863CC
    dest: /etc/apt/keyrings/nvidia-cuda.asc

- name: A key file already on the guest
  passthrough.nvidia.signing_key:
    src: /root/mirror-key.asc
    fingerprint: EB693B3035CD5710E231E123A4B469963BF863CC
    dest: /etc/apt/keyrings/mirror.asc
"""

RETURN = r"""
fingerprint:
  description: The primary key's fingerprint (the pinned one).
  returned: success
  type: str
  sample: EB693B3035CD5710E231E123A4B469963BF863CC
subkeys:
  description: Fingerprints of the primary key's own subkeys, installed with it.
  returned: success
  type: list
  elements: str
dest:
  description: The installed keyring.
  returned: success
  type: str
reason:
  description:
    - Why the module failed (the message says it in words); C(not_pinned) when the key was refused,
      C(download_failed), C(bad_fingerprint), C(trusted_gpg_d), C(unreadable), C(unwritable).
  returned: on failure
  type: str
  sample: not_pinned
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import fetch_url

from ansible_collections.passthrough.nvidia.plugins.module_utils.openpgp import (
    KeyRejected,
    normalise_fingerprint,
    verify_pinned,
)

TRUSTED_GPG_D = "/etc/apt/trusted.gpg.d"


def http_warnings(url, repository_url):
    out = []
    for what, u in (("key", url), ("repository", repository_url)):
        if u and u.lower().startswith("http://"):
            out.append("The %s is fetched over plain http (%s): allowed for a mirror, but anybody on the path sees "
                       "what is installed; the key itself is trusted only by its pinned fingerprint, and apt "
                       "checks every signature." % (what, u))
    return out


MAX_KEY_BYTES = 1024 * 1024


def download(module, url):
    """The key's bytes from ``url`` (at most MAX_KEY_BYTES), or fail naming the URL."""
    module.params["force_basic_auth"] = bool(module.params.get("url_username"))
    resp, info = fetch_url(module, url, timeout=module.params["timeout"])
    if info.get("status") != 200 or resp is None:
        module.fail_json(msg="Cannot download the CUDA repository key %s: %s" % (url, info.get("msg") or info.get("status")),
                         reason="download_failed", status=info.get("status"))
    data = resp.read(MAX_KEY_BYTES + 1)
    if len(data) > MAX_KEY_BYTES:
        module.fail_json(msg="The key at %s is larger than %d bytes: not a repository key." % (url, MAX_KEY_BYTES),
                         reason="not_pinned")
    return data


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            fingerprint=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            mode=dict(type="raw", default="0644"),
            url=dict(type="str"),
            url_username=dict(type="str"),
            url_password=dict(type="str", no_log=True),
            timeout=dict(type="int", default=30),
            repository_url=dict(type="str"),
        ),
        required_one_of=[("src", "url")],
        supports_check_mode=True,
    )
    p = module.params
    where = p["url"] or p["src"]
    try:
        pinned = normalise_fingerprint(p["fingerprint"])
    except ValueError as e:
        module.fail_json(msg="fingerprint: %s" % to_native(e), reason="bad_fingerprint")
    dest = os.path.abspath(p["dest"])
    if os.path.dirname(dest).rstrip("/") == TRUSTED_GPG_D or dest.startswith(TRUSTED_GPG_D + "/"):
        module.fail_json(msg="dest: %s is under %s, which apt trusts for every source; install the key elsewhere "
                             "(/etc/apt/keyrings) and name it in Signed-By" % (dest, TRUSTED_GPG_D),
                         reason="trusted_gpg_d")
    # Said before the check, so that a refused key fetched over http says so too.
    for w in http_warnings(p["url"], p["repository_url"]):
        module.warn(w)
    if p["src"]:
        try:
            with open(p["src"], "rb") as f:
                data = f.read()
        except (IOError, OSError) as e:
            module.fail_json(msg="src: cannot read %s: %s" % (p["src"], to_native(e)), reason="unreadable")
    else:
        data = download(module, p["url"])
    try:
        armored, info = verify_pinned(data, pinned)
    except KeyRejected as e:
        module.fail_json(msg="The key at %s %s. Nothing was trusted and no source was written. If NVIDIA rotated "
                             "its key, check the new fingerprint out of band and set cuda_repo_key_fingerprint."
                         % (where, to_native(e)), reason="not_pinned", fingerprint=pinned)
    before = None
    if os.path.exists(dest):
        with open(dest, "rb") as f:
            before = f.read()
    mode = p["mode"]
    mode = int(mode, 8) if isinstance(mode, str) else int(mode)
    st = os.stat(dest) if before is not None else None
    changed = before != armored or st is None or (st.st_mode & 0o7777) != mode or st.st_uid != 0
    result = dict(changed=changed, fingerprint=info["fingerprint"], subkeys=info["subkeys"], dest=dest)
    if module._diff:
        result["diff"] = dict(before=(before or b"").decode("ascii", "replace"), after=armored.decode("ascii"),
                              before_header=dest, after_header=dest)
    if changed and not module.check_mode:
        directory = os.path.dirname(dest)
        if not os.path.isdir(directory):
            try:
                os.makedirs(directory, 0o755)
            except OSError as e:
                module.fail_json(msg="dest: cannot create %s: %s" % (directory, to_native(e)), reason="unwritable")
        fd, tmp = tempfile.mkstemp(prefix=".signing_key.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(armored)
            os.chmod(tmp, mode)
            if os.geteuid() == 0:
                os.chown(tmp, 0, 0)
            os.rename(tmp, dest)
        except (IOError, OSError) as e:
            module.fail_json(msg="dest: cannot write %s: %s" % (dest, to_native(e)), reason="unwritable")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing a file so that no reader ever sees half of it: a temporary file beside the target,
renamed over it (AnsibleModule.atomic_move keeps the target's mode, owner and SELinux context)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def write_atomically(module, target, data, exists=True, mode=0o644):
    """Replaces ``target`` by ``data`` (bytes). A new file gets ``mode`` (atomic_move would give
    it the umask's)."""
    fd, tmp = tempfile.mkstemp(prefix=".passthrough.", dir=os.path.dirname(target) or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        module.atomic_move(tmp, target)
        if not exists:
            os.chmod(target, mode)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)

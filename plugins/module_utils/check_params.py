# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options the read-only GPU checks (nvidia_smi, cuda_probe) share, checked one way."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def limits_error(params):
    """The message naming a bad ``timeout`` or ``expected_gpus``, or None when both are usable."""
    if params["timeout"] < 1:
        return "timeout: must be at least 1 second, got %d" % params["timeout"]
    if params.get("expected_gpus") is not None and params["expected_gpus"] < 0:
        return "expected_gpus: must not be negative, got %d" % params["expected_gpus"]
    return None


def library_error(value, option):
    """The message naming a shared-library option (``library``, ``compute_library``) that is blank or
    spans lines, or None."""
    if not value.strip() or "\n" in value:
        return "%s: must be a library name or path, got %r" % (option, value)
    return None

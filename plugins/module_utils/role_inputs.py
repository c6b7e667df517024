# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' variables, checked before anything changes: pure functions for platform_check.

Ansible's own check of a role's argument spec converts as it checks and keeps the variable as it
was: a YAML 12.10 for a version arrives as the float 12.1 and passes as "12.1", a string of
kernel arguments passes as a one-element list. What is checked here is what the role will really
use, and each problem names the variable, what it holds and what to write instead. Variables
with the role's prefix that no spec knows are named too (a typo leaves the default in force
without a word).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.passthrough.nvidia.plugins.module_utils.driver_plan import (
    BRANCH_RE,
    DRIVER_VERSION_RE,
    TOOLKIT_VERSION_RE,
)
from ansible_collections.passthrough.nvidia.plugins.module_utils.grub_cmdline import GrubCmdlineError, validate_argument


class _OneOf(object):
    """A pattern that matches what any of ``patterns`` matches, or one of ``words``."""

    def __init__(self, words, *patterns):
        self.words, self.patterns = words, patterns

    def match(self, text):
        return text in self.words or any(p.match(text) for p in self.patterns)


# What the driver plan takes (driver_plan's own patterns: one definition of a branch and a version).
BRANCH = _OneOf(("auto", "latest"), BRANCH_RE, DRIVER_VERSION_RE)
MIN_VERSION = _OneOf(("",), BRANCH_RE, DRIVER_VERSION_RE)
TOOLKIT = _OneOf(("auto",), TOOLKIT_VERSION_RE)
FINGERPRINT = re.compile(r"^([0-9A-F]{40}|[0-9A-F]{64})$")
URL = re.compile(r"^https?://[^/@\s]+(@[^/\s]+)?(/|$)")
CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")

# Names with the role's prefix that are not options: the role's result, and what site.yml sets.
NOT_OPTIONS = {
    "cuda_repo": ["cuda_repo_result"],
    "nvidia_driver": ["nvidia_driver_result"],
    "cuda_toolkit": ["cuda_toolkit_result"],
    "gpu_report": ["gpu_report_result", "gpu_report_run_started"],
}


def _show(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _mask(url):
    return re.sub(r"(?<=://)[^/@]*@", "<credentials>@", url)


def type_problem(name, spec, value):
    """What is wrong with ``value`` for an option of argument-spec ``spec`` that Ansible's own check
    lets through, or ''."""
    kind = spec.get("type", "str")
    if kind == "str" and isinstance(value, float):
        return ("%s is the number %s, not a string: YAML reads an unquoted 12.10 as 12.1. Quote it (%s: \"...\")."
                % (name, value, name))
    if kind == "str" and isinstance(value, (list, dict)):
        return "%s must be a string, got %s %s." % (name, type(value).__name__, _show(value))
    if kind == "list" and isinstance(value, str):
        return ("%s is the string %s, not a list: give a YAML list (%s: [a, b]); a string would be taken as one item "
                "or split at commas." % (name, _show(value), name))
    if kind == "list" and isinstance(value, list) and spec.get("elements") == "str":
        bad = [v for v in value if not isinstance(v, str) or isinstance(v, bool)]
        if bad:
            return "%s must hold strings, got %s." % (name, _show(bad[0]))
    if kind == "list" and isinstance(value, list) and spec.get("choices"):
        bad = [v for v in value if v not in spec["choices"]]
        if bad:
            return "%s holds %s; each item must be one of %s." % (
                name, ", ".join(_show(b) for b in bad), ", ".join(spec["choices"]))
    if kind == "int" and (isinstance(value, bool) or isinstance(value, float)):
        return "%s must be a whole number, got %s." % (name, _show(value))
    return ""


def _url(name, value):
    if not isinstance(value, str) or not value:
        return ""
    if not URL.match(value) or CONTROL.search(value):
        return ("%s: %s is not an http or https URL without blanks or control characters." % (name, _show(_mask(value))))
    # user:p@ss@host: the URL ends its credentials at the first '@' (the password would become
    # part of the host name); apt and the key download need the '@' percent-encoded (issue #30).
    authority = value.split("://", 1)[1].split("/", 1)[0]
    if authority.count("@") > 1:
        return ("%s: the credentials in %s contain a raw '@'; percent-encode it as %%40 (user:p%%40ss@host). Nothing "
                "was changed." % (name, _show(re.sub(r"(?<=://)[^/]*@", "<credentials>@", value))))
    return ""


def _fingerprint(name, value):
    if not isinstance(value, str) or not value:
        return ""
    fpr = re.sub(r"\s+", "", value).upper()
    fpr = fpr[2:] if fpr.startswith("0X") else fpr
    if not FINGERPRINT.match(fpr):
        return ("%s: %s is not a full OpenPGP fingerprint (40 hex digits for a v4 key, 64 for v6); a short key id can be "
                "forged." % (name, _show(value)))
    return ""


def _pattern(regex, what):
    def check(name, value):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and regex.match(str(value)):
            return ""
        return "%s: %s is not %s." % (name, _show(value), what)
    return check


def _kernel_args(name, value):
    for arg in value if isinstance(value, list) else []:
        try:
            validate_argument(arg, name)
        except (GrubCmdlineError, TypeError, ValueError) as e:
            return str(e)
    return ""


def _positive(name, value):
    if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
        return "%s must be a positive number of seconds, got %d." % (name, value)
    return ""


def _not_negative(name, value):
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return "%s must not be negative, got %d." % (name, value)
    return ""


def _keyring(name, value):
    if isinstance(value, str) and (not value.startswith("/") or re.match(r"^/etc/apt/trusted\.gpg(\.d/|$)", value)):
        return ("%s: %s is not an absolute path outside /etc/apt/trusted.gpg.d: apt trusts keys there for every source. "
                "Use /etc/apt/keyrings (named in Signed-By)." % (name, _show(value)))
    return ""


def _fingerprints(name, value):
    if not isinstance(value, dict):
        return ""
    for key, fpr in sorted(value.items()):
        problem = _fingerprint("%s[%s]" % (name, key), fpr)
        if problem:
            return problem
    return ""


# Checks beyond the argument spec's types, per variable.
CHECKS = {
    "cuda_repo_base_url": _url,
    "cuda_repo_url": _url,
    "cuda_repo_key_url": _url,
    "cuda_repo_key_fingerprint": _fingerprint,
    "cuda_repo_key_fingerprints": _fingerprints,
    "cuda_repo_keyring": _keyring,
    "cuda_repo_cache_valid_time": _not_negative,
    "cuda_repo_lock_timeout": _not_negative,
    "cuda_repo_retry_delay": _not_negative,
    "nvidia_driver_branch": _pattern(BRANCH, 'auto, latest, a driver branch ("580") or a driver version ("580.105.08"), '
                                             'quoted'),
    "nvidia_driver_min_version": _pattern(MIN_VERSION, 'empty, a branch ("570") or a driver version ("570.86.15"), quoted'),
    "nvidia_driver_toolkit_version": _pattern(_OneOf(("", "auto"), TOOLKIT_VERSION_RE),
                                              'empty, auto or a CUDA version MAJOR.MINOR ("13.5"), quoted'),
    "nvidia_driver_kernel_args": _kernel_args,
    "nvidia_driver_kernel_args_remove": _kernel_args,
    "nvidia_driver_reboot_timeout": _positive,
    "nvidia_driver_smi_timeout": _positive,
    "nvidia_driver_compute_timeout": _positive,
    "nvidia_driver_lock_timeout": _not_negative,
    "cuda_toolkit_version": _pattern(TOOLKIT, 'auto or a CUDA version MAJOR.MINOR ("13.5"), quoted'),
    "cuda_toolkit_lock_timeout": _not_negative,
    "gpu_report_smi_timeout": _positive,
}


def check(role, options, values):
    """(errors, warnings) for the variables of ``role``: ``options`` is the argument spec's
    options (name -> spec), ``values`` the variables as the role would see them, templated
    (every variable in scope; only the role's prefix is looked at)."""
    errors, warnings = [], []
    for name in sorted(options):
        if name not in values:
            continue
        value = values[name]
        if value is None:
            continue
        problem = type_problem(name, options[name], value)
        if not problem and name in CHECKS:
            problem = CHECKS[name](name, value)
        if problem:
            errors.append(problem)
    prefix = role + "_"
    known = set(options) | set(NOT_OPTIONS.get(role, []))
    for name in sorted(values):
        if name.startswith(prefix) and name not in known:
            # Compared without the prefix, which every name shares.
            near = difflib.get_close_matches(name[len(prefix):], sorted(o[len(prefix):] for o in options), n=1,
                                             cutoff=0.75)
            warnings.append("%s is set, but the %s role has no such variable%s; it is ignored." % (
                name, role, " (did you mean %s?)" % (prefix + near[0]) if near else ""))
    return errors, warnings

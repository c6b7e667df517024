# -*- coding: utf-8 -*-
"""role_inputs: the roles' variables checked against what the roles will really use (a decision
table over each role's real meta/argument_specs.yml)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.passthrough.nvidia.plugins.module_utils import role_inputs as RI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def options(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as f:
        return yaml.safe_load(f)["argument_specs"]["main"]["options"]


def defaults(role):
    """The role's defaults, the templated ones left out (the role sees them rendered)."""
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as f:
        return dict((k, v) for k, v in (yaml.safe_load(f) or {}).items() if not (isinstance(v, str) and "{{" in v))


@pytest.mark.parametrize("role", ["cuda_repo", "nvidia_driver", "cuda_toolkit", "gpu_report"])
def test_the_defaults_pass(role):
    assert RI.check(role, options(role), defaults(role)) == ([], [])


@pytest.mark.parametrize("role, name, value, problem", [
    # YAML reads an unquoted 12.10 as 12.1.
    ("cuda_toolkit", "cuda_toolkit_version", 12.1, "is the number 12.1, not a string"),
    ("nvidia_driver", "nvidia_driver_toolkit_version", 13.5, "is the number 13.5"),
    ("nvidia_driver", "nvidia_driver_min_version", 570.86, "is the number 570.86"),
    ("cuda_toolkit", "cuda_toolkit_version", "13", "is not auto or a CUDA version MAJOR.MINOR"),
    ("cuda_toolkit", "cuda_toolkit_version", "latest", "is not auto or a CUDA version MAJOR.MINOR"),
    ("nvidia_driver", "nvidia_driver_branch", "R580", "is not auto, latest, a driver branch"),
    ("nvidia_driver", "nvidia_driver_branch", "580; reboot", "is not auto, latest, a driver branch"),
    ("nvidia_driver", "nvidia_driver_min_version", "latest", "is not empty, a branch"),
    # Kernel arguments given as a string, or with a blank inside one.
    ("nvidia_driver", "nvidia_driver_kernel_args", "pci=realloc iommu=pt", "is the string 'pci=realloc iommu=pt', not a list"),
    ("nvidia_driver", "nvidia_driver_kernel_args", ["pci=realloc iommu=pt"], "contains ' '"),
    ("nvidia_driver", "nvidia_driver_kernel_args_remove", ["$(reboot)"], "contains '$'"),
    ("nvidia_driver", "nvidia_driver_dmesg_fail_on", ["hardware", "everything"], "holds 'everything'; each item must be one of"),
    ("nvidia_driver", "nvidia_driver_dmesg_fail_on", "hardware", "is the string 'hardware', not a list"),
    ("nvidia_driver", "nvidia_driver_reboot_timeout", 0, "must be a positive number of seconds"),
    ("nvidia_driver", "nvidia_driver_lock_timeout", -1, "must not be negative"),
    ("nvidia_driver", "nvidia_driver_smi_timeout", 2.5, "must be a whole number"),
    ("cuda_repo", "cuda_repo_key_fingerprint", "3BF863CC", "is not a full OpenPGP fingerprint"),
    ("cuda_repo", "cuda_repo_key_fingerprints", {"debian12": "A4B469963BF863CC"}, "cuda_repo_key_fingerprints[debian12]"),
    ("cuda_repo", "cuda_repo_base_url", "https://mirror/cuda\nTypes: deb", "is not an http or https URL"),
    ("cuda_repo", "cuda_repo_key_url", "ftp://mirror/key.pub", "is not an http or https URL"),
    ("cuda_repo", "cuda_repo_keyring", "/etc/apt/trusted.gpg.d/nvidia.asc", "apt trusts keys there for every source"),
    ("cuda_repo", "cuda_repo_keyring", "keyrings/nvidia.asc", "is not an absolute path"),
    ("gpu_report", "gpu_report_formats", ["markdown", "html"], "holds 'html'"),
])
def test_a_bad_value_is_named(role, name, value, problem):
    errors, _warnings = RI.check(role, options(role), dict(defaults(role), **{name: value}))
    assert len(errors) == 1 and errors[0].startswith(name) and problem in errors[0], errors


@pytest.mark.parametrize("role, name, value", [
    ("nvidia_driver", "nvidia_driver_branch", "580"),
    ("nvidia_driver", "nvidia_driver_branch", "580.105.08"),
    ("nvidia_driver", "nvidia_driver_branch", 595),          # an unquoted branch is still the branch
    ("nvidia_driver", "nvidia_driver_min_version", "570.86.15"),
    ("cuda_toolkit", "cuda_toolkit_version", "12.10"),
    ("cuda_repo", "cuda_repo_key_fingerprint", "eb69 3b30 35cd 5710 e231  e123 a4b4 6996 3bf8 63cc"),
    ("cuda_repo", "cuda_repo_base_url", "https://user:secret@mirror.example/cuda/repos"),
    ("nvidia_driver", "nvidia_driver_kernel_args", ["pci=realloc", "nvidia-drm.modeset=1"]),
])
def test_a_good_value_passes(role, name, value):
    assert RI.check(role, options(role), dict(defaults(role), **{name: value})) == ([], [])


def test_credentials_are_masked_in_the_message():
    errors, _w = RI.check("cuda_repo", options("cuda_repo"), {"cuda_repo_base_url": "https://user:secret@mirror/a b"})
    assert "secret" not in errors[0] and "<credentials>@" in errors[0]


def test_unknown_prefixed_variables_are_warned_about_and_others_ignored():
    values = dict(defaults("nvidia_driver"), nvidia_driver_brnach="580", nvidia_driver_result={},
                  nvidia_smi_expected_gpus=1, cuda_toolkit_version="13.5", nvidia_driver_something_else=True)
    errors, warnings = RI.check("nvidia_driver", options("nvidia_driver"), values)
    assert errors == []
    assert warnings == [
        "nvidia_driver_brnach is set, but the nvidia_driver role has no such variable (did you mean "
        "nvidia_driver_branch?); it is ignored.",
        "nvidia_driver_something_else is set, but the nvidia_driver role has no such variable; it is ignored."]


def test_an_unset_optional_variable_is_no_error():
    values = dict(defaults("nvidia_driver"), nvidia_driver_expected_gpus=None)
    assert RI.check("nvidia_driver", options("nvidia_driver"), values) == ([], [])


def test_a_raw_at_sign_in_the_credentials_is_refused_without_showing_them():
    # Issue #30: "user:p@ss@mirror" split the URL at the first '@'.
    errors, _w = RI.check("cuda_repo", options("cuda_repo"), {"cuda_repo_base_url": "http://user:p@ss@mirror/cuda/repos"})
    assert len(errors) == 1 and "contain a raw '@'; percent-encode it as %40" in errors[0]
    assert "p@ss" not in errors[0] and "<credentials>@" in errors[0]
    assert RI.check("cuda_repo", options("cuda_repo"), {"cuda_repo_base_url": "http://user:p%40ss@mirror/cuda/repos"})[0] == []

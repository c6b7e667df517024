# -*- coding: utf-8 -*-
"""platform_check: the one platform check every role runs first (nvidia_support.platform_error
through the action plugin), without a round trip when the play has the facts."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.passthrough.nvidia.plugins.action.platform_check import ActionModule
from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_support import platform_error

# ansible.builtin.setup's min+virtual answers on a stock Debian 12 VM and an Ubuntu 24.04 one.
BOOKWORM = {"distribution": "Debian", "distribution_release": "bookworm", "distribution_version": "12.12",
            "architecture": "x86_64", "virtualization_type": "kvm", "virtualization_role": "guest"}
NOBLE = dict(BOOKWORM, distribution="Ubuntu", distribution_release="noble", distribution_version="24.04")


def action(args=None, gathered=None):
    task = MagicMock()
    task.args = args or {}
    task.check_mode = False
    task.async_val = 0
    plugin = ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    plugin._execute_module = MagicMock(return_value=gathered or {})
    plugin._remove_tmp_path = MagicMock()
    return plugin


@pytest.mark.parametrize("facts, supported", [
    (BOOKWORM, True),
    (dict(BOOKWORM, distribution_release="trixie", distribution_version="13.2"), True),
    (NOBLE, False),
    # Ubuntu's and Debian's code names never meet, but a derivative may report Debian's.
    (dict(BOOKWORM, distribution="Devuan"), False),
    (dict(BOOKWORM, architecture="aarch64"), False),
    (dict(BOOKWORM, distribution_release="bullseye", distribution_version="11.11"), False),
    ({}, False),
    (None, False),
])
def test_platform_error_decides(facts, supported):
    assert (platform_error("g1", facts) == "") is supported


def test_platform_error_names_the_guest_what_it_runs_and_what_is_supported():
    assert platform_error("g1", NOBLE) == (
        "g1 runs Ubuntu 24.04 (noble) on x86_64, which passthrough.nvidia does not support. Supported: "
        "Debian 12 (bookworm), Debian 13 (trixie) on x86_64. Nothing was changed on this guest.")
    assert platform_error("g2", {}).startswith("g2 runs an unknown distribution (unknown release) on an unknown architecture,")


def test_facts_the_play_has_need_no_round_trip():
    plugin = action()
    res = plugin.run(task_vars={"ansible_facts": BOOKWORM, "inventory_hostname": "g1"})
    assert not res.get("failed") and res["msg"] == "Debian bookworm on x86_64" and not res["changed"]
    assert res["platform"]["distribution_version"] == "12.12" and "ansible_facts" not in res
    plugin._execute_module.assert_not_called()


def as_setup_answers(facts):
    """ansible.builtin.setup's own answer: every fact named ansible_<name> (Ansible strips the
    prefix when it stores them as ansible_facts; ansible/vars/clean.py namespace_facts)."""
    return {"ansible_facts": dict(("ansible_" + k, v) for k, v in facts.items()), "changed": False}


def test_missing_facts_are_gathered_once_and_returned():
    plugin = action(gathered=as_setup_answers(NOBLE))
    res = plugin.run(task_vars={"ansible_facts": {"distribution": "Ubuntu"}, "inventory_hostname": "g1"})
    assert res["failed"] and res["msg"].startswith("g1 runs Ubuntu 24.04 (noble)")
    assert res["ansible_facts"] == as_setup_answers(NOBLE)["ansible_facts"]


def test_a_supported_guest_without_facts_passes_after_the_gather():
    # A play with gather_facts: false on a Debian 12 guest (molecule/branches' verify).
    plugin = action(gathered=as_setup_answers(BOOKWORM))
    res = plugin.run(task_vars={"inventory_hostname": "g1"})
    assert not res.get("failed") and res["msg"] == "Debian bookworm on x86_64"
    assert res["platform"]["distribution_version"] == "12.12"
    assert plugin._execute_module.call_args.kwargs["module_args"] == {"gather_subset": ["!all", "min", "virtual"]}


def test_a_failed_gather_is_the_failure():
    plugin = action(gathered={"failed": True, "msg": "Permission denied"})
    res = plugin.run(task_vars={"inventory_hostname": "g1"})
    assert res["failed"] and res["msg"] == "platform_check could not gather facts: Permission denied"


def test_options_are_refused():
    with pytest.raises(AnsibleActionFail, match="Invalid options .*: release|platform_check takes only role"):
        action({"release": "bookworm"}).run(task_vars={"ansible_facts": BOOKWORM})


class Templar(object):
    """Ansible's templar for the values these tests give: plain data, templated as themselves."""

    def template(self, value):
        return value


def role_action(args):
    plugin = action(args)
    plugin._templar = Templar()
    return plugin


def test_the_roles_variables_are_checked_with_the_platform():
    plugin = role_action({"role": "cuda_toolkit"})
    res = plugin.run(task_vars={"ansible_facts": BOOKWORM, "inventory_hostname": "g1", "cuda_toolkit_version": 12.1})
    assert res["failed"] and res["msg"].startswith("cuda_toolkit_version is the number 12.1, not a string")
    assert res["msg"].endswith("Nothing was changed.")


def test_a_typo_is_warned_about_with_the_name_meant():
    plugin = role_action({"role": "nvidia_driver"})
    res = plugin.run(task_vars={"ansible_facts": BOOKWORM, "inventory_hostname": "g1",
                                "nvidia_driver_kernel_arg": ["pci=realloc"], "nvidia_driver_result": {}})
    assert not res.get("failed")
    assert res["warnings"] == ["nvidia_driver_kernel_arg is set, but the nvidia_driver role has no such variable "
                               "(did you mean nvidia_driver_kernel_args?); it is ignored."]


def test_an_unknown_role_is_refused():
    with pytest.raises(AnsibleActionFail, match="not a role of this collection"):
        role_action({"role": "nope"}).run(task_vars={"ansible_facts": BOOKWORM})


def test_an_unsupported_platform_is_said_before_the_variables():
    res = role_action({"role": "cuda_toolkit"}).run(task_vars={"ansible_facts": NOBLE, "inventory_hostname": "g1",
                                                               "cuda_toolkit_version": 12.1})
    assert res["failed"] and res["msg"].startswith("g1 runs Ubuntu 24.04") and "errors" not in res


def test_only_the_variables_for_a_role_on_the_controller():
    plugin = role_action({"role": "gpu_report", "platform": False})
    res = plugin.run(task_vars={"gpu_report_formats": ["html"]})
    assert res["failed"] and res["msg"].startswith("gpu_report_formats holds 'html'")
    plugin._execute_module.assert_not_called()
    assert not role_action({"role": "gpu_report", "platform": False}).run(task_vars={}).get("failed")

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""platform_check runs on the controller: with the facts the play already has it answers
without a round trip; only when they are missing does it gather them (setup, min and virtual).
With ``role`` it also checks that role's variables (module_utils/role_inputs.py) against the
role's meta/argument_specs.yml, before the role changes anything."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.passthrough.nvidia.plugins.module_utils import role_inputs
from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_support import (
    PLATFORM_FACTS,
    platform_error,
)

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


def role_options(role):
    """The options of a role's entry point main, from its meta/argument_specs.yml."""
    path = os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml")
    if not os.path.isfile(path):
        raise AnsibleActionFail("platform_check: role %r is not a role of this collection" % role)
    with open(path) as f:
        return (yaml.safe_load(f) or {})["argument_specs"]["main"].get("options") or {}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(["role", "platform"])

    def check_role(self, role, task_vars):
        """(errors, warnings) of the role's variables as the role will see them."""
        options = role_options(role)
        values = {}
        for name in task_vars:
            if name.startswith(role + "_"):
                try:
                    values[name] = self._templar.template(task_vars[name])
                except Exception as e:  # pylint: disable=broad-except
                    values[name] = None
                    if name in options:
                        return ["%s cannot be templated: %s" % (name, e)], []
        return role_inputs.check(role, options, values)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        unknown = set(self._task.args) - self._VALID_ARGS
        if unknown:
            raise AnsibleActionFail("platform_check takes only role (given: %s)" % ", ".join(sorted(unknown)))
        role = self._task.args.get("role")
        if role is not None and not isinstance(role, str):
            raise AnsibleActionFail("platform_check: role must be a role name")
        if not self._task.args.get("platform", True):
            if not role:
                raise AnsibleActionFail("platform_check: platform false checks nothing without role")
            errors, warnings = self.check_role(role, task_vars)
            result.update(changed=False, msg="%s's variables" % role, warnings=warnings)
            if errors:
                result.update(failed=True, msg="%s Nothing was changed." % " ".join(errors), errors=errors)
            return result
        facts = dict(task_vars.get("ansible_facts") or {})
        if any(name not in facts for name in PLATFORM_FACTS):
            gathered = self._execute_module(module_name="ansible.legacy.setup",
                                            module_args={"gather_subset": ["!all", "min", "virtual"]},
                                            task_vars=task_vars)
            self._remove_tmp_path(self._connection._shell.tmpdir)
            if gathered.get("failed") or gathered.get("unreachable"):
                return dict(gathered, msg="platform_check could not gather facts: %s" % gathered.get("msg", ""))
            # setup names its facts ansible_<name>; Ansible strips the prefix when it stores them.
            answered = gathered.get("ansible_facts") or {}
            facts.update((k[len("ansible_"):] if k.startswith("ansible_") else k, v) for k, v in answered.items())
            result["ansible_facts"] = answered
        host = task_vars.get("inventory_hostname", "this guest")
        error = platform_error(host, facts)
        result.update(changed=False, platform={name: facts.get(name) for name in PLATFORM_FACTS})
        if error:
            result.update(failed=True, msg=error)
            return result
        result["msg"] = "%s %s on %s" % (facts["distribution"], facts["distribution_release"], facts["architecture"])
        if role:
            errors, warnings = self.check_role(role, task_vars)
            if warnings:
                result["warnings"] = warnings
            if errors:
                result.update(failed=True, msg="%s Nothing was changed." % " ".join(errors), errors=errors)
        return result

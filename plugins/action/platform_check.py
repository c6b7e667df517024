# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""platform_check runs on the controller: with the facts the play already has it answers
without a round trip; only when they are missing does it gather them (setup, min and virtual)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_support import (
    PLATFORM_FACTS,
    platform_error,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        if self._task.args:
            raise AnsibleActionFail("platform_check takes no options (given: %s)" % ", ".join(sorted(self._task.args)))
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
        else:
            result["msg"] = "%s %s on %s" % (facts["distribution"], facts["distribution_release"], facts["architecture"])
        return result

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The gpu_report module runs here, on the controller, in-process: the report is a file of the
controller, and starting a module process for it cost a third of a second in every run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.passthrough.nvidia.plugins.module_utils.gpu_report import (
    ARGUMENT_SPEC,
    ReportError,
    guest_from_hostvars,
    produce,
)


def probes_by_host(probes):
    """{host: result} from a registered loop result (results, each with its item)."""
    out = {}
    for result in (probes or {}).get("results") or []:
        if isinstance(result, dict) and result.get("item") is not None:
            out[result["item"]] = result
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        validator = ArgumentSpecValidator(ARGUMENT_SPEC, mutually_exclusive=[("guests", "hosts")],
                                          required_one_of=[("guests", "hosts")])
        validated = validator.validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail("gpu_report: %s" % "; ".join(validated.error_messages))
        p = validated.validated_parameters
        try:
            if p["hosts"] is None:
                guests = p["guests"]
            else:
                hostvars = task_vars.get("hostvars") or {}
                probes = probes_by_host(p["probes"])
                missing = [h for h in p["hosts"] if h not in hostvars]
                if missing:
                    raise ReportError("hosts: %s not in the inventory" % ", ".join(missing))
                guests = [guest_from_hostvars(h, hostvars[h], probes.get(h), p["active_hosts"]) for h in p["hosts"]]
            report = produce(guests, p, check_mode=self._task.check_mode, diff=self._task.diff,
                             source="guests" if p["hosts"] is None else "hosts")
        except ReportError as e:
            raise AnsibleActionFail("%s; no report written" % to_native(e))
        result.update(report)
        return result

# -*- coding: utf-8 -*-
"""The gpu_report action plugin: the report written on the controller, in-process, from the
hostvars a run leaves (as site.yml's report play calls it)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.passthrough.nvidia.plugins.action.gpu_report import ActionModule, probes_by_host

REAL = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "real", "h100-580", "modules")


def real_result(name):
    with open(os.path.join(REAL, name)) as f:
        text = f.read()
    return json.loads(text[text.index("{"):])


HOSTVARS = {
    "gpu-ok": {"ansible_facts": {"distribution": "Debian", "distribution_major_version": "12"},
               "passthrough_setup": {"changed": False}, "__gpu_report_smi": real_result("nvidia_smi.out"),
               "nvidia_driver_result": {"dmesg": real_result("dmesg_check.out"), "reboot_required": False}},
    "gpu-gone": {"passthrough_setup": {"unreachable": True, "msg": "Connection refused"}},
    "gpu-failed": {"ansible_facts": {"distribution": "Debian", "distribution_major_version": "13"},
                   "passthrough_setup": {"changed": False},
                   "passthrough_failure": {"task": "Install the NVIDIA driver", "msg": "E: Unable to locate package"}},
}


def action(args, check_mode=False, diff=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    return ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)


def test_report_from_hostvars_written_in_process(tmp_path):
    dest = tmp_path / "reports" / "20261125T100000Z"
    res = action({"hosts": ["gpu-ok", "gpu-gone", "gpu-failed"], "dest": str(dest), "generated": "2026-11-25T10:00:00Z",
                  "active_hosts": ["gpu-ok", "gpu-gone", "gpu-failed"],
                  "probes": {"results": [{"item": "gpu-gone", "skipped": True}]}}).run(task_vars={"hostvars": HOSTVARS})
    assert res["changed"] and res["files"] == [str(dest / "gpu-report.md"), str(dest / "gpu-report.json")]
    doc = json.loads((dest / "gpu-report.json").read_text())
    assert [(g["host"], g["status"]) for g in doc["guests"]] == [
        ("gpu-failed", "misconfigured"), ("gpu-gone", "unreachable"), ("gpu-ok", "ok")]
    assert doc["guests"][0]["status_reason"] == "the run stopped at 'Install the NVIDIA driver': E: Unable to locate package"
    assert res["table"][-1] == "3 guests: 1 misconfigured, 1 unreachable, 1 ok"


def test_check_mode_writes_nothing_and_diff_shows_it(tmp_path):
    dest = tmp_path / "r"
    res = action({"hosts": ["gpu-ok"], "dest": str(dest), "formats": ["markdown"]}, check_mode=True,
                 diff=True).run(task_vars={"hostvars": HOSTVARS})
    assert res["changed"] and not dest.exists()
    assert res["diff"][0]["after"].startswith("# GPU report\n")


def test_the_same_report_twice_is_not_a_change(tmp_path):
    args = {"hosts": ["gpu-ok"], "dest": str(tmp_path), "generated": "2026-11-25T10:00:00Z"}
    assert action(args).run(task_vars={"hostvars": HOSTVARS})["changed"]
    assert not action(args).run(task_vars={"hostvars": HOSTVARS})["changed"]


def test_guests_given_directly(tmp_path):
    res = action({"guests": [{"host": "g", "reachable": False, "error": "down"}], "dest": str(tmp_path)}).run(task_vars={})
    assert res["summary"]["unreachable"] == 1


@pytest.mark.parametrize("args, message", [
    ({"dest": "DEST"}, "one of the following is required: guests, hosts"),
    ({"guests": [], "hosts": ["a"], "dest": "DEST"}, "mutually exclusive: guests|hosts"),
    ({"hosts": ["nobody"], "dest": "DEST"}, "hosts: nobody not in the inventory; no report written"),
    ({"guests": [{"kernel_args": "pci=realloc"}], "dest": "DEST"},
     "guests: guests[0].host must be a non-empty string without control characters; no report written"),
    ({"guests": [], "dest": "DEST", "formats": ["html"]}, "formats"),
    ({"guests": [], "dest": "DEST", "mode": "rw"}, "mode must be an octal string"),
])
def test_bad_arguments_are_refused_naming_them(args, message, tmp_path):
    args = dict(args, dest=str(tmp_path / "x"))
    with pytest.raises(AnsibleActionFail) as e:
        action(args).run(task_vars={"hostvars": HOSTVARS})
    assert message in str(e.value)


def test_probes_by_host_ignores_results_without_an_item():
    assert probes_by_host({"results": [{"item": "a", "rc": 0}, {"rc": 1}, "junk"]}) == {"a": {"item": "a", "rc": 0}}
    assert probes_by_host({}) == {} and probes_by_host(None) == {}

# -*- coding: utf-8 -*-
"""site.yml's rollout, run for real by ansible-playbook: the batches its serial keyword makes
from passthrough_serial, the stop when passthrough_serial was set where Ansible cannot read it
(the inventory), and the stop after a batch with too many failed guests. The play is site.yml's
own first play (hosts, serial, its rollout tasks, read from the file) with the roles replaced by
a task that fails the guests a test names, on three local hosts."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "playbooks", "site.yml")
ROLLOUT_TASK = "Check the rollout and say which batch this is"
STOP_TASK = "Stop the rollout when too many guests of this batch failed"


def rollout_play():
    with open(SITE) as f:
        play = yaml.safe_load(f)[0]
    pre = [t for t in play["pre_tasks"] if t["name"] == ROLLOUT_TASK]
    post = [t for t in play["post_tasks"] if t["name"] == STOP_TASK]
    assert len(pre) == 1 and len(post) == 1, "site.yml's rollout tasks were renamed"
    fail = {"name": "Stand-in for the roles: fail the guests named in fail_hosts",
            "ansible.builtin.set_fact": {"passthrough_failure": {"task": "x", "msg": "failed"}},
            "when": "inventory_hostname in (fail_hosts | default([]))"}
    return [{"name": play["name"], "hosts": play["hosts"], "gather_facts": False, "serial": play["serial"],
             "pre_tasks": pre, "tasks": [fail], "post_tasks": post}]


def run(tmp_path, extra=None, group_vars=None):
    hosts = dict(("g%d" % i, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable})
                 for i in (1, 2, 3))
    inv = {"passthrough_guests": {"hosts": hosts, "vars": group_vars or {}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inv))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(rollout_play(), sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "inv.yml"),
           str(tmp_path / "play.yml")]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    out = json.loads(res.stdout)
    batches, messages = [], []
    for play in out["plays"]:
        for task in play["tasks"]:
            for host_result in task["hosts"].values():
                if task["task"]["name"] == ROLLOUT_TASK and not host_result.get("failed"):
                    batches.append(host_result["msg"])
                if host_result.get("failed"):
                    messages.append(host_result.get("msg", ""))
    return res.returncode, batches, messages


def test_without_passthrough_serial_the_fleet_is_one_batch(tmp_path):
    rc, batches, _m = run(tmp_path)
    assert rc == 0 and batches == ["Batch of 3 of 3 guests: g1, g2, g3"]


def test_three_guests_with_a_batch_of_one_run_in_three_batches(tmp_path):
    rc, batches, _m = run(tmp_path, {"passthrough_serial": 1})
    assert rc == 0
    assert batches == ["Batch of 1 of 3 guests: g1", "Batch of 1 of 3 guests: g2", "Batch of 1 of 3 guests: g3"]


def test_a_percentage_makes_batches_too(tmp_path):
    rc, batches, _m = run(tmp_path, {"passthrough_serial": "50%"})
    assert rc == 0 and len(batches) == 3  # 50% of 3 is one guest a batch


@pytest.mark.parametrize("value", [1, "2", "50%"])
def test_passthrough_serial_in_the_inventory_stops_before_anything_changes(tmp_path, value):
    rc, batches, messages = run(tmp_path, group_vars={"passthrough_serial": value})
    assert rc == 2 and batches == []
    assert messages and "it was set in the inventory" in messages[0]
    assert "-e passthrough_serial=%s" % value in messages[0] and "Nothing was changed" in messages[0]


def test_passthrough_serial_of_the_whole_fleet_in_the_inventory_is_no_rollout_to_stop(tmp_path):
    rc, batches, _m = run(tmp_path, group_vars={"passthrough_serial": "100%"})
    assert rc == 0 and len(batches) == 1


def test_a_failed_guest_stops_the_rollout_after_its_batch(tmp_path):
    rc, batches, _m = run(tmp_path, {"passthrough_serial": 1, "fail_hosts": ["g1"]})
    assert batches == ["Batch of 1 of 3 guests: g1"]


def test_the_failure_threshold_lets_a_rollout_go_on(tmp_path):
    rc, batches, _m = run(tmp_path, {"passthrough_serial": 2, "fail_hosts": ["g1"],
                                     "passthrough_max_fail_percentage": 50})
    assert len(batches) == 2  # 1 of 2 failed: 50 %, not more than 50 %
    rc, batches, _m = run(tmp_path, {"passthrough_serial": 2, "fail_hosts": ["g1"],
                                     "passthrough_max_fail_percentage": 49})
    assert len(batches) == 1


def test_a_failed_command_keeps_its_exit_code_and_stderr_for_the_report(tmp_path):
    """site.yml's own rescue task, after a command that fails the way update-grub or dkms do: the
    failure the report shows says more than Ansible's "non-zero return code"."""
    with open(SITE) as f:
        block = [t for t in yaml.safe_load(f)[0]["tasks"] if "rescue" in t][0]
    keep = [t for t in block["rescue"] if "passthrough_failure" in t.get("ansible.builtin.set_fact", {})]
    assert len(keep) == 1, "site.yml's rescue no longer keeps passthrough_failure"
    play = [{"name": "rescue", "hosts": "g1", "gather_facts": False, "tasks": [
        {"name": "fail", "block": [{"name": "A command that fails", "ansible.builtin.shell":
                                    "echo first >&2; echo 'grub-probe: error: failed to get canonical path' >&2; exit 3"}],
         "rescue": keep + [{"name": "show", "ansible.builtin.debug": {"var": "passthrough_failure"}}]}]}]
    (tmp_path / "inv.yml").write_text(yaml.safe_dump({"all": {"hosts": {"g1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    res = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                          str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    out = json.loads(res.stdout)
    shown = [h for t in out["plays"][0]["tasks"] if t["task"]["name"] == "show" for h in t["hosts"].values()][0]
    failure = shown["passthrough_failure"]
    assert failure["task"] == "A command that fails"
    assert failure["msg"] == ("non-zero return code (exit code 3: first | grub-probe: error: failed to get canonical path)")

# -*- coding: utf-8 -*-
"""What the roles hand each other: one documented result each, and nothing else. A role reads
no variable of another role except that role's result (<role>_result), and each result's keys
are the ones its argument specs document."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import sys

import pytest
import yaml

from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_plan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("cuda_repo", "nvidia_driver", "cuda_toolkit", "gpu_report")
NAME_RE = re.compile(r"\b_{0,2}(%s)_[a-z0-9_]+\b" % "|".join(ROLES))
COMMENT_RE = re.compile(r"(^|\s)#.*$")


def role_files(role):
    for sub in ("tasks", "vars", "defaults", "handlers", "templates"):
        top = os.path.join(ROOT, "roles", role, sub)
        for dirpath, _dirs, names in os.walk(top):
            for name in sorted(names):
                yield os.path.join(dirpath, name)


def names_used(role):
    """(name, file:line) of every variable of one of the collection's roles in a role's files
    (comments left out)."""
    for path in role_files(role):
        with open(path) as f:
            for number, line in enumerate(f, 1):
                code = line if path.endswith(".j2") else COMMENT_RE.sub("", line)
                for m in NAME_RE.finditer(code):
                    yield m.group(0), "%s:%d" % (os.path.relpath(path, ROOT), number)


def result_description(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as f:
        desc = yaml.safe_load(f)["argument_specs"]["main"]["description"]
    text = [d for d in desc if d.startswith("Result - ")]
    assert len(text) == 1, "%s: one 'Result - ' paragraph in the description" % role
    return text[0]


def vars_main(role):
    with open(os.path.join(ROOT, "roles", role, "vars", "main.yml")) as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("role", ROLES)
def test_a_role_reads_no_other_roles_variables_but_their_results(role):
    foreign = [(name, where) for name, where in names_used(role)
               if not name.lstrip("_").startswith(role + "_") and not re.match(r"^(%s)_result$" % "|".join(ROLES), name)]
    assert foreign == []


def test_the_scan_sees_a_foreign_variable(tmp_path, monkeypatch):
    # The test above would pass on a scanner that finds nothing: it must find this one.
    (tmp_path / "roles" / "x" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "x" / "tasks" / "main.yml").write_text(
        "- ansible.builtin.debug:\n    msg: \"{{ nvidia_driver_plan }}\"  # cuda_repo_url in a comment\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    assert list(names_used("x")) == [("nvidia_driver_plan", "roles/x/tasks/main.yml:2")]


@pytest.mark.parametrize("role", ["cuda_repo", "nvidia_driver", "cuda_toolkit"])
def test_each_role_sets_its_result_in_one_task(role):
    setters = []
    for path in role_files(role):
        if path.endswith(".yml") and "/tasks/" in path:
            with open(path) as f:
                for task in yaml.safe_load(f) or []:
                    for t in [task] + task.get("block", []) + task.get("always", []) + task.get("rescue", []):
                        if role + "_result" in (t.get("ansible.builtin.set_fact") or {}):
                            setters.append(t["name"])
    assert len(setters) == 1, setters
    assert ("sets %s_result" % role) in result_description(role)


@pytest.mark.parametrize("role", ["cuda_repo", "nvidia_driver"])
def test_the_result_has_the_documented_keys(role):
    keys = set(vars_main(role)["__%s_result" % role])
    text = result_description(role)
    named = set(re.findall(r"\b[a-z][a-z_]+\b", text))
    assert keys <= named, keys - named


def test_the_toolkit_result_has_the_documented_keys():
    plan = driver_plan.plan_toolkit([], version="auto", available=[])
    text = result_description("cuda_toolkit")
    assert set(plan) <= set(re.findall(r"\b[a-z][a-z_]+\b", text)), set(plan)


def _defined(tasks, acc):
    for t in tasks or []:
        if not isinstance(t, dict):
            continue
        for key in ("block", "rescue", "always"):
            _defined(t.get(key), acc)
        if t.get("register"):
            acc.add(t["register"])
        facts = t.get("ansible.builtin.set_fact")
        if isinstance(facts, dict):
            acc.update(k for k in facts if k != "cacheable")
        if isinstance(t.get("vars"), dict):
            acc.update(t["vars"])


@pytest.mark.parametrize("role", ROLES)
def test_the_public_names_are_the_defaults_and_the_result(role):
    """linux-system-roles' convention: what a role defines for itself (vars/main.yml, registered
    results, facts, task vars) is __<role>_*; only its defaults and its result carry the bare prefix."""
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as f:
        public = set(yaml.safe_load(f) or {}) | {role + "_result"}
    defined = set(vars_main(role) or {}) if os.path.exists(os.path.join(ROOT, "roles", role, "vars", "main.yml")) else set()
    for path in role_files(role):
        if path.endswith(".yml") and ("/tasks/" in path or "/handlers/" in path):
            with open(path) as f:
                _defined(yaml.safe_load(f), defined)
    wrong = sorted(n for n in defined if n.startswith(role + "_") and n not in public)
    assert wrong == []
    assert role + "_result" in defined

# -*- coding: utf-8 -*-
"""Renders expressions with a role's defaults and vars as a play would, by Ansible's own templar
and with this collection's filters found by FQCN. Run as a program (a fresh process: Ansible's
collection finder must be installed before anything imports ansible_collections, which pytest's
other tests have done). Reads JSON from stdin: {"role": NAME, "vars": {...} (data),
"templates": {...} (more variables, templated as a task's vars are), "set_facts_of": [...] (task
files of the role whose set_fact tasks run first, in order, as a play runs them: the facts they
keep), "exprs": [...]}; writes the rendered expressions as a JSON list."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    _AnsibleCollectionFinder(paths=[os.path.join(ROOT, ".collections")])._install()
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    req = json.load(sys.stdin)
    role = os.path.join(ROOT, "roles", req["role"])
    loader = DataLoader()
    variables = {}
    for rel in ("defaults/main.yml", "vars/main.yml"):
        variables.update(loader.load_from_file(os.path.join(role, rel), trusted_as_template=True) or {})
    variables.update(req.get("vars") or {})
    variables.update(dict((k, trust_as_template(v)) for k, v in (req.get("templates") or {}).items()))
    templar = Templar(loader=loader, variables=variables)
    for rel in req.get("set_facts_of") or []:
        for task in loader.load_from_file(os.path.join(role, rel), trusted_as_template=True) or []:
            for key, value in (task.get("ansible.builtin.set_fact") or {}).items():
                variables[key] = templar.template(value)
                templar = Templar(loader=loader, variables=variables)
    json.dump([templar.template(trust_as_template(e)) for e in req["exprs"]], sys.stdout)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
"""Run a module's main() in-process, as community.general's unit tests do."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

try:  # ansible-core 2.19+: module warnings go to the controller's display once it is loaded
    from ansible.module_utils import _internal
except ImportError:
    _internal = None
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result.get("msg"))
        self.result = result
        self.failed = failed


@pytest.fixture
def run_module(monkeypatch):
    _warnings._global_warnings.clear()
    # Modules run on the guest, where no controller code is loaded: once a test in this
    # process imports controller code (a test plugin's errors, say), ansible-core would send
    # module warnings to the controller's display instead of the module's result.
    if _internal is not None:
        monkeypatch.setattr(_internal, "is_controller", False)

    def exit_json(self, **kw):
        kw.setdefault("changed", False)
        kw["warnings"] = list(_warnings.get_warning_messages())
        raise ModuleExit(json.loads(json.dumps(kw)), False)

    def fail_json(self, **kw):
        # As AnsibleModule.fail_json does, the warnings said so far go with the failure.
        kw["warnings"] = list(_warnings.get_warning_messages())
        raise ModuleExit(json.loads(json.dumps(kw)), True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(module, args):
        with patch_module_args(args):
            with pytest.raises(ModuleExit) as e:
                module.main()
        return e.value.result, e.value.failed

    return run

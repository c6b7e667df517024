# -*- coding: utf-8 -*-
"""cuda_repo's apt credentials (auth.conf(5)), rendered by Ansible's own templar from the role's
files (tests/unit/render_role_vars.py). Issue #30: apt uses a machine line without a scheme for
https only; the line of an http mirror must say http:// or apt never sends the credentials."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def render(exprs, **variables):
    variables.setdefault("ansible_facts", {"distribution_release": "bookworm", "architecture": "x86_64",
                                           "distribution": "Debian"})
    req = {"role": "cuda_repo", "vars": variables, "templates": {}, "exprs": exprs}
    out = subprocess.run([sys.executable, os.path.join(HERE, "render_role_vars.py")], input=json.dumps(req),
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.parametrize("url, machine", [
    ("http://user:s%40cret@mirror.example:8080/cuda/repos", "machine http://mirror.example:8080/cuda/repos/debian12/x86_64/"),
    ("https://user:s%40cret@mirror.example/cuda/repos", "machine mirror.example/cuda/repos/debian12/x86_64/"),
])
def test_the_auth_line_keeps_http_and_decodes_the_password(url, machine):
    content = render(["{{ __cuda_repo_auth_content }}"], cuda_repo_base_url=url)[0]
    assert content.strip() == machine + " login user password s@cret"

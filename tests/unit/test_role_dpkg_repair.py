# -*- coding: utf-8 -*-
"""The nvidia_driver role's dpkg repair (issue #30): dpkg --configure -a must not stop at a conffile
prompt (an edited conffile would block every later run), and only dpkg's own lock is waited for.
The task's expressions are rendered by Ansible's templar (tests/unit/render_role_vars.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERGE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "roles", "nvidia_driver", "tasks", "converge.yml")


def repair_task():
    with open(CONVERGE) as f:
        return [t for t in yaml.safe_load(f) if t.get("name") == "Finish an interrupted dpkg run (a killed earlier converge)"][0]


def test_the_repair_answers_conffile_questions_without_a_terminal():
    task = repair_task()
    argv = task["ansible.builtin.command"]["argv"]
    assert argv[0] == "dpkg" and argv[-2:] == ["--configure", "-a"]
    assert "--force-confdef" in argv and "--force-confold" in argv
    assert task["environment"]["DEBIAN_FRONTEND"] == "noninteractive"


# Real dpkg 1.21 (Debian 12) texts: the lock, and errors that merely contain the letters.
@pytest.mark.parametrize("stderr, retried", [
    ("dpkg: error: dpkg frontend lock was locked by another process with pid 4242\n"
     "Note: removing the lock file is always wrong, and can end up damaging the\n", True),
    ("dpkg: error: dpkg frontend lock is locked by another process\n", True),
    ("dpkg: error processing package nvidia-kernel-dkms (--configure):\n installed post-installation script "
     "subprocess returned error exit status 10\nError! Bad return status for module build on kernel: 6.1.0 "
     "(x86_64)\nclock skew detected; block device busy\n", False),
])
def test_only_dpkgs_lock_is_waited_for(stderr, retried):
    until = repair_task()["until"]
    req = {"role": "nvidia_driver", "vars": {"__nvidia_driver_dpkg_repair": {"rc": 2, "stderr": stderr}},
           "templates": {}, "exprs": ["{{ %s }}" % until]}
    out = subprocess.run([sys.executable, os.path.join(HERE, "render_role_vars.py")], input=json.dumps(req),
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    done = json.loads(out.stdout)[0]
    assert done in (True, False, "True", "False")
    assert (str(done) == "False") == retried

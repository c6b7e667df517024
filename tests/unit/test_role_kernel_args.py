# -*- coding: utf-8 -*-
"""The nvidia_driver role's kernel-argument decisions, rendered by Ansible's own templar from the
role's files (vars/main.yml, defaults/main.yml, the tasks; tests/unit/render_role_vars.py), against
what grub_cmdline's code says: one answer to "does the running kernel have argument X?" (the kernel
compares names with '-' and '_' alike), and the drop-in the role expects is byte for byte the one
grub_cmdline creates."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.passthrough.nvidia.plugins.module_utils import grub_cmdline

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "roles", "nvidia_driver")
DROPIN = "/etc/default/grub.d/90-passthrough-nvidia.cfg"


def task(rel, name):
    with open(os.path.join(ROLE, rel)) as f:
        found = [t for t in yaml.safe_load(f) if t.get("name") == name]
    assert len(found) == 1, "%s has no task %r (renamed?)" % (rel, name)
    return found[0]


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render(exprs, args, running, dropin=None, remove=(), templates=None, **extra):
    """The expressions, rendered with the role's defaults and vars for a VM guest whose running
    kernel has the command line ``running`` and whose drop-in holds ``dropin`` (None: none)."""
    contents = {"/proc/cmdline": {"exists": True, "b64": b64(running)},
                DROPIN: {"exists": dropin is not None, "b64": b64(dropin or "")}}
    variables = dict(nvidia_driver_kernel_args=list(args), nvidia_driver_kernel_args_remove=list(remove),
                     nvidia_driver_grub_file=DROPIN, __nvidia_driver_in_container=False,
                     __nvidia_driver_state={"contents": contents},
                     ansible_facts={"packages": {}, "kernel": "6.1.0-41-amd64", "service_mgr": "systemd",
                                    "distribution_release": "bookworm"}, **extra)
    req = {"role": "nvidia_driver", "vars": variables, "templates": templates or {}, "exprs": exprs,
           "set_facts_of": ["tasks/state.yml"]}
    out = subprocess.run([sys.executable, os.path.join(HERE, "render_role_vars.py")], input=json.dumps(req),
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def module_dropin(args):
    """What grub_cmdline writes when kernel_args.yml's task creates the drop-in: the task's own
    initial_content and add, rendered, through the module's edit_content."""
    grub = task("tasks/kernel_args.yml", "Set the kernel arguments")["passthrough.nvidia.grub_cmdline"]
    initial, variable, add = render([grub["initial_content"], grub["variable"], grub["add"]], args, "")
    return grub_cmdline.edit_content(initial, variable, add=add).content


ARGS = ["pci=realloc", "nvidia-drm.modeset=1"]
RUNNING = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-41-amd64 root=UUID=0b1e ro quiet pci=realloc nvidia_drm.modeset=1\n"


def test_the_role_expects_the_drop_in_grub_cmdline_creates():
    assert render(["{{ __nvidia_driver_grub_dropin_wanted }}"], ARGS, RUNNING) == [module_dropin(ARGS)]


def test_a_converged_guest_has_its_kernel_args_in_place_when_the_kernel_spells_them_with_underscores():
    """The kernel was booted with nvidia_drm.modeset=1; the role manages nvidia-drm.modeset=1:
    the same parameter for the kernel and for grub_cmdline, so nothing is to do."""
    assert render(["{{ __nvidia_driver_kernel_args_in_place }}", "{{ 'kernel_args' in __nvidia_driver_changes_needed }}"],
                  ARGS, RUNNING, dropin=module_dropin(ARGS)) == [True, False]


@pytest.mark.parametrize("running", [
    "ro quiet nvidia_drm.modeset=1\n",                   # pci=realloc missing
    "ro quiet pci=realloc nvidia_drm.modeset=0\n",       # another value
    "ro quiet pci=realloc\n",
])
def test_a_kernel_without_an_argument_needs_the_kernel_args_step(running):
    assert render(["{{ __nvidia_driver_kernel_args_in_place }}"], ARGS, running, dropin=module_dropin(ARGS)) == [False]


def test_a_drop_in_with_other_bytes_is_not_in_place():
    dropin = module_dropin(ARGS).replace("pci=realloc", "pci=nocrs")
    assert render(["{{ __nvidia_driver_kernel_args_in_place }}"], ARGS, RUNNING, dropin=dropin) == [False]


def verify_boot_passes(args, running, remove=()):
    """The assertion of verify_running_kernel.yml ('The guest booted with the kernel arguments'), rendered
    as Ansible does: its vars, then every condition of its that."""
    spec = task("tasks/verify_running_kernel.yml", "The guest booted with the kernel arguments")
    conds = spec["ansible.builtin.assert"]["that"]
    got = render(["{{ (%s) | bool }}" % c for c in conds], args, running, remove=remove,
                 templates=spec.get("vars") or {})
    return all(got)


def test_verify_boot_accepts_the_kernels_spelling():
    assert verify_boot_passes(ARGS, RUNNING)


def test_verify_boot_fails_when_an_argument_is_missing_or_a_removed_one_is_there():
    assert not verify_boot_passes(ARGS, "ro quiet nvidia_drm.modeset=1\n")
    assert not verify_boot_passes(["pci=realloc"], "ro pci=realloc nomodeset\n", remove=["nomodeset"])

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# The check runs on the controller (plugins/action/platform_check.py): this file documents it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: platform_check
short_description: Stop at once on a guest this collection does not support
version_added: 0.1.0
description:
  - Checks that the guest runs a Debian release and an architecture that passthrough.nvidia supports
    (the releases and architectures of C(plugins/module_utils/nvidia_support.py), where NVIDIA's
    repositories exist for them), and fails, naming what is supported and saying that nothing was
    changed, when it does not.
  - Every role of the collection runs it as its first task, so a role used alone, or after an
    ignored failure, checks for itself.
  - Runs on the controller from the facts the play already has; only when they are missing does it
    gather them (C(ansible.builtin.setup) with the C(min) and C(virtual) subsets, one round trip)
    and return them as facts.
author:
  - passthrough.nvidia maintainers (@passthrough-nvidia)
options:
  role:
    description:
      - Also check that role's variables before it changes anything (each role of the collection names itself) -
        what Ansible's check of the argument spec lets through (a version given as a number, which YAML turns 12.10
        into 12.1; a string where a list is wanted; list items outside the choices), the forms of versions,
        branches, URLs, fingerprints and kernel arguments, and timeouts. Variables with the role's prefix that the
        role does not know are warned about (a typo would leave the default in force).
    type: str
  platform:
    description: Check the platform; false checks only O(role)'s variables (for a role that runs on the controller).
    type: bool
    default: true
attributes:
  check_mode:
    description: Reads only; runs in check mode as in a normal run.
    support: full
  diff_mode:
    description: Changes nothing, so there is nothing to show.
    support: none
  action:
    description: Runs on the controller (an action plugin).
    support: full
notes:
  - The facts are the guest's own answer; only their text is compared and shown.
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Stop on an unsupported distribution or architecture
  passthrough.nvidia.platform_check:

- name: Stop on an unsupported platform or on bad variables of the nvidia_driver role
  passthrough.nvidia.platform_check:
    role: nvidia_driver

- name: Check, and use the answer
  passthrough.nvidia.platform_check:
  register: platform
- name: Say what the guest runs
  ansible.builtin.debug:
    msg: "{{ platform.platform.distribution_release }} on {{ platform.platform.architecture }}"
"""

RETURN = r"""
errors:
  description: With O(role), what is wrong with the role's variables (the task fails).
  returned: when the role's variables are wrong
  type: list
  elements: str
platform:
  description: The facts the check read.
  returned: always
  type: dict
  contains:
    distribution:
      description: As C(ansible_facts.distribution).
      type: str
      sample: Debian
    distribution_release:
      description: The release's code name.
      type: str
      sample: bookworm
    distribution_version:
      description: As C(ansible_facts.distribution_version).
      type: str
      sample: "12.12"
    architecture:
      description: As C(ansible_facts.architecture).
      type: str
      sample: x86_64
    virtualization_type:
      description: As C(ansible_facts.virtualization_type).
      type: str
      sample: kvm
    virtualization_role:
      description: As C(ansible_facts.virtualization_role).
      type: str
      sample: guest
msg:
  description: The platform in words, or why it is not supported.
  returned: always
  type: str
  sample: Debian bookworm on x86_64
"""

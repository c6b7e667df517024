# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: per task and host, its action, duration and status, written as
JSON to $BENCH_TIMING_FILE at the end of the run. Actions that run on the controller
(set_fact, assert, debug, include_*, meta, ...) cost no round trip to the guest; the
others cost at least one (one with pipelining)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: Records task durations for passthrough.nvidia's benchmarks
description: Writes per-task timings to the file named by BENCH_TIMING_FILE.
requirements:
  - enabled in callbacks_enabled
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

LOCAL_ACTIONS = {"set_fact", "assert", "debug", "fail", "include_tasks", "import_tasks", "include_role",
                 "import_role", "meta", "include_vars", "add_host", "group_by", "validate_argument_spec",
                 # passthrough.nvidia's own action plugin: it writes the report on the controller.
                 "gpu_report"}
# Runs on the controller unless it had to gather facts (then it returns them).
LOCAL_UNLESS_FACTS = {"platform_check"}
CONTROLLER = {"localhost", "127.0.0.1", "::1"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.start = {}
        self.records = []

    def v2_runner_on_start(self, host, task):
        self.start[(host.get_name(), task._uuid)] = time.monotonic()

    def _record(self, result, status):
        task = result._task
        key = (result._host.get_name(), task._uuid)
        t0 = self.start.pop(key, None)
        action = task.action.split(".")[-1]
        delegated = (result._result.get("_ansible_delegated_vars") or {}).get("ansible_delegated_host")
        self.records.append({
            "host": key[0], "task": task.get_name(), "action": action, "status": status,
            "seconds": (time.monotonic() - t0) if t0 is not None else 0.0,
            "remote": (action not in LOCAL_ACTIONS and delegated not in CONTROLLER
                       and (action not in LOCAL_UNLESS_FACTS or bool(result._result.get("ansible_facts")))),
            "delegated_to": delegated,
            "cache_updated": bool(result._result.get("cache_updated")),
            # The driver role's documented result, when this task handed it over.
            "reboot_required": ((result._result.get("ansible_facts") or {}).get("nvidia_driver_result") or {}).get(
                "reboot_required"),
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMING_FILE")
        if path:
            with open(path, "w") as f:
                json.dump(self.records, f)

# -*- coding: utf-8 -*-
"""bench/run.py's bookkeeping (the measuring itself is `make bench`): results.md keeps its
hand-written history, the figures render from results.json, and the reboot count comes from the
driver role's documented result, not from a task's name."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = load("bench_run", "bench/run.py")


def test_results_md_is_rewritten_above_the_history_only(tmp_path):
    path = tmp_path / "results.md"
    path.write_text(BENCH.BEGIN + "\nold figures\n" + BENCH.END + "\n## History\n\nby hand\n")
    BENCH.write_results_md("new figures\n", path=str(path))
    assert path.read_text() == BENCH.BEGIN + "\nnew figures\n" + BENCH.END + "\n## History\n\nby hand\n"


def test_the_committed_figures_render_and_match_results_md():
    with open(os.path.join(ROOT, "bench", "results.json")) as f:
        res = json.load(f)
    with open(os.path.join(ROOT, "bench", "results.md")) as f:
        md = f.read()
    measured = md.split(BENCH.BEGIN + "\n", 1)[1].split(BENCH.END, 1)[0]
    assert measured == BENCH.markdown(res)
    assert "## History" in md.split(BENCH.END, 1)[1]


def test_reboots_are_counted_from_the_drivers_result():
    records = [{"task": "anything", "reboot_required": None}, {"task": "Hand over the result", "reboot_required": True},
               {"task": "x", "reboot_required": False}]
    assert BENCH.reboots_decided(records) == 1


def test_package_list_refreshes_count_apt_update_and_apt_with_update_cache():
    records = [{"action": "apt_update", "status": "changed", "cache_updated": True},
               {"action": "apt", "status": "ok", "cache_updated": True},
               {"action": "apt", "status": "changed", "cache_updated": False},
               {"action": "apt_update", "status": "skipped", "cache_updated": False},
               {"action": "command", "status": "changed", "cache_updated": True}]
    assert BENCH.apt_updates(records) == records[:2]

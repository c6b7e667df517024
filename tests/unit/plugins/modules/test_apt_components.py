# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.passthrough.nvidia.plugins.modules import apt_components


def tree(tmp_path, sources_list=None, debian_sources=None):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    if sources_list is not None:
        (tmp_path / "sources.list").write_text(sources_list)
    if debian_sources is not None:
        (d / "debian.sources").write_text(debian_sources)
    (d / "nvidia-cuda.sources").write_text("Types: deb\nURIs: https://x/\nSuites: /\nSigned-By: /k.asc\n")
    return str(d)


STOCK = "deb http://deb.debian.org/debian/ bookworm main non-free-firmware\n"


def test_check_mode_reports_and_writes_nothing(run_module, tmp_path):
    d = tree(tmp_path, sources_list=STOCK)
    res, failed = run_module(apt_components, {"release": "bookworm", "sources_dir": d, "_ansible_check_mode": True,
                                              "_ansible_diff": True})
    assert not failed and res["changed"] and res["files"] == [str(tmp_path / "sources.list")]
    assert res["diff"][0]["after"] == STOCK.replace("main ", "main contrib ")
    assert (tmp_path / "sources.list").read_text() == STOCK


def test_writes_keeps_mode_and_is_idempotent(run_module, tmp_path):
    d = tree(tmp_path, debian_sources="Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\n"
                                      "Components: main non-free-firmware\n")
    os.chmod(os.path.join(d, "debian.sources"), 0o644)
    res, failed = run_module(apt_components, {"release": "trixie", "sources_dir": d})
    assert not failed and res["changed"]
    assert "Components: main contrib non-free-firmware\n" in open(os.path.join(d, "debian.sources")).read()
    assert oct(os.stat(os.path.join(d, "debian.sources")).st_mode & 0o777) == "0o644"
    res, failed = run_module(apt_components, {"release": "trixie", "sources_dir": d})
    assert not failed and not res["changed"]


def test_no_debian_source_is_a_clear_failure(run_module, tmp_path):
    d = tree(tmp_path, sources_list="deb https://packages.sury.org/php/ bookworm main\n")
    res, failed = run_module(apt_components, {"release": "bookworm", "sources_dir": d})
    assert failed and "no apt source has an entry of Debian's archive for bookworm" in res["msg"]
    assert "nothing was changed" in res["msg"]


def test_bad_names_are_refused(run_module, tmp_path):
    d = tree(tmp_path, sources_list=STOCK)
    res, failed = run_module(apt_components, {"release": "bookworm", "sources_dir": d, "components": ["contrib\nX: y"]})
    assert failed and res["msg"].startswith("components:")
    res, failed = run_module(apt_components, {"release": "../x", "sources_dir": d})
    assert failed and res["msg"].startswith("release:")

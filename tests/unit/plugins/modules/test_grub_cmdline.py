# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.passthrough.nvidia.plugins.modules import grub_cmdline
from ansible_collections.passthrough.nvidia.plugins.module_utils import files

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "grub",
                   "debian12-grub2-common-2.06-13+deb12u2.default")


def setup(tmp_path, cmdline="BOOT_IMAGE=/boot/vmlinuz root=/dev/vda2 ro quiet\n"):
    grub = tmp_path / "grub"
    shutil.copy(FIX, grub)
    os.chmod(grub, 0o640)
    proc = tmp_path / "cmdline"
    proc.write_text(cmdline)
    return str(grub), str(proc)


def test_adds_then_is_idempotent(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert not failed and res["changed"] and res["cmdline"] == "pci=realloc" and res["reboot_required"]
    content = open(grub).read()
    assert 'GRUB_CMDLINE_LINUX="pci=realloc"\n' in content
    assert os.stat(grub).st_mode & 0o777 == 0o640  # mode kept by atomic_move
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert not res["changed"] and open(grub).read() == content


def test_check_mode_and_diff_write_nothing(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    before = open(grub).read()
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["iommu=pt"], "proc_cmdline": proc,
                                        "_ansible_check_mode": True, "_ansible_diff": True})
    assert res["changed"] and open(grub).read() == before
    assert res["diff"]["before"] == before and 'GRUB_CMDLINE_LINUX="iommu=pt"' in res["diff"]["after"]


def test_backup(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["iommu=pt"], "backup": True, "proc_cmdline": proc})
    assert os.path.exists(res["backup_file"]) and open(res["backup_file"]).read() == open(FIX).read()


def test_running_kernel_already_has_it(tmp_path, run_module):
    grub, proc = setup(tmp_path, "ro quiet pci=realloc\n")
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert res["changed"] and not res["reboot_required"]


def test_missing_file_is_an_error_naming_it(tmp_path, run_module):
    res, failed = run_module(grub_cmdline, {"path": str(tmp_path / "nope"), "add": ["pci=realloc"]})
    assert failed and str(tmp_path / "nope") in res["msg"] and not (tmp_path / "nope").exists()


def test_bad_argument_leaves_the_file_alone(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc; reboot"], "proc_cmdline": proc})
    assert failed and "'pci=realloc; reboot'" in res["msg"]
    assert open(grub).read() == open(FIX).read()


def test_unparseable_file_is_refused_untouched(tmp_path, run_module):
    grub = tmp_path / "grub"
    grub.write_text('GRUB_CMDLINE_LINUX="$(cat /etc/kargs)"\n')
    res, failed = run_module(grub_cmdline, {"path": str(grub), "add": ["pci=realloc"]})
    assert failed and "command substitution" in res["msg"]
    assert grub.read_text() == 'GRUB_CMDLINE_LINUX="$(cat /etc/kargs)"\n'
    assert sorted(os.listdir(str(tmp_path))) == ["grub"]  # no temporary file left


def test_warns_about_drop_ins_that_override(tmp_path, run_module, monkeypatch):
    grub, proc = setup(tmp_path)
    d = tmp_path / "grub.d"
    d.mkdir()
    (d / "50-cloud.cfg").write_text('GRUB_CMDLINE_LINUX="console=ttyS0"\n')
    (d / "60-other.cfg").write_text('GRUB_TIMEOUT=1\n')
    monkeypatch.setattr(grub_cmdline, "GRUB_D", str(d))
    monkeypatch.setattr(grub_cmdline.overriding_files, "__defaults__", (str(d),))
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert any("50-cloud.cfg" in w for w in res.get("warnings", []))
    assert not any("60-other.cfg" in w for w in res.get("warnings", []))


def test_a_symlinked_file_is_edited_where_it_lives_and_the_link_kept(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "grub"
    os.rename(grub, str(target))
    os.symlink(str(target), grub)
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert not failed and res["changed"] and res["target"] == str(target)
    assert os.path.islink(grub) and os.readlink(grub) == str(target)
    assert 'GRUB_CMDLINE_LINUX="pci=realloc"\n' in target.read_text()
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert not res["changed"]


def test_an_unwritable_directory_fails_cleanly_in_check_mode_and_for_real(tmp_path, run_module, monkeypatch):
    grub, proc = setup(tmp_path)
    before = open(grub).read()
    real_access = os.access
    monkeypatch.setattr(grub_cmdline.os, "access",
                        lambda p, mode: False if mode == os.W_OK and p == str(tmp_path) else real_access(p, mode))
    for check in (True, False):
        res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc,
                                                "_ansible_check_mode": check})
        assert failed and "exception" not in res, res
        assert res["msg"].startswith("path: cannot write %s: the directory %s is not writable" % (grub, tmp_path))
        assert "become: true" in res["msg"] and open(grub).read() == before


def test_a_write_that_fails_anyway_is_a_clean_failure(tmp_path, run_module, monkeypatch):
    grub, proc = setup(tmp_path)
    before = open(grub).read()

    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied", str(tmp_path))
    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["pci=realloc"], "proc_cmdline": proc})
    assert failed and "exception" not in res
    assert res["msg"].startswith("path: cannot write %s: [Errno 13] Permission denied" % grub)
    assert open(grub).read() == before


def test_a_second_console_is_added_beside_the_first(tmp_path, run_module):
    grub, proc = setup(tmp_path, "ro console=tty0 console=ttyS0,115200n8\n")
    with open(grub, "a") as f:
        f.write('GRUB_CMDLINE_LINUX="console=tty0"\n')
    res, failed = run_module(grub_cmdline, {"path": grub, "add": ["console=ttyS0,115200n8"], "proc_cmdline": proc})
    assert not failed and res["changed"] and res["cmdline"] == "console=tty0 console=ttyS0,115200n8"
    assert res["removed"] == [] and not res["reboot_required"]
    res, _f = run_module(grub_cmdline, {"path": grub, "add": ["console=ttyS0,115200n8"], "proc_cmdline": proc})
    assert not res["changed"]


def test_removing_an_argument_set_in_the_other_variable_fails_naming_the_line(tmp_path, run_module):
    grub, proc = setup(tmp_path)
    with open(grub, "a") as f:
        f.write('GRUB_CMDLINE_LINUX_DEFAULT="quiet nomodeset"\n')
    before = open(grub).read()
    res, failed = run_module(grub_cmdline, {"path": grub, "remove": ["nomodeset"], "proc_cmdline": proc})
    assert failed and "sets GRUB_CMDLINE_LINUX_DEFAULT with nomodeset" in res["msg"]
    assert "variable=GRUB_CMDLINE_LINUX_DEFAULT" in res["msg"] and open(grub).read() == before
    res, failed = run_module(grub_cmdline, {"path": grub, "remove": ["nomodeset"], "proc_cmdline": proc,
                                            "variable": "GRUB_CMDLINE_LINUX_DEFAULT"})
    assert not failed and res["changed"] and res["cmdline"] == "quiet"


def test_create_makes_a_drop_in_and_check_mode_shows_it(tmp_path, run_module):
    _grub, proc = setup(tmp_path)
    dropin = tmp_path / "grub.d" / "90-x.cfg"
    dropin.parent.mkdir()
    args = {"path": str(dropin), "add": ["pci=realloc"], "proc_cmdline": proc, "create": True,
            "initial_content": '# header\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"\n'}
    res, failed = run_module(grub_cmdline, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and res["changed"] and not dropin.exists()
    assert res["diff"]["after"] == '# header\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX pci=realloc"\n'
    res, failed = run_module(grub_cmdline, args)
    assert not failed and res["changed"]
    assert dropin.read_text() == '# header\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX pci=realloc"\n'
    assert oct(dropin.stat().st_mode & 0o777) == "0o644"
    res, failed = run_module(grub_cmdline, args)
    assert not failed and not res["changed"]
    # Without create, a missing file is still an error naming it.
    res, failed = run_module(grub_cmdline, {"path": str(tmp_path / "nope"), "add": ["pci=realloc"]})
    assert failed and "creates it only with create: true" in res["msg"]
    res, failed = run_module(grub_cmdline, dict(args, path=str(tmp_path / "missing-dir" / "x.cfg")))
    assert failed and "cannot create" in res["msg"] and "exception" not in res

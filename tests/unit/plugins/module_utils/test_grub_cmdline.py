# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.passthrough.nvidia.plugins.module_utils.grub_cmdline import (
    GrubCmdlineError,
    edit_args,
    edit_content,
    not_in_effect,
    reboot_required,
    split_kernel_args,
    validate_argument,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "grub")
DEBIAN12 = open(os.path.join(FIXTURES, "debian12-grub2-common-2.06-13+deb12u2.default")).read()
BASH = shutil.which("bash")


def sourced(content, var="GRUB_CMDLINE_LINUX", env=None):
    """What /bin/sh-compatible sourcing of the file gives for var (bash, as a shell would)."""
    script = 'set -e; . "$1"; printf "%s" "${' + var + '}"'
    path = "/tmp/test_grub_cmdline.%d" % os.getpid()
    with open(path, "w") as f:
        f.write(content)
    try:
        return subprocess.run([BASH, "-c", script, "bash", path], capture_output=True, text=True,
                              check=True, env=env or {"PATH": "/usr/bin:/bin"}).stdout
    finally:
        os.unlink(path)


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize("arg", ["pci=realloc", "nvidia-drm.modeset=1", "iommu=pt", "nomodeset",
                                 "modprobe.blacklist=nouveau", "vfio-pci.ids=10de:1e04,10de:10f7",
                                 "console=ttyS0,115200n8", "video=efifb:off", "root=UUID=1234-ABCD"])
def test_valid_arguments_are_accepted(arg):
    assert validate_argument(arg) == arg


@pytest.mark.parametrize("arg,bad", [
    ("pci=realloc quiet", " "), ('acpi_osi="Linux"', '"'), ("x=$(reboot)", "$"), ("a;b", ";"),
    ("a`id`", "`"), ("a\nb", "\n"), ("a|b", "|"), ("a&b", "&"), ("a>b", ">"), ("it's", "'"),
    ("a\\b", "\\"), ("a\tb", "\t"),
])
def test_metacharacters_are_rejected_naming_the_argument(arg, bad):
    with pytest.raises(GrubCmdlineError) as e:
        validate_argument(arg, "add")
    assert repr(arg) in str(e.value) and "add" in str(e.value)


@pytest.mark.parametrize("arg", ["", "=value", "-x"])
def test_empty_or_nameless_arguments_are_rejected(arg):
    with pytest.raises(GrubCmdlineError):
        validate_argument(arg, "remove")


def test_split_respects_kernel_quotes():
    assert split_kernel_args('quiet acpi_osi="!Windows 2015"  pci=realloc') == [
        "quiet", 'acpi_osi="!Windows 2015"', "pci=realloc"]
    assert split_kernel_args("") == []
    assert split_kernel_args("  a\tb \n") == ["a", "b"]


def test_add_key_value_replaces_every_old_value_in_place():
    new, added, removed = edit_args(["quiet", "pci=noaer", "splash", "pci=nocrs"], add=["pci=realloc"])
    assert new == ["quiet", "pci=realloc", "splash"]
    assert added == ["pci=realloc"]
    assert removed == ["pci=noaer", "pci=nocrs"]


def test_add_present_argument_changes_nothing():
    assert edit_args(["quiet", "pci=realloc"], add=["pci=realloc"]) == (["quiet", "pci=realloc"], [], [])


def test_add_bare_key_is_appended_once():
    assert edit_args(["quiet"], add=["nomodeset"]) == (["quiet", "nomodeset"], ["nomodeset"], [])
    assert edit_args(["nomodeset", "quiet"], add=["nomodeset"])[0] == ["nomodeset", "quiet"]


def test_dash_and_underscore_are_the_same_in_names():
    new, added, removed = edit_args(["nvidia_drm.modeset=0"], add=["nvidia-drm.modeset=1"])
    assert new == ["nvidia-drm.modeset=1"] and removed == ["nvidia_drm.modeset=0"]
    assert edit_args(["nvidia_drm.modeset=1"], add=["nvidia-drm.modeset=1"])[1] == []


def test_duplicate_same_value_is_collapsed():
    new, added, removed = edit_args(["pci=realloc", "x", "pci=realloc"], add=["pci=realloc"])
    assert new == ["pci=realloc", "x"] and added == [] and removed == ["pci=realloc"]


def test_remove_bare_key_removes_all_forms():
    new, added, removed = edit_args(["quiet", "nomodeset", "nomodeset=1", "splash"], remove=["nomodeset"])
    assert new == ["quiet", "splash"] and removed == ["nomodeset", "nomodeset=1"]


def test_remove_key_value_removes_only_that_argument():
    new, _a, removed = edit_args(["pci=noaer", "pci=realloc"], remove=["pci=noaer"])
    assert new == ["pci=realloc"] and removed == ["pci=noaer"]


def test_conflicting_add_and_remove_is_an_error():
    with pytest.raises(GrubCmdlineError, match="both added and removed"):
        edit_args([], add=["pci=realloc"], remove=["pci"])
    with pytest.raises(GrubCmdlineError, match="same parameter"):
        edit_args([], add=["pci=realloc", "pci=noaer"])


def test_references_are_never_matched():
    new, _a, _r = edit_args(["\x00GRUB_CMDLINE_LINUX", "quiet"], add=["quiet"], remove=["GRUB_CMDLINE_LINUX"])
    assert new == ["\x00GRUB_CMDLINE_LINUX", "quiet"]


# ---------------------------------------------------------------- reboot

@pytest.mark.parametrize("running,add,remove,expected", [
    ("BOOT_IMAGE=/vmlinuz root=/dev/vda2 ro quiet pci=realloc", ["pci=realloc"], [], False),
    ("BOOT_IMAGE=/vmlinuz root=/dev/vda2 ro quiet", ["pci=realloc"], [], True),
    ("ro quiet pci=noaer", ["pci=realloc"], [], True),
    ("ro quiet pci=realloc pci=noaer", ["pci=realloc"], [], True),
    ("ro nomodeset", [], ["nomodeset"], True),
    ("ro", [], ["nomodeset"], False),
    ("ro nvidia_drm.modeset=1", ["nvidia-drm.modeset=1"], [], False),
    ("ro pci=noaer", [], ["pci=realloc"], False),
])
def test_reboot_required(running, add, remove, expected):
    assert reboot_required(running, add, remove) is expected


def test_not_in_effect_names_each_argument_in_order():
    running = 'ro quiet nvidia_drm.modeset=1 pci=noaer nomodeset dyndbg="x pci=realloc"'
    assert not_in_effect(running, ["nvidia-drm.modeset=1", "pci=realloc", "quiet"], ["nomodeset", "splash"]) == [
        "pci=realloc", "nomodeset"]
    assert not_in_effect(running, ["hugepagesz=1G", "hugepages=4"]) == ["hugepagesz=1G", "hugepages=4"]
    assert not_in_effect("", ["pci=realloc"]) == ["pci=realloc"] and not_in_effect(None, []) == []


def test_the_filters_are_the_module_utils_answers():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.passthrough.nvidia.plugins.filter import nvidia as filters

    assert filters.kernel_args_not_in_effect("ro nvidia_drm.modeset=1\n", ["nvidia-drm.modeset=1"]) == []
    assert filters.kernel_args_not_in_effect("ro pci=realloc", ["pci=realloc"], ["pci"]) == ["pci"]
    initial = '# header\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"\n'
    assert filters.grub_dropin_content(initial, "GRUB_CMDLINE_LINUX", ["pci=realloc"]) == edit_content(
        initial, "GRUB_CMDLINE_LINUX", add=["pci=realloc"]).content
    for bad, word in ((lambda: filters.kernel_args_not_in_effect("ro", "pci=realloc"), "args must be a list"),
                      (lambda: filters.kernel_args_not_in_effect(["ro"], []), "kernel command line"),
                      (lambda: filters.grub_dropin_content(initial, "GRUB_CMDLINE_LINUX", ["a;b"]), "args: argument"),
                      (lambda: filters.grub_dropin_content(initial, "GRUB_X", []), "variable")):
        with pytest.raises(AnsibleFilterError, match=word):
            bad()


# ---------------------------------------------------------------- files

def test_debian_default_file_gets_the_argument_and_nothing_else_changes():
    res = edit_content(DEBIAN12, add=["pci=realloc"])
    assert res.changed and res.added == ["pci=realloc"] and res.previous == ""
    before, after = DEBIAN12.splitlines(True), res.content.splitlines(True)
    assert len(before) == len(after)
    diff = [(a, b) for a, b in zip(before, after) if a != b]
    assert diff == [('GRUB_CMDLINE_LINUX=""\n', 'GRUB_CMDLINE_LINUX="pci=realloc"\n')]
    assert sourced(res.content) == "pci=realloc"
    again = edit_content(res.content, add=["pci=realloc"])
    assert not again.changed and again.content == res.content


def test_default_variable_is_edited_when_asked():
    res = edit_content(DEBIAN12, "GRUB_CMDLINE_LINUX_DEFAULT", add=["nvidia-drm.modeset=1"], remove=["splash"])
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet nvidia-drm.modeset=1"\n' in res.content
    assert sourced(res.content, "GRUB_CMDLINE_LINUX_DEFAULT") == "quiet nvidia-drm.modeset=1"


def test_the_last_uncommented_assignment_is_the_one_edited():
    content = ('GRUB_CMDLINE_LINUX="a"\n#GRUB_CMDLINE_LINUX="commented"\n'
               'export GRUB_CMDLINE_LINUX="b" # trailing comment\n')
    res = edit_content(content, add=["c"])
    assert res.content == ('GRUB_CMDLINE_LINUX="a"\n#GRUB_CMDLINE_LINUX="commented"\n'
                           'export GRUB_CMDLINE_LINUX="b c" # trailing comment\n')
    assert sourced(res.content) == "b c"


@pytest.mark.parametrize("line,expected_line,value", [
    ("GRUB_CMDLINE_LINUX='quiet'\n", "GRUB_CMDLINE_LINUX='quiet pci=realloc'\n", "quiet pci=realloc"),
    ("GRUB_CMDLINE_LINUX=quiet\n", 'GRUB_CMDLINE_LINUX="quiet pci=realloc"\n', "quiet pci=realloc"),
    ('GRUB_CMDLINE_LINUX="acpi_osi=\\"!Windows 2015\\""\n',
     'GRUB_CMDLINE_LINUX="acpi_osi=\\"!Windows 2015\\" pci=realloc"\n', 'acpi_osi="!Windows 2015" pci=realloc'),
    ('GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"\n', 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX pci=realloc"\n',
     "base pci=realloc"),
    ('GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} x"\n', 'GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} x pci=realloc"\n',
     "base x pci=realloc"),
    ("GRUB_CMDLINE_LINUX='a'\"b c\"\n", "GRUB_CMDLINE_LINUX='ab c pci=realloc'\n", "ab c pci=realloc"),
    ('GRUB_CMDLINE_LINUX="cost=\\$5"\n', 'GRUB_CMDLINE_LINUX="cost=\\$5 pci=realloc"\n', "cost=$5 pci=realloc"),
])
def test_quoting_styles(line, expected_line, value):
    res = edit_content(line, add=["pci=realloc"])
    assert res.content == expected_line
    env = {"PATH": "/usr/bin:/bin", "GRUB_CMDLINE_LINUX": "base"}
    assert sourced(res.content, env=env) == value


def test_missing_variable_is_appended():
    res = edit_content("GRUB_DEFAULT=0", add=["pci=realloc"])
    assert res.content == 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="pci=realloc"\n' and res.appended


def test_remove_on_missing_variable_changes_nothing():
    res = edit_content("GRUB_DEFAULT=0\n", remove=["nomodeset"])
    assert not res.changed and res.content == "GRUB_DEFAULT=0\n"


@pytest.mark.parametrize("content,needle", [
    ('GRUB_CMDLINE_LINUX="$(cat /etc/args)"\n', "command substitution"),
    ("GRUB_CMDLINE_LINUX=`cat /etc/args`\n", "backticks"),
    ('GRUB_CMDLINE_LINUX="a `id`"\n', "backticks"),
    ('GRUB_CMDLINE_LINUX="a\nb"\n', "multi-line"),
    ('GRUB_CMDLINE_LINUX="a \\\nb"\n', "backslash"),
    ('GRUB_CMDLINE_LINUX="${X:-y}"\n', "parameter expansion"),
    ('GRUB_CMDLINE_LINUX="a"; reboot\n', "more after the value"),
    ('GRUB_CMDLINE_LINUX+=" a"\n', "+="),
])
def test_unparseable_values_are_refused(content, needle):
    with pytest.raises(GrubCmdlineError) as e:
        edit_content(content, add=["pci=realloc"], path="/etc/default/grub")
    assert needle in str(e.value) and "/etc/default/grub" in str(e.value)


def test_command_substitution_elsewhere_is_left_alone():
    # Debian's own file has backticks in GRUB_DISTRIBUTOR: not our variable.
    assert "`lsb_release" in DEBIAN12
    assert edit_content(DEBIAN12, add=["iommu=pt"]).changed


def test_bytes_outside_the_edited_line_survive():
    # (CRLF files are refused: test_a_file_with_crlf_line_endings_is_refused_naming_the_line.)
    content = "# caf\udce9 latin-1 byte\nGRUB_CMDLINE_LINUX=\"\"\nX=1"
    res = edit_content(content, add=["a"])
    assert res.content == "# caf\udce9 latin-1 byte\nGRUB_CMDLINE_LINUX=\"a\"\nX=1"


# ---------------------------------------------------------------- properties

_name = st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True)
_value = st.from_regex(r"[A-Za-z0-9:,./+@%-]{1,10}", fullmatch=True)
_arg = st.one_of(_name, st.builds(lambda k, v: "%s=%s" % (k, v), _name, _value))
_comment = st.from_regex(r"#[ A-Za-z0-9=\"'`$()]{0,30}", fullmatch=True)
_other = st.one_of(
    _comment,
    st.builds(lambda v: 'GRUB_TIMEOUT="%s"' % v, _value),
    st.builds(lambda v: "GRUB_CMDLINE_LINUX_DEFAULT='%s'" % v, _value),
    st.just("GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`"),
    st.just(""),
)


def _unique_keys(args):
    seen, out = set(), []
    for a in args:
        k = a.split("=", 1)[0].replace("-", "_")
        if k not in seen:
            seen.add(k)
            out.append(a)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(_other, max_size=5), after=st.lists(_other, max_size=5),
       existing=st.lists(_arg, max_size=6), add=st.lists(_arg, max_size=5).map(_unique_keys),
       quote=st.sampled_from(['"', "'"]))
def test_property_add_is_idempotent_sources_right_and_keeps_other_lines(before, after, existing, add, quote):
    line = "GRUB_CMDLINE_LINUX=%s%s%s" % (quote, " ".join(existing), quote)
    lines = before + [line] + after
    content = "\n".join(lines) + "\n"
    once = edit_content(content, add=add)
    twice = edit_content(once.content, add=add)
    assert twice.content == once.content and not twice.changed
    # Every other line is unchanged.
    new_lines = once.content.split("\n")
    idx = len(before)
    assert new_lines[:idx] == before and new_lines[idx + 1:-1] == after
    # Sourcing gives exactly the expected arguments.
    expected, _a, _r = edit_args(existing, add=add)
    assert split_kernel_args(sourced(once.content)) == expected
    for a in add:
        assert a in expected


# --------------------------------------------------------------- arguments given more than once
def test_multi_valued_arguments_are_added_beside_and_identical_ones_are_no_change():
    r = edit_content('GRUB_CMDLINE_LINUX="console=tty0 quiet"\n', add=["console=ttyS0,115200n8"])
    assert r.changed and r.cmdline == "console=tty0 quiet console=ttyS0,115200n8" and r.removed == []
    r2 = edit_content(r.content, add=["console=ttyS0,115200n8"])
    assert not r2.changed
    r = edit_content('GRUB_CMDLINE_LINUX="memmap=2G!8G"\n', add=["memmap=1G!4G"])
    assert r.changed and r.added == ["memmap=1G!4G"]
    # Two consoles at once, and the same parameter twice for single-valued ones is still refused.
    r = edit_content("", add=["console=tty0", "console=ttyS0,115200n8"])
    assert r.cmdline == "console=tty0 console=ttyS0,115200n8"
    with pytest.raises(GrubCmdlineError):
        edit_content("", add=["iommu=pt", "iommu=on"])


def test_hugepage_pairs_stay_pairs():
    content = 'GRUB_CMDLINE_LINUX="hugepagesz=1G hugepages=16"\n'
    r = edit_content(content, add=["hugepagesz=2M", "hugepages=512"])
    assert r.cmdline == "hugepagesz=1G hugepages=16 hugepagesz=2M hugepages=512"
    assert not edit_content(r.content, add=["hugepagesz=2M", "hugepages=512"]).changed
    # hugepages=16 after another hugepagesz= is not the same pair.
    r = edit_content('GRUB_CMDLINE_LINUX="hugepagesz=2M hugepages=16"\n', add=["hugepagesz=1G", "hugepages=16"])
    assert r.changed and r.cmdline.endswith("hugepagesz=1G hugepages=16")


def test_reboot_required_for_multi_valued_arguments():
    assert not reboot_required("ro console=tty0 console=ttyS0,115200n8", add=["console=ttyS0,115200n8"])
    assert reboot_required("ro console=tty0", add=["console=ttyS0,115200n8"])


# ------------------------------------------------------ removals the kernel would still see
def test_remove_takes_the_argument_out_of_earlier_assignments_the_last_expands():
    content = ('GRUB_CMDLINE_LINUX="nomodeset"\n'
               '# a comment between\n'
               'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX quiet"\n')
    r = edit_content(content, remove=["nomodeset"])
    assert r.changed and r.removed == ["nomodeset"]
    assert r.content == ('GRUB_CMDLINE_LINUX=""\n# a comment between\n'
                         'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX quiet"\n')
    assert not edit_content(r.content, remove=["nomodeset"]).changed
    # An earlier assignment the last one does not expand is dead: left as it is.
    dead = 'GRUB_CMDLINE_LINUX="nomodeset"\nGRUB_CMDLINE_LINUX="quiet"\n'
    assert not edit_content(dead, remove=["nomodeset"]).changed


def test_remove_refuses_when_the_other_variable_has_it():
    content = 'GRUB_CMDLINE_LINUX=""\nGRUB_CMDLINE_LINUX_DEFAULT="quiet nomodeset"\n'
    with pytest.raises(GrubCmdlineError) as e:
        edit_content(content, remove=["nomodeset"], path="/etc/default/grub")
    assert str(e.value).startswith("/etc/default/grub: line 2 sets GRUB_CMDLINE_LINUX_DEFAULT with nomodeset")
    # Through a reference too.
    content = ('GRUB_CMDLINE_LINUX_DEFAULT="nomodeset"\n'
               'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} quiet"\n')
    with pytest.raises(GrubCmdlineError) as e:
        edit_content(content, remove=["nomodeset"])
    assert "line 1 sets GRUB_CMDLINE_LINUX_DEFAULT" in str(e.value)
    # Nothing to remove anywhere: no refusal, no change.
    assert not edit_content(content, remove=["pci=realloc"]).changed


def test_a_file_with_crlf_line_endings_is_refused_naming_the_line():
    # Before issue #29 the edit appended "pci=realloc\r" inside the quotes of a CRLF file.
    content = 'GRUB_DEFAULT=0\r\nGRUB_CMDLINE_LINUX="quiet"\r\n'
    with pytest.raises(GrubCmdlineError) as e:
        edit_content(content, "GRUB_CMDLINE_LINUX", add=["pci=realloc"], path="/etc/default/grub")
    assert "/etc/default/grub: line 1 ends in a carriage return" in str(e.value)
    assert "not changed" in str(e.value)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the grub_cmdline module: parse, edit and re-emit a kernel
command-line variable in a GRUB defaults file (``/etc/default/grub`` or a
drop-in of ``/etc/default/grub.d/``) without touching anything else.

Two levels of quoting are involved and both are honoured:

* shell: the file is sourced by ``/bin/sh`` from ``grub-mkconfig``; the value
  of the assignment is one shell word made of double-quoted, single-quoted
  and unquoted pieces. References such as ``$GRUB_CMDLINE_LINUX`` are kept
  literally; command substitution is refused.
* kernel: the resulting string is split into arguments on blanks outside of
  double quotes, as the kernel's ``next_arg()`` does
  (``acpi_osi="!Windows 2015"`` is one argument).

Parameter names compare as the kernel compares them: ``-`` and ``_`` are the
same character in the name part (``nvidia-drm.modeset`` is
``nvidia_drm.modeset``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VARIABLES = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")

# Marks a '$' that starts a shell parameter reference (kept as a reference when
# re-emitted) as opposed to a literal dollar sign. It cannot occur in a file
# that we accept (control characters are refused), nor in a validated argument.
REF = "\x00"

# Characters that may never appear in an argument given to add/remove: blanks,
# quotes, shell metacharacters and control characters.
_BAD_ARG_CHARS = re.compile(r"[\s'\"`$;&|<>()\\#*?\[\]{}\x00-\x1f\x7f]")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class GrubCmdlineError(Exception):
    """Raised for input we refuse to handle; the message names the input."""


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------

def validate_argument(arg, option="add"):
    """Return ``arg`` if it is a safe kernel argument, else raise."""
    if not isinstance(arg, str) or arg == "":
        raise GrubCmdlineError("%s: empty argument is not allowed" % option)
    bad = _BAD_ARG_CHARS.search(arg)
    if bad:
        raise GrubCmdlineError(
            "%s: argument %r contains %r; whitespace, quotes, backticks, '$', ';', "
            "newlines and other shell metacharacters are not allowed"
            % (option, arg, bad.group(0)))
    if arg.startswith("="):
        raise GrubCmdlineError("%s: argument %r has an empty parameter name" % (option, arg))
    if arg.startswith("-"):
        raise GrubCmdlineError("%s: argument %r must not start with '-'" % (option, arg))
    return arg


# Parameters the kernel accepts more than once, each occurrence adding (Documentation/admin-guide/
# kernel-parameters.txt: several console= select several consoles; earlycon, memmap= regions;
# hugepagesz=/hugepages= pairs, each hugepages= counting for the hugepagesz= before it). Adding one
# of these adds beside the others; only an identical one already there is no change.
MULTI_VALUED = frozenset(("console", "earlycon", "memmap", "hugepagesz", "hugepages"))


def arg_key(arg):
    """The parameter name of an argument, normalised as the kernel compares it."""
    return arg.split("=", 1)[0].replace("-", "_")


def _has_value(arg):
    return "=" in arg


def _same_arg(a, b):
    """Equal as the kernel sees them: same name (dash == underscore), same value."""
    if arg_key(a) != arg_key(b) or _has_value(a) != _has_value(b):
        return False
    return not _has_value(a) or a.split("=", 1)[1] == b.split("=", 1)[1]


def split_kernel_args(text):
    """Split a command line into arguments like the kernel's next_arg():
    blanks separate arguments except inside double quotes."""
    args = []
    cur = []
    in_quote = False
    started = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
            cur.append(ch)
            started = True
        elif ch in " \t\n" and not in_quote:
            if started:
                args.append("".join(cur))
                cur = []
                started = False
        else:
            cur.append(ch)
            started = True
    if started:
        args.append("".join(cur))
    return args


def edit_args(args, add=(), remove=()):
    """Apply add/remove to a list of arguments.

    Returns ``(new_args, added, removed)``. ``added`` lists the arguments of
    ``add`` that were not already present as given; ``removed`` lists the
    arguments that were taken out (replaced values included).
    """
    add = [validate_argument(a, "add") for a in add]
    remove = [validate_argument(r, "remove") for r in remove]
    seen = {}
    for a in add:
        k = arg_key(a)
        if k in MULTI_VALUED:
            continue
        if k in seen:
            raise GrubCmdlineError(
                "add: arguments %r and %r set the same parameter %r" % (seen[k], a, a.split("=", 1)[0]))
        seen[k] = a
    for r in remove:
        for a in add:
            if _same_arg(a, r) or (not _has_value(r) and arg_key(r) == arg_key(a)):
                raise GrubCmdlineError("argument %r is both added and removed (remove: %r)" % (a, r))

    new = list(args)
    removed = []

    def drop(pred):
        keep = []
        for x in new:
            if pred(x):
                removed.append(x)
            else:
                keep.append(x)
        new[:] = keep

    for r in remove:
        if _has_value(r):
            drop(lambda x, r=r: REF not in x and _same_arg(x, r))
        else:
            drop(lambda x, r=r: REF not in x and arg_key(x) == arg_key(r))

    added = []
    units = _units(add)
    for unit in units:
        if arg_key(unit[0]) in MULTI_VALUED:
            if not _unit_present(new, unit):
                new.extend(unit)
                added.extend(unit)
            continue
        a = unit[0]
        if _has_value(a):
            k = arg_key(a)
            positions = [i for i, x in enumerate(new) if REF not in x and arg_key(x) == k]
            if not positions:
                new.append(a)
                added.append(a)
                continue
            present = [i for i in positions if _same_arg(new[i], a)]
            if present == positions[:1] and len(positions) == 1:
                continue  # exactly once, with this value
            removed.extend(new[i] for i in positions if i not in present[:1])
            if not present:
                added.append(a)
            keep_at = present[0] if present else positions[0]
            value = new[keep_at] if present else a
            new[keep_at] = value
            new = [x for i, x in enumerate(new) if i == keep_at or i not in positions]
        elif not any(REF not in x and _same_arg(x, a) for x in new):
            new.append(a)
            added.append(a)
    return new, added, removed


def _units(add):
    """The arguments to add, a hugepagesz= directly followed by its hugepages= kept together."""
    units, i = [], 0
    while i < len(add):
        if arg_key(add[i]) == "hugepagesz" and i + 1 < len(add) and arg_key(add[i + 1]) == "hugepages":
            units.append((add[i], add[i + 1]))
            i += 2
        else:
            units.append((add[i],))
            i += 1
    return units


def _unit_present(args, unit):
    """True when ``unit`` (one argument, or a hugepagesz/hugepages pair) stands in ``args`` as given."""
    n = len(unit)
    for i in range(len(args) - n + 1):
        if all(REF not in args[i + j] and _same_arg(args[i + j], unit[j]) for j in range(n)):
            return True
    return False


def not_in_effect(running_cmdline, add=(), remove=()):
    """The managed arguments the running kernel does not honour, compared as the kernel compares
    them (``-`` is ``_`` in names; a value must be the same; a multi-valued parameter's unit must
    be there as a whole): each argument of ``add`` that is missing or has another value, then each
    of ``remove`` that is still present. This is the one answer to "does the running kernel have
    argument X?" for the module, the driver role (a filter) and the fleet report."""
    running = split_kernel_args(running_cmdline or "")
    out = []
    for unit in _units(list(add)):
        if arg_key(unit[0]) in MULTI_VALUED:
            if not _unit_present(running, unit):
                out.extend(unit)
            continue
        a = unit[0]
        if _has_value(a):
            same_key = [x for x in running if arg_key(x) == arg_key(a)]
            if not same_key or any(x.split("=", 1)[-1] != a.split("=", 1)[1] or not _has_value(x)
                                   for x in same_key):
                out.append(a)
        elif not any(_same_arg(x, a) for x in running):
            out.append(a)
    for r in remove:
        if _has_value(r):
            if any(_same_arg(x, r) for x in running):
                out.append(r)
        elif any(arg_key(x) == arg_key(r) for x in running):
            out.append(r)
    return out


def reboot_required(running_cmdline, add=(), remove=()):
    """True when the running kernel was not booted with the managed arguments:
    an argument of ``add`` is missing (or has another value), or one of
    ``remove`` is present."""
    return bool(not_in_effect(running_cmdline, add, remove))


# --------------------------------------------------------------------------
# Shell level
# --------------------------------------------------------------------------

class Assignment(object):
    """One ``[export ]VAR=value[ # comment]`` line of the file."""

    def __init__(self, index, prefix, value_raw, suffix, value, style):
        self.index = index          # line number (0-based)
        self.prefix = prefix        # text up to and including '='
        self.value_raw = value_raw  # the value as written
        self.suffix = suffix        # blanks, comment and line ending after it
        self.value = value          # decoded value (REF marks references)
        self.style = style          # '"', "'" or '' (unquoted)


_REFUSALS = {
    "continuation": "%(var)s continues on the next line with a backslash, which is not supported",
    "backticks": "%(var)s uses command substitution with backticks, which this module does not evaluate",
    "multiline": "the %(quote)s value of %(var)s does not end on its line (multi-line values are not supported)",
}


def _refused(path, var, why, quote=""):
    """The error for a value this module will not edit; the message names the file."""
    return GrubCmdlineError("%s: %s; the file was not changed"
                            % (path, _REFUSALS[why] % {"var": var, "quote": quote}))


def _parse_reference(text, i, var, path):
    """Parse a '$' reference at text[i]; return (decoded, next_index)."""
    nxt = text[i + 1:i + 2]
    if nxt == "(":
        raise GrubCmdlineError(
            "%s: %s uses command substitution '$(...)', which this module does not "
            "evaluate; the file was not changed" % (path, var))
    if nxt == "{":
        end = text.find("}", i)
        if end < 0:
            raise GrubCmdlineError("%s: %s has an unterminated '${'; the file was not changed" % (path, var))
        body = text[i + 2:end]
        if not re.match(r"^%s$" % _NAME, body):
            raise GrubCmdlineError(
                "%s: %s uses the parameter expansion '${%s}', which this module does not "
                "evaluate; the file was not changed" % (path, var, body))
        return REF + text[i + 1:end + 1], end + 1
    m = re.match(_NAME, text[i + 1:])
    if m:
        return REF + m.group(0), i + 1 + m.end()
    # A lone '$' is a literal dollar sign for the shell.
    return "$", i + 1


def parse_value(text, var="value", path="file"):
    """Decode a shell word starting at text[0].

    Returns ``(decoded, end, style)`` where ``end`` is the index just past the
    word, and style is the quoting of its first piece.
    Raises GrubCmdlineError for what cannot be handled safely.
    """
    out = []
    i = 0
    style = None
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            style = '"' if style is None else style
            i += 1
            while True:
                if i >= n:
                    raise _refused(path, var, "multiline", "double-quoted")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    nxt = text[i + 1:i + 2]
                    if nxt in ("", "\n"):
                        raise _refused(path, var, "continuation")
                    if nxt in '"\\$`':
                        out.append(nxt)
                        i += 2
                        continue
                    out.append("\\")
                    i += 1
                    continue
                if c == "`":
                    raise _refused(path, var, "backticks")
                if c == "$":
                    dec, i = _parse_reference(text, i, var, path)
                    out.append(dec)
                    continue
                out.append(c)
                i += 1
        elif ch == "'":
            style = "'" if style is None else style
            end = text.find("'", i + 1)
            if end < 0:
                raise _refused(path, var, "multiline", "single-quoted")
            out.append(text[i + 1:end])
            i = end + 1
        elif ch in " \t\n\r;&|":
            break
        elif ch == "\\":
            nxt = text[i + 1:i + 2]
            if nxt in ("", "\n"):
                raise _refused(path, var, "continuation")
            out.append(nxt)
            style = "" if style is None else style
            i += 2
        elif ch == "`":
            raise _refused(path, var, "backticks")
        elif ch == "$":
            dec, i = _parse_reference(text, i, var, path)
            out.append(dec)
            style = "" if style is None else style
        elif ch in "<>()":
            raise GrubCmdlineError(
                "%s: %s has an unquoted %r, which this module cannot edit safely; "
                "the file was not changed" % (path, var, ch))
        else:
            out.append(ch)
            style = "" if style is None else style
            i += 1
    return "".join(out), i, (style if style is not None else '"')


def _assignment_re(var):
    return re.compile(r"^(?P<prefix>[ \t]*(?:export[ \t]+)?%s(?P<op>\+?=))" % re.escape(var))


def find_assignments(lines, var, path="file"):
    """All uncommented assignments of ``var`` in ``lines`` (with line endings)."""
    rx = _assignment_re(var)
    found = []
    for idx, line in enumerate(lines):
        m = rx.match(line)
        if not m:
            continue
        if m.group("op") == "+=":
            raise GrubCmdlineError(
                "%s: line %d appends to %s with '+=', which /bin/sh (used by grub-mkconfig) does "
                "not understand; fix that line first; the file was not changed" % (path, idx + 1, var))
        rest = line[m.end():]
        value, end, style = parse_value(rest, var, path)
        suffix = rest[end:]
        tail = suffix.strip()
        if tail and not tail.startswith("#"):
            raise GrubCmdlineError(
                "%s: line %d has more after the value of %s (%r), which this module cannot edit "
                "safely; the file was not changed" % (path, idx + 1, var, tail))
        found.append(Assignment(idx, m.group("prefix"), rest[:end], suffix, value, style))
    return found


def _needs_quotes(text):
    return text == "" or re.search(r"[\s'\"`$;&|<>()\\#*?\[\]{}~]", text) is not None


def encode_value(value, style='"'):
    """Encode a decoded value (REF marks references) as a shell word,
    preferring the given quoting style when it can express the value."""
    if REF not in value:
        if style == "" and not _needs_quotes(value):
            return value
        if style == "'" and "'" not in value:
            return "'%s'" % value
    out = ['"']
    for ch in value:
        if ch == REF:
            out.append("$")
        elif ch in '"\\$`':
            out.append("\\" + ch)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def join_kernel_args(args):
    return " ".join(args)


class EditResult(object):
    def __init__(self, content, changed, previous, cmdline, added, removed, appended):
        self.content = content
        self.changed = changed
        self.previous = previous
        self.cmdline = cmdline
        self.added = added
        self.removed = removed
        self.appended = appended


def display(value):
    """The decoded value as a user reads it (references shown with '$')."""
    return value.replace(REF, "$")


def edit_content(content, var="GRUB_CMDLINE_LINUX", add=(), remove=(), path="file"):
    """Edit ``var`` in ``content`` (the whole file as text).

    Only the effective (last) assignment is rewritten; every other byte is
    kept. When the variable is not assigned, a definition is appended.
    """
    if var not in VARIABLES:
        raise GrubCmdlineError("variable: %r is not one of %s" % (var, ", ".join(VARIABLES)))
    if "\x00" in content:
        raise GrubCmdlineError("%s: the file contains NUL bytes; the file was not changed" % path)
    if "\r" in content:
        # /bin/sh (grub-mkconfig sources the file) keeps a carriage return as part of the value:
        # an argument appended there would end in "\r". Refused, never normalised behind the
        # user's back (issue #29).
        line = content[:content.index("\r")].count("\n") + 1
        raise GrubCmdlineError(
            "%s: line %d ends in a carriage return (CRLF, Windows line endings). grub-mkconfig reads the file "
            "with /bin/sh, which keeps the carriage return in the value, so the kernel arguments would end in "
            "'\\r'. Convert the file to LF line endings (`sed -i 's/\\r$//' %s`) and run again; the file was "
            "not changed." % (path, line, path))
    lines = content.splitlines(True)
    assignments = find_assignments(lines, var, path)
    if assignments:
        last = assignments[-1]
        previous = last.value
    else:
        last = None
        previous = ""
    old_args = split_kernel_args(previous)
    new_args, added, removed = edit_args(old_args, add, remove)
    new_value = join_kernel_args(new_args)
    # What the kernel really gets: the last assignment, the earlier ones it expands through
    # "$VAR", and the other variable (grub-mkconfig joins GRUB_CMDLINE_LINUX and
    # GRUB_CMDLINE_LINUX_DEFAULT). An argument to remove is taken out of the earlier assignments of
    # the same variable; found in the other variable, it stops the edit, naming the line.
    earlier = _expanded_through(assignments, var)
    edits = {}
    for a in earlier:
        args = split_kernel_args(a.value)
        kept, _added, gone = edit_args(args, (), remove)
        if gone:
            removed.extend(gone)
            edits[a.index] = a.prefix + encode_value(join_kernel_args(kept), a.style) + a.suffix
    _refuse_in_other_variable(lines, var, remove, path)
    if new_args == old_args and not edits:
        return EditResult(content, False, display(previous), display(previous), [], [], False)
    for index, line in edits.items():
        lines[index] = line
    if last is not None:
        if new_args != old_args:
            lines[last.index] = last.prefix + encode_value(new_value, last.style) + last.suffix
        new_content = "".join(lines)
        appended = False
    else:
        sep = "" if content == "" or content.endswith("\n") else "\n"
        new_content = content + sep + "%s=%s\n" % (var, encode_value(new_value, '"'))
        appended = True
    return EditResult(new_content, True, display(previous), display(new_value),
                      [display(a) for a in added], [display(r) for r in removed], appended)


def _refers_to(value, var):
    """True when a decoded value expands ``$var`` or ``${var}``."""
    return (REF + var) in value and not re.match(r"\w", value.split(REF + var, 1)[1][:1]) \
        or (REF + "{%s}" % var) in value


def _expanded_through(assignments, var):
    """The earlier assignments of ``var`` that the last one still expands (``VAR="$VAR x"``)."""
    out = []
    i = len(assignments) - 1
    while i > 0 and _refers_to(assignments[i].value, var):
        i -= 1
        out.append(assignments[i])
    return out


def _refuse_in_other_variable(lines, var, remove, path):
    other = [v for v in VARIABLES if v != var][0]
    found = find_assignments(lines, other, path)
    if not found or not remove:
        return
    for a in [found[-1]] + _expanded_through(found, other):
        _kept, _added, gone = edit_args(split_kernel_args(a.value), (), remove)
        if gone:
            raise GrubCmdlineError(
                "%s: line %d sets %s with %s, which the kernel also gets (grub-mkconfig joins %s and %s): "
                "remove it there (run this module with variable=%s), or it stays in effect; the file was "
                "not changed" % (path, a.index + 1, other, " ".join(display(g) for g in gone), VARIABLES[0],
                                 VARIABLES[1], other))


def assigns_variable(content, var):
    """True when ``content`` has an uncommented assignment of ``var``
    (a loose check used for warnings about other files)."""
    rx = _assignment_re(var)
    return any(rx.match(line) for line in content.splitlines())

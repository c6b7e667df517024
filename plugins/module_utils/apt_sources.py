# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Components of Debian's own apt sources, in the one-line format (sources.list(5), what
Debian 12's installer writes) and deb822 (.sources), changed in place.

NVIDIA's Debian packages need Debian's contrib component (nvidia-kernel-common, nvidia-support),
which a stock install lacks (main non-free-firmware). add_components adds it to the entries of
Debian's archive for the guest's release, and keeps every other byte of the file: other
entries, comments, options, field order.

An entry counts as Debian's archive when it is of type deb or deb-src, has a suite of the
release (bookworm, bookworm-updates, bookworm-security, bookworm-backports, ...), has the main
component, and either its URI's path ends in /debian or /debian-security or it has
non-free-firmware (Debian's own component): a third-party repository that calls a component
"main" under the same codename is left alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ORDER = ["main", "contrib", "non-free", "non-free-firmware"]


def _suite_of_release(suite, release):
    return suite == release or re.match(r"^%s([-/][a-z-]+)?$" % re.escape(release), suite) is not None


def _debian_entry(types, uris, suites, comps, release):
    if not set(types) & {"deb", "deb-src"} or "main" not in comps:
        return False
    if not any(_suite_of_release(s, release) for s in suites):
        return False
    return "non-free-firmware" in comps or any(re.search(r"/debian(-security)?/?$", u) for u in uris)


def _merged(comps, wanted):
    """comps with the wanted components added, each before the first component that comes
    after it in Debian's order (main contrib non-free non-free-firmware)."""
    out = list(comps)
    for c in wanted:
        if c in out:
            continue
        rank = ORDER.index(c) if c in ORDER else len(ORDER)
        pos = len(out)
        for i, have in enumerate(out):
            if have in ORDER and ORDER.index(have) > rank:
                pos = i
                break
        out.insert(pos, c)
    return out


def _one_line(line):
    """(types, options_text, uri, suite, comps, prefix) of a one-line entry, or None."""
    m = re.match(r"^(\s*)(deb|deb-src)(\s+\[[^\]]*\])?\s+(\S+)\s+(\S+)((?:\s+\S+)*)\s*$", line)
    if not m or line.lstrip().startswith("#"):
        return None
    return m


def missing(text, release, wanted, deb822):
    """Descriptions ("suite URI") of Debian entries that lack a component of ``wanted``."""
    return [d for d, _new in _walk(text, release, wanted, deb822)[1]]


def add_components(text, release, wanted, deb822):
    """(new text, [descriptions of the entries changed])."""
    new, changed = _walk(text, release, wanted, deb822)
    return new, [d for d, _n in changed]


def _walk(text, release, wanted, deb822, count_all=False):
    lines = text.splitlines(True)
    changed = []
    if not deb822:
        out = []
        for line in lines:
            body = line.rstrip("\r\n")
            m = _one_line(body)
            if m:
                comps = m.group(6).split()
                if _debian_entry([m.group(2)], [m.group(4)], [m.group(5)], comps, release) and \
                        (count_all or any(c not in comps for c in wanted)):
                    new = " ".join(_merged(comps, wanted))
                    body = body[:m.start(6)] + " " + new + body[m.end(6):]
                    changed.append(("%s %s" % (m.group(5), m.group(4)), body))
                    line = body + line[len(line.rstrip("\r\n")):]
            out.append(line)
        return "".join(out), changed
    # deb822: stanzas separated by blank lines; fields may continue on indented lines.
    out = []
    for st in _stanzas(lines):
        fields, order = {}, []
        for i, line in enumerate(st):
            if line.startswith("#") or line.strip() == "":
                continue
            if line[:1] in (" ", "\t") and order:
                fields[order[-1]][1].append(i)
                continue
            if ":" in line:
                key = line.split(":", 1)[0].strip().lower()
                fields[key] = (i, [i])
                order.append(key)

        def value(key):
            if key not in fields:
                return []
            parts = []
            for j in fields[key][1]:
                parts.append(st[j].split(":", 1)[1] if j == fields[key][0] else st[j])
            return " ".join(parts).split()

        types, uris, suites, comps = value("types"), value("uris"), value("suites"), value("components")
        enabled = (value("enabled") or ["yes"])[0].lower() != "no"
        if enabled and "components" in fields and _debian_entry(types, uris, suites, comps, release) and \
                (count_all or any(c not in comps for c in wanted)):
            first, idxs = fields["components"]
            head = st[first].split(":", 1)[0]
            nl = st[first][len(st[first].rstrip("\r\n")):] or "\n"
            st = [ln for j, ln in enumerate(st) if j not in idxs[1:]]
            st[first] = "%s: %s%s" % (head, " ".join(_merged(comps, wanted)), nl)
            changed.append(("%s %s" % (" ".join(suites), " ".join(uris)), st[first]))
        out.extend(st)
    return "".join(out), changed


def is_debian_source(text, release, deb822):
    """Whether the file has an entry of Debian's archive for the release (with or without the
    components)."""
    return bool(_walk(text, release, ["main"], deb822, count_all=True)[1])


def _stanzas(lines):
    """deb822 text as stanzas (lists of lines), blank lines as stanzas of their own."""
    stanzas, cur = [], []
    for line in lines:
        if line.strip() == "":
            if cur:
                stanzas.append(cur)
                cur = []
            stanzas.append([line])
        else:
            cur.append(line)
    if cur:
        stanzas.append(cur)
    return stanzas


def _uris(stanza):
    """The URIs of a deb822 stanza (continuation lines included)."""
    uris, in_uris = [], False
    for line in stanza:
        if line.startswith("#"):
            continue
        if line[:1] in (" ", "\t"):
            if in_uris:
                uris += line.split()
            continue
        key, _sep, value = line.partition(":")
        in_uris = key.strip().lower() == "uris"
        if in_uris:
            uris += value.split()
    return uris


def remove_entries(text, regex, deb822):
    """(new text, [the entries removed]) without the entries whose URI matches ``regex`` (a
    compiled pattern): one-line entries are removed as lines, deb822 stanzas as a whole (with
    one blank line after them); comments and every other entry stay as they are."""
    lines = text.splitlines(True)
    removed = []
    if not deb822:
        out = []
        for line in lines:
            m = _one_line(line.rstrip("\r\n"))
            if m and regex.search(m.group(4)):
                removed.append(line.strip())
                continue
            out.append(line)
        return "".join(out), removed
    out, drop_blank = [], False
    for st in _stanzas(lines):
        if len(st) == 1 and st[0].strip() == "":
            if drop_blank:
                drop_blank = False
                continue
            out.extend(st)
            continue
        drop_blank = False
        if any(regex.search(u) for u in _uris(st)) and not all(ln.startswith("#") for ln in st):
            removed.append(" ".join(ln.strip() for ln in st if not ln.startswith("#")))
            drop_blank = True
            continue
        out.extend(st)
    new = "".join(out)
    # A last stanza taken away leaves the blank line before it: end the file as it ended.
    if removed and new.strip() and not text.endswith(("\n\n", "\r\n\r\n")):
        new = new.rstrip("\r\n") + ("\r\n" if text.endswith("\r\n") else "\n")
    return new, removed

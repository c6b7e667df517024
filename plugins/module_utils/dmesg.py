# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scanning core of dmesg_check: find the catalog's signatures in a kernel
log, attribute them to GPUs by PCI address, and put the root cause first.

Candidate lines first: each of the catalog's few KEYWORDS is looked for with
``str.find`` over the whole text (a C search that skips ahead, far faster than a
regular expression over every character); only the lines that hold one are
matched against the catalog's single alternation and then classified. Site
signatures may match any line: with them, the alternation itself runs over the
whole text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.passthrough.nvidia.plugins.module_utils import nvidia_support
from ansible_collections.passthrough.nvidia.plugins.module_utils.untrusted import UNPRINTABLE
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import (
    CLASS_VERDICT,
    CLASS_RANK,
    CLASSES,
    KEYWORDS,
    ROLES,
    SEVERITIES,
    SIGNATURES,
    XID_SIGNATURE,
    UNKNOWN_XID,
    XID154_ACTIONS,
    XID154_UNKNOWN_ACTION,
    XID_CONSEQUENCES,
    XID_NONFATAL,
    XID_UNCORRECTABLE_MEMORY,
    XIDS,
)

MAX_LINES_KEPT = 5

# Timestamp prefixes of the formats dmesg and journalctl write. Each removes the prefix and
# leaves the kernel's message; the prefix is kept as ``first_seen``. Month and day names may be
# localized (journals written under LC_TIME=es_ES say "dic", de_DE "Mär", fr_FR "janv.").
_NAME = r"[^\W\d_]{2,5}\.?"
_SYSLOG_TS = _NAME + r" {1,2}\d{1,2} [\d:]{8}(?:\.\d+)?"                 # short, short-precise
_ISO_TS = r"\d{4}-\d{2}-\d{2}T[\d:]{8}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"   # short-iso(-precise), RFC 3339
_FULL_TS = _NAME + r" \d{4}-\d{2}-\d{2} [\d:]{8}(?:\.\d+)? [A-Za-z+\-\d]+"  # short-full
_UNIX_TS = r"\d{9,}\.\d+"                                                   # short-unix
# dmesg -r ("<6>") and dmesg -x ("kern  :info  : ") put the level before the stamp.
_LEVEL = re.compile(r"^(?:<\d{1,3}>|(?:kern|user|daemon|syslog)\s*:\s*(?:emerg|alert|crit|err|warn|notice|"
                    r"info|debug)\s*: )")
_TS_PATTERNS = [
    # dmesg "[    0.577854] ", dmesg -T "[Tue Nov 24 19:05:24 2026] ", --time-format=reltime
    # "[Nov24 19:05] " / "[  +0.000123] ", -d "[    0.5 <    0.000012>] "; not "[drm:...".
    re.compile(r"^\[(?P<ts>[\s\d.+<>:,]*\d[\s\d.+<>:,]*|" + _NAME + r" ?[^\]]*\d)\]\s?"),
    # journalctl -k (with or without --no-hostname), syslog, kern.log, -o short-precise,
    # short-iso, short-full, short-unix: "<stamp> [host ]kernel: [   1.23] " (dmesg stamp optional)
    re.compile(r"^(?P<ts>" + "|".join((_ISO_TS, _FULL_TS, _SYSLOG_TS, _UNIX_TS)) +
               r")(?: (?!kernel: )\S+)? kernel: (?:\[\s*\d+\.\d+\] )?"),
    # dmesg --time-format=iso: "2026-11-24T19:05:24,123456+00:00 "
    re.compile(r"^(?P<ts>" + _ISO_TS + r") "),
]
# After a "[stamp] " the journal's short-monotonic and short-delta formats still say "host kernel: ".
_AFTER_STAMP = re.compile(r"^(?:(?!kernel: )\S+ )?kernel: ")
# A prefix we do not know: the message starts at " kernel: " or at the first word a kernel
# message of ours starts with, so that the anchored patterns still see it.
_UNKNOWN_PREFIX = re.compile(r"\bkernel: |(?<=[\s\]:])(?=NVRM: |nouveau [0-9a-fA-F]{4}:|nvidia[-_a-z]* ?"
                             r"[0-9a-fA-F]{4}:|nvidia: |pci [0-9a-fA-F]{4}:|pcieport |vfio-pci |\[drm|"
                             r"Lockdown: |Loading of )")

# A new boot starts here (kern.log and saved logs hold several boots).
_BOOT_MARKER = re.compile(r"Linux version \d|-- Boot [0-9a-f]+ --|-- Reboot --")

# PCI enumeration: "pci 0000:01:00.0: [10de:1e04] type 00 class 0x030000"
_ENUM = (r"pci (?P<epci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]): \[(?P<vendor>[0-9a-fA-F]{4}):"
         r"(?P<device>[0-9a-fA-F]{4})\]")
# The PCI ID an NVRM message gives ("NVRM: The NVIDIA GPU 0000:01:00.0 (PCI ID: 10de:2b85)").
_PCI_ID = re.compile(r"\(PCI ID: (?P<id>10[dD][eE]:[0-9a-fA-F]{4})\)")
MESSAGE_CHARS = 200
_NV_DEV = (r"(?:(?:nvidia|nouveau|NVRM: GPU) |nvidia: probe of )"
           r"(?P<npci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])")
# The PCI topology: "pci 0000:00:01.0: PCI bridge to [bus 01]" / "pcieport ...: PCI bridge to
# [bus 04-24]" (a range below a switch).
_BRIDGE = (r"(?:pci|pcieport) (?P<port>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]): PCI bridge to "
           r"\[bus (?P<sec>[0-9a-fA-F]{2})(?:-(?P<sub>[0-9a-fA-F]{2}))?\]")
# A BAR the kernel assigned after all (pci=realloc, or a second pass): its earlier failure
# does not count. "BAR 1: assigned [mem ...]" (<= 6.5) and "BAR 1 [mem ...]: assigned" (6.6+).
_BAR_ASSIGNED = (r"^pci (?P<apci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]): BAR (?P<abar>\d+)"
                 r"(?: \[[^\]]*\])?: assigned")
_XID154_ACTION = re.compile(r"recovery action changed from .* to (?:0x[0-9a-fA-F]+ )?\(?(?P<action>[A-Za-z0-9 ]+?)\)?"
                            r"\s*$")
_NONFATAL = re.compile(r"\bNon-?fatal\b", re.I)
# modprobe's own line names the module it could not load.
_MODULE_NAMED = re.compile(r"could not insert '(?P<mod>[^']+)'")
_PCI_ANY = re.compile(
    r"(?:PCI:)?(?P<pci>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?)|\[GPU ID (?P<drm>0x[0-9a-fA-F]{8})\]")

# The class order used to choose the root cause among several.
_CLASS_RANK = dict((c, i) for i, c in enumerate(CLASS_RANK))
_SEV_RANK = dict((s, i) for i, s in enumerate(SEVERITIES))


def _fill(template, values):
    """``template`` with each ``{name}`` of ``values`` replaced (no other formatting)."""
    for name, value in values.items():
        template = template.replace("{%s}" % name, value)
    return template


def _printable(msg):
    """A log line as a summary may quote it: no control or Unicode format characters, cut."""
    text = UNPRINTABLE.sub("", msg).strip()
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 3] + "..."


def _advice(kind, device_id, values):
    """What nvidia_support.py says the GPU needs, for a signature with ``advice`` (``device_id``:
    the GPU's "10de:xxxx" as the log gave it, or None)."""
    if kind == "gpu" and device_id:
        return nvidia_support.gpu_driver_advice(device_id)
    if kind == "legacy_branch" and values.get("legacy"):
        return nvidia_support.legacy_branch_advice(values["legacy"])
    return ""


def _last_boot_start(text):
    """Where the last boot of a saved log begins (the line of its last boot marker), or 0."""
    best = -1
    for literal in ("Linux version ", "-- Boot ", "-- Reboot --"):
        pos = text.rfind(literal)
        while pos > best:
            tail = text[pos:pos + 60]
            if _BOOT_MARKER.match(tail):
                best = pos
                break
            pos = text.rfind(literal, 0, pos)
    return text.rfind("\n", 0, best) + 1 if best >= 0 else 0


def _keyword_line_starts(text, keywords):
    """The start offsets, sorted, of the lines of ``text`` that contain one of ``keywords``."""
    starts = set()
    find, rfind, add = text.find, text.rfind, starts.add
    for word in keywords:
        pos = find(word)
        while pos >= 0:
            add(rfind("\n", 0, pos) + 1)
            end = find("\n", pos)
            if end < 0:
                break
            pos = find(word, end)
    return sorted(starts)


class CatalogError(Exception):
    """A signature (built-in or given by the user) is not valid."""


def _strip_inline_flags(pattern):
    """Move a leading inline flag group such as ``(?i)`` inside a group so
    that patterns can be joined into one alternation."""
    m = re.match(r"^\(\?([aiLmsux]+)\)", pattern)
    if m:
        return "(?%s:%s)" % (m.group(1), pattern[m.end():])
    return pattern


def validate_signature(sig, where="signatures"):
    """Check one signature dict; return a normalised copy."""
    if not isinstance(sig, dict):
        raise CatalogError("%s: each signature must be a dict, got %r" % (where, sig))
    sid = sig.get("id")
    if not sid or not isinstance(sid, str) or not re.match(r"^[a-z][a-z0-9_]*$", sid):
        raise CatalogError("%s: signature id %r must be lower-case letters, digits and '_'" % (where, sid))
    out = dict(sig)
    out.setdefault("severity", "error")
    out.setdefault("role", "standalone")
    out.setdefault("summary", "{gpu}: %s" % sid)
    out.setdefault("remediation", "")
    if "pattern" in out and "patterns" not in out:
        out["patterns"] = [out.pop("pattern")]
    if out.get("class") not in CLASSES:
        raise CatalogError("%s: signature %r has class %r; expected one of %s"
                           % (where, sid, out.get("class"), ", ".join(CLASSES)))
    if out["severity"] not in SEVERITIES:
        raise CatalogError("%s: signature %r has severity %r; expected one of %s"
                           % (where, sid, out["severity"], ", ".join(SEVERITIES)))
    if out["role"] not in ROLES:
        raise CatalogError("%s: signature %r has role %r; expected one of %s"
                           % (where, sid, out["role"], ", ".join(ROLES)))
    pats = out.get("patterns")
    if not pats or not isinstance(pats, list) or not all(isinstance(p, str) and p for p in pats):
        raise CatalogError("%s: signature %r needs 'patterns', a list of regular expressions" % (where, sid))
    for p in pats:
        try:
            re.compile(p)
        except re.error as e:
            raise CatalogError("%s: signature %r has an invalid pattern %r: %s" % (where, sid, p, e))
    return out


def normalise_pci(text):
    """Turn a PCI address or nvidia-drm GPU ID into (key, full) where key is
    domain:bus:device (lower case) and full is the address as known."""
    if text is None:
        return None, None
    if text.lower().startswith("0x"):
        v = int(text, 16)
        key = "%04x:%02x:%02x" % (v >> 16, (v >> 8) & 0xFF, v & 0xFF)
        return key, key
    t = text.lower()
    return t[:10], t


class Scanner(object):
    """Compiled catalog. Build once, scan many logs."""

    def __init__(self, extra=None):
        sigs = [validate_signature(s, "catalog") for s in SIGNATURES]
        for s in extra or []:
            sigs.append(validate_signature(s))
        self.signatures = sigs
        self.by_id = dict((s["id"], s) for s in sigs)
        self._xid = re.compile(XID_SIGNATURE["pattern"])
        self._enum = re.compile(_ENUM)
        self._nvdev = re.compile(_NV_DEV)
        self._bridge = re.compile(_BRIDGE)
        self._assigned = re.compile(_BAR_ASSIGNED)
        self._compiled = [(s, [re.compile(p) for p in s["patterns"]]) for s in sigs]
        # The single pass: any pattern, anywhere in a line.
        parts = [XID_SIGNATURE["pattern"], _ENUM, _BRIDGE, _BAR_ASSIGNED, r"(?:nvidia|nouveau) [0-9a-fA-F]{4}:",
                 r"NVRM: .*[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}"]
        for s in sigs:
            for p in s["patterns"]:
                parts.append(_strip_inline_flags(p.lstrip("^")))
        joined = "|".join("(?:%s)" % re.sub(r"\(\?P<\w+>", "(?:", p) for p in parts)
        self._any = re.compile(joined)
        # Site signatures may match lines without any of the keywords: then every line
        # goes through the full alternation (scan uses self._any as its prefilter).
        self._keywords = None if extra else KEYWORDS

    # ------------------------------------------------------------------
    def scan(self, text, current_boot_only=True):
        """Scan ``text``; return (findings, lines_scanned)."""
        if "#012" in text:
            text = text.replace("#012", "\n")
        if current_boot_only:
            text = text[_last_boot_start(text):]
        lines_scanned = text.count("\n") + (0 if text.endswith("\n") or not text else 1)

        # Candidate lines: with the built-in catalog, the lines holding a keyword (one
        # str.find pass per keyword); with site signatures, every line the alternation hits.
        if self._keywords is not None:
            starts = _keyword_line_starts(text, self._keywords)
        else:
            starts, last_start = [], -1
            for m in self._any.finditer(text):
                pos = m.start()
                if pos < last_start:
                    continue
                start = text.rfind("\n", 0, pos) + 1
                end = text.find("\n", pos)
                last_start = len(text) + 1 if end < 0 else end + 1
                starts.append(start)
        hits = []          # (line number, raw line)
        line_no, counted_to = 0, 0
        for start in starts:
            end = text.find("\n", start)
            if end < 0:
                end = len(text)
            line_no += text.count("\n", counted_to, start)
            counted_to = start
            hits.append((line_no, text[start:end]))
        return self._classify(hits), lines_scanned

    # ------------------------------------------------------------------
    @staticmethod
    def _split_ts(raw):
        m = _LEVEL.match(raw)
        if m:
            raw = raw[m.end():]
        for rx in _TS_PATTERNS:
            m = rx.match(raw)
            if m:
                rest = raw[m.end():]
                k = _AFTER_STAMP.match(rest)
                return m.group("ts"), rest[k.end():] if k else rest
        m = _UNKNOWN_PREFIX.search(raw, 0, 120)
        if m and m.start() > 0:
            return raw[:m.start()].strip() or None, raw[m.end():]
        return None, raw

    def _analyse(self, msg):
        """What one message (timestamp removed) says: (enumerated device, NVIDIA
        device named, PCI key of the line, event). Pure: the result is cached per
        message text, since kernel logs repeat themselves (Xid storms, retries)."""
        if not self._any.search(msg):
            return None
        enum = nvdev = event = None
        m = self._bridge.search(msg)
        if m:
            sub = m.group("sub") or m.group("sec")
            return None, None, None, ("bridge", normalise_pci(m.group("port")), int(m.group("sec"), 16),
                                      int(sub, 16))
        m = self._assigned.match(msg)
        if m:
            return None, None, None, ("assigned", m.group("apci").lower(), m.group("abar"))
        m = self._enum.search(msg)
        if m:
            key, full = normalise_pci(m.group("epci"))
            vendor = m.group("vendor").lower()
            enum = (key, full, vendor == "10de", "%s:%s" % (vendor, m.group("device").lower()))
        m = self._nvdev.search(msg)
        if m:
            nvdev = normalise_pci(m.group("npci"))
        pm = _PCI_ANY.search(msg)
        line_key = normalise_pci(pm.group("pci") or pm.group("drm"))[0] if pm else None
        m = self._xid.search(msg)
        if m:
            key, full = normalise_pci(m.group("pci"))
            groups = {"gi": m.group("gi"), "ci": m.group("ci")}
            xid = int(m.group("xid"))
            if xid == 154:
                a = _XID154_ACTION.search(msg)
                groups["action"] = a.group("action").strip() if a else None
            elif xid in XID_NONFATAL and _NONFATAL.search(msg):
                groups["nonfatal"] = True
            return enum, (key, full), line_key, (None, xid, key, groups)
        for sig, pats in self._compiled:
            gm = None
            for p in pats:
                gm = p.search(msg)
                if gm:
                    break
            if not gm:
                continue
            groups = gm.groupdict()
            ignore = sig.get("ignore_groups")
            if ignore and all(groups.get(k) == v for k, v in ignore.items()):
                break
            key = normalise_pci(groups["pci"])[0] if groups.get("pci") else line_key
            event = (sig, None, key, groups)
            break
        return enum, nvdev, line_key, event

    def _classify(self, hits):
        nvidia_devices = {}   # key -> full address
        events = []           # [line_no, sig, xid, pci_key, raw, ts, groups, msg]
        nvrm_pci = {}         # line number -> PCI key of an NVRM line that names one
        device_ids = {}       # PCI key -> "10de:xxxx" (enumeration, or an NVRM line's PCI ID)
        cache = {}
        bridges = []          # (port key, port full, first bus, last bus)
        assigned = {}         # (full address, BAR) -> last line where the kernel assigned it
        for line_no, raw in hits:
            ts, msg = self._split_ts(raw.rstrip("\r"))
            msg = msg.lstrip()
            try:
                found = cache[msg]
            except KeyError:
                found = cache[msg] = self._analyse(msg)
            if found is None:
                continue
            enum, nvdev, line_key, event = found
            if event and event[0] == "bridge":
                bridges.append((event[1][0], event[1][1], event[2], event[3]))
                continue
            if event and event[0] == "assigned":
                assigned[(event[1], event[2])] = line_no
                continue
            if enum and enum[2]:
                nvidia_devices[enum[0]] = enum[1]
            if nvdev:
                nvidia_devices.setdefault(nvdev[0], nvdev[1])
            if enum and enum[2]:
                device_ids.setdefault(enum[0], enum[3])
            if line_key and msg.startswith("NVRM:"):
                nvrm_pci[line_no] = line_key
                pid = _PCI_ID.search(msg)
                if pid:
                    device_ids[line_key] = pid.group("id").lower()
                # The device an NVRM line names is NVIDIA's (a log cut by `grep -i nvidia` has
                # no enumeration lines to learn it from).
                nvidia_devices.setdefault(line_key, line_key)
            if event:
                sig, xid, key, groups = event
                events.append([line_no, sig, xid, key, raw, ts, groups, msg])
        # NVRM wraps long messages over several lines: a line without an
        # address takes the one of the NVRM line just before or after it.
        for ev in events:
            if ev[3] is None and ev[7].startswith("NVRM:"):
                ev[3] = next((nvrm_pci[n] for n in range(ev[0] - 1, ev[0] - 5, -1) if n in nvrm_pci),
                             nvrm_pci.get(ev[0] + 1))
        # A BAR that the kernel assigned later in the boot did not fail.
        events = [ev for ev in events if not (
            ev[1] is not None and ev[1]["id"] == "bar_unassigned" and ev[6].get("pci") and ev[6].get("bar")
            and assigned.get((ev[6]["pci"].lower(), ev[6]["bar"]), -1) > ev[0])]
        return self._group(events, nvidia_devices, self._ports_above(bridges, nvidia_devices), device_ids)

    @staticmethod
    def _ports_above(bridges, nvidia_devices):
        """PCI key of each bridge port -> (the NVIDIA GPU below it, the port's address); a port
        above several GPUs names the first."""
        ports = {}
        for gpu in sorted(nvidia_devices):
            domain, bus = gpu[:4], int(gpu[5:7], 16)
            for key, full, first, last in bridges:
                if key[:4] == domain and first <= bus <= last and key != gpu:
                    ports.setdefault(key, (gpu, full))
        return ports

    def _group(self, events, nvidia_devices, ports, device_ids):
        single = list(nvidia_devices)[0] if len(nvidia_devices) == 1 else None
        seen = set(ev[1]["id"] for ev in events if ev[1] is not None)
        groups = {}
        order = []
        for line_no, sig, xid, key, raw, ts, grp, msg in events:
            reported_by = None
            if key in ports and key not in nvidia_devices:
                # The port above the GPU reported it (PCIe AER): it is the GPU's link.
                key, reported_by = ports[key]
            if sig is not None and sig.get("unless_seen") in seen:
                continue
            if sig is not None and sig.get("module_prefix"):
                named = _MODULE_NAMED.search(msg)
                if named and not named.group("mod").startswith(sig["module_prefix"]):
                    continue
            if sig is not None and sig.get("nvidia_only"):
                # A line naming a device must name an NVIDIA one; an NVRM line is NVIDIA's.
                if key not in nvidia_devices and not (key is None and msg.startswith("NVRM:")):
                    continue
            if key is None and single is not None:
                key = single
            if sig is None:
                gid = ("xid", key, xid, grp.get("gi"), grp.get("ci"), grp.get("action"), grp.get("nonfatal"))
            else:
                gid = (sig["id"], key, tuple(grp.get(v) for v in sig.get("vary") or ()))
            g = groups.get(gid)
            if g is None:
                g = groups[gid] = {"sig": sig, "xid": xid, "key": key, "lines": [], "count": 0,
                                   "first_line": line_no, "first_seen": ts, "groups": dict(grp),
                                   "reported_by": reported_by, "message": msg, "severity": None}
                order.append(gid)
            if sig is not None and sig.get("severity_by"):
                # The most severe line of the finding decides (an SXid's Fatal line beside its
                # detail lines).
                for group, values in sig["severity_by"].items():
                    sev = values.get(grp.get(group) or "")
                    if sev and (g["severity"] is None or _SEV_RANK[sev] < _SEV_RANK[g["severity"]]):
                        g["severity"], g["groups"][group] = sev, grp.get(group)
            g["count"] += 1
            if len(g["lines"]) < MAX_LINES_KEPT:
                g["lines"].append(raw)
        findings = [self._finding(groups[gid], nvidia_devices, device_ids) for gid in order]
        return self._root_cause_first(findings)

    def _finding(self, g, nvidia_devices, device_ids):
        key = g["key"]
        pci = nvidia_devices.get(key, key) if key else None
        if pci and len(pci) == 10:
            pci = pci + ".0"
        if g["sig"] is None:
            f = self._xid_finding(g, ("GPU %s" % pci) if pci else "The GPU")
        else:
            s = g["sig"]
            device = s.get("device", "GPU")
            values = dict(s.get("defaults") or {})
            values.update((k, v) for k, v in g["groups"].items() if isinstance(v, str))
            values["gpu"] = ("%s %s" % (device, pci)) if pci else "The %s" % device
            values["message"] = _printable(g["message"])
            f = {
                "id": s["id"], "class": s["class"], "severity": g.get("severity") or s["severity"], "role": s["role"],
                "summary": _fill(s["summary"], values), "remediation": _fill(s["remediation"], values),
            }
            advice = _advice(s.get("advice"), device_ids.get(key), values)
            if advice:
                f["remediation"] = "%s %s" % (f["remediation"], advice)
                f["advice"] = advice
            for field, (group, present, absent) in (s.get("fields") or {}).items():
                f[field] = present if g["groups"].get(group) else absent
        if g.get("reported_by"):
            f["reported_by"] = g["reported_by"]
        f["count"] = g["count"]
        f["lines"] = g["lines"]
        f["first_seen"] = g["first_seen"]
        f["line"] = g["first_line"] + 1
        if pci:
            f["pci_bus_id"] = pci
        return f

    @staticmethod
    def _xid_finding(g, gpu):
        xid, grp = g["xid"], g["groups"]
        cls, sev, name, action = XIDS.get(xid) or UNKNOWN_XID
        action = action.replace("{xid}", str(xid))
        role = "consequence" if xid in XID_CONSEQUENCES else "root"
        where = gpu
        if grp.get("gi") is not None:
            where = "%s (MIG GPU instance %d%s)" % (
                gpu, int(grp["gi"]), ", compute instance %d" % int(grp["ci"]) if grp.get("ci") is not None else "")
        if xid not in XIDS:
            summary = "%s reported Xid %d, which is not in this collection's catalog" % (where, xid)
        else:
            summary = "%s reported Xid %d: %s" % (where, xid, name)
        if grp.get("nonfatal"):
            sev = "warning"
            summary += " (non-fatal)"
        if xid == 154 and not grp.get("action"):
            sev = "error"
            action = ("The driver changed the GPU's recovery action; this collection could not read which: "
                      "treat the GPU as needing a reset (`nvidia-smi -q` shows \"GPU Recovery Action\"). " + action)
        if xid == 154 and grp.get("action"):
            sev, what = XID154_ACTIONS.get(grp["action"].lower(), XID154_UNKNOWN_ACTION)
            summary = "%s: the driver's recovery action is %s" % (where, grp["action"])
            action = "The driver says %s. %s" % (what, action) if sev != "info" else "Nothing to do."
            if sev == "info":
                cls = "info"
        elif xid in XID_UNCORRECTABLE_MEMORY:
            summary = "%s has uncorrectable memory errors (Xid %d: %s)" % (where, xid, name)
        f = {"id": "xid", "class": cls, "severity": sev, "role": role, "summary": summary,
             "remediation": action, "xid": xid}
        if grp.get("gi") is not None:
            f["mig_gpu_instance"] = int(grp["gi"])
            if grp.get("ci") is not None:
                f["mig_compute_instance"] = int(grp["ci"])
        if xid == 154 and grp.get("action"):
            f["recovery_action"] = grp["action"]
        return f

    @staticmethod
    def _root_cause_first(findings):
        roots = {}
        for f in findings:
            if f["role"] == "root" and f["severity"] == "error":
                k = f.get("pci_bus_id")
                best = roots.get(k)
                if best is None or (_CLASS_RANK[f["class"]], f["line"]) < (_CLASS_RANK[best["class"]], best["line"]):
                    roots[k] = f
        for f in findings:
            if f["role"] == "consequence":
                pci = f.get("pci_bus_id")
                root = roots.get(pci)
                # One root cause in the log: it explains a consequence of no known GPU,
                # and any consequence when the root itself names no GPU.
                if root is None and len(roots) == 1 and (pci is None or None in roots):
                    root = next(iter(roots.values()))
                if root is not None:
                    f["caused_by"] = root["id"] if root["id"] != "xid" else "xid:%d" % root["xid"]

        def rank(f):
            return (
                _SEV_RANK[f["severity"]],
                1 if "caused_by" in f else 0,
                0 if f["role"] == "root" else 1,
                _CLASS_RANK[f["class"]],
                f["line"],
            )
        findings.sort(key=rank)
        for f in findings:
            del f["role"]
        return findings


def verdict(findings, fail_on):
    """(healthy, failed, msg) for the findings and the classes to fail on."""
    errors = [f for f in findings if f["severity"] == "error"]
    healthy = not errors
    failing = [f for f in errors if f["class"] in fail_on]
    if not [f for f in findings if f["severity"] != "info"]:
        return True, False, "No known GPU problem in the kernel log."
    top = failing[0] if failing else findings[0]
    msg = "%s: %s. %s" % (top["summary"], CLASS_VERDICT[top["class"]], top["remediation"])
    others = [f for f in findings if f is not top and f["severity"] != "info"]
    if others:
        msg += " (%d more finding%s: %s)" % (
            len(others), "" if len(others) == 1 else "s",
            ", ".join(sorted(set(f["id"] if f["id"] != "xid" else "xid %d" % f["xid"] for f in others))))
    return healthy, bool(failing), msg

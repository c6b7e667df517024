# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet GPU report: one row per guest from what the run learned about it
(nvidia_smi and dmesg_check results, kernel arguments, reboot state), an overall
status per guest, and the report as Markdown, JSON and a compact text table.

Pure functions; the gpu_report module writes the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import posixpath
import re
import tempfile

from ansible_collections.passthrough.nvidia.plugins.module_utils.cuda_probe import REASON_KIND as COMPUTE_REASON_KIND
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg_catalog import SIGNATURES, XIDS
from ansible_collections.passthrough.nvidia.plugins.module_utils.nvidia_smi import REASON_KIND as SMI_REASON_KIND
from ansible_collections.passthrough.nvidia.plugins.module_utils.untrusted import UNPRINTABLE

SCHEMA = 1

# Overall statuses, worst first (the report lists guests in this order).
STATUSES = ("hardware fault", "misconfigured", "unreachable", "degraded", "ok")


def _kinds(reasons, kind):
    return frozenset(r for r, k in reasons.items() if k == kind)


# nvidia_smi's and cuda_probe's reasons by what they say about the guest, as those modules
# classify them (their REASON_KIND).
SMI_HARDWARE = _kinds(SMI_REASON_KIND, "hardware")
SMI_MISCONFIGURED = _kinds(SMI_REASON_KIND, "misconfigured")
SMI_DEGRADED = _kinds(SMI_REASON_KIND, "degraded")
COMPUTE_HARDWARE = _kinds(COMPUTE_REASON_KIND, "hardware")
COMPUTE_MISCONFIGURED = _kinds(COMPUTE_REASON_KIND, "misconfigured")

# dmesg_check finding classes by status (severity error; warnings make a guest degraded).
DMESG_HARDWARE = frozenset(("hardware",))
DMESG_MISCONFIGURED = frozenset(("passthrough", "driver", "secure_boot"))


# The gpu_report module's options (its action plugin validates the same).
ARGUMENT_SPEC = dict(
    guests=dict(type="list", elements="dict"),
    hosts=dict(type="list", elements="str"),
    probes=dict(type="dict", default={}),
    active_hosts=dict(type="list", elements="str"),
    dest=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=["markdown", "json"], default=["markdown", "json"]),
    generated=dict(type="str"),
    playbook=dict(type="str", default="site.yml"),
    mode=dict(type="raw", default="0644"),
)


class ReportError(ValueError):
    """A guest's data is not what the report expects (names the guest and the field)."""


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _flag(value, default=None):
    """A boolean from a template result (older Ansible renders booleans as text); None: not known."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ReportError("%r is not a boolean" % (value,))


def _result(value):
    """A registered result that ran (not skipped, not undefined), else None."""
    if not isinstance(value, dict) or not value or value.get("skipped"):
        return None
    return value


# A guest's data is untrusted: a compromised or tenant-owned guest writes what its modules return.
# Every text taken from it loses its control characters (C0, DEL, C1: terminal escapes, and the
# newlines that would start a row of their own), and each value is type-checked; a guest whose data
# is malformed gets a row saying so, and the other rows are written.
# What a guest's text loses before the report shows it (control and Unicode format characters).
_CONTROL = UNPRINTABLE


def _text(value, limit=2000):
    """A guest's value as one line of plain text (None stays None)."""
    if value is None:
        return None
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _check_guest(guest, index):
    """The host name of an entry (the inventory's, not the guest's): a guest entry that is no
    dict or has no host is bad input to the report itself."""
    if not isinstance(guest, dict):
        raise ReportError("guests[%d] must be a dict, got %s" % (index, type(guest).__name__))
    host = guest.get("host")
    if not isinstance(host, str) or not host or _CONTROL.search(host):
        raise ReportError("guests[%d].host must be a non-empty string without control characters" % index)
    return host


def _need(ok, field, what, value):
    if not ok:
        raise ReportError("%s must be %s, got %s" % (field, what, type(value).__name__))


_SCALAR = (str, int, float, bool, type(None))


def _check_data(guest):
    """Raise ReportError naming the first field of the guest's data that has the wrong type."""
    if guest.get("malformed"):
        raise ReportError(str(guest["malformed"]))
    for key in ("kernel_args", "reboot_reasons", "kernel_args_missing", "kernel_args_still_present"):
        v = guest.get(key)
        _need(v is None or isinstance(v, list), key, "a list", v)
        for i, item in enumerate(v or []):
            _need(isinstance(item, str), "%s[%d]" % (key, i), "a string", item)
    for key in ("reachable", "completed", "rebooted", "reboot_required"):
        try:
            _flag(guest.get(key))
        except ReportError as e:
            raise ReportError("%s: %s" % (key, e))
    for key in ("distribution", "cmdline", "toolkit", "error"):
        _need(isinstance(guest.get(key), _SCALAR), key, "a string", guest.get(key))
    failure = guest.get("failure")
    _need(failure is None or isinstance(failure, dict), "failure", "a dict with task and msg", failure)
    for key in ("task", "msg"):
        _need(isinstance((failure or {}).get(key), _SCALAR), "failure.%s" % key, "a string", (failure or {}).get(key))
    for key in ("smi", "dmesg"):
        _need(guest.get(key) is None or isinstance(guest[key], dict), key, "a registered result (a dict)", guest.get(key))
    kern = guest.get("kernels")
    _need(kern is None or isinstance(kern, dict), "kernels", "a dict", kern)
    for key in ("next_boot", "module_version", "next_boot_how"):
        _need(isinstance((kern or {}).get(key), _SCALAR), "kernels.%s" % key, "a string", (kern or {}).get(key))
    _need(isinstance((kern or {}).get("module_kernels"), (list, type(None))), "kernels.module_kernels", "a list",
          (kern or {}).get("module_kernels"))
    for i, k in enumerate((kern or {}).get("module_kernels") or []):
        _need(isinstance(k, str), "kernels.module_kernels[%d]" % i, "a string", k)
    try:
        _flag((kern or {}).get("next_boot_has_module"))
    except ReportError as e:
        raise ReportError("kernels.next_boot_has_module: %s" % e)
    smi = guest.get("smi") or {}
    for key in ("driver_version", "cuda_version", "reason", "msg"):
        _need(isinstance(smi.get(key), _SCALAR), "smi.%s" % key, "a string", smi.get(key))
    _need(isinstance(smi.get("gpus"), (list, type(None))), "smi.gpus", "a list", smi.get("gpus"))
    for i, g in enumerate(smi.get("gpus") or []):
        _need(isinstance(g, dict), "smi.gpus[%d]" % i, "a dict", g)
        for key in ("name", "pci_bus_id", "ecc_mode"):
            _need(isinstance(g.get(key), (str, type(None))), "smi.gpus[%d].%s" % (i, key), "a string", g.get(key))
        for key in ("ecc_uncorrected", "ecc_corrected", "memory_total_mib"):
            v = g.get(key)
            _need(v is None or (isinstance(v, int) and not isinstance(v, bool)), "smi.gpus[%d].%s" % (i, key),
                  "a number", v)
    dmesg = guest.get("dmesg") or {}
    _need(isinstance(dmesg.get("findings"), (list, type(None))), "dmesg.findings", "a list", dmesg.get("findings"))
    _need(isinstance(dmesg.get("source"), _SCALAR), "dmesg.source", "a string", dmesg.get("source"))
    for i, f in enumerate(dmesg.get("findings") or []):
        _need(isinstance(f, dict), "dmesg.findings[%d]" % i, "a dict", f)
        for key in ("id", "class", "severity", "summary", "pci_bus_id", "caused_by", "remediation"):
            _need(isinstance(f.get(key), (str, type(None))), "dmesg.findings[%d].%s" % (i, key), "a string",
                  f.get(key))
        _need(isinstance(f.get("xid"), (int, type(None))) and not isinstance(f.get("xid"), bool),
              "dmesg.findings[%d].xid" % i, "a number", f.get("xid"))


def _kernel_args(guest):
    """Configured arguments, each with whether the running kernel has it (None: not known), then
    the removed arguments the running kernel still has (removed: True). The driver role's answers
    (nvidia_driver_result.kernel_args_missing / kernel_args_still_present): the report does not
    compare again (one argument at a time it would miss that hugepages=4 belongs to hugepagesz=2M)."""
    missing, present = guest.get("kernel_args_missing"), guest.get("kernel_args_still_present")
    out = []
    for arg in guest.get("kernel_args") or []:
        out.append({"arg": _text(arg), "in_effect": None if missing is None else arg not in missing})
    for arg in present or []:
        out.append({"arg": _text(arg), "in_effect": False, "removed": True})
    return out


def _kernel(guest):
    """The kernel the guest boots next and whether DKMS built the driver's module for it (None:
    no kernel known, as in a container without one)."""
    kern = guest.get("kernels") or {}
    if not kern.get("next_boot"):
        return None
    return {"next_boot": _text(kern.get("next_boot")), "module_version": _text(kern.get("module_version")),
            "module": _flag(kern.get("next_boot_has_module")),
            "module_kernels": [_text(k) for k in kern.get("module_kernels") or []]}


def _reboot(guest):
    if _flag(guest.get("rebooted"), False):
        return "done"
    required = _flag(guest.get("reboot_required"))
    if required is None:
        return "unknown"
    return "pending" if required else "not needed"


def _findings(dmesg):
    out = []
    for f in (dmesg or {}).get("findings") or []:
        if f.get("severity") == "info":
            continue
        keys = ("id", "class", "severity", "summary", "pci_bus_id", "caused_by", "remediation")
        item = dict((k, _text(f.get(k))) for k in keys)
        if f.get("id") == "xid":
            item["xid"] = f.get("xid")
        out.append(item)
    return out


def _gpus(smi):
    out = []
    for g in (smi or {}).get("gpus") or []:
        out.append({"name": _text(g.get("name")), "pci_bus_id": _text(g.get("pci_bus_id")),
                    "ecc_mode": _text(g.get("ecc_mode")),
                    "ecc_uncorrected": g.get("ecc_uncorrected"), "ecc_corrected": g.get("ecc_corrected"),
                    "memory_total_mib": g.get("memory_total_mib")})
    return out


def _compute(probe):
    """The compute column from cuda_probe's result: None (not checked), 'ok' or 'failed'."""
    if probe is None:
        return {"compute": None, "compute_reason": None, "compute_msg": None, "compute_passed": None}
    failed = bool(probe.get("failed") or probe.get("status") == "failed")
    passed = probe.get("passed")
    return {"compute": "failed" if failed else "ok", "compute_reason": _text(probe.get("reason")) if failed else None,
            "compute_msg": _text(probe.get("msg")) if failed else None,
            "compute_passed": passed if isinstance(passed, int) and not isinstance(passed, bool) else None}


def _compute_cell(r):
    if r.get("compute") is None:
        return "not checked"
    if r["compute"] == "ok":
        return "ok" if r.get("compute_passed") is None else "ok (%d GPU%s)" % (
            r["compute_passed"], "" if r["compute_passed"] == 1 else "s")
    return "failed: %s" % (r.get("compute_reason") or "unknown")


def _first_line(text, limit=300):
    return _text(text or "", limit)


def _name(finding):
    return "xid %s" % finding["xid"] if finding["id"] == "xid" else finding["id"]


def judge(row, guest):
    """(status, reason): the overall status of one guest and the one line that says why."""
    if _flag(guest.get("reachable"), True) is False:
        return "unreachable", "the guest did not answer: %s" % (guest.get("error") or "no connection")
    smi = row["smi_reason"]
    errors = [f for f in row["findings"] if f["severity"] == "error"]
    roots = [f for f in errors if not f.get("caused_by")] or errors
    hw = [f for f in roots if f["class"] in DMESG_HARDWARE]
    if hw:
        return "hardware fault", "%s (kernel log: %s)" % (hw[0]["summary"], _name(hw[0]))
    if smi in SMI_HARDWARE:
        return "hardware fault", "nvidia-smi: %s" % row["smi_msg"]
    if row.get("compute_reason") in COMPUTE_HARDWARE:
        return "hardware fault", "CUDA: %s" % row["compute_msg"]
    mis = [f for f in roots if f["class"] in DMESG_MISCONFIGURED]
    if mis:
        return "misconfigured", "%s (kernel log: %s)" % (mis[0]["summary"], _name(mis[0]))
    kern = row.get("kernel") or {}
    if kern.get("module") is False:
        why = "next boot kernel lacks the module: %s has no NVIDIA module %s (DKMS built it for %s)" % (
            kern["next_boot"], kern.get("module_version") or "", ", ".join(kern.get("module_kernels") or []) or "no kernel")
        failure = guest.get("failure") or {}
        if not _flag(guest.get("completed"), True) and failure.get("msg"):
            why += "; the run stopped at '%s': %s" % (failure.get("task"), _first_line(failure.get("msg")))
        return "misconfigured", why
    # Where the run stopped comes before what nvidia-smi or /proc/cmdline say: a run that stopped
    # before the driver leaves nvidia-smi missing and the kernel arguments unbooted as consequences.
    # A run stopped by nvidia-smi's own verdict keeps that verdict's kind (a pending row remap is
    # degraded, not misconfigured): the report does not decide again what the check decided.
    if not _flag(guest.get("completed"), True):
        failure = guest.get("failure") or {}
        if smi in SMI_DEGRADED and row["smi_msg"] and _first_line(failure.get("msg")) == _first_line(row["smi_msg"]):
            return "degraded", "nvidia-smi: %s" % row["smi_msg"]
        if failure.get("task") or failure.get("msg"):
            return "misconfigured", "the run stopped at '%s': %s" % (failure.get("task"), _first_line(failure.get("msg")))
        return "misconfigured", "the run did not reach the end of the play on this guest"
    if smi in SMI_MISCONFIGURED:
        return "misconfigured", "nvidia-smi: %s" % row["smi_msg"]
    if row.get("compute_reason") in COMPUTE_MISCONFIGURED:
        return "misconfigured", "CUDA: %s" % row["compute_msg"]
    missing = [a["arg"] for a in row["kernel_args"] if a["in_effect"] is False and not a.get("removed")]
    present = [a["arg"] for a in row["kernel_args"] if a.get("removed")]
    if (missing or present) and row["reboot"] != "pending":
        return "misconfigured", "the running kernel was booted %s" % " and ".join(
            ([("without %s" % " ".join(missing))] if missing else [])
            + ([("with %s, which nvidia_driver_kernel_args_remove removes" % " ".join(present))] if present else []))
    if row["reboot"] == "pending":
        reasons = ", ".join(guest.get("reboot_reasons") or []) or "the driver or kernel arguments changed"
        return "degraded", "a reboot is pending (%s)" % reasons
    if smi in SMI_DEGRADED:
        return "degraded", "nvidia-smi: %s" % row["smi_msg"]
    if row.get("compute") == "failed":
        return "degraded", "CUDA: %s" % row["compute_msg"]
    if errors or [f for f in row["findings"] if f["severity"] == "warning"]:
        f = (errors or row["findings"])[0]
        return "degraded", "%s (kernel log: %s)" % (f["summary"], _name(f))
    corrected = [g for g in row["gpus"] if (g["ecc_corrected"] or 0) > 0]
    if corrected:
        return "degraded", "GPU %s corrected %d ECC errors (the memory still works; watch the count)" % (
            corrected[0]["pci_bus_id"], corrected[0]["ecc_corrected"])
    if row["smi"] is None:
        return "degraded", "the GPUs were not checked with nvidia-smi"
    return "ok", "%d GPU%s healthy%s" % (len(row["gpus"]), "" if len(row["gpus"]) == 1 else "s",
                                         ", a CUDA kernel ran correctly on each" if row.get("compute") == "ok" else "")


def build_row(guest, index=0):
    """One guest's row of the report; a guest whose data is malformed gets a row that says so."""
    host = _check_guest(guest, index)
    try:
        _check_data(guest)
    except ReportError as e:
        return malformed_row(host, _text(e))
    smi = _result(guest.get("smi"))
    dmesg = _result(guest.get("dmesg"))
    row = {
        "host": host,
        "distribution": _text(guest.get("distribution")),
        "gpus": _gpus(smi),
        "driver_version": _text((smi or {}).get("driver_version")),
        "cuda_version": _text((smi or {}).get("cuda_version")),
        # nvidia_smi returns a reason only when it fails.
        "smi": None if smi is None else ("failed" if smi.get("reason") or smi.get("failed") else "healthy"),
        "smi_reason": _text((smi or {}).get("reason")),
        "smi_msg": _text((smi or {}).get("msg")),
        "kernel_args": _kernel_args(guest),
        "kernel": _kernel(guest),
        "reboot": _reboot(guest),
        "dmesg": None if dmesg is None else (_text(dmesg.get("source")) or "read"),
        "findings": _findings(dmesg),
        "toolkit": _text(guest.get("toolkit")),
    }
    row.update(_compute(_result(guest.get("compute"))))
    row["status"], row["status_reason"] = judge(row, dict(guest, error=_text(guest.get("error")),
                                                          failure=_clean_failure(guest.get("failure"))))
    return row


def _clean_failure(failure):
    if not isinstance(failure, dict):
        return failure
    return dict(failure, task=_text(failure.get("task")), msg=_text(failure.get("msg")))


def malformed_row(host, why):
    """The row of a guest whose data the report cannot use."""
    return {"host": host, "distribution": None, "gpus": [], "driver_version": None, "cuda_version": None,
            "smi": None, "smi_reason": None, "smi_msg": None, "kernel_args": [], "kernel": None, "reboot": "unknown",
            "dmesg": None, "findings": [], "toolkit": None, "compute": None, "compute_reason": None,
            "compute_msg": None, "compute_passed": None, "status": "misconfigured",
            "status_reason": "the guest's data for the report is malformed (%s); check the guest, it may "
                             "have been tampered with" % why}


def build(guests):
    """All rows, worst status first, then by host name; and the count per status."""
    if not isinstance(guests, list):
        raise ReportError("guests must be a list of dicts")
    rows = [build_row(g, i) for i, g in enumerate(guests)]
    seen = set()
    for r in rows:
        if r["host"] in seen:
            raise ReportError("guest %s is listed twice" % r["host"])
        seen.add(r["host"])
    rows.sort(key=lambda r: (STATUSES.index(r["status"]), r["host"]))
    summary = dict((s, len([r for r in rows if r["status"] == s])) for s in STATUSES)
    return rows, summary


def _summary_line(summary, total):
    parts = ["%d %s" % (summary[s], s) for s in STATUSES if summary[s]]
    return "%d guest%s: %s" % (total, "" if total == 1 else "s", ", ".join(parts) or "none")


# Underscores between letters or digits start no emphasis (x86_64, nvidia_driver); others do.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def _md(text):
    """Text of a guest as literal Markdown: no emphasis, code, links, images, tables or HTML it
    could start (CommonMark: any ASCII punctuation may be backslash-escaped; HTML is written as
    entities), and no bare URL for GFM to autolink."""
    text = "" if text is None else " ".join(_CONTROL.sub(" ", str(text)).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("://", "\\://").replace("www.", "www\\.")


# What the collection's own catalog says to do: rendered as written (its code spans included);
# any other remediation text from a guest is escaped like the rest.
_TRUSTED_REMEDIATIONS = frozenset([s["remediation"] for s in SIGNATURES] + [x[3] for x in XIDS.values()])


_SAFE_ID = re.compile(r"^(?:[a-z][a-z0-9_]*|xid \d+)$")


def _code(name):
    """A finding's id as code when it is an id (lower-case letters, digits, '_'), else escaped text."""
    return "`%s`" % name if _SAFE_ID.match(name or "") else _md(name)


def _remedy(text):
    return text if text in _TRUSTED_REMEDIATIONS else _md(text)


def _ecc(g):
    if g["ecc_mode"] in (None, "Disabled") and g["ecc_uncorrected"] is None:
        return g["ecc_mode"] or "n/a"
    return "%s, %s uncorrected / %s corrected" % (
        g["ecc_mode"] or "n/a", "n/a" if g["ecc_uncorrected"] is None else g["ecc_uncorrected"],
        "n/a" if g["ecc_corrected"] is None else g["ecc_corrected"])


def _args(row):
    if not row["kernel_args"]:
        return "none managed"
    marks = {True: "in effect", False: "NOT in effect", None: "not checked"}
    return ", ".join("%s (%s)" % (a["arg"], "still present, removed by the role" if a.get("removed")
                                  else marks[a["in_effect"]]) for a in row["kernel_args"])


def _finding_ids(row):
    return ", ".join("%s (%s)" % (_name(f), f["class"]) for f in row["findings"])


def _sentence(text):
    """The text as a sentence: a capital first letter (not for a command such as nvidia-smi), one full stop."""
    text = text.strip()
    first = text.split(" ", 1)[0]
    if not any(c in first for c in "-_./`"):
        text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def markdown(rows, summary, generated, playbook):
    """The report as Markdown: a summary, one table row per guest, then what to do per guest."""
    out = ["# GPU report", "",
           "Run of `%s`, %s. %s." % (playbook, generated, _summary_line(summary, len(rows))), "",
           "| Guest | Status | GPU | PCI bus id | Driver | CUDA | ECC | Compute | Kernel arguments | Reboot | Kernel log |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gpus = r["gpus"] or [None]
        for i, g in enumerate(gpus):
            first = i == 0
            out.append("| %s |" % " | ".join(_md(c) for c in (
                r["host"] if first else "", r["status"] if first else "",
                g["name"] if g else "n/a", g["pci_bus_id"] if g else "n/a",
                (r["driver_version"] or "n/a") if first else "", (r["cuda_version"] or "n/a") if first else "",
                _ecc(g) if g else "n/a", _compute_cell(r) if first else "", _args(r) if first else "",
                r["reboot"] if first else "",
                (_finding_ids(r) or ("none" if r["dmesg"] else "not read")) if first else "")))
    out.append("")
    for r in rows:
        out += ["## %s: %s" % (_md(r["host"]), r["status"]), "", _md(_sentence(r["status_reason"]))]
        k = r.get("kernel")
        if k and k.get("module") is not False:
            out += ["", _md("Next boot: kernel %s, %s." % (k["next_boot"], {
                True: "the NVIDIA module %s is built for it" % (k.get("module_version") or ""),
                None: "no NVIDIA module installed"}[k.get("module")]))]
        if r["smi_reason"] and r["smi_msg"] and r["smi_msg"] not in r["status_reason"]:
            out += ["", "nvidia-smi (%s): %s" % (_md(r["smi_reason"]), _md(r["smi_msg"]))]
        if r.get("compute_reason") and r.get("compute_msg") and r["compute_msg"] not in r["status_reason"]:
            out += ["", "CUDA (%s): %s" % (_md(r["compute_reason"]), _md(r["compute_msg"]))]
        if r["findings"]:
            out.append("")
        for f in r["findings"]:
            line = "- %s (%s, %s%s): %s." % (
                _code(_name(f)), _md(f["class"]), _md(f["severity"]),
                ", caused by %s" % _md(f["caused_by"]) if f.get("caused_by") else "", _md(f["summary"]))
            if f.get("remediation"):
                line += " What to do: %s" % _remedy(f["remediation"])
            out.append(line)
        out.append("")
    return "\n".join(out)


def as_json(rows, summary, generated, playbook):
    doc = {"schema": SCHEMA, "generated": generated, "playbook": playbook, "summary": summary,
           "guests": [dict((k, v) for k, v in r.items() if k not in ("smi_msg", "compute_msg") or v) for r in rows]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def table(rows, summary):
    """A compact fixed-width table for the end of the run."""
    head = ("GUEST", "STATUS", "GPUS", "DRIVER", "WHY")
    body = []
    for r in rows:
        names = sorted(set(g["name"] or "?" for g in r["gpus"]))
        gpus = "%dx %s" % (len(r["gpus"]), "/".join(names)) if r["gpus"] else "-"
        body.append((r["host"], r["status"], gpus, r["driver_version"] or "-", r["status_reason"]))
    widths = [max(len(x[i]) for x in [head] + body) for i in range(4)]
    lines = []
    for line in [head] + body:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(line[:4])) + "  " + line[4])
    lines.append(_summary_line(summary, len(rows)))
    return [line.rstrip() for line in lines]


FILES = {"markdown": "gpu-report.md", "json": "gpu-report.json"}
RENDER = {"markdown": markdown, "json": as_json}


def _ran(result):
    """A registered result that ran (a dict, not skipped); else an empty dict."""
    return result if isinstance(result, dict) and result and not result.get("skipped") else {}


def guest_from_hostvars(host, hv, probe=None, active=None):
    """One guest's entry for build(), from what the run left in the guest's hostvars: the
    roles' results (nvidia_driver_result, cuda_toolkit_result), the report's own checks
    (__gpu_report_smi, __gpu_report_compute), the play's record of the guest (passthrough_setup,
    passthrough_failure) and the facts; ``probe`` is the controller's own nvidia_smi result for
    the guest, when it asked.

    ``active``: the hosts still active in the play after the run's main play (None: not
    known); a guest that is not (it stopped answering during the run) or that recorded a
    failure (passthrough_failure) did not reach the end of the run."""
    hv = hv or {}
    malformed = None
    setup = hv.get("passthrough_setup") or {}
    probe = _ran(probe)
    setup_unreachable = bool(isinstance(setup, dict) and setup.get("unreachable"))
    unreachable = setup_unreachable or bool(probe.get("unreachable"))
    facts = hv.get("ansible_facts") or {}
    driver = hv.get("nvidia_driver_result")
    if driver is not None and not isinstance(driver, dict):
        malformed = "nvidia_driver_result is not a dict"
    driver = driver if isinstance(driver, dict) else {}
    smi_runs = [_ran(driver.get("smi")), _ran(hv.get("__gpu_report_smi")), {} if unreachable else probe]
    # cuda_probe's result: the driver role's, the report's own, or the one nvidia_smi made in the
    # same call (compute_check) for the report.
    compute_runs = [_ran(driver.get("compute")), _ran(hv.get("__gpu_report_compute"))]
    compute_runs += [_ran(r.get("compute")) for r in smi_runs[1:] if isinstance(r, dict)]
    cmdline = driver.get("cmdline")
    if cmdline is not None and not isinstance(cmdline, str):
        malformed, cmdline = "nvidia_driver_result.cmdline is not a string", None
    kernel_args = driver.get("kernel_args")
    if not isinstance(kernel_args, list):
        kernel_args = []
    answers = {}
    for key in ("kernel_args_missing", "kernel_args_still_present"):
        value = driver.get(key)
        if value is not None and not isinstance(value, list):
            malformed, value = "nvidia_driver_result.%s is not a list" % key, None
        answers[key] = list(value) if value is not None else None
    reasons = driver.get("reboot_reasons")
    result = hv.get("cuda_toolkit_result")
    home = (result.get("home") if isinstance(result, dict) else "") or ""
    return {
        "host": host,
        "reachable": not unreachable and bool(probe or facts),
        "error": (setup.get("msg") if setup_unreachable else probe.get("msg")) or "",
        "completed": hv.get("passthrough_failure") is None and (active is None or host in active),
        "failure": hv.get("passthrough_failure"),
        "distribution": ("%s %s" % (facts.get("distribution", ""), facts.get("distribution_major_version", ""))).strip(),
        "smi": next((r for r in smi_runs if r), None),
        "compute": next((r for r in compute_runs if r), None),
        "dmesg": driver.get("dmesg"),
        "kernel_args": list(kernel_args),
        "kernel_args_missing": answers["kernel_args_missing"],
        "kernel_args_still_present": answers["kernel_args_still_present"],
        "cmdline": cmdline,
        "rebooted": bool(driver.get("rebooted", False)),
        "reboot_required": driver.get("reboot_required"),
        "reboot_reasons": list(reasons) if isinstance(reasons, list) else [],
        "kernels": driver.get("kernels"),
        "toolkit": posixpath.basename(home.rstrip("/")) or None if isinstance(home, str) else home,
        "malformed": malformed,
    }


def render(rows, summary, formats, generated, playbook):
    """{file name: text} for each of ``formats``."""
    if not formats:
        raise ReportError("formats must name at least one of markdown, json")
    return dict((FILES[f], RENDER[f](rows, summary, generated, playbook)) for f in formats)


def plan(dest, files):
    """(result files, [(path, text) to write], diffs) for writing ``files`` into ``dest``:
    only the files whose content differs are written."""
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ReportError("dest %s exists and is not a directory" % dest)
    paths, todo, diffs = [], [], []
    for name in sorted(files, key=lambda n: 0 if n.endswith(".md") else 1):
        path = os.path.join(dest, name)
        paths.append(path)
        before = None
        if os.path.isfile(path):
            with open(path, "rb") as f:
                before = f.read().decode("utf-8", "replace")
        if before != files[name]:
            todo.append((path, files[name]))
            diffs.append({"before_header": path, "after_header": path, "before": before or "", "after": files[name]})
    return paths, todo, diffs


def parse_mode(mode):
    """The file mode as an int: an int (0o644) or an octal string ("0644", "644")."""
    if isinstance(mode, bool):
        raise ReportError("mode must be an octal string such as '0644', got %r" % (mode,))
    if isinstance(mode, int):
        value = mode
    else:
        text = str(mode).strip()
        if not text or any(c not in "01234567" for c in text):
            raise ReportError("mode must be an octal string such as '0644', got %r" % (mode,))
        value = int(text, 8)
    if not 0 <= value <= 0o7777:
        raise ReportError("mode %r is out of range" % (mode,))
    return value


def write(dest, todo, mode=0o644):
    """Writes every (path, text) of ``todo``, each atomically: all are staged in ``dest``
    first, so an error leaves no file half-written and none of the old ones replaced."""
    staged = []
    try:
        if not os.path.isdir(dest):
            os.makedirs(dest)
        for path, text in todo:
            fd, tmp = tempfile.mkstemp(prefix=".gpu-report.", dir=dest)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
            os.chmod(tmp, mode)
    except (IOError, OSError) as e:
        for tmp, _path in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise ReportError("cannot write the report into %s: %s" % (dest, e))
    for tmp, path in staged:
        os.rename(tmp, path)


def produce(guests, params, check_mode=False, diff=False, source="guests"):
    """The gpu_report task, for the module and its action plugin alike: the rows of ``guests``,
    the files of ``params`` (dest, formats, generated, playbook, mode) written where they
    changed (not in check mode), and the task's result. ReportError names the input (``source``
    for a malformed entry); nothing is written then."""
    generated = params["generated"] or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        rows, summary = build(guests)
    except ReportError as e:
        raise ReportError("%s: %s" % (source, e))
    paths, todo, diffs = plan(params["dest"], render(rows, summary, params["formats"], generated, params["playbook"]))
    if todo and not check_mode:
        write(params["dest"], todo, parse_mode(params["mode"]))
    result = dict(changed=bool(todo), rows=rows, summary=summary, table=table(rows, summary), files=paths)
    if diff:
        result["diff"] = diffs
    return result

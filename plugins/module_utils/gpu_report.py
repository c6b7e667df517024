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

import base64
import binascii
import datetime
import json
import os
import posixpath
import tempfile

SCHEMA = 1

# Overall statuses, worst first (the report lists guests in this order).
STATUSES = ("hardware fault", "misconfigured", "unreachable", "degraded", "ok")

# nvidia_smi reasons (plugins/module_utils/nvidia_smi.py REASONS) by what they say about the guest.
SMI_HARDWARE = frozenset(("ecc_errors", "gpu_lost", "inforom_corrupted"))
SMI_MISCONFIGURED = frozenset(("not_installed", "driver_not_loaded", "version_mismatch", "no_devices",
                               "count_mismatch", "driver_too_old", "library_missing", "permission_denied"))
SMI_DEGRADED = frozenset(("timeout", "unknown"))

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


def _check_guest(guest, index):
    if not isinstance(guest, dict):
        raise ReportError("guests[%d] must be a dict, got %s" % (index, type(guest).__name__))
    host = guest.get("host")
    if not isinstance(host, str) or not host:
        raise ReportError("guests[%d].host must be a non-empty string" % index)
    for key in ("kernel_args", "reboot_reasons"):
        if guest.get(key) is not None and not isinstance(guest[key], list):
            raise ReportError("guests[%d] (%s): %s must be a list" % (index, host, key))
    for key in ("reachable", "completed", "rebooted", "reboot_required"):
        try:
            _flag(guest.get(key))
        except ReportError as e:
            raise ReportError("guests[%d] (%s): %s: %s" % (index, host, key, e))
    if guest.get("failure") is not None and not isinstance(guest["failure"], dict):
        raise ReportError("guests[%d] (%s): failure must be a dict with task and msg" % (index, host))
    for key in ("smi", "dmesg"):
        if guest.get(key) is not None and not isinstance(guest[key], dict):
            raise ReportError("guests[%d] (%s): %s must be a registered result (a dict)" % (index, host, key))
    return host


def _kernel_args(guest):
    """Configured arguments, each with whether the running kernel has it (None: not known)."""
    cmdline = guest.get("cmdline")
    words = cmdline.split() if isinstance(cmdline, str) and cmdline.strip() else None
    out = []
    for arg in guest.get("kernel_args") or []:
        out.append({"arg": arg, "in_effect": None if words is None else arg in words})
    return out


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
        item = {"id": f.get("id"), "class": f.get("class"), "severity": f.get("severity"),
                "summary": f.get("summary"), "pci_bus_id": f.get("pci_bus_id"),
                "caused_by": f.get("caused_by"), "remediation": f.get("remediation")}
        if f.get("id") == "xid":
            item["xid"] = f.get("xid")
        out.append(item)
    return out


def _gpus(smi):
    out = []
    for g in (smi or {}).get("gpus") or []:
        out.append({"name": g.get("name"), "pci_bus_id": g.get("pci_bus_id"), "ecc_mode": g.get("ecc_mode"),
                    "ecc_uncorrected": g.get("ecc_uncorrected"), "ecc_corrected": g.get("ecc_corrected"),
                    "memory_total_mib": g.get("memory_total_mib")})
    return out


def _first_line(text, limit=300):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


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
    mis = [f for f in roots if f["class"] in DMESG_MISCONFIGURED]
    if mis:
        return "misconfigured", "%s (kernel log: %s)" % (mis[0]["summary"], _name(mis[0]))
    # Where the run stopped comes before what nvidia-smi or /proc/cmdline say: a run that stopped
    # before the driver leaves nvidia-smi missing and the kernel arguments unbooted as consequences.
    if not _flag(guest.get("completed"), True):
        failure = guest.get("failure") or {}
        if failure.get("task") or failure.get("msg"):
            return "misconfigured", "the run stopped at '%s': %s" % (failure.get("task"), _first_line(failure.get("msg")))
        return "misconfigured", "the run did not reach the end of the play on this guest"
    if smi in SMI_MISCONFIGURED:
        return "misconfigured", "nvidia-smi: %s" % row["smi_msg"]
    missing = [a["arg"] for a in row["kernel_args"] if a["in_effect"] is False]
    if missing and row["reboot"] != "pending":
        return "misconfigured", "the running kernel was booted without %s" % " ".join(missing)
    if row["reboot"] == "pending":
        reasons = ", ".join(guest.get("reboot_reasons") or []) or "the driver or kernel arguments changed"
        return "degraded", "a reboot is pending (%s)" % reasons
    if smi in SMI_DEGRADED:
        return "degraded", "nvidia-smi: %s" % row["smi_msg"]
    if errors or [f for f in row["findings"] if f["severity"] == "warning"]:
        f = (errors or row["findings"])[0]
        return "degraded", "%s (kernel log: %s)" % (f["summary"], _name(f))
    corrected = [g for g in row["gpus"] if (g["ecc_corrected"] or 0) > 0]
    if corrected:
        return "degraded", "GPU %s corrected %d ECC errors (the memory still works; watch the count)" % (
            corrected[0]["pci_bus_id"], corrected[0]["ecc_corrected"])
    if row["smi"] is None:
        return "degraded", "the GPUs were not checked with nvidia-smi"
    return "ok", "%d GPU%s healthy" % (len(row["gpus"]), "" if len(row["gpus"]) == 1 else "s")


def build_row(guest, index=0):
    """One guest's row of the report."""
    host = _check_guest(guest, index)
    smi = _result(guest.get("smi"))
    dmesg = _result(guest.get("dmesg"))
    row = {
        "host": host,
        "distribution": guest.get("distribution"),
        "gpus": _gpus(smi),
        "driver_version": (smi or {}).get("driver_version"),
        "cuda_version": (smi or {}).get("cuda_version"),
        # nvidia_smi returns a reason only when it fails.
        "smi": None if smi is None else ("failed" if smi.get("reason") or smi.get("failed") else "healthy"),
        "smi_reason": (smi or {}).get("reason"),
        "smi_msg": (smi or {}).get("msg"),
        "kernel_args": _kernel_args(guest),
        "reboot": _reboot(guest),
        "dmesg": None if dmesg is None else (dmesg.get("source") or "read"),
        "findings": _findings(dmesg),
        "toolkit": guest.get("toolkit"),
    }
    row["status"], row["status_reason"] = judge(row, guest)
    return row


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


def _md(text):
    return ("" if text is None else str(text)).replace("|", "\\|").replace("\n", " ")


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
    return ", ".join("%s (%s)" % (a["arg"], marks[a["in_effect"]]) for a in row["kernel_args"])


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
           "| Guest | Status | GPU | PCI bus id | Driver | CUDA | ECC | Kernel arguments | Reboot | Kernel log |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gpus = r["gpus"] or [None]
        for i, g in enumerate(gpus):
            first = i == 0
            out.append("| %s |" % " | ".join(_md(c) for c in (
                r["host"] if first else "", r["status"] if first else "",
                g["name"] if g else "n/a", g["pci_bus_id"] if g else "n/a",
                (r["driver_version"] or "n/a") if first else "", (r["cuda_version"] or "n/a") if first else "",
                _ecc(g) if g else "n/a", _args(r) if first else "", r["reboot"] if first else "",
                (_finding_ids(r) or ("none" if r["dmesg"] else "not read")) if first else "")))
    out.append("")
    for r in rows:
        out += ["## %s: %s" % (r["host"], r["status"]), "", _sentence(r["status_reason"])]
        if r["smi_reason"] and r["smi_msg"] and r["smi_msg"] not in r["status_reason"]:
            out += ["", "nvidia-smi (%s): %s" % (r["smi_reason"], r["smi_msg"])]
        if r["findings"]:
            out.append("")
        for f in r["findings"]:
            line = "- `%s` (%s, %s%s): %s." % (
                _name(f), f["class"], f["severity"], ", caused by %s" % f["caused_by"] if f.get("caused_by") else "",
                f["summary"])
            if f.get("remediation"):
                line += " What to do: %s" % f["remediation"]
            out.append(line)
        out.append("")
    return "\n".join(out)


def as_json(rows, summary, generated, playbook):
    doc = {"schema": SCHEMA, "generated": generated, "playbook": playbook, "summary": summary,
           "guests": [dict((k, v) for k, v in r.items() if k != "smi_msg" or v) for r in rows]}
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
    results site.yml and the roles register (passthrough_setup, passthrough_failure,
    nvidia_driver_smi, gpu_report_smi, nvidia_driver_dmesg, ...) and the facts; ``probe`` is
    the controller's own nvidia_smi result for the guest, when it asked.

    ``active``: the hosts still active in the play after the run's main play (None: not
    known); a guest that is not (it stopped answering during the run) or that recorded a
    failure (passthrough_failure) did not reach the end of the run."""
    hv = hv or {}
    setup = hv.get("passthrough_setup") or {}
    probe = _ran(probe)
    setup_unreachable = bool(isinstance(setup, dict) and setup.get("unreachable"))
    unreachable = setup_unreachable or bool(probe.get("unreachable"))
    facts = hv.get("ansible_facts") or {}
    smi_runs = [_ran(hv.get("nvidia_driver_smi")), _ran(hv.get("gpu_report_smi")), {} if unreachable else probe]
    cmdline = None
    proc = hv.get("nvidia_driver_proc_cmdline")
    if isinstance(proc, dict) and proc.get("content") is not None:
        try:
            cmdline = base64.b64decode(proc["content"]).decode("utf-8", "replace")
        except (binascii.Error, TypeError, ValueError):
            raise ReportError("%s: nvidia_driver_proc_cmdline.content is not base64" % host)
    kernel_args = hv.get("nvidia_driver_kernel_args_managed")
    if kernel_args is None:
        kernel_args = hv.get("nvidia_driver_kernel_args") or []
    home = hv.get("cuda_toolkit_home") or ""
    return {
        "host": host,
        "reachable": not unreachable and bool(probe or facts),
        "error": (setup.get("msg") if setup_unreachable else probe.get("msg")) or "",
        "completed": hv.get("passthrough_failure") is None and (active is None or host in active),
        "failure": hv.get("passthrough_failure"),
        "distribution": ("%s %s" % (facts.get("distribution", ""), facts.get("distribution_major_version", ""))).strip(),
        "smi": next((r for r in smi_runs if r), None),
        "dmesg": hv.get("nvidia_driver_dmesg"),
        "kernel_args": list(kernel_args),
        "cmdline": cmdline,
        "rebooted": hv.get("nvidia_driver_rebooted", False),
        "reboot_required": hv.get("nvidia_driver_reboot_required"),
        "reboot_reasons": list(hv.get("nvidia_driver_reboot_reasons") or []),
        "toolkit": posixpath.basename(home.rstrip("/")) or None,
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

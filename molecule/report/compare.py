"""Compares the report scenario's runs: WORK/first and WORK/second (ansible-playbook,
output.txt and reports/<run>/), WORK/runner (ansible-runner's artifacts and
project/reports/<run>/) with EXPECTED/gpu-report.md and .json. Exit 1 with the
differences."""
import difflib
import glob
import json
import os
import re
import sys

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=(\d+)\s+ignored=(\d+)", re.M)
# Ansible words the same refused connection differently from run to run.
NO_ANSWER = re.compile(r"(did not answer: )[^\n]*?(?=\.?$|\.?\n)", re.M)
KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def recap(text):
    return dict((m.group(1), dict(zip(KEYS, map(int, m.groups()[1:])))) for m in RECAP.finditer(text))


def runner_recap(runner):
    for path in glob.glob(os.path.join(runner, "artifacts", "report-runner", "job_events", "*.json")):
        with open(path) as f:
            ev = json.load(f)
        if ev.get("event") == "playbook_on_stats":
            d = ev["event_data"]
            hosts = set().union(*(d[k].keys() for k in ("ok", "changed", "dark", "failures", "skipped")))
            return dict((h, {"ok": d["ok"].get(h, 0), "changed": d["changed"].get(h, 0),
                             "unreachable": d["dark"].get(h, 0), "failed": d["failures"].get(h, 0),
                             "skipped": d["skipped"].get(h, 0), "rescued": d["rescued"].get(h, 0),
                             "ignored": d["ignored"].get(h, 0)}) for h in hosts)
    raise SystemExit("no playbook_on_stats event in the runner's artifacts")


def report(base):
    dirs = sorted(glob.glob(os.path.join(base, "reports", "*")))
    if len(dirs) != 1:
        raise SystemExit("expected one report directory under %s/reports, found %s" % (base, dirs))
    if not re.match(r"^\d{8}T\d{6}Z$", os.path.basename(dirs[0])):
        raise SystemExit("report directory %s is not named by the run's UTC time" % dirs[0])
    with open(os.path.join(dirs[0], "gpu-report.md")) as f:
        md = f.read()
    with open(os.path.join(dirs[0], "gpu-report.json")) as f:
        doc = json.load(f)
    stamp = doc["generated"]
    if os.path.basename(dirs[0]) != re.sub(r"[-:]", "", stamp):
        raise SystemExit("report directory %s does not match its generated time %s" % (dirs[0], stamp))
    doc["generated"] = "<generated>"
    md = NO_ANSWER.sub(r"\1<connection error>", md.replace(stamp, "<generated>"))
    for g in doc["guests"]:
        g["status_reason"] = NO_ANSWER.sub(r"\1<connection error>", g["status_reason"])
    return md, doc


def diff(name, got, want):
    if got == want:
        return []
    lines = difflib.unified_diff(want.splitlines(), got.splitlines(), "expected", "got", lineterm="")
    return ["%s differs:" % name] + list(lines)


def main(work, expected):
    problems, said = [], []
    with open(os.path.join(expected, "gpu-report.md")) as f:
        want_md = f.read()
    with open(os.path.join(expected, "gpu-report.json")) as f:
        want_json = json.dumps(json.load(f), indent=2, sort_keys=True)

    # The fresh converge: the healthy container got the driver but cannot reboot.
    md1, doc1 = report(os.path.join(work, "first"))
    status1 = dict((g["host"], g["status"]) for g in doc1["guests"])
    want1 = {"pt-report-ok": "degraded", "pt-report-ecc": "hardware fault", "pt-report-nouveau": "misconfigured",
             "pt-report-legacy": "misconfigured", "pt-report-gone": "unreachable"}
    if status1 != want1:
        problems.append("first run statuses %s, expected %s" % (status1, want1))
    ok1 = [g for g in doc1["guests"] if g["host"] == "pt-report-ok"][0]
    if ok1["reboot"] != "pending" or "a reboot is pending" not in ok1["status_reason"]:
        problems.append("first run: the healthy guest should have a reboot pending: %s" % ok1)
    said.append("first run: %s" % ", ".join("%s=%s" % kv for kv in sorted(status1.items())))

    # The re-run equals the expected files.
    md2, doc2 = report(os.path.join(work, "second"))
    problems += diff("second run gpu-report.md", md2, want_md)
    problems += diff("second run gpu-report.json", json.dumps(doc2, indent=2, sort_keys=True), want_json)
    with open(os.path.join(work, "second", "output.txt")) as f:
        out2 = f.read()
    for g in doc2["guests"]:
        if not re.search(r"^[\s-]*%s\s+%s\s" % (re.escape(g["host"]), re.escape(g["status"])), out2, re.M):
            problems.append("the run's table has no line for %s (%s)" % (g["host"], g["status"]))
    said.append("second run: report equals %s (md %d lines, json %d guests); the table printed"
                % (expected, len(md2.splitlines()), len(doc2["guests"])))

    rc2 = recap(out2)
    if rc2.get("pt-report-ok", {}).get("changed") != 0 or rc2.get("pt-report-ok", {}).get("failed") != 0:
        problems.append("re-run on the healthy guest: %s (expected changed=0 failed=0)" % rc2.get("pt-report-ok"))
    # The guest that never answered is left to the report, then failed at the end of the run.
    gone = rc2.get("pt-report-gone", {})
    if (gone.get("ignored"), gone.get("failed")) != (1, 1):
        problems.append("pt-report-gone: expected ignored=1 (no answer) and failed=1 in the recap: %s" % gone)
    for h in ("pt-report-ecc", "pt-report-nouveau", "pt-report-legacy"):
        if (rc2.get(h, {}).get("rescued"), rc2.get(h, {}).get("failed")) != (1, 1):
            problems.append("%s: expected rescued=1 and failed=1 in the recap: %s" % (h, rc2.get(h)))

    # ansible-runner: the same recap and the same report.
    runner = os.path.join(work, "runner")
    rr = runner_recap(runner)
    for h in sorted(set(rc2) | set(rr)):
        if rc2.get(h) != rr.get(h):
            problems.append("recap of %s: ansible-playbook %s, ansible-runner %s" % (h, rc2.get(h), rr.get(h)))
    with open(os.path.join(runner, "artifacts", "report-runner", "status")) as f:
        status = f.read().strip()
    md3, doc3 = report(os.path.join(runner, "project"))
    problems += diff("ansible-runner gpu-report.md", md3, want_md)
    problems += diff("ansible-runner gpu-report.json", json.dumps(doc3, indent=2, sort_keys=True), want_json)
    said.append("ansible-runner (status %s): recap of %d hosts and report equal ansible-playbook's" % (status, len(rr)))

    if problems:
        print("\n".join(problems))
        return 1
    print("\n".join(said))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

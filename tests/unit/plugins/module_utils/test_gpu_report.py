# -*- coding: utf-8 -*-
"""The fleet report's logic, fed with the real results of nvidia_smi and dmesg_check
recorded on the H100 guest and with results of the modules run on the fault fixtures."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.passthrough.nvidia.plugins.module_utils import gpu_report as R
from ansible_collections.passthrough.nvidia.plugins.module_utils.dmesg import Scanner, verdict

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
REAL = os.path.join(FIX, "real", "h100-580")


def real_result(name):
    """A module result as `ansible -m` printed it on the real GPU guest."""
    with open(os.path.join(REAL, "modules", name)) as f:
        text = f.read()
    return json.loads(text[text.index("{"):])


def scan(fixture):
    with open(os.path.join(FIX, "dmesg", fixture)) as f:
        findings, lines = Scanner().scan(f.read())
    healthy, _failed, msg = verdict(findings, ["hardware", "passthrough", "driver", "secure_boot"])
    return {"findings": findings, "healthy": healthy, "msg": msg, "lines_scanned": lines, "source": fixture}


def healthy_guest(host="gpu-1", **kw):
    g = {"host": host, "reachable": True, "completed": True, "distribution": "Debian 12",
         "smi": real_result("nvidia_smi.out"), "dmesg": real_result("dmesg_check.out"),
         "kernel_args": ["pci=realloc"], "cmdline": "BOOT_IMAGE=/vmlinuz ro quiet pci=realloc",
         # The driver role's answers about that boot (nvidia_driver_result).
         "kernel_args_missing": [], "kernel_args_still_present": [],
         "rebooted": False, "reboot_required": False, "reboot_reasons": [], "toolkit": "cuda-12.8"}
    g.update(kw)
    return g


def smi_failure(reason, msg, gpus=None):
    return {"changed": False, "failed": False, "healthy": False, "reason": reason, "msg": msg,
            "gpus": gpus or [], "gpu_count": len(gpus or []), "driver_version": None, "cuda_version": None}


def test_real_healthy_guest_is_ok_with_its_gpu():
    row = R.build_row(healthy_guest())
    assert row["status"] == "ok" and row["status_reason"] == "1 GPU healthy"
    assert row["gpus"] == [{"name": "NVIDIA H100 80GB HBM3", "pci_bus_id": "0000:00:06.0", "ecc_mode": "Enabled",
                            "ecc_uncorrected": 0, "ecc_corrected": 0, "memory_total_mib": 81559}]
    assert (row["driver_version"], row["cuda_version"]) == ("580.159.04", "13.0")
    assert row["kernel_args"] == [{"arg": "pci=realloc", "in_effect": True}]
    assert row["findings"] == []  # the real log has only the informational "driver loaded"
    assert row["reboot"] == "not needed" and row["dmesg"] is not None and row["smi"] == "healthy"


def test_field_note_ecc_chain_is_a_hardware_fault_named_by_its_root_cause():
    row = R.build_row(healthy_guest(dmesg=scan("field-note-ecc-chain.log")))
    assert row["status"] == "hardware fault"
    assert row["status_reason"].startswith("GPU 0000:00:04.0 has uncorrectable memory errors")
    assert row["findings"][0]["class"] == "hardware"
    assert [f for f in row["findings"] if f["caused_by"]], "consequences keep their cause"


def test_nvidia_smi_ecc_errors_alone_make_a_hardware_fault():
    smi = real_result("nvidia_smi.out")
    smi.update(healthy=False, reason="ecc_errors", msg="GPU 0000:00:06.0 reports 2 uncorrected ECC errors")
    smi["gpus"][0]["ecc_uncorrected"] = 2
    row = R.build_row(healthy_guest(smi=smi))
    assert row["status"] == "hardware fault" and "2 uncorrected" in row["status_reason"] and row["smi"] == "failed"


def test_nouveau_bound_is_misconfigured():
    smi = smi_failure("driver_not_loaded", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")
    row = R.build_row(healthy_guest(dmesg=scan("nouveau-tu102-firmware.log"), smi=smi, completed=False))
    assert row["status"] == "misconfigured"
    assert "nouveau" in row["status_reason"] and row["findings"][0]["class"] == "driver"
    assert row["gpus"] == [] and row["driver_version"] is None


def test_unreachable_guest_is_listed_with_the_error():
    row = R.build_row({"host": "gone", "reachable": False, "error": "ssh: connect to host 10.0.0.9 port 22: timed out"})
    assert row["status"] == "unreachable" and "timed out" in row["status_reason"]
    assert row["reboot"] == "unknown" and row["smi"] is None and row["dmesg"] is None


@pytest.mark.parametrize("kw, status, why", [
    ({"reboot_required": True, "reboot_reasons": ["the driver was installed or changed"]}, "degraded",
     "a reboot is pending (the driver was installed or changed)"),
    ({"cmdline": "BOOT_IMAGE=/vmlinuz ro quiet", "kernel_args_missing": ["pci=realloc"]}, "misconfigured",
     "the running kernel was booted without pci=realloc"),
    ({"kernel_args_remove": ["nomodeset"], "kernel_args_still_present": ["nomodeset"]}, "misconfigured",
     "the running kernel was booted with nomodeset, which nvidia_driver_kernel_args_remove removes"),
    ({"cmdline": None, "kernel_args_missing": None, "kernel_args_still_present": None}, "ok", "1 GPU healthy"),
    ({"smi": {"skipped": True}}, "degraded", "the GPUs were not checked with nvidia-smi"),
    ({"completed": False}, "misconfigured", "the run did not reach the end of the play on this guest"),
    ({"completed": False, "failure": {"task": "Download the repository key", "msg": "HTTP Error 404:\n Not Found"}},
     "misconfigured", "the run stopped at 'Download the repository key': HTTP Error 404: Not Found"),
    ({"smi": smi_failure("count_mismatch", "expected 2 GPUs, nvidia-smi sees 1")}, "misconfigured", "expected 2 GPUs"),
    ({"smi": smi_failure("timeout", "nvidia-smi did not answer within 30 s")}, "degraded", "did not answer"),
])
def test_status_rules(kw, status, why):
    row = R.build_row(healthy_guest(**kw))
    assert row["status"] == status and why in row["status_reason"]


def test_pending_reboot_does_not_call_missing_arguments_a_misconfiguration():
    row = R.build_row(healthy_guest(cmdline="ro quiet", reboot_required=True, kernel_args_missing=["pci=realloc"]))
    assert row["status"] == "degraded" and row["kernel_args"] == [{"arg": "pci=realloc", "in_effect": False}]


# Issue #28: the role and the report agree, because the report shows the role's answer. Before,
# the report compared one argument at a time and marked both of these "in effect": the 4 pages
# on that command line are 2M pages (hugepages= belongs to the hugepagesz= before it).
@pytest.mark.parametrize("args, remove, running, missing, present", [
    (["hugepagesz=1G", "hugepages=4"], [], "ro hugepagesz=2M hugepages=4 hugepagesz=1G",
     ["hugepagesz=1G", "hugepages=4"], []),
    (["nvidia-drm.modeset=1"], [], "ro quiet nvidia_drm.modeset=1", [], []),
    (["pci=realloc"], ["nomodeset"], "ro quiet pci=realloc nomodeset", [], ["nomodeset"]),
])
def test_the_report_shows_the_roles_answer_about_the_kernel_arguments(args, remove, running, missing, present):
    import base64
    from ansible_collections.passthrough.nvidia.plugins.module_utils import driver_changes
    state = {"contents": {"/proc/cmdline": {"exists": True, "b64": base64.b64encode(running.encode()).decode()}}}
    role = driver_changes.changes(state, kernel_args=args, kernel_args_remove=remove,
                                  grub_file="/etc/default/grub.d/90-passthrough-nvidia.cfg")
    assert (role["kernel_args_missing"], role["kernel_args_still_present"]) == (missing, present)
    row = R.build_row(healthy_guest(kernel_args=args, cmdline=running, kernel_args_missing=role["kernel_args_missing"],
                                    kernel_args_still_present=role["kernel_args_still_present"]))
    shown = [a["arg"] for a in row["kernel_args"] if a["in_effect"] is False]
    assert shown == missing + present
    assert row["status"] == ("misconfigured" if missing or present else "ok")
    for arg in present:
        assert "%s (still present, removed by the role)" % arg in R.markdown([row], R.build([])[1], "t", "site.yml")


def test_corrected_ecc_errors_degrade():
    smi = real_result("nvidia_smi.out")
    smi["gpus"][0]["ecc_corrected"] = 17
    row = R.build_row(healthy_guest(smi=smi))
    assert row["status"] == "degraded" and "corrected 17 ECC errors" in row["status_reason"]


def test_booleans_rendered_as_text_by_older_ansible():
    row = R.build_row(healthy_guest(reachable="True", completed="true", rebooted="False", reboot_required="True"))
    assert row["status"] == "degraded" and row["reboot"] == "pending"


@pytest.mark.parametrize("guests, message", [
    ("gpu-1", "guests must be a list"),
    ([["gpu-1"]], "guests[0] must be a dict"),
    ([{"reachable": True}], "guests[0].host must be a non-empty string"),
    ([{"host": "g\n| forged | ok |"}], "guests[0].host must be a non-empty string without control characters"),
    ([{"host": "g"}, {"host": "g"}], "guest g is listed twice"),
])
def test_bad_input_names_the_guest_and_field(guests, message):
    with pytest.raises(R.ReportError) as e:
        R.build(guests)
    assert message in str(e.value)


def fleet():
    return [healthy_guest("gpu-ok"),
            healthy_guest("gpu-ecc", dmesg=scan("field-note-ecc-chain.log")),
            {"host": "gpu-gone", "reachable": False, "error": "no route to host"},
            healthy_guest("gpu-nouveau", dmesg=scan("nouveau-tu102-firmware.log"), completed=False,
                          smi=smi_failure("driver_not_loaded", "NVIDIA-SMI has failed"))]


def test_rows_worst_first_and_summary_counts():
    rows, summary = R.build(fleet())
    assert [r["host"] for r in rows] == ["gpu-ecc", "gpu-nouveau", "gpu-gone", "gpu-ok"]
    assert summary == {"hardware fault": 1, "misconfigured": 1, "unreachable": 1, "degraded": 0, "ok": 1}


def test_markdown_has_one_row_per_gpu_and_what_to_do():
    rows, summary = R.build(fleet())
    md = R.markdown(rows, summary, "2026-11-24T10:00:00Z", "site.yml")
    lines = md.splitlines()
    assert lines[0] == "# GPU report"
    assert lines[2] == ("Run of `site.yml`, 2026-11-24T10:00:00Z. 4 guests: 1 hardware fault, 1 misconfigured, "
                        "1 unreachable, 1 ok.")
    table = [line for line in lines if line.startswith("| gpu-")]
    assert [line.split(" | ")[0] for line in table] == ["| gpu-ecc", "| gpu-nouveau", "| gpu-gone", "| gpu-ok"]
    ok = [line for line in table if line.startswith("| gpu-ok")][0]
    assert ("| ok | NVIDIA H100 80GB HBM3 | 0000:00:06.0 | 580.159.04 | 13.0 | Enabled, 0 uncorrected / 0 corrected"
            " | not checked | pci=realloc (in effect) | not needed | none |") in ok
    assert "## gpu-ecc: hardware fault" in lines
    assert any(line.startswith("- `xid 140` (hardware, error): GPU 0000:00:04.0 has uncorrectable memory errors")
               and "What to do:" in line for line in lines)
    assert any(line.startswith("- `nvidia_drm_kapi` (driver, error, caused by xid:140)") for line in lines)


def test_markdown_escapes_pipes():
    rows, summary = R.build([{"host": "a|b", "reachable": False, "error": "x | y"}])
    md = R.markdown(rows, summary, "t", "site.yml")
    assert "| a\\|b | unreachable |" in md


def test_json_round_trips_with_the_rows():
    rows, summary = R.build(fleet())
    doc = json.loads(R.as_json(rows, summary, "2026-11-24T10:00:00Z", "site.yml"))
    assert doc["schema"] == 1 and doc["summary"] == summary and doc["generated"] == "2026-11-24T10:00:00Z"
    assert [g["host"] for g in doc["guests"]] == [r["host"] for r in rows]
    first = doc["guests"][0]["findings"][0]
    assert (first["id"], first["xid"], first["class"]) == ("xid", 140, "hardware")


def test_compact_table_aligns_columns():
    rows, summary = R.build(fleet())
    lines = R.table(rows, summary)
    assert lines[0].split() == ["GUEST", "STATUS", "GPUS", "DRIVER", "WHY"]
    assert len(lines) == len(rows) + 2
    assert lines[-1] == "4 guests: 1 hardware fault, 1 misconfigured, 1 unreachable, 1 ok"
    col = lines[0].index("STATUS")
    assert all(line[col:].startswith(r["status"]) for line, r in zip(lines[1:], rows))


def test_a_run_that_stopped_before_the_driver_is_reported_by_its_stop_not_by_a_missing_nvidia_smi():
    # An unsupported guest: the play stops at the platform check, so nvidia-smi was never
    # installed; the report names the stop, which is the cause.
    smi = smi_failure("not_installed", "nvidia-smi (nvidia-smi) is not installed or not executable: install the "
                      "NVIDIA driver (the nvidia_driver role).")
    failure = {"task": "Stop on an unsupported distribution or architecture",
               "msg": "pt-1 runs Ubuntu 24.04 (noble) on x86_64, which passthrough.nvidia does not support."}
    row = R.build_row(healthy_guest(smi=smi, completed=False, failure=failure, cmdline=None))
    assert row["status"] == "misconfigured"
    assert row["status_reason"].startswith("the run stopped at 'Stop on an unsupported distribution")
    # nvidia-smi's own words still appear in the guest's section, once, without a doubled full stop.
    rows, summary = R.build([healthy_guest(smi=smi, completed=False, failure=failure, cmdline=None)])
    md = R.markdown(rows, summary, "2026-11-24T10:00:00Z", "site.yml")
    section = md.split("## gpu-1: misconfigured\n\n", 1)[1]
    assert section.startswith("The run stopped at 'Stop on an unsupported distribution or architecture': pt-1 runs "
                              "Ubuntu 24.04 (noble) on x86_64, which passthrough.nvidia does not support.\n")
    assert "nvidia-smi (not_installed): nvidia-smi (nvidia-smi) is not installed" in section
    assert ".." not in md


def test_a_reason_that_begins_with_a_command_keeps_its_case():
    smi = smi_failure("count_mismatch", "expected 2 GPUs, nvidia-smi sees 1")
    rows, summary = R.build([healthy_guest(smi=smi)])
    md = R.markdown(rows, summary, "2026-11-24T10:00:00Z", "site.yml")
    assert "\nnvidia-smi: expected 2 GPUs, nvidia-smi sees 1.\n" in md


# What site.yml leaves in a healthy, converged guest's hostvars (the real H100 results).
def driver_result(**kw):
    result = {"smi": {"skipped": True, "changed": False}, "compute": None,
              "dmesg": real_result("dmesg_check.out"), "kernel_args": ["pci=realloc"],
              "cmdline": "BOOT_IMAGE=/vmlinuz ro pci=realloc\n", "kernel_args_missing": [],
              "kernel_args_still_present": [], "rebooted": False, "reboot_required": False, "reboot_reasons": []}
    result.update(kw)
    return result


def hostvars(driver=None, **kw):
    hv = {"ansible_facts": {"distribution": "Debian", "distribution_major_version": "12"},
          "passthrough_setup": {"changed": False, "ansible_facts": {}},
          "nvidia_driver_result": driver_result(**(driver or {})),
          "__gpu_report_smi": real_result("nvidia_smi.out"),
          "cuda_toolkit_result": {"home": "/usr/local/cuda-12.8", "version": "12.8"}}
    hv.update(kw)
    return hv


def test_a_converged_guest_from_its_hostvars():
    g = R.guest_from_hostvars("gpu-1", hostvars(), active=["gpu-1"])
    assert g["reachable"] and g["completed"] and g["failure"] is None and g["error"] == ""
    assert g["distribution"] == "Debian 12" and g["toolkit"] == "cuda-12.8"
    assert g["cmdline"] == "BOOT_IMAGE=/vmlinuz ro pci=realloc\n" and g["kernel_args"] == ["pci=realloc"]
    # The collect step's nvidia-smi answer is used: the driver role's handler was skipped.
    assert g["smi"]["driver_version"] == "580.159.04"
    row = R.build_row(g)
    assert row["status"] == "ok" and row["kernel_args"] == [{"arg": "pci=realloc", "in_effect": True}]


def test_the_driver_roles_own_check_wins_over_the_collect_step():
    own = dict(real_result("nvidia_smi.out"), driver_version="580.1")
    g = R.guest_from_hostvars("gpu-1", hostvars(driver={"smi": own}, __gpu_report_smi={"skipped": True}))
    assert g["smi"]["driver_version"] == "580.1"


def test_a_guest_that_never_answered():
    hv = {"passthrough_setup": {"unreachable": True, "msg": "Failed to connect to the host via ssh: Connection refused"}}
    g = R.guest_from_hostvars("gone", hv, probe={"skipped": True})
    assert not g["reachable"] and g["error"].endswith("Connection refused")
    assert R.build_row(g)["status"] == "unreachable"


def test_the_controllers_probe_counts_when_the_run_did_not_check():
    probe = real_result("nvidia_smi.out")
    hv = hostvars(__gpu_report_smi={"skipped": True})
    assert R.guest_from_hostvars("gpu-1", hv, probe=probe)["smi"]["driver_version"] == "580.159.04"
    lost = {"unreachable": True, "msg": "ssh: connect to host timed out"}
    g = R.guest_from_hostvars("gpu-1", hv, probe=lost)
    assert not g["reachable"] and g["smi"] is None and "timed out" in g["error"]


@pytest.mark.parametrize("kw, active, completed", [
    ({}, None, True),
    ({}, ["gpu-1"], True),
    ({}, ["gpu-2"], False),  # it stopped answering during the run: no longer active
    ({"passthrough_failure": {"task": "Install the NVIDIA driver", "msg": "E: broken"}}, ["gpu-1"], False),
])
def test_whether_the_run_reached_its_end(kw, active, completed):
    g = R.guest_from_hostvars("gpu-1", hostvars(**kw), active=active)
    assert g["completed"] is completed


def test_no_kernel_args_when_the_driver_role_did_not_run():
    hv = hostvars()
    del hv["nvidia_driver_result"]
    guest = R.guest_from_hostvars("gpu-1", hv)
    assert guest["kernel_args"] == [] and guest["cmdline"] is None and guest["dmesg"] is None
    assert R.build_row(guest)["kernel_args"] == []


@pytest.mark.parametrize("driver, why", [
    ({"cmdline": ["BOOT_IMAGE=/vmlinuz"]}, "nvidia_driver_result.cmdline is not a string"),
    ("done", "nvidia_driver_result is not a dict"),
])
def test_a_result_of_the_wrong_shape_makes_that_guests_row_malformed(driver, why):
    hv = hostvars()
    hv["nvidia_driver_result"] = driver_result(**driver) if isinstance(driver, dict) else driver
    row = R.build_row(R.guest_from_hostvars("gpu-1", hv))
    assert row["status"] == "misconfigured"
    assert "malformed (%s)" % why in row["status_reason"]


def test_render_plan_and_write(tmp_path):
    rows, summary = R.build([healthy_guest()])
    files = R.render(rows, summary, ["json", "markdown"], "2026-11-24T10:00:00Z", "site.yml")
    assert sorted(files) == ["gpu-report.json", "gpu-report.md"]
    dest = str(tmp_path / "reports" / "run")
    paths, todo, diffs = R.plan(dest, files)
    assert paths == [os.path.join(dest, "gpu-report.md"), os.path.join(dest, "gpu-report.json")]
    assert len(todo) == 2 and diffs[0]["before"] == ""
    R.write(dest, todo, 0o640)
    assert oct(os.stat(paths[0]).st_mode & 0o777) == "0o640"
    assert sorted(os.listdir(dest)) == ["gpu-report.json", "gpu-report.md"]  # no staging file left
    assert R.plan(dest, files)[1] == []  # the same report again: nothing to write


def test_render_needs_a_format():
    with pytest.raises(R.ReportError) as e:
        R.render([], {}, [], "now", "site.yml")
    assert "formats must name at least one" in str(e.value)


def test_a_write_that_fails_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    dest = str(blocker / "run")
    with pytest.raises(R.ReportError) as e:
        R.write(dest, [(os.path.join(dest, "gpu-report.md"), "x")])
    assert str(e.value).startswith("cannot write the report into %s: " % dest)
    assert blocker.read_text() == "keep"


@pytest.mark.parametrize("mode, want", [("0644", 0o644), ("640", 0o640), (0o600, 0o600), (" 0755 ", 0o755)])
def test_parse_mode(mode, want):
    assert R.parse_mode(mode) == want


@pytest.mark.parametrize("mode, message", [
    ("rw-r--r--", "mode must be an octal string such as '0644'"),
    ("", "mode must be an octal string"),
    (True, "mode must be an octal string"),
    ("77777", "out of range"),
])
def test_parse_mode_refuses(mode, message):
    with pytest.raises(R.ReportError) as e:
        R.parse_mode(mode)
    assert message in str(e.value)


# ------------------------------------------------------------ a guest's data is untrusted
# What a compromised or tenant-owned guest can put into the results its modules return.
@pytest.mark.parametrize("kw, field", [
    ({"kernel_args": "pci=realloc"}, "kernel_args must be a list, got str"),
    ({"kernel_args": [["pci=realloc"]]}, "kernel_args[0] must be a string, got list"),
    ({"reboot_reasons": "driver"}, "reboot_reasons must be a list, got str"),
    ({"smi": "ok"}, "smi must be a registered result (a dict), got str"),
    ({"failure": "boom"}, "failure must be a dict with task and msg, got str"),
    ({"failure": {"task": ["t"], "msg": "m"}}, "failure.task must be a string, got list"),
    ({"reachable": "maybe"}, "reachable: 'maybe' is not a boolean"),
    ({"distribution": {"name": "Debian"}}, "distribution must be a string, got dict"),
    ({"smi": {"gpus": "H100"}}, "smi.gpus must be a list, got str"),
    ({"smi": {"gpus": ["H100"]}}, "smi.gpus[0] must be a dict, got str"),
    ({"smi": {"gpus": [{"name": ["H100"]}]}}, "smi.gpus[0].name must be a string, got list"),
    ({"smi": {"gpus": [{"name": "H100", "ecc_uncorrected": "0"}]}}, "smi.gpus[0].ecc_uncorrected must be a number"),
    ({"smi": {"driver_version": {"v": 1}}}, "smi.driver_version must be a string, got dict"),
    ({"dmesg": {"findings": "none"}}, "dmesg.findings must be a list, got str"),
    ({"dmesg": {"findings": [{"id": "xid", "xid": "140"}]}}, "dmesg.findings[0].xid must be a number, got str"),
    ({"dmesg": {"findings": [{"summary": {"x": 1}}]}}, "dmesg.findings[0].summary must be a string, got dict"),
])
def test_malformed_data_gives_that_guest_a_row_saying_so_and_the_others_are_written(kw, field):
    rows, summary = R.build([healthy_guest("gpu-ok"), healthy_guest("gpu-bad", **kw)])
    by = dict((r["host"], r) for r in rows)
    assert by["gpu-ok"]["status"] == "ok"
    assert by["gpu-bad"]["status"] == "misconfigured"
    assert by["gpu-bad"]["status_reason"].startswith("the guest's data for the report is malformed (%s" % field)
    assert summary["ok"] == 1 and summary["misconfigured"] == 1
    md = R.markdown(rows, summary, "now", "site.yml")
    assert "## gpu-bad: misconfigured" in md and "## gpu-ok: ok" in md


HOSTILE = ("x\x1b[31mHOSTILEMARK\x1b[0m\x07\u009b2J\n| gpu-forged | ok | [click](https://evil.example/) "
           "<b>bold</b> `code` **strong** _em_ ~~s~~ www.evil.example &amp;")


def hostile_guest():
    smi = real_result("nvidia_smi.out")
    smi["gpus"][0]["name"] = HOSTILE
    smi["gpus"][0]["pci_bus_id"] = HOSTILE
    smi["driver_version"] = HOSTILE
    smi["cuda_version"] = HOSTILE
    dmesg = {"source": HOSTILE, "findings": [{
        "id": HOSTILE, "class": HOSTILE, "severity": "error", "summary": HOSTILE, "pci_bus_id": HOSTILE,
        "caused_by": HOSTILE, "remediation": HOSTILE}]}
    return healthy_guest("gpu-evil", smi=smi, dmesg=dmesg, distribution=HOSTILE, kernel_args=[HOSTILE],
                         toolkit=HOSTILE, completed=False, failure={"task": HOSTILE, "msg": HOSTILE})


def test_hostile_text_in_every_field_is_stripped_of_control_characters():
    rows, summary = R.build([hostile_guest(), healthy_guest("gpu-ok")])
    blob = json.dumps(rows)
    for bad in ("\\u001b", "\\u0007", "\\u009b", "\\n"):
        assert bad not in blob, bad
    table = "\n".join(R.table(rows, summary))
    assert "\x1b" not in table and "\x07" not in table and "\x9b" not in table
    assert len(R.table(rows, summary)) == 4  # header, two guests, the summary line: no forged line


def test_hostile_text_is_literal_in_the_markdown():
    rows, summary = R.build([hostile_guest(), healthy_guest("gpu-ok")])
    md = R.markdown(rows, summary, "now", "site.yml")
    table_rows = [line for line in md.splitlines() if line.startswith("| ")]
    # The header and one row per GPU: the newline and the pipes of the hostile text made no row.
    assert len(table_rows) == 3 and not any(line.startswith("| gpu-forged") for line in md.splitlines())
    for line in md.splitlines():
        if "HOSTILEMARK" not in line:
            continue
        assert "<b>" not in line and "&lt;b&gt;" in line
        assert "[click]" not in line and "\\[click\\]" in line
        assert "https://" not in line and "www.evil" not in line
        assert "`code`" not in line and "**strong**" not in line and " _em_ " not in line and "~~s~~" not in line
        assert "&amp;amp;" in line
    # The hostile id is not put in a code span; a real id still is.
    assert "- `xid 140`" not in md
    assert any(line.startswith("- x") and "\\`code\\`" in line for line in md.splitlines())


def test_remediations_of_the_catalog_keep_their_code_spans_and_forged_ones_do_not():
    row = R.build_row(healthy_guest(dmesg=real_result("dmesg_check.out")))
    assert R._remedy(R.SIGNATURES[0]["remediation"]) == R.SIGNATURES[0]["remediation"]
    assert R._remedy("run `rm -rf /` | tee") == "run \\`rm -rf /\\` \\| tee"
    assert row["status"] == "ok"


def test_the_toolkit_comes_from_the_roles_result_only():
    # A role variable (__cuda_toolkit_home) is not the result; a result that is not a dict is no toolkit.
    assert R.guest_from_hostvars("gpu-1", hostvars(cuda_toolkit_result=None, __cuda_toolkit_home="/usr/local/cuda-9.9"),
                                 active=["gpu-1"])["toolkit"] is None
    assert R.guest_from_hostvars("gpu-1", hostvars(cuda_toolkit_result="cuda-13.5"), active=["gpu-1"])["toolkit"] is None


# The compute column: cuda_probe's result (nvidia_driver_result.compute, else __gpu_report_compute).
PROBE_OK = {"changed": False, "status": "ok", "passed": 1, "gpu_count": 1, "msg": "GPU 0: kernel ran"}


def _row(hv):
    return R.build([R.guest_from_hostvars("gpu-1", hv)])[0][0]


def _md(row):
    rows, summary = R.build([R.guest_from_hostvars("gpu-1", hostvars())])
    return R.markdown([row], dict(summary, **{row["status"]: 1}), "now", "site.yml")


def _probe_failed(reason, msg):
    return {"changed": False, "failed": True, "status": "failed", "reason": reason, "passed": 0, "msg": msg}


def test_compute_ok_is_counted_in_the_status():
    row = _row(hostvars(__gpu_report_compute=PROBE_OK))
    assert row["compute"] == "ok" and row["status"] == "ok" and "CUDA kernel ran correctly" in row["status_reason"]
    md = _md(row)
    assert "| ok (1 GPU) |" in md and "| Compute |" in md


def test_the_compute_check_nvidia_smi_made_in_the_same_call_is_read():
    failed = _probe_failed("ecc_uncorrectable", "GPU 0: CUDA_ERROR_ECC_UNCORRECTABLE")
    smi = real_result("nvidia_smi.out")
    row = _row(hostvars(__gpu_report_smi=dict(smi, compute=failed)))
    assert row["compute"] == "failed" and row["compute_reason"] == "ecc_uncorrectable"
    assert row["status"] == "hardware fault"
    probed = R.build([R.guest_from_hostvars("gpu-1", hostvars(__gpu_report_smi={"skipped": True}),
                                            probe=dict(smi, compute=PROBE_OK))])[0][0]
    assert probed["compute"] == "ok" and probed["compute_passed"] == 1


def test_the_drivers_own_probe_wins_over_the_reports():
    hv = hostvars(driver={"compute": _probe_failed("wrong_result", "GPU 0: 1 of 1024 results are wrong")},
                  __gpu_report_compute={"skipped": True})
    row = _row(hv)
    assert row["status"] == "hardware fault" and row["status_reason"].startswith("CUDA: GPU 0: 1 of 1024")


@pytest.mark.parametrize("reason,status", [("ecc_uncorrectable", "hardware fault"), ("hung", "hardware fault"),
                                           ("not_ready", "misconfigured"), ("library_missing", "misconfigured"),
                                           ("driver_error", "degraded")])
def test_a_failed_probe_decides_the_status(reason, status):
    hv = hostvars(__gpu_report_compute=_probe_failed(reason, "why \x1b[31m"))
    row = _row(hv)
    assert row["status"] == status and row["compute"] == "failed" and row["compute_reason"] == reason
    assert "\x1b" not in row["status_reason"]
    assert "| failed: %s |" % reason in _md(row)


def test_not_probed_says_so():
    row = _row(hostvars())
    assert row["compute"] is None and row["status"] == "ok" and "CUDA" not in row["status_reason"]


@pytest.mark.parametrize("reason,status", [("torch_cpu_only", "misconfigured"), ("torch_no_cuda", "misconfigured"),
                                           ("torch_wrong", "degraded"), ("torch_hung", "degraded")])
def test_the_pytorch_check_counts_in_the_status(reason, status):
    row = _row(hostvars(driver={"compute": _probe_failed(reason, "PyTorch said so")}))
    assert row["status"] == status and row["compute"] == "failed" and row["compute_reason"] == reason


def _reason_literals(path):
    """The reason strings a module_utils file hands out (reason="x", "reason": "x", ("x", msg) returns)."""
    import re as _re
    with open(path) as f:
        text = f.read()
    found = set(_re.findall(r"""reason["']?\s*[:=]\s*["']([a-z_]+)["']""", text))
    found |= set(_re.findall(r"""return \(?["']([a-z_]+)["'],""", text))
    return found


def test_every_reason_the_checks_give_has_a_status():
    # The report takes each reason's status from the module that gives it: a reason without
    # one would fall through to "degraded" unnoticed.
    import os as _os
    from ansible_collections.passthrough.nvidia.plugins.module_utils import cuda_probe, nvidia_smi
    here = _os.path.dirname(cuda_probe.__file__)
    compute = _reason_literals(_os.path.join(here, "cuda_probe.py")) | _reason_literals(_os.path.join(here, "torch_check.py"))
    compute |= set(cuda_probe.REASONS.values())
    assert compute - {"failed"} <= set(cuda_probe.REASON_KIND), compute - set(cuda_probe.REASON_KIND)
    smi = _reason_literals(_os.path.join(here, "nvidia_smi.py"))
    assert smi and smi <= set(nvidia_smi.REASON_KIND), smi - set(nvidia_smi.REASON_KIND)
    assert set(cuda_probe.REASON_KIND.values()) | set(nvidia_smi.REASON_KIND.values()) == {
        "hardware", "misconfigured", "degraded"}


KERNELS_OK = {"next_boot": "6.1.0-50-amd64", "next_boot_how": "default entry 0", "module_version": "580.159.04",
              "module_kernels": ["6.1.0-50-amd64"], "next_boot_has_module": True}


def test_a_next_boot_kernel_without_the_module_is_misconfigured():
    kern = dict(KERNELS_OK, next_boot="6.1.0-50-cloud-amd64", next_boot_has_module=False)
    row = R.build_row(healthy_guest(kernels=kern))
    assert row["status"] == "misconfigured"
    assert row["status_reason"] == ("next boot kernel lacks the module: 6.1.0-50-cloud-amd64 has no NVIDIA module "
                                    "580.159.04 (DKMS built it for 6.1.0-50-amd64)")
    assert row["kernel"] == {"next_boot": "6.1.0-50-cloud-amd64", "module_version": "580.159.04", "module": False,
                             "module_kernels": ["6.1.0-50-amd64"]}


def test_the_run_that_stopped_on_it_is_named_too():
    kern = dict(KERNELS_OK, next_boot_has_module=False, module_kernels=[])
    row = R.build_row(healthy_guest(kernels=kern, completed=False, failure={
        "task": "Check that the kernel the guest boots next has the NVIDIA module", "msg": "DKMS could not build it"}))
    assert row["status_reason"].startswith("next boot kernel lacks the module: 6.1.0-50-amd64 has no NVIDIA module "
                                           "580.159.04 (DKMS built it for no kernel); the run stopped at 'Check")


def test_a_next_boot_kernel_with_the_module_is_said_in_the_guests_section():
    rows, summary = R.build([healthy_guest(kernels=KERNELS_OK)])
    assert rows[0]["status"] == "ok"
    assert "Next boot: kernel 6.1.0-50-amd64, the NVIDIA module 580.159.04 is built for it." in R.markdown(
        rows, summary, "2026-12-05T00:00:00Z", "site.yml")


def test_a_container_without_a_kernel_has_no_kernel_row():
    assert R.build_row(healthy_guest(kernels=dict(KERNELS_OK, next_boot=None)))["kernel"] is None
    assert R.build_row(healthy_guest())["kernel"] is None


@pytest.mark.parametrize("kern, field", [
    ("6.1.0", "kernels"), ({"module_kernels": "6.1.0"}, "kernels.module_kernels"),
    ({"next_boot": ["x"]}, "kernels.next_boot"), ({"next_boot_has_module": "perhaps"}, "kernels.next_boot_has_module"),
])
def test_kernels_of_the_wrong_shape_make_the_row_malformed(kern, field):
    row = R.build_row(healthy_guest(kernels=kern))
    assert row["status"] == "misconfigured" and field in row["status_reason"]


def test_the_driver_results_kernels_reach_the_row():
    kern = dict(KERNELS_OK, next_boot_has_module=False, headers_unavailable=["linux-headers-6.1.0-50-amd64"])
    g = R.guest_from_hostvars("gpu-1", hostvars(driver={"kernels": kern}), active=["gpu-1"])
    assert g["kernels"] == kern
    assert R.build_row(g)["status_reason"].startswith("next boot kernel lacks the module: 6.1.0-50-amd64")


# Issue #29: the fleet report's status for each new diagnosis, from the kernel log's real public
# excerpts and nvidia-smi's new reasons; the run stopped where the role's check failed.
@pytest.mark.parametrize("fixture, status, starts", [
    ("legacy-pascal-595.log", "misconfigured", "The GPU is supported only by NVIDIA's 580 legacy driver branch"),
    ("unsupported-release-520.log", "misconfigured", "GPU 0000:01:00.0 is not supported by the installed NVIDIA"),
    ("open-required-blackwell-580.log", "misconfigured", "GPU 0000:02:00.0 requires NVIDIA's open kernel modules"),
    ("vgpu-guest-l4.log", "misconfigured", "GPU 0000:00:1e.0 is an NVIDIA vGPU"),
    ("irq-missing.log", "misconfigured", "GPU 0000:01:00.0 got no interrupt (IRQ)"),
    ("gsp-firmware-missing.log", "misconfigured", "GPU 0000:00:1e.0: the GSP firmware failed to initialise"),
    ("sxid-nvswitch.log", "hardware fault", "NVSwitch 0000:84:00.0 reported SXid 12028 (Fatal)"),
    ("xid154-actions.log", "hardware fault", "GPU 0000:01:00.0: the driver's recovery action is Drain and Reset"),
    ("unknown-errors.log", "degraded", "The GPU: the NVIDIA driver reported an error this collection does not know"),
])
def test_each_new_kernel_log_diagnosis_has_its_status(fixture, status, starts):
    dmesg = scan(fixture)
    completed = dmesg["healthy"]
    failure = None if completed else {"task": "Read the kernel log for GPU problems", "msg": dmesg["msg"]}
    row = R.build_row(healthy_guest(dmesg=dmesg, completed=completed, failure=failure))
    assert (row["status"], row["status_reason"][:len(starts)]) == (status, starts)


@pytest.mark.parametrize("reason, status", [
    ("power_cables", "hardware fault"), ("reset_required", "hardware fault"), ("inforom_corrupted", "hardware fault"),
    ("irq_issue", "misconfigured"),
    ("row_remap_pending", "degraded"), ("retired_pages_pending", "degraded"), ("field_unreadable", "degraded"),
    ("not_supported", "degraded"), ("not_implemented", "degraded"), ("bad_argument", "degraded"),
])
def test_each_new_nvidia_smi_reason_has_its_status_also_when_it_stopped_the_run(reason, status):
    msg = "nvidia-smi says %s" % reason
    row = R.build_row(healthy_guest(smi=smi_failure(reason, msg), completed=False,
                                    failure={"task": "Check the GPUs with nvidia-smi", "msg": msg}))
    assert row["status"] == status and row["status_reason"].endswith(msg)


def test_bidi_and_zero_width_characters_of_a_guest_never_reach_the_report():
    # Issue #30: a guest's "OK\u202e..." could make a line read as something else.
    import unicodedata
    tricky = "GPU ok\u202edeliaf\u202c \u200bsilent\u2066x\u2069\ufeff"
    row = R.build_row(healthy_guest(smi=smi_failure("unknown", tricky), completed=False,
                                    failure={"task": "t", "msg": tricky}))
    md = R.markdown([row], R.build([])[1], "t", "site.yml")
    js = "".join(R.render([row], R.build([])[1], ["json"], "t", "site.yml").values())
    for text in (row["status_reason"], md, js):
        assert not [c for c in text if unicodedata.category(c) == "Cf"], repr(text)

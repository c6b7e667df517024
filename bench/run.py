#!/usr/bin/env python
"""make bench: what a run of site.yml costs, measured on this machine, side by side.

The guests are containers of the local Debian 12 image that run sshd: Ansible reaches
them over SSH with pipelining, as it reaches real guests (ansible.cfg). Figure 1 is
also measured over podman exec (containers.podman.podman, which cannot pipeline), the
transport of the molecule scenarios.

Figures (issue "Benchmarks"):
  1. converged re-run of site.yml on one container guest vs the floor (same fact
     gathering, one no-op task): ratio, tasks that ran, round trips to the guest;
  2. fresh converge on one guest: total time, share inside apt/dpkg;
  3. converged re-run on 1, 4 and 8 guests (forks >= guests): T8/T1;
  4. dmesg_check's scanning core vs grep -E -c -f (bench/dmesg_throughput.py);
  5. reboots in a fresh converge and a re-run of the vm scenario (from its last run);
  6. apt transactions and apt updates in a fresh converge.
Writes bench/results.json and bench/results.md. Never fails the build: it measures.
Env: BENCH_RUNS (5), BENCH_PORT (8818), BENCH_SSH_PORT (2300: guest i listens on 2300+i).
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PORT = os.environ.get("BENCH_PORT", "8818")
FLEET = 8
IMAGE = "localhost/passthrough-debian:12"
SSH_PORT = int(os.environ.get("BENCH_SSH_PORT", "2300"))
BASELINE = os.path.join(ROOT, "bench", "baseline.json")
APT_ACTIONS = {"apt", "apt_update", "package_facts", "dpkg_selections"}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def podman(*args):
    return subprocess.run(["podman"] + list(args), check=False, text=True, capture_output=True)


class Bench(object):
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="passthrough-bench.")
        self.names = ["bench-guest-%d" % i for i in range(1, FLEET + 2)]  # +1: the fresh-converge guest
        self.inventory = os.path.join(self.tmp, "inventory.yml")
        self.podman_inventory = os.path.join(self.tmp, "inventory-podman.yml")
        self.key = os.path.join(self.tmp, "id_ed25519")

    def setup(self):
        env = dict(os.environ, TEST_REPO_PORT=PORT)
        sh([os.path.join(ROOT, "tests", "repo", "serve.sh"), "start"], env=env)
        self.teardown_guests()
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key])
        for i, n in enumerate(self.names, 1):
            sshd = ("ssh-keygen -A >/dev/null && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && "
                    "cp /bench/id.pub /root/.ssh/authorized_keys && /usr/sbin/sshd -p %d "
                    "-o ListenAddress=127.0.0.1 -o PermitRootLogin=prohibit-password && exec /bin/sleep infinity"
                    % (SSH_PORT + i))
            # sshd as PID 1 would overwrite its environment (container=podman), which is how
            # Ansible's facts see that the guest is a container: PID 1 stays a plain sleep.
            r = podman("run", "-d", "--name", n, "--hostname", n, "--network", "host",
                       "-v", "%s.pub:/bench/id.pub:ro" % self.key, IMAGE, "/bin/sh", "-c", sshd)
            if r.returncode != 0:
                raise SystemExit("bench: cannot start %s: %s" % (n, r.stderr))
        hosts = "\n".join("    %s: {ansible_port: %d}" % (n, SSH_PORT + i) for i, n in enumerate(self.names, 1))
        # The scenarios' test-repository and container variables (the molecule base config),
        # then the bench's own; the lookups in them read MOLECULE_PROJECT_DIRECTORY and
        # TEST_REPO_PORT, which playbook() sets.
        with open(os.path.join(ROOT, ".config", "molecule", "config.yml")) as f:
            shared = yaml.safe_load(f)["provisioner"]["inventory"]["group_vars"]["passthrough_guests"]
        own = {"nvidia_driver_kernel_args": ["pci=realloc"], "nvidia_smi_expected_gpus": 1,
               "gpu_report_dir": os.path.join(self.tmp, "reports")}
        common = "".join("    %s: %s\n" % (k, json.dumps(v)) for k, v in sorted(dict(shared, **own).items()))
        with open(self.inventory, "w") as f:
            f.write("""passthrough_guests:
  hosts:
%s
  vars:
    ansible_connection: ssh
    ansible_host: 127.0.0.1
    ansible_user: root
    ansible_ssh_private_key_file: %s
    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
    ansible_python_interpreter: /usr/bin/python3
all:
  vars:
""" % (hosts, self.key) + common)
        with open(self.podman_inventory, "w") as f:
            f.write("""passthrough_guests:
  hosts:
%s
  vars:
    ansible_connection: containers.podman.podman
    ansible_python_interpreter: /usr/bin/python3
all:
  vars:
""" % "\n".join("    %s: {}" % n for n in self.names) + common)
        self.wait_for_ssh()
        prep = os.path.join(ROOT, "molecule", "shared", "prepare.yml")
        self.playbook(prep, limit="all")

    def wait_for_ssh(self):
        deadline = time.monotonic() + 60
        for i, n in enumerate(self.names, 1):
            while subprocess.run(["ssh", "-i", self.key, "-p", str(SSH_PORT + i), "-o", "StrictHostKeyChecking=no",
                                  "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                                  "root@127.0.0.1", "true"], capture_output=True, check=False).returncode != 0:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: sshd of %s does not answer on port %d" % (n, SSH_PORT + i))
                time.sleep(0.5)

    def teardown_guests(self):
        for n in self.names:
            podman("rm", "-f", "-t", "0", n)

    def playbook(self, book, limit, forks=10, timing=None, env=None, inventory=None):
        e = dict(os.environ)
        e.update({"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "MOLECULE_PROJECT_DIRECTORY": ROOT,
                  "TEST_REPO_PORT": PORT,
                  "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
                  "ANSIBLE_CALLBACK_PLUGINS": os.path.join(ROOT, "bench", "callback_plugins"),
                  "ANSIBLE_CALLBACKS_ENABLED": "bench_timing", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
                  "BENCH_TIMING_FILE": timing or os.path.join(self.tmp, "timing.json")})
        e.update(env or {})
        t0 = time.monotonic()
        r = subprocess.run(["ansible-playbook", "-i", inventory or self.inventory, "--limit", limit, "--forks", str(forks),
                            book],
                           env=e, text=True, capture_output=True, check=False)
        dt = time.monotonic() - t0
        if r.returncode != 0:
            raise SystemExit("bench: %s failed:\n%s" % (book, r.stdout[-3000:]))
        with open(e["BENCH_TIMING_FILE"]) as f:
            return dt, json.load(f)

    def guest(self, name, *cmd):
        return podman("exec", name, *cmd).stdout


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def main():
    b = Bench()
    site = os.path.join(ROOT, "site.yml")
    floor = os.path.join(ROOT, "bench", "floor.yml")
    res = {}
    try:
        b.setup()
        fresh = b.names[-1]
        # 2 and 6: fresh converge of one guest; apt's history counts the transactions it made.
        history = "grep -c '^Start-Date' /var/log/apt/history.log 2>/dev/null || true"
        before = int(b.guest(fresh, "sh", "-c", history).strip() or 0)
        dt, rec = b.playbook(site, fresh)
        apt_s = sum(r["seconds"] for r in rec if r["action"] in APT_ACTIONS)
        tasks_s = sum(r["seconds"] for r in rec)
        transactions = int(b.guest(fresh, "sh", "-c", history).strip() or 0) - before
        updates = apt_updates(rec)
        fresh_reboots = reboots_decided(rec)
        res["fresh_converge"] = {"seconds": dt, "apt_dpkg_seconds": apt_s, "apt_dpkg_share": apt_s / dt,
                                 "task_seconds": tasks_s, "overhead_seconds": dt - apt_s,
                                 "apt_install_transactions": transactions,
                                 "apt_update_tasks_run": len(updates)}
        # Converge the fleet once (not timed), then time re-runs.
        fleet = b.names[:FLEET]
        b.playbook(site, ",".join(fleet), forks=FLEET)
        for key, inventory in (("rerun_one_guest", b.inventory), ("rerun_one_guest_podman", b.podman_inventory)):
            floor_t, rerun_t = [], []
            rerun_rec = None
            for _run in range(RUNS):
                floor_t.append(b.playbook(floor, fleet[0], inventory=inventory)[0])
                dt, rerun_rec = b.playbook(site, fleet[0], inventory=inventory)
                rerun_t.append(dt)
            guest = [r for r in rerun_rec if r["host"] == fleet[0]]
            ran = [r for r in guest if r["status"] != "skipped"]
            res[key] = {
                "rerun_s": stats(rerun_t), "floor_s": stats(floor_t),
                "ratio": statistics.median(rerun_t) / statistics.median(floor_t),
                "tasks": len(rerun_rec), "tasks_ran": len(ran), "round_trips": len([r for r in ran if r["remote"]]),
                "changed": len([r for r in rerun_rec if r["status"] == "changed"]),
            }
            if key == "rerun_one_guest":
                res["reboots_decided"] = {"fresh_converge": fresh_reboots, "rerun": reboots_decided(guest)}
                res[key]["apt_update_tasks_run"] = len(apt_updates(guest))
        res["fleet"] = {}
        for n in (1, 4, 8):
            ts = [b.playbook(site, ",".join(fleet[:n]), forks=max(n, 10))[0] for _run in range(RUNS)]
            res["fleet"][str(n)] = stats(ts)
        res["fleet"]["ratio_t8_t1"] = res["fleet"]["8"]["median"] / res["fleet"]["1"]["median"]
        # What this machine allows: the same fleets running the floor, and the floor with three
        # no-op module calls (the guests' CPUs are the controller's two cores).
        res["fleet_reference"] = {}
        for key, book in (("floor", floor), ("floor_3_pings", os.path.join(ROOT, "bench", "reference.yml"))):
            t1 = [b.playbook(book, fleet[0])[0] for _run in range(RUNS)]
            t8 = [b.playbook(book, ",".join(fleet), forks=10)[0] for _run in range(RUNS)]
            res["fleet_reference"][key] = {"1": stats(t1), "8": stats(t8),
                                           "ratio_t8_t1": statistics.median(t8) / statistics.median(t1)}
    finally:
        b.teardown_guests()
        subprocess.run([os.path.join(ROOT, "tests", "repo", "serve.sh"), "stop"], check=False,
                       env=dict(os.environ, TEST_REPO_PORT=PORT), capture_output=True)
    # 4: the scanner.
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "dmesg_throughput.py")], check=True,
                         capture_output=True, text=True, env=dict(os.environ, BENCH_RUNS=str(RUNS))).stdout
    res["dmesg_scan"] = json.loads(out)
    # 5: reboots, from the last run of the vm scenario (it asserts them).
    res["reboots"] = vm_reboots()
    res["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                      "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30)}
    res["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if os.path.exists(BASELINE):
        with open(BASELINE) as f:
            res["baseline"] = json.load(f)
    res["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                   text=True, check=False).stdout.strip()
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)
    write_results_md(markdown(res))
    print(markdown(res))


BEGIN = "<!-- BEGIN MEASURED (written by bench/run.py; the history after END is kept as it is) -->"
END = "<!-- END MEASURED -->"


def write_results_md(measured, path=os.path.join(ROOT, "bench", "results.md")):
    """The measured part of results.md between BEGIN and END, anew; what follows END (the
    history of the figures, written by hand) is kept."""
    history = "\n"
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if END in old:
            history = old.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(BEGIN + "\n" + measured + END + history)


def apt_updates(records):
    """apt tasks that refreshed the package lists (apt with update_cache, or passthrough.nvidia's
    apt_update; the recorded task names carry the role)."""
    return [r for r in records
            if r["action"] in ("apt", "apt_update") and r["status"] != "skipped" and r["cache_updated"]]


def reboots_decided(records):
    """Reboots the run decided on (the driver role's result says reboot_required): a container
    guest cannot reboot, so this counts the decision; the vm scenario counts real boots."""
    return len([r for r in records if r.get("reboot_required")])


def vm_reboots():
    path = os.path.join(ROOT, ".cache", "lab", "vm-reboots.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"note": "no vm scenario run recorded on this machine (molecule test -s vm writes it)"}


def fmt(s):
    return "%.2f s (min %.2f, max %.2f, %d runs)" % (s["median"], s["min"], s["max"], s["runs"])


def row1(name, f, target=True):
    return (name, fmt(f["rerun_s"]), "floor %s" % fmt(f["floor_s"]),
            "ratio %.2f%s; %d of %d tasks ran, %d round trips, %d changed"
            % (f["ratio"], " (target <= 3.0)" if target else " (for comparison)", f["tasks_ran"], f["tasks"],
               f["round_trips"], f["changed"]))


def plural(n, one, many):
    return "%d %s" % (n, one if n == 1 else many)


def markdown(r):
    f1, f2, f3, f4 = r["rerun_one_guest"], r["fresh_converge"], r["fleet"], r["dmesg_scan"]
    rows = [
        row1("1. converged re-run, 1 guest (SSH, pipelining)", f1),
        row1("1b. the same over podman exec (no pipelining)", r["rerun_one_guest_podman"], target=False),
        ("2. fresh converge, 1 guest", "%.1f s" % f2["seconds"], "apt/dpkg %.1f s" % f2["apt_dpkg_seconds"],
         "apt/dpkg share %.0f%%, our overhead %.1f s" % (100 * f2["apt_dpkg_share"], f2["overhead_seconds"])),
        ("3. fleet re-run (SSH)", "T1 %s" % fmt(f3["1"]), "T4 %s, T8 %s" % (fmt(f3["4"]), fmt(f3["8"])),
         "T8/T1 %.2f (target <= 2.5)" % f3["ratio_t8_t1"]),
        ("3r. reference: the floor", "T1 %s" % fmt(r["fleet_reference"]["floor"]["1"]),
         "T8 %s" % fmt(r["fleet_reference"]["floor"]["8"]),
         "T8/T1 %.2f (fact gathering alone)" % r["fleet_reference"]["floor"]["ratio_t8_t1"]),
        ("3r. reference: floor + 3 no-op modules", "T1 %s" % fmt(r["fleet_reference"]["floor_3_pings"]["1"]),
         "T8 %s" % fmt(r["fleet_reference"]["floor_3_pings"]["8"]),
         "T8/T1 %.2f (three round trips per guest)" % r["fleet_reference"]["floor_3_pings"]["ratio_t8_t1"]),
        ("4. dmesg scan, %d lines" % f4["lines"],
         "%.3f s (%.0f ns/line)" % (f4["scanner_s"]["median"], f4["scanner_ns_per_line"]),
         "grep -E -c -f %.3f s (%.0f ns/line)" % (f4["grep_s"]["median"], f4["grep_ns_per_line"]),
         "ratio %.2f (target <= 3.0)" % f4["ratio"]),
        ("5. reboots decided (this bench)", "%d in a fresh converge, %d in the re-run" % (
            r["reboots_decided"]["fresh_converge"], r["reboots_decided"]["rerun"]),
         "booted (vm scenario): %s" % reboots(r["reboots"]), "goal: 1 fresh, 0 re-run"),
        ("6. apt in a fresh converge", "%s (container%s)" % (
            plural(f2["apt_install_transactions"], "install transaction", "install transactions"),
            "; vm scenario: %d, headers and dkms included" % r["reboots"]["apt_install_transactions"]
            if "apt_install_transactions" in r["reboots"] else ""),
         "%s (re-run: %d)" % (plural(f2["apt_update_tasks_run"], "package list refresh", "package list refreshes"),
                              f1["apt_update_tasks_run"]),
         "goal: <= 1 install per role, plus NVIDIA's pinning package before the driver (NVIDIA says so); one refresh "
         "after the source is added, none while the lists are fresh"),
    ]
    out = ["# passthrough.nvidia benchmarks", "",
           "Measured by `make bench` on %s, commit %s: %d CPUs, %d GiB, Python %s, kernel %s. Medians with "
           "min/max over %d runs; ratios, since absolute times drift on shared machines. The guests are "
           "containers of the Debian 12 test image reached over SSH with pipelining (as real guests are), "
           "against the local copy of NVIDIA's repository." % (
               r["date"], r["commit"], r["machine"]["cpus"], r["machine"]["memory_gib"], r["machine"]["python"],
               r["machine"]["kernel"], r["rerun_one_guest"]["rerun_s"]["runs"]), "",
           "| Figure | Measured | Against | Result |", "|---|---|---|---|"]
    out += ["| %s | %s | %s | %s |" % row for row in rows]
    base = r.get("baseline")
    if base:
        out += ["", "## Before and after", "",
                "Before: the same benchmark on commit %s (%s); the history below says what changed since."
                % (base["commit"], base["date"]), "",
                "| Figure | Before | After |", "|---|---|---|"]
        pairs = [
            ("1. re-run / floor (SSH)", "%.2f" % base["rerun_one_guest"]["ratio"], "%.2f" % f1["ratio"]),
            ("1. round trips in a re-run (SSH)", str(base["rerun_one_guest"]["round_trips"]), str(f1["round_trips"])),
            ("1. tasks evaluated per guest in a re-run", str(base["rerun_one_guest"]["tasks"]), str(f1["tasks"])),
            ("1. tasks that ran in a re-run", str(base["rerun_one_guest"]["tasks_ran"]), str(f1["tasks_ran"])),
            ("1. re-run time (SSH)", "%.2f s" % base["rerun_one_guest"]["rerun_s"]["median"],
             "%.2f s" % f1["rerun_s"]["median"]),
            ("1b. re-run / floor (podman exec)", "%.2f" % base["rerun_one_guest_podman"]["ratio"],
             "%.2f" % r["rerun_one_guest_podman"]["ratio"]),
            ("3. T8/T1 (SSH)", "%.2f" % base["fleet"]["ratio_t8_t1"], "%.2f" % f3["ratio_t8_t1"]),
            ("3. T8 (SSH)", "%.2f s" % base["fleet"]["8"]["median"], "%.2f s" % f3["8"]["median"]),
            ("2. fresh converge", "%.1f s" % base["fresh_converge"]["seconds"], "%.1f s" % f2["seconds"]),
        ]
        out += ["| %s | %s | %s |" % p for p in pairs]
    return "\n".join(out) + "\n"


def reboots(rb):
    if "fresh_converge" in rb:
        return "%s in a fresh converge, %s in the re-run (%d boots recorded by the guest; %s)" % (
            rb["fresh_converge"], rb["rerun"], rb.get("boots_recorded", 0), rb.get("checked_by", ""))
    return rb.get("note", json.dumps(rb))


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does the user's machine-learning stack see the GPUs? A Python the user names (a virtualenv's)
imports torch, asks torch.cuda.is_available(), and computes a small tensor on every GPU, in a child
process with a time limit. The script's JSON answer is judged by pure code (unit tested with the
texts real PyTorch writes; the sources are named where they are matched)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess

# Runs in the user's Python (any 3.x); prints one JSON line. x * 3 + x over 0..1023 must be 4 * x.
SCRIPT = r"""
import json, sys, time, warnings
out = {"stage": "import"}
try:
    import torch
except BaseException as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out)); sys.exit(0)
out.update(stage="cuda", version=str(torch.__version__), cuda=torch.version.cuda)
try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["available"] = bool(torch.cuda.is_available())
    out["warnings"] = [str(w.message)[:400] for w in caught]
    out["device_count"] = torch.cuda.device_count() if out["available"] else 0
    out["devices"] = []
    for i in range(out["device_count"]):
        out["stage"] = "device %d" % i
        t0 = time.time()
        x = torch.arange(1024, dtype=torch.int32, device="cuda:%d" % i)
        y = (x * 3 + x).cpu()
        ok = bool((y == torch.arange(1024, dtype=torch.int32) * 4).all())
        out["devices"].append({"index": i, "name": torch.cuda.get_device_name(i), "ok": ok,
                               "seconds": round(time.time() - t0, 3)})
    out["stage"] = "done"
except BaseException as e:
    out["error"] = "%s: %s" % (type(e).__name__, str(e)[:600])
print(json.dumps(out))
"""

# What PyTorch says, and what it means. Texts: PyTorch's c10/cuda/CUDAException.h ("CUDA error: no
# kernel image is available for execution on the device", the runtime's cudaErrorNoKernelImageForDevice
# text), torch/cuda/__init__.py (the "CUDA initialization: ..." UserWarning of is_available(), e.g. "The
# NVIDIA driver on your system is too old (found version 11040)").
ADVICE = [
    (re.compile(r"no kernel image is available", re.I),
     "this PyTorch build has no GPU code for this GPU's architecture: install a PyTorch wheel built for it "
     "(torch.cuda.get_arch_list() lists what the build has)"),
    (re.compile(r"driver on your system is too old|CUDA driver version is insufficient", re.I),
     "the NVIDIA driver is older than the CUDA this PyTorch was built with (torch.version.cuda): install a newer "
     "driver branch (nvidia_driver_branch) or a PyTorch wheel for an older CUDA"),
    (re.compile(r"out of memory", re.I),
     "the GPU's memory is taken by other processes (nvidia-smi lists them)"),
    (re.compile(r"uncorrectable ECC", re.I),
     "the GPU's memory is faulty: no configuration fixes this; reset the GPU and replace it if it recurs"),
]


def advice(text):
    for pattern, what in ADVICE:
        if pattern.search(text or ""):
            return what
    return None


def _clean(text, limit=600):
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", str(text))[:limit]


def judge(rc, stdout, stderr, timed_out, timeout, python, cuda_gpus=None):
    """The torch check's result: status ok/failed, reason, msg, and what torch said."""
    res = {"python": python, "status": "failed", "reason": None, "version": None, "cuda": None, "devices": []}
    if timed_out:
        res.update(reason="torch_hung", msg="%s did not finish the PyTorch check within %d seconds: a hung GPU or a "
                                            "driver that does not answer (the kernel log says which)" % (python, timeout))
        return res
    answer = None
    for line in reversed((stdout or "").splitlines()):
        try:
            answer = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(answer, dict):
        tail = _clean(" / ".join((stderr or "").strip().splitlines()[-3:]) or "no output")
        res.update(reason="python_failed", msg="%s could not run the PyTorch check (exit %s): %s" % (python, rc, tail))
        return res
    res.update(version=_clean(answer.get("version") or "", 60) or None, cuda=answer.get("cuda"))
    error = _clean(answer.get("error") or "")
    if answer.get("stage") == "import":
        res.update(reason="torch_missing", msg="%s cannot import torch (%s): install PyTorch into that Python, or "
                                               "name the Python that has it" % (python, error))
        return res
    devices = [d for d in answer.get("devices") or [] if isinstance(d, dict)]
    res["devices"] = [{"index": d.get("index"), "name": _clean(d.get("name") or "", 96), "ok": d.get("ok") is True,
                       "seconds": d.get("seconds")} for d in devices]
    if error:
        what = advice(error)
        res.update(reason="torch_error", msg="PyTorch %s failed at %s: %s%s" % (
            res["version"], _clean(answer.get("stage") or "?", 20), error, (": " + what) if what else ""))
        return res
    if not answer.get("available"):
        warned = " ".join(_clean(w, 400) for w in answer.get("warnings") or [])
        if not res["cuda"]:
            res.update(reason="torch_cpu_only", msg="PyTorch %s in %s is a CPU-only build (torch.version.cuda is None): "
                                                    "install a CUDA build of PyTorch" % (res["version"], python))
            return res
        what = advice(warned)
        res.update(reason="torch_no_cuda", msg="PyTorch %s (built for CUDA %s) cannot use CUDA: torch.cuda.is_available() "
                                               "is False%s%s" % (res["version"], res["cuda"],
                                                                 (": " + warned) if warned else "",
                                                                 (". " + what[0].upper() + what[1:]) if what else
                                                                 ". Check the driver with nvidia-smi and the probe above"))
        return res
    wrong = [d for d in res["devices"] if not d["ok"]]
    if wrong:
        res.update(reason="torch_wrong", msg="PyTorch computed wrong values on GPU %s: the GPU or its driver is "
                                             "faulty" % ", ".join(str(d["index"]) for d in wrong))
        return res
    if cuda_gpus is not None and len(res["devices"]) != cuda_gpus:
        res.update(reason="torch_count", msg="PyTorch sees %d GPU(s), the CUDA driver %d: CUDA_VISIBLE_DEVICES in "
                                             "that environment hides some" % (len(res["devices"]), cuda_gpus))
        return res
    res.update(status="ok", msg="PyTorch %s (CUDA %s) computed correctly on %d GPU(s)" % (
        res["version"], res["cuda"], len(res["devices"])))
    return res


def owner(python):
    """(uid, gid, path) of the first of the interpreter, its directory and the directory above (a
    virtualenv's bin/python is a link to the system's Python, owned by root; the venv is the
    user's) that root does not own, or None when root owns them all."""
    here = os.path.abspath(python)
    for path in (here, os.path.dirname(here), os.path.dirname(os.path.dirname(here))):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_uid != 0:
            return st.st_uid, st.st_gid, path
    return None


def _drop_to(uid, gid):
    def drop():  # pragma: no cover - runs in the forked child; tested end to end
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return drop


def run(python, timeout, cuda_gpus=None):
    """Runs SCRIPT in ``python`` with ``timeout`` seconds (the child is killed after it) and, when
    the module runs as root and the user's interpreter is not root's, as the interpreter's owner:
    a .pth or sitecustomize in a user's virtualenv never runs as root (issue #30)."""
    who = owner(python) if os.geteuid() == 0 else None
    try:
        out = subprocess.run([python, "-c", SCRIPT], capture_output=True, text=True, timeout=timeout,
                             check=False, preexec_fn=_drop_to(who[0], who[1]) if who else None)
    except subprocess.TimeoutExpired:
        return judge(None, "", "", True, timeout, python, cuda_gpus)
    except OSError as e:
        return judge(None, "", "%s" % e, False, timeout, python, cuda_gpus)
    res = judge(out.returncode, out.stdout, out.stderr, False, timeout, python, cuda_gpus)
    res["run_as"] = ("uid %d (owner of %s)" % (who[0], who[2])) if who else "uid %d" % os.geteuid()
    return res

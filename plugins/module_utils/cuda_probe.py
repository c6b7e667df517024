# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Launch real work on every GPU through the CUDA driver API (libcuda.so.1, ctypes; no toolkit).

For each device: context (the primary one), load a built-in PTX kernel (cuModuleLoadData: the
driver JIT-compiles it for the GPU), copy data in, launch, copy back, compare. The work runs in a
child process (fork) that reports each step on a pipe; the parent gives every step `timeout`
seconds and kills the child when one does not finish: a hung GPU never hangs the module.

The pure parts (what a CUresult means and what to do, and turning the child's events into one
result) are separate from the ctypes calls, so they are unit tested without a GPU; the ctypes
calls are tested against tests/doubles/libcuda-double.c.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import glob
import json
import os
import re
import select
import signal
import time

from ansible_collections.passthrough.nvidia.plugins.module_utils.cuda_errors import CU_RESULTS, RUNTIME_ERRORS

KERNEL = "passthrough_probe"
# out[i] = in[i] * 3 + i for i < n. Hand-written PTX ISA 6.0 for sm_50: every driver since 410
# accepts it and JIT-compiles it for any newer GPU (Blackwell included); PTX that nvcc 13 writes
# (ISA 9.x) would be refused by older drivers with CUDA_ERROR_UNSUPPORTED_PTX_VERSION.
PTX = r"""
.version 6.0
.target sm_50
.address_size 64

.visible .entry passthrough_probe(
    .param .u64 out_ptr,
    .param .u64 in_ptr,
    .param .u32 n
)
{
    .reg .pred %p<2>;
    .reg .b32 %r<8>;
    .reg .b64 %rd<8>;

    ld.param.u64 %rd1, [out_ptr];
    ld.param.u64 %rd2, [in_ptr];
    ld.param.u32 %r1, [n];
    mov.u32 %r2, %ctaid.x;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %tid.x;
    mad.lo.s32 %r5, %r2, %r3, %r4;
    setp.ge.u32 %p1, %r5, %r1;
    @%p1 bra DONE;
    cvta.to.global.u64 %rd3, %rd1;
    cvta.to.global.u64 %rd4, %rd2;
    mul.wide.u32 %rd5, %r5, 4;
    add.s64 %rd6, %rd4, %rd5;
    ld.global.u32 %r6, [%rd6];
    mad.lo.s32 %r7, %r6, 3, %r5;
    add.s64 %rd7, %rd3, %rd5;
    st.global.u32 [%rd7], %r7;
DONE:
    ret;
}
"""
N = 1024
BLOCK = 128


def probe_input(n=N):
    return [(i * 7 + 1) & 0x7FFFFFFF for i in range(n)]


def expected_output(values):
    return [(v * 3 + i) & 0xFFFFFFFF for i, v in enumerate(values)]


# What to do, per CUresult (the meanings are NVIDIA's, in cuda_errors.py). Sources: NVIDIA's
# cuda.h comments; 802 on NVSwitch (HGX) systems is Fabric Manager not running
# (aws-samples/aws-deep-learning-ami-ubuntu-dcv-desktop#33, jax-ml/jax#34113,
# pytorch/pytorch#35710, NVIDIA/gpu-operator#1043); 999 is what applications get from a GPU that
# fell off the bus (proteneer/timemachine#1203, ollama/ollama#1895).
ADVICE = {
    2: "The GPU's memory is taken: another process holds it (nvidia-smi lists it) or MIG partitions leave none.",
    3: "cuInit failed earlier in this process: see the first error.",
    34: "libcuda.so.1 is NVIDIA's stub library (from a toolkit's lib64/stubs), not the driver's: remove it from "
        "the loader path (ld.so.conf.d, LD_LIBRARY_PATH) so the driver's libcuda1 is found.",
    46: "The GPU is in exclusive-process compute mode and another process uses it, or it is unavailable: check "
        "`nvidia-smi -q -d COMPUTE` and the processes on it.",
    100: "The driver sees no GPU: the nvidia kernel module is not loaded (lsmod, `modprobe nvidia`), "
         "/dev/nvidia* is missing, or the GPU is not passed through to this VM (lspci -nn | grep 10de).",
    101: "The device index is not valid: CUDA_VISIBLE_DEVICES names a GPU that does not exist.",
    209: "The kernel has no code for this GPU: the driver could not compile the PTX for it.",
    214: "Uncorrectable ECC error in the GPU's memory: the GPU is faulty. No configuration fixes this; reset the "
         "GPU (or power cycle the host) and replace the GPU if it repeats.",
    218: "The driver rejected the built-in PTX: the driver's JIT compiler is broken or missing "
         "(libnvidia-ptxjitcompiler1 / nvidia-driver-cuda).",
    220: "Uncorrectable NVLink error: the NVLink bridge or the GPU is faulty; power cycle the host.",
    221: "The driver's PTX JIT compiler (libnvidia-ptxjitcompiler.so.1) is not installed: install the driver's "
         "CUDA components (nvidia-driver-cuda).",
    222: "The driver is too old for the PTX: install a newer driver branch.",
    304: "An operating-system call failed (permissions on /dev/nvidia*, a cgroup device rule, or a seccomp "
         "filter in a container).",
    700: "The GPU accessed an invalid address while running the probe: the GPU or the driver is faulty; check "
         "the kernel log for Xid errors.",
    702: "The probe's kernel ran too long and the watchdog stopped it: a display on this GPU (X) has a watchdog; "
         "the GPU may also be hung.",
    719: "The GPU failed while running the probe (an Xid in the kernel log says why): reset the GPU or reboot the "
         "VM; a faulty GPU repeats it.",
    800: "The operation is not permitted here (a container without the GPU's device files, or MIG configuration).",
    802: "The system is not ready for CUDA work yet: on an NVSwitch system (HGX) start "
         "nvidia-fabricmanager, the same version as the driver; otherwise wait for the driver's initialisation "
         "and check `systemctl status nvidia-persistenced`.",
    803: "The driver's libraries and the loaded kernel module are different versions (an upgrade without "
         "reboot): reboot the guest.",
    804: "Forward compatibility (the cuda-compat package) is not supported on this GPU: remove cuda-compat from "
         "the loader path and use a driver new enough for the toolkit.",
    919: "The GPU fabric is not ready yet: start nvidia-fabricmanager (the driver's version) and wait for it.",
    999: "The driver hit an internal error: reset the GPU or reboot the VM (with passthrough: stop and start it, "
         "so the host resets the GPU), then read the kernel log for Xid errors (dmesg_check).",
}
HUNG_ADVICE = ("The GPU does not answer: reset it or power cycle the VM from the host, and read the kernel "
               "log (dmesg_check) for Xid 79 (fallen off the bus) or Xid 119 (GSP timeout).")
# Every reason the module returns (its own and PyTorch's check, torch_check.py), and what it
# says about the guest (the fleet report's status).
REASON_KIND = {
    "ecc_uncorrectable": "hardware", "wrong_result": "hardware", "hung": "hardware",
    "not_ready": "misconfigured", "no_devices": "misconfigured", "version_mismatch": "misconfigured",
    "driver_not_loaded": "misconfigured",
    "library_missing": "misconfigured", "library_broken": "misconfigured", "driver_too_old": "misconfigured",
    "stub_library": "misconfigured", "count_mismatch": "misconfigured",
    # PyTorch's check: the ML environment is not set up for the GPU.
    "torch_missing": "misconfigured", "torch_cpu_only": "misconfigured", "torch_no_cuda": "misconfigured",
    "torch_count": "misconfigured", "torch_error": "misconfigured", "python_failed": "misconfigured",
    "driver_error": "degraded", "crashed": "degraded", "cuda_error": "degraded", "torch_wrong": "degraded",
    "torch_hung": "degraded",
}
# The module's reason for the first failure, by CUresult.
REASONS = {100: "no_devices", 214: "ecc_uncorrectable", 220: "ecc_uncorrectable", 802: "not_ready", 919: "not_ready",
           803: "version_mismatch", 34: "stub_library", 222: "driver_too_old", 999: "driver_error"}
NVSWITCH_ADVICE_802 = ("NVSwitches are present and CUDA is not ready: the NVIDIA Fabric Manager is not running. "
                       "Install and start nvidia-fabricmanager (the driver's exact version: "
                       "nvidia-fabricmanager-<branch>) and enable it at boot.")
RUNTIME_ADVICE = {
    35: "The driver is older than the CUDA runtime the program was built with: install a driver branch that "
        "supports this CUDA version (nvidia_driver_branch), or build with an older toolkit.",
    100: ADVICE[100],
    802: ADVICE[802],
    804: ADVICE[804],
    999: ADVICE[999],
}


def describe(code, nvswitch=False):
    """{code, name, meaning, advice} of a CUresult."""
    code = int(code)
    name, meaning = CU_RESULTS.get(code, ("CUresult %d" % code, "A code this collection does not know."))
    advice = ADVICE.get(code, "See NVIDIA's documentation of %s and the kernel log (dmesg_check)." % name)
    if code == 802 and nvswitch:
        advice = NVSWITCH_ADVICE_802
    return {"code": code, "name": name, "meaning": meaning, "advice": advice}


def describe_runtime(code):
    """{code, name, meaning, advice} of a cudaError (the runtime API: what a CUDA program prints)."""
    code = int(code)
    name, meaning = RUNTIME_ERRORS.get(code, ("cudaError %d" % code, "A code this collection does not know."))
    return {"code": code, "name": name, "meaning": meaning,
            "advice": RUNTIME_ADVICE.get(code, "See NVIDIA's documentation of %s." % name)}


def nvswitches_present(sysfs="/sys/bus/pci/devices", dev="/dev"):
    """NVSwitches (PCI class 0x0680, NVIDIA's vendor id) or their device files."""
    if glob.glob(os.path.join(dev, "nvidia-nvswitch*")):
        return True
    for d in glob.glob(os.path.join(sysfs, "*")):
        try:
            with open(os.path.join(d, "vendor")) as f:
                vendor = f.read().strip()
            with open(os.path.join(d, "class")) as f:
                klass = f.read().strip()
        except (IOError, OSError):
            continue
        if vendor == "0x10de" and klass.startswith("0x0680"):
            return True
    return False


_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def clean(text, limit=96):
    """The library's answers are data from the guest: printable ASCII, bounded."""
    return _PRINTABLE.sub("?", str(text))[:limit]


# ---------------------------------------------------------------------------------------------
# The child: ctypes calls, one event per step.

def _child(library, emit, n=N):  # pragma: no cover - runs in the forked child, tested end to end
    import ctypes

    try:
        lib = ctypes.CDLL(library)
    except OSError as e:
        emit({"event": "load_error", "error": str(e)})
        return

    def fn(*names):
        for name in names:
            f = getattr(lib, name, None)
            if f is not None:
                f.restype = ctypes.c_int
                return f
        raise AttributeError(names[0])

    def error_name(code):
        try:
            p = ctypes.c_char_p()
            if fn("cuGetErrorName")(code, ctypes.byref(p)) == 0 and p.value:
                return p.value.decode("ascii", "replace")
        except AttributeError:
            pass
        return None

    def call(step, index, f, *args):
        emit({"event": "step", "step": step, "index": index})
        code = f(*args)
        if code != 0:
            emit({"event": "error", "step": step, "index": index, "code": code, "library_name": error_name(code)})
        return code

    try:
        if call("cuInit", None, fn("cuInit"), 0):
            return
        version = ctypes.c_int()
        if fn("cuDriverGetVersion")(ctypes.byref(version)) == 0:
            emit({"event": "driver", "version": version.value})
        count = ctypes.c_int()
        if call("cuDeviceGetCount", None, fn("cuDeviceGetCount"), ctypes.byref(count)):
            return
        emit({"event": "count", "count": count.value})
        values = probe_input(n)
        host_in = (ctypes.c_uint32 * n)(*values)
        for i in range(count.value):
            _device(ctypes, fn, call, emit, i, n, host_in)
    except AttributeError as e:
        emit({"event": "symbol_missing", "symbol": str(e)})


def _device(ctypes, fn, call, emit, i, n, host_in):  # pragma: no cover - in the child
    t0 = time.monotonic()
    dev = ctypes.c_int()
    if call("cuDeviceGet", i, fn("cuDeviceGet"), ctypes.byref(dev), i):
        return
    info = {"event": "device", "index": i}
    name = ctypes.create_string_buffer(256)
    if fn("cuDeviceGetName")(name, 256, dev) == 0:
        info["name"] = name.value.decode("ascii", "replace")
    bus = ctypes.create_string_buffer(64)
    if fn("cuDeviceGetPCIBusId")(bus, 64, dev) == 0:
        info["bus_id"] = bus.value.decode("ascii", "replace")
    major, minor = ctypes.c_int(), ctypes.c_int()
    # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR
    if fn("cuDeviceGetAttribute")(ctypes.byref(major), 75, dev) == 0 and \
            fn("cuDeviceGetAttribute")(ctypes.byref(minor), 76, dev) == 0:
        info["compute_capability"] = "%d.%d" % (major.value, minor.value)
    emit(info)
    ctx = ctypes.c_void_p()
    if call("cuDevicePrimaryCtxRetain", i, fn("cuDevicePrimaryCtxRetain"), ctypes.byref(ctx), dev):
        return
    release = fn("cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease")
    try:
        if call("cuCtxSetCurrent", i, fn("cuCtxSetCurrent"), ctx):
            return
        mod = ctypes.c_void_p()
        if call("cuModuleLoadData", i, fn("cuModuleLoadData"), ctypes.byref(mod),
                ctypes.c_char_p(PTX.encode("ascii"))):
            return
        func = ctypes.c_void_p()
        if call("cuModuleGetFunction", i, fn("cuModuleGetFunction"), ctypes.byref(func), mod,
                ctypes.c_char_p(KERNEL.encode("ascii"))):
            return
        size = ctypes.c_size_t(4 * n)
        d_in, d_out = ctypes.c_uint64(), ctypes.c_uint64()
        alloc = fn("cuMemAlloc_v2", "cuMemAlloc")
        free = fn("cuMemFree_v2", "cuMemFree")
        if call("cuMemAlloc", i, alloc, ctypes.byref(d_in), size) or \
                call("cuMemAlloc", i, alloc, ctypes.byref(d_out), size):
            return
        try:
            if call("cuMemcpyHtoD", i, fn("cuMemcpyHtoD_v2", "cuMemcpyHtoD"), d_in, host_in, size):
                return
            count = ctypes.c_uint32(n)
            params = (ctypes.c_void_p * 3)(ctypes.cast(ctypes.byref(d_out), ctypes.c_void_p),
                                           ctypes.cast(ctypes.byref(d_in), ctypes.c_void_p),
                                           ctypes.cast(ctypes.byref(count), ctypes.c_void_p))
            blocks = (n + BLOCK - 1) // BLOCK
            k0 = time.monotonic()
            if call("cuLaunchKernel", i, fn("cuLaunchKernel"), func, blocks, 1, 1, BLOCK, 1, 1, 0, None,
                    params, None):
                return
            if call("cuCtxSynchronize", i, fn("cuCtxSynchronize")):
                return
            kernel_ms = (time.monotonic() - k0) * 1000.0
            host_out = (ctypes.c_uint32 * n)()
            if call("cuMemcpyDtoH", i, fn("cuMemcpyDtoH_v2", "cuMemcpyDtoH"), host_out, d_out, size):
                return
            emit({"event": "result", "index": i, "values": list(host_out), "kernel_ms": round(kernel_ms, 3),
                  "seconds": round(time.monotonic() - t0, 3)})
        finally:
            free(d_in)
            free(d_out)
    finally:
        release(dev)


# ---------------------------------------------------------------------------------------------
# The parent: run the child, bound every step, read its events.

def run_child(library, timeout, n=N):
    """Fork, run the probe in the child, collect its events. Returns (events, hung_step or None,
    how the child ended: 'exit', 'signal <n>', 'killed' or 'unreaped')."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            # A crash of the driver library is reported by the parent (the child's signal); a
            # fault handler inherited from the caller (pytest's) would only print a traceback.
            import faulthandler
            faulthandler.disable()
            out = os.fdopen(w, "w")

            def emit(ev):
                out.write(json.dumps(ev) + "\n")
                out.flush()
            _child(library, emit, n)
            out.close()
        except BaseException:  # the parent sees how it ended
            os._exit(70)
        os._exit(0)
    os.close(w)
    events, buf, hung = [], b"", False
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                hung = True
                break
            try:
                ready = select.select([r], [], [], left)[0]
            except (OSError, select.error) as e:  # pragma: no cover - EINTR on old Pythons
                if getattr(e, "errno", None) == errno.EINTR:
                    continue
                raise
            if not ready:
                hung = True
                break
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    events.append(json.loads(line.decode("utf-8", "replace")))
                except ValueError:
                    events.append({"event": "garbled"})
                deadline = time.monotonic() + timeout
    finally:
        os.close(r)
    if hung:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # pragma: no cover
            pass
    ended = _reap(pid, 5.0 if hung else timeout)
    return events, hung, ("killed" if hung and ended.startswith("signal") else ended)


def _reap(pid, limit):
    """Wait for the child without blocking for ever: a process stuck in the kernel (a hung GPU,
    state D) cannot be reaped and is left behind."""
    end = time.monotonic() + limit
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(status):
                return "signal %d" % os.WTERMSIG(status)
            return "exit" if os.WEXITSTATUS(status) == 0 else "exit %d" % os.WEXITSTATUS(status)
        if time.monotonic() > end:
            return "unreaped"
        time.sleep(0.02)


def summarize(events, hung, ended, timeout, n=N, nvswitch=False, library="libcuda.so.1"):
    """One result from the child's events: {status, reason, msg, driver_cuda_version, gpu_count,
    gpus: [{index, name, bus_id, compute_capability, result, step, error, kernel_ms, seconds,
    mismatches}], error}. Pure: unit tested with scripted events."""
    expected = expected_output(probe_input(n))
    res = {"status": "ok", "reason": None, "error": None, "driver_cuda_version": None, "gpu_count": None,
           "gpus": [], "library": library}
    gpus = {}
    last_step = None
    for ev in events:
        kind = ev.get("event")
        idx = ev.get("index")
        if kind == "step":
            last_step = (ev.get("step"), idx)
            if idx is not None:
                gpus.setdefault(idx, {"index": idx, "result": "running"})["step"] = ev.get("step")
        elif kind == "load_error":
            res.update(status="failed", reason="library_missing",
                       msg="%s cannot be loaded (%s): the driver's CUDA library (libcuda1, part of "
                           "nvidia-driver-cuda) is not installed or not on the loader path."
                           % (library, clean(ev.get("error"), 200)))
            return res
        elif kind == "symbol_missing":
            res.update(status="failed", reason="library_broken",
                       msg="%s lacks %s: it is not NVIDIA's driver library, or a very old one." %
                           (library, clean(ev.get("symbol"))))
        elif kind == "driver":
            v = int(ev.get("version") or 0)
            res["driver_cuda_version"] = "%d.%d" % (v // 1000, (v % 1000) // 10)
        elif kind == "count":
            res["gpu_count"] = int(ev.get("count") or 0)
        elif kind == "device":
            g = gpus.setdefault(idx, {"index": idx, "result": "running"})
            for k in ("name", "bus_id", "compute_capability"):
                if k in ev:
                    g[k] = clean(ev[k])
            if "bus_id" in g:
                g["bus_id"] = g["bus_id"].lower()
        elif kind == "error":
            err = describe(ev.get("code", 999), nvswitch)
            if idx is None:
                res.update(status="failed", error=dict(err, step=ev.get("step")))
            else:
                g = gpus.setdefault(idx, {"index": idx})
                g.update(result="failed", step=ev.get("step"), error=err)
        elif kind == "result":
            g = gpus.setdefault(idx, {"index": idx})
            values = ev.get("values") or []
            bad = [i for i, (a, b) in enumerate(zip(values, expected)) if a != b]
            if len(values) != len(expected):
                bad = bad or [min(len(values), len(expected))]
            g.update(kernel_ms=ev.get("kernel_ms"), seconds=ev.get("seconds"), step=None)
            if bad:
                g.update(result="wrong", mismatches=len(bad),
                         first_mismatch={"at": bad[0], "expected": expected[bad[0]] if bad[0] < len(expected) else None,
                                         "got": values[bad[0]] if bad[0] < len(values) else None})
            else:
                g.update(result="ok", mismatches=0)
    if hung and last_step:
        step, idx = last_step
        timed_out = {"code": None, "name": "timeout", "step": step,
                     "meaning": "%s did not return within %d seconds" % (step, timeout), "advice": HUNG_ADVICE}
        if idx is None:
            res.update(status="failed", reason="hung", error=timed_out)
        else:
            gpus.setdefault(idx, {"index": idx}).update(result="hung", step=step, error=timed_out)
    elif hung:
        res.update(status="failed", reason="hung")
    count = res["gpu_count"]
    if count is not None:
        for i in range(count):
            gpus.setdefault(i, {"index": i})
    for g in gpus.values():
        if g.get("result") in (None, "running"):
            g["result"] = "not checked"
    res["gpus"] = [gpus[k] for k in sorted(gpus)]
    return _verdict(res, hung, ended, timeout)


def _verdict(res, hung, ended, timeout):
    gpus = res["gpus"]
    if res["reason"] in ("library_missing", "library_broken"):
        return res
    if res["error"] is not None:
        e = res["error"]
        res["reason"] = res["reason"] or REASONS.get(e.get("code"), "cuda_error")
        res["msg"] = "CUDA could not start (%s): %s" % (failure(e.get("step"), e), e["advice"])
        return res
    if res["reason"] == "hung":
        res["msg"] = "The CUDA probe stopped answering (%s)." % ended
        return res
    if res["gpu_count"] == 0:
        res.update(status="failed", reason="no_devices",
                   msg="CUDA sees no GPU (cuDeviceGetCount is 0): %s" % ADVICE[100])
        return res
    if ended not in ("exit", "killed", "unreaped") and not hung:
        # The child died (a segfault in the driver library) before it finished.
        unfinished = [g for g in gpus if g["result"] == "not checked"]
        if unfinished or not gpus:
            res.update(status="failed", reason="crashed",
                       msg="The CUDA probe process ended with %s before it finished: the driver library "
                           "crashed; read the kernel log (dmesg_check)." % ended)
            return res
    failed = [g for g in gpus if g["result"] != "ok"]
    if failed:
        res["status"] = "failed"
        first = failed[0]
        res["reason"] = {"wrong": "wrong_result", "hung": "hung", "not checked": "not_checked"}.get(first["result"])
        if res["reason"] is None:
            res["reason"] = REASONS.get((first.get("error") or {}).get("code"), "cuda_error")
        res["msg"] = "; ".join(gpu_line(g) for g in failed)
    else:
        res["msg"] = "; ".join(gpu_line(g) for g in gpus)
    return res


# The loaded NVIDIA kernel module's banner: absent when no module is loaded.
MODULE_VERSION_FILE = "/proc/driver/nvidia/version"
# Recorded with Debian 12's real libcuda1 535.261.03 in a container without the module (the bad_key
# scenario checks it again): cuInit answers CUDA_ERROR_NO_DEVICE (100), cuDriverGetVersion 12020.
DRIVER_NOT_LOADED_MSG = (
    "cuInit returned CUDA_ERROR_NO_DEVICE (100) and no NVIDIA kernel module is loaded (%s is missing): "
    "libcuda answers 'no device' when the driver is not running at all, not only when no GPU is passed "
    "through. Load the module (reboot after installing the driver; `modprobe nvidia`), then check the "
    "DKMS build (`dkms status`), Secure Boot and the kernel log (dmesg_check).")


def probe(library="libcuda.so.1", timeout=30, expected_gpus=None, module_file=MODULE_VERSION_FILE):
    """The whole check as the modules return it: the child's run, summarised, with the number of
    GPUs that passed and, with ``expected_gpus``, a count that differs as a failure. "No device"
    without a loaded kernel module is driver_not_loaded (what the real libcuda says then)."""
    nvswitch = nvswitches_present()
    events, hung, ended = run_child(library, timeout)
    res = summarize(events, hung, ended, timeout, nvswitch=nvswitch, library=library)
    if res.get("reason") == "no_devices" and (res.get("error") or {}).get("code") == 100 \
            and not os.path.exists(module_file):
        res.update(reason="driver_not_loaded", msg=DRIVER_NOT_LOADED_MSG % module_file)
    res["nvswitches"] = nvswitch
    res["passed"] = len([g for g in res["gpus"] if g.get("result") == "ok"])
    seen = res["gpu_count"] or 0
    if res["status"] == "ok" and expected_gpus is not None and seen != expected_gpus:
        res.update(status="failed", reason="count_mismatch",
                   msg="CUDA sees %d GPU(s), %d expected: a GPU is not passed through to this VM, not bound to "
                       "the nvidia driver, or hidden by CUDA_VISIBLE_DEVICES. %s" % (seen, expected_gpus, res["msg"]))
    for key in ("error", "reason"):
        if res[key] is None:
            res.pop(key)
    return res


def failure(step, e):
    """'cuInit returned CUDA_ERROR_NO_DEVICE (100)' or 'cuInit did not return within 30 seconds'."""
    if e.get("code") is None:
        return e.get("meaning") or "%s did not return" % step
    return "%s returned %s (%d)" % (step, e.get("name"), e["code"])


def gpu_line(g):
    """One line per GPU for messages and the report."""
    who = "GPU %s" % g.get("index")
    if g.get("bus_id"):
        who += " (%s%s)" % (g.get("name", "?"), ", " + g["bus_id"])
    r = g.get("result")
    if r == "ok":
        return "%s: kernel ran, result correct (%s ms)" % (who, g.get("kernel_ms"))
    if r == "wrong":
        m = g.get("first_mismatch") or {}
        return ("%s: the kernel ran but %d of %d results are wrong (at %s: expected %s, got %s): the GPU computes "
                "wrongly; a faulty GPU or its memory. Reset it, then replace it if it repeats."
                % (who, g.get("mismatches", 0), N, m.get("at"), m.get("expected"), m.get("got")))
    if r in ("failed", "hung"):
        e = g.get("error") or {}
        return "%s: %s: %s" % (who, failure(g.get("step"), e), e.get("advice"))
    return "%s: not checked (the probe stopped before it)" % who

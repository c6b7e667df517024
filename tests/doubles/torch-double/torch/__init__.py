# -*- coding: utf-8 -*-
"""TEST DOUBLE of PyTorch, only the few calls torch_check's script makes (no GPU here, and a real
CUDA build of torch is gigabytes). TORCH_DOUBLE_STATE chooses what it plays:

ok              torch 2.9.1+cu130 with CUDA 13.0, TORCH_DOUBLE_GPUS GPUs (default 1), right values
cpu_only        torch 2.9.1+cpu: torch.version.cuda is None, is_available() False
old_driver      is_available() False with the UserWarning real torch gives (torch/cuda/__init__.py,
                _check_driver: "CUDA initialization: The NVIDIA driver on your system is too old
                (found version 12020). ...")
no_kernel_image the first tensor on the GPU raises RuntimeError("CUDA error: no kernel image is
                available for execution on the device"), c10/cuda/CUDAException.h's text for
                cudaErrorNoKernelImageForDevice
wrong           GPU 0 computes one wrong value
"""
import os
import warnings

STATE = os.environ.get("TORCH_DOUBLE_STATE", "ok")
__version__ = "2.9.1+cpu" if STATE == "cpu_only" else "2.9.1+cu130"
int32 = "int32"


class version(object):  # noqa: N801 - torch.version is a module in real torch
    cuda = None if STATE == "cpu_only" else "13.0"


class _Tensor(object):
    def __init__(self, values, device="cpu"):
        self.values, self.device = list(values), device

    def _other(self, o):
        return o.values if isinstance(o, _Tensor) else [o] * len(self.values)

    def __mul__(self, o):
        return _Tensor([a * b for a, b in zip(self.values, self._other(o))], self.device)

    def __add__(self, o):
        return _Tensor([a + b for a, b in zip(self.values, self._other(o))], self.device)

    def __eq__(self, o):
        return _Tensor([a == b for a, b in zip(self.values, self._other(o))], self.device)

    __hash__ = None

    def cpu(self):
        values = list(self.values)
        if STATE == "wrong" and self.device == "cuda:0":
            values[5] += 1
        return _Tensor(values)

    def all(self):
        return all(self.values)


def arange(n, dtype=None, device="cpu"):
    if device.startswith("cuda") and STATE == "no_kernel_image":
        raise RuntimeError("CUDA error: no kernel image is available for execution on the device\n"
                           "CUDA kernel errors might be asynchronously reported at some other API call, so the "
                           "stacktrace below might be incorrect.")
    return _Tensor(range(n), device)


class cuda(object):  # noqa: N801 - torch.cuda is a module in real torch
    @staticmethod
    def is_available():
        if STATE == "old_driver":
            warnings.warn("CUDA initialization: The NVIDIA driver on your system is too old (found version 12020). "
                          "Please update your GPU driver by downloading and installing a new version from the URL: "
                          "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to "
                          "install a PyTorch version that has been compiled with your version of the CUDA driver.")
        return STATE not in ("cpu_only", "old_driver")

    @staticmethod
    def device_count():
        return int(os.environ.get("TORCH_DOUBLE_GPUS", "1"))

    @staticmethod
    def get_device_name(i):
        return "NVIDIA H100 80GB HBM3"

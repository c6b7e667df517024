#!/usr/bin/env bash
# Runs this collection's read-only modules against a real NVIDIA GPU and driver and
# records what they return (JSON), for tests/unit/fixtures/real/. Needs ansible-core
# importable (PYTHONPATH) and the checkout's .collections link.
# Usage: tools/gpu-check.sh OUTDIR
set -u
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
cd "$(dirname "$0")/.." || exit 1
export ANSIBLE_COLLECTIONS_PATH=$PWD/.collections ANSIBLE_CALLBACK_RESULT_FORMAT=json \
  ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 \
  ANSIBLE_INVENTORY_UNPARSED_WARNING=0
adhoc() { # name, module, args
  local name=$1 mod=$2 args=$3
  ansible localhost -m "$mod" -a "$args" >"$out/$name.out" 2>&1
  echo "$name rc=$?"
}
adhoc nvidia_smi passthrough.nvidia.nvidia_smi ""
adhoc nvidia_smi_expect2 passthrough.nvidia.nvidia_smi "expected_gpus=2"
adhoc nvidia_smi_newer passthrough.nvidia.nvidia_smi "min_driver_version=999.1"
adhoc dmesg_check passthrough.nvidia.dmesg_check ""
adhoc dmesg_check_journal passthrough.nvidia.dmesg_check "source=journal"
adhoc cuda_probe passthrough.nvidia.cuda_probe ""
adhoc cuda_probe_expect9 passthrough.nvidia.cuda_probe "expected_gpus=9"

# NVIDIA's real nvcc from the pinned wheels (make wheels), on the real GPU: compile the toolkit
# role's check program for this GPU's architecture, list its GPU code, run it.
wheels=.cache/cuda-wheels
if ls "$wheels"/nvidia_cuda_nvcc-*.whl >/dev/null 2>&1; then
  tree=$(mktemp -d)
  for w in "$wheels"/*.whl; do python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$w" "$tree"; done
  cu13=$tree/nvidia/cu13
  chmod -R u+x "$cu13/bin" "$cu13/nvvm/bin"
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' .')
  printf '#include <cstdio>\n__global__ void k(int *p) { p[threadIdx.x] = threadIdx.x * 3; }\nint main() {\n  int *d, h[32];\n  cudaError_t e = cudaMalloc(&d, sizeof h);\n  if (e == cudaSuccess) { k<<<1, 32>>>(d); e = cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost); }\n  std::printf("%%s %%d\\n", cudaGetErrorName(e), e == cudaSuccess ? h[31] : -1);\n  return e == cudaSuccess && h[31] == 93 ? 0 : 1;\n}\n' >"$tree/check.cu"
  "$cu13/bin/nvcc" ${cap:+-arch=sm_$cap} -o "$tree/check" "$tree/check.cu" >"$out/nvcc_compile.out" 2>&1
  echo "nvcc_compile rc=$?"
  "$cu13/bin/cuobjdump" --list-elf "$tree/check" >"$out/cuobjdump.out" 2>&1
  echo "cuobjdump rc=$?"
  "$tree/check" >"$out/check_run.out" 2>&1
  echo "check_run rc=$?"
  "$cu13/bin/nvcc" --version >"$out/nvcc_version.out" 2>&1
  rm -rf "$tree"
else
  echo "nvcc: no wheels in $wheels (run make wheels)"
fi

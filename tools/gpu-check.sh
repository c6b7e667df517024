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

#!/usr/bin/env bash
# Stops a lab guest started by lab/up.sh and removes its overlay.
# Usage: lab/down.sh [RELEASE]    Env: LAB_NAME
set -euo pipefail
release=${1:-${RELEASE:-bookworm}}
root_dir=$(cd "$(dirname "$0")/.." && pwd)
name=${LAB_NAME:-lab-$release}
run="$root_dir/lab/run/$name"
touch "$run/stop" 2>/dev/null || true
sup=$(cat "$run/supervisor.pid" 2>/dev/null || true)
pid=$(cat "$run/qemu.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if [ -n "$sup" ]; then kill "$sup" 2>/dev/null || true; fi
  echo "lab: stopped $name"
else
  echo "lab: $name is not running"
fi
rm -f "$run/qemu.pid" "$run/supervisor.pid" "$run/disk.qcow2" "$run/OVMF_VARS.fd"

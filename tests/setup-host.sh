#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) for the test rig: Debian packages and
# the podman settings that work on our machines. Idempotent; says what it changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "setup-host: run as root (apt-get and podman as root are needed)" >&2
  exit 1
fi

mapfile -t wanted < <(grep -v '^\s*#' "$here/host-packages.txt" | xargs -n1)
missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = 'install ok installed' ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman as root needs runc and lower ulimits on these machines.
conf=/etc/containers/containers.conf
want=$'[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n\n[engine]\nruntime = "runc"\n'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$(printf '%s' "$want")" ]; then
  mkdir -p /etc/containers
  [ -f "$conf" ] && cp "$conf" "$conf.passthrough-backup" && echo "setup-host: saved the old $conf as $conf.passthrough-backup"
  printf '%s' "$want" >"$conf"
  echo "setup-host: wrote $conf (runtime runc, default_ulimits nofile=1024, nproc=4096)"
fi

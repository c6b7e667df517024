#!/usr/bin/env bash
# Boots a lab guest: Debian (bookworm or trixie), UEFI (OVMF) and GRUB EFI under QEMU,
# from a fresh qcow2 overlay of the cached image, SSH forwarded on loopback, serial
# console to a file. Writes an Ansible inventory for it (group passthrough_guests).
#
# Usage: lab/up.sh [RELEASE]     Env: LAB_NAME (default lab-RELEASE), LAB_SSH_PORT
#        (default 2222 for bookworm, 2223 for trixie), LAB_MEMORY (MiB, 2048),
#        LAB_ACCEL (tcg; kvm only where it really works: it hangs on our machines)
set -euo pipefail
release=${1:-${RELEASE:-bookworm}}
here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/.." && pwd)
name=${LAB_NAME:-lab-$release}
case "$release" in bookworm) port_default=2222 ;; trixie) port_default=2223 ;; *)
  echo "lab: unsupported release '$release' (supported: bookworm, trixie)" >&2; exit 2 ;; esac
port=${LAB_SSH_PORT:-$port_default}
run="$root_dir/lab/run/$name"
cache="$root_dir/.cache/lab"
key="$cache/id_ed25519"
mkdir -p "$run"

ssh_opts=(-o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=2
          -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i "$key" -p "$port")

if [ -f "$run/supervisor.pid" ] && kill -0 "$(cat "$run/supervisor.pid")" 2>/dev/null; then
  echo "lab: $name is already running (supervisor pid $(cat "$run/supervisor.pid"), ssh port $port)"
  exit 0
fi

"$here/build-image.sh" "$release"
base="$cache/debian-$release.qcow2"
rm -f "$run/disk.qcow2" "$run/serial.log"
qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$run/disk.qcow2"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$run/OVMF_VARS.fd"

accel=${LAB_ACCEL:-tcg}
case "$accel" in tcg) accel_opt="tcg,thread=multi" ;; kvm) accel_opt="kvm" ;; *)
  echo "lab: LAB_ACCEL must be tcg or kvm" >&2; exit 2 ;; esac

t0=$(date +%s)
# Under software emulation a firmware reset (the guest's reboot) is slow and sometimes
# hangs in OVMF; with -no-reboot QEMU exits instead, and this supervisor starts it
# again from the same disk and NVRAM: every reboot becomes a cold boot (about 25 s).
rm -f "$run/stop"
cat >"$run/supervise.sh" <<SUP
#!/usr/bin/env bash
while [ ! -f "$run/stop" ]; do
  qemu-system-x86_64 -name "passthrough-$name" -machine q35 -accel "$accel_opt" -cpu max -smp 2 \\
    -m "${LAB_MEMORY:-2048}" -no-reboot \\
    -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \\
    -drive if=pflash,format=raw,unit=1,file="$run/OVMF_VARS.fd" \\
    -drive if=virtio,format=qcow2,file="$run/disk.qcow2" \\
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \\
    -chardev "file,id=serial0,path=$run/serial.log,append=on" -serial chardev:serial0 \\
    -display none -pidfile "$run/qemu.pid" || break
  echo "\$(date +%s)" >>"$run/restarts"
done
rm -f "$run/qemu.pid" "$run/supervisor.pid"
SUP
chmod +x "$run/supervise.sh"
: >"$run/restarts"
setsid "$run/supervise.sh" >"$run/qemu.log" 2>&1 < /dev/null &
echo $! >"$run/supervisor.pid"
for _ in $(seq 50); do [ -f "$run/qemu.pid" ] && break; sleep 0.2; done

# QEMU accepts the TCP connection before sshd answers: every probe has its own timeout.
deadline=$(( t0 + ${LAB_BOOT_TIMEOUT:-600} ))
until timeout 20 ssh "${ssh_opts[@]}" root@127.0.0.1 true 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$(cat "$run/supervisor.pid")" 2>/dev/null; then
    echo "lab: $name did not answer on SSH within ${LAB_BOOT_TIMEOUT:-600} s; serial console: $run/serial.log" >&2
    tail -n 20 "$run/serial.log" >&2 || true
    cat "$run/qemu.log" >&2 || true
    exit 1
  fi
  sleep 2
done
boot=$(( $(date +%s) - t0 ))
echo "$boot" >"$run/boot-seconds"

fpr() { cat "$root_dir/.cache/test-repo/fingerprints/$1.txt" 2>/dev/null || echo ""; }
mkdir -p "$run/group_vars"
cat >"$run/inventory.yml" <<INV
# Written by lab/up.sh: the lab guest $name (no GPU; uses the test repository).
passthrough_guests:
  hosts:
    $name:
      ansible_host: 127.0.0.1
      ansible_port: $port
      ansible_user: root
      ansible_ssh_private_key_file: $key
      # Lab guests only: their host keys are new at every boot of a fresh overlay.
      ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ServerAliveInterval=15
INV
{
  cat "$here/lab-vars.yml"
  echo "cuda_repo_key_fingerprints:"
  echo "  debian12: \"$(fpr debian12)\""
  echo "  debian13: \"$(fpr debian13)\""
} >"$run/group_vars/passthrough_guests.yml"
echo "lab: $name is up: SSH answered $boot s after start (ssh -p $port root@127.0.0.1 -i $key)"
echo "lab: inventory $run/inventory.yml; serial console $run/serial.log; stop it with: make lab-down RELEASE=$release"

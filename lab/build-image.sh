#!/usr/bin/env bash
# Builds the lab's Debian UEFI guest image, offline from Debian's packages, without
# root-owned loop partitions (our machines have none): debootstrap into a directory,
# an ext4 root made from it with `mkfs.ext4 -d`, an ESP made with mtools holding a GRUB
# EFI image (built by the guest's own grub-mkimage) that finds the root by label and
# reads /boot/grub/grub.cfg, so the guest's own update-grub decides the kernel command
# line. Both filesystems are placed into a GPT disk (sfdisk), converted to qcow2.
# The image is cached under .cache/lab/ and rebuilt only when this recipe changes.
#
# Usage: lab/build-image.sh RELEASE (bookworm|trixie)   Env: MIRROR, FORCE=1
set -euo pipefail
release=${1:-bookworm}
here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/.." && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}
case "$release" in bookworm|trixie) ;; *)
  echo "lab: unsupported release '$release' (supported: bookworm, trixie)" >&2; exit 2 ;; esac

cache="$root_dir/.cache/lab"
mkdir -p "$cache"
base="$cache/debian-$release.qcow2"
recipe=$(cat "$0" "$here/packages.txt" "$root_dir/tests/images/debian-sources.sh" | sha256sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && [ -f "$base" ] && [ "$(cat "$base.recipe" 2>/dev/null)" = "$recipe" ]; then
  echo "lab: $base is up to date (recipe $recipe)"
  exit 0
fi

# The lab's SSH key (the guest trusts it for root).
[ -f "$cache/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C passthrough-lab -f "$cache/id_ed25519"

work=$(mktemp -d /var/tmp/passthrough-lab.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
t0=$(date +%s)
packages=$(grep -v '^\s*#' "$here/packages.txt" | xargs | tr ' ' ',')
echo "lab: debootstrap $release (this takes a few minutes)"
debootstrap --variant=minbase --components=main,non-free-firmware \
  --include="$packages" "$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; echo "lab: debootstrap failed" >&2; exit 1; }

"$root_dir/tests/images/debian-sources.sh" "$release" "$mirror" "$root"
echo "passthrough-lab" >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 passthrough-lab\n' >"$root/etc/hosts"
cat >"$root/etc/fstab" <<FSTAB
LABEL=rootfs / ext4 errors=remount-ro 0 1
LABEL=ESP /boot/efi vfat umask=0077 0 2
FSTAB
mkdir -p "$root/boot/efi"
# Network: systemd-networkd with DHCP on QEMU's user network; QEMU's DNS.
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' >"$root/etc/systemd/network/80-dhcp.network"
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"
printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"
# Root logs in with the lab key only.
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$cache/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
# Host keys are made at first boot (each clone gets its own).
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/systemd/system/ssh-hostkeys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys of this lab guest
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ssh-hostkeys.service "$root/etc/systemd/system/multi-user.target.wants/ssh-hostkeys.service"
# TEST DOUBLE of the passed-through GPU in sysfs (the lab guest has none): the files the kernel
# writes for a PCI device (Documentation/ABI/testing/sysfs-bus-pci), an H100 at 0000:00:06.0 as
# the nvidia-smi double describes it; lab-vars.yml points the roles at it.
gpu="$root/srv/passthrough-test/pci-devices/0000:00:06.0"
mkdir -p "$gpu"
printf '0x10de\n' >"$gpu/vendor"; printf '0x2330\n' >"$gpu/device"; printf '0x030200\n' >"$gpu/class"
printf '0x10de\n' >"$gpu/subsystem_vendor"; printf '0x16c1\n' >"$gpu/subsystem_device"
# Every boot appends its boot id: the vm scenario counts reboots with it.
cat >"$root/etc/systemd/system/boot-log.service" <<'UNIT'
[Unit]
Description=Record this boot (passthrough.nvidia lab)

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'cat /proc/sys/kernel/random/boot_id >> /var/log/boot-ids.log'

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/boot-log.service "$root/etc/systemd/system/multi-user.target.wants/boot-log.service"
: >"$root/etc/machine-id"

# The initramfs as Debian's installer makes it with its "targeted" driver policy (the installer
# writes this very file): only the modules this machine needs. The installer's other choice,
# "generic" (MODULES=most), takes 8 minutes per update-initramfs under software emulation.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=dep\n' >"$root/etc/initramfs-tools/conf.d/driver-policy"
# GRUB: the defaults file a real install has, with a serial console and a short menu.
cp "$root/usr/share/grub/default/grub" "$root/etc/default/grub"
sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/; s/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0,115200"/' "$root/etc/default/grub"
printf 'GRUB_TERMINAL="serial console"\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n' >>"$root/etc/default/grub"
mkdir -p "$root/boot/grub"
cp -r "$root/usr/lib/grub/x86_64-efi" "$root/boot/grub/"
kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
# A first grub.cfg; the guest's update-grub replaces it.
cat >"$root/boot/grub/grub.cfg" <<CFG
set timeout=1
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry 'Debian GNU/Linux' {
  search --no-floppy --label rootfs --set=root
  linux /boot/vmlinuz-$kver root=LABEL=rootfs ro console=ttyS0,115200
  initrd /boot/initrd.img-$kver
}
CFG
cat >"$root/tmp/early.cfg" <<'CFG'
search --no-floppy --label rootfs --set=root
set prefix=($root)/boot/grub
configfile ($root)/boot/grub/grub.cfg
CFG
chroot "$root" grub-mkimage -O x86_64-efi -o /tmp/BOOTX64.EFI -p /boot/grub -c /tmp/early.cfg \
  part_gpt part_msdos ext2 fat search search_label search_fs_uuid configfile normal linux echo \
  all_video efi_gop efi_uga serial terminal test gzio
mv "$root/tmp/BOOTX64.EFI" "$work/BOOTX64.EFI"
rm -f "$root/tmp/early.cfg"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

# Filesystems from directories, then a GPT disk.
features=""
mke2fs_features=$(mke2fs -O help 2>&1 || true)
grep -q orphan_file <<<"$mke2fs_features" && features="-O ^orphan_file,^metadata_csum_seed"
# shellcheck disable=SC2086
mkfs.ext4 -q -L rootfs $features -d "$root" "$work/root.img" 6G
mkfs.vfat -n ESP -C "$work/esp.img" 65536 >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
esp_mib=64; root_mib=6144
truncate -s $(( (1 + esp_mib + root_mib + 1) * 1024 * 1024 )) "$work/disk.img"
sfdisk -q "$work/disk.img" <<PARTS
label: gpt
start=1MiB, size=${esp_mib}MiB, type=uefi, name=ESP
start=$(( 1 + esp_mib ))MiB, size=${root_mib}MiB, type=linux, name=rootfs
PARTS
dd if="$work/esp.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/disk.img" bs=1M seek=$(( 1 + esp_mib )) conv=notrunc,sparse status=none
qemu-img convert -O qcow2 "$work/disk.img" "$base.tmp"
mv "$base.tmp" "$base"
echo "$recipe" >"$base.recipe"
echo "$(( $(date +%s) - t0 ))" >"$cache/debian-$release.build-seconds"
echo "lab: built $base (kernel $kver) in $(( $(date +%s) - t0 )) s"
